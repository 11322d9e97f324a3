#include "workflows/feedback.hpp"

#include "geo/error.hpp"
#include "workflows/input-fields.hpp"
#include "workflows/messages.hpp"
#include "workflows/working-days.hpp"

namespace twindraw::feedback {

namespace {

const char* kJson = R"(json_build_object('id', f.id, 'kind', f.kind, 'title', f.title, 'content', f.content,
    'contact', f.contact, 'status', f.status,
    'submitted_at', to_char(f.submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'due_date', f.due_date::text, 'due_provisional', f.due_provisional,
    'overdue', f.status = 'open' AND (now() AT TIME ZONE 'Asia/Shanghai')::date > f.due_date,
    'answered_late', f.replied_at IS NOT NULL AND (f.replied_at AT TIME ZONE 'Asia/Shanghai')::date > f.due_date,
    'reply', f.reply,
    'replied_at', to_char(f.replied_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'replier_name', (SELECT name FROM app_user_name WHERE id = f.replied_by),
    'closed_at', to_char(f.closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'user_id', f.user_id, 'user_name', (SELECT name FROM app_user_name WHERE id = f.user_id),
    'unit_name', (SELECT name FROM authority WHERE id = f.unit_id))::text)";

const char* kOverdue = "f.status = 'open' AND (now() AT TIME ZONE 'Asia/Shanghai')::date > f.due_date";

std::string kind_label(const std::string& k) {
    return k == "technical" ? "技术问题" : k == "business" ? "业务问题" : k;
}
std::string status_label(const std::string& s) {
    return s == "open" ? "待回复" : s == "replied" ? "已回复" : s == "closed" ? "已关闭" : s;
}

// Labels and, for open items, the working days left until the due date (negative:
// overdue by that many).
void decorate(nlohmann::json& j, const calendar::Calendar& cal, const calendar::Date& today) {
    j["kind_label"] = kind_label(j["kind"]);
    j["status_label"] = status_label(j["status"]);
    j["working_days_left"] = nullptr;
    if (j["status"] == "open") {
        auto due = calendar::parse_date(j["due_date"].get<std::string>());
        if (due) {
            using std::chrono::sys_days;
            j["working_days_left"] = sys_days(*due) >= sys_days(today) ? cal.working_days_between(today, *due)
                                                                       : -cal.working_days_between(*due, today);
        }
    }
}

nlohmann::json one(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string("SELECT ") + kJson + " FROM feedback f WHERE f.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("反馈不存在");
    auto j = nlohmann::json::parse(r[0][0].as<std::string>());
    decorate(j, calendar::load(tx), calendar::today_in_china());
    return j;
}

std::string lock(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, "SELECT status FROM feedback WHERE id = $1 FOR UPDATE", pg::Params().add(id));
    if (r.empty()) throw not_found("反馈不存在");
    return r[0][0].as<std::string>();
}

}  // namespace

int answer_days(const std::string& kind) {
    return kind == "technical" ? 2 : 5;
}

nlohmann::json list(pg::Pool& pool, const Query& q) {
    return pg::with_read(pool, "feedback", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (q.user_id > 0) where += " AND f.user_id = " + p.next(std::to_string(q.user_id)) + "::bigint";
        if (!q.status.empty()) where += " AND f.status = " + p.next(q.status);
        if (!q.kind.empty()) where += " AND f.kind = " + p.next(q.kind);
        if (q.overdue_only) where += std::string(" AND ") + kOverdue;
        if (!q.keyword.empty()) {
            const std::string k = p.next("%" + pg::like_escape(q.keyword) + "%");
            where += " AND (f.title ILIKE " + k + " OR f.content ILIKE " + k + " OR f.contact ILIKE " + k +
                     " OR EXISTS (SELECT 1 FROM app_user_name u WHERE u.id = f.user_id AND u.name ILIKE " + k + "))";
        }
        auto counts = pg::exec(
            tx, std::string("SELECT count(*), count(*) FILTER (WHERE ") + kOverdue + ") FROM feedback f" + where, p);
        const std::string limit = p.next(std::to_string(q.page_size));
        const std::string offset = p.next(std::to_string((q.page - 1) * q.page_size));
        auto rows = pg::exec(tx,
                             std::string("SELECT ") + kJson + " FROM feedback f" + where +
                                 " ORDER BY (f.status = 'open') DESC, f.due_date, f.id DESC LIMIT " + limit +
                                 "::bigint OFFSET " + offset + "::bigint",
                             p);
        const auto cal = calendar::load(tx);
        const auto today = calendar::today_in_china();
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : rows) {
            auto j = nlohmann::json::parse(row[0].as<std::string>());
            decorate(j, cal, today);
            items.push_back(j);
        }
        return nlohmann::json{{"items", items},
                              {"total", counts[0][0].as<long long>()},
                              {"overdue", counts[0][1].as<long long>()},
                              {"page", q.page},
                              {"page_size", q.page_size}};
    });
}

nlohmann::json get(pg::Pool& pool, long long id, long long viewer_id, bool manage) {
    return pg::with_read(pool, "feedback", [&](pqxx::read_transaction& tx) {
        auto j = one(tx, id);
        if (!manage && (j["user_id"].is_null() || j["user_id"].get<long long>() != viewer_id))
            throw not_found("反馈不存在");
        return j;
    });
}

nlohmann::json submit(pg::Pool& pool, long long user_id, long long unit_id, const nlohmann::json& body) {
    input::Fields in(body);
    auto kind = in.choice("kind", "问题类型", {"technical", "business"}, true);
    auto title = in.text("title", "标题", 100, true);
    auto content = in.text("content", "问题描述", 5000, true);
    auto contact = in.text("contact", "联系方式", 100, false);
    in.check();
    return pg::with_transaction(pool, "feedback", [&](pqxx::work& tx) {
        const auto due = calendar::load(tx).add_working_days(calendar::today_in_china(), answer_days(*kind));
        pg::Params p;
        p.add(user_id > 0 ? std::optional<std::string>(std::to_string(user_id)) : std::nullopt);
        p.add(unit_id > 0 ? std::optional<std::string>(std::to_string(unit_id)) : std::nullopt);
        p.add(*kind)
            .add(*title)
            .add(*content)
            .add(contact.value_or(""))
            .add(calendar::format_date(due.date))
            .add(due.provisional);
        auto r =
            pg::exec(tx,
                     "INSERT INTO feedback(user_id, unit_id, kind, title, content, contact, due_date, due_provisional)"
                     " VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7::date, $8::boolean) RETURNING id",
                     p);
        return one(tx, r[0][0].as<long long>());
    });
}

nlohmann::json reply(pg::Pool& pool, long long id, const nlohmann::json& body) {
    input::Fields in(body);
    auto text = in.text("reply", "回复内容", 5000, true);
    in.check();
    return pg::with_transaction(pool, "feedback", [&](pqxx::work& tx) {
        if (lock(tx, id) == "closed") throw conflict("bad_state", "反馈已关闭，不能再回复");
        auto r = pg::exec(tx,
                          "UPDATE feedback SET reply = $2, status = 'replied', replied_at = now(),"
                          " replied_by = nullif(current_setting('twindraw.user_id', true), '')::bigint"
                          " WHERE id = $1 RETURNING user_id, title",
                          pg::Params().add(id).add(*text));
        if (!r[0][0].is_null())
            messages::send(tx, {{r[0][0].as<long long>()}, {}}, "feedback",
                           "您的问题反馈已回复：" + r[0][1].as<std::string>(), *text,
                           "/feedback?id=" + std::to_string(id));
        return one(tx, id);
    });
}

nlohmann::json close(pg::Pool& pool, long long id) {
    return pg::with_transaction(pool, "feedback", [&](pqxx::work& tx) {
        if (lock(tx, id) == "closed") throw conflict("bad_state", "反馈已关闭");
        pg::exec(tx,
                 "UPDATE feedback SET status = 'closed', closed_at = now(),"
                 " closed_by = nullif(current_setting('twindraw.user_id', true), '')::bigint WHERE id = $1",
                 pg::Params().add(id));
        return one(tx, id);
    });
}

void remove(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "feedback", [&](pqxx::work& tx) {
        lock(tx, id);
        pg::exec(tx, "DELETE FROM feedback WHERE id = $1", pg::Params().add(id));
    });
}

}  // namespace twindraw::feedback
