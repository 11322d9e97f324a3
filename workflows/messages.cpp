#include "workflows/messages.hpp"

#include "geo/error.hpp"
#include "workflows/input-fields.hpp"

#include <algorithm>
#include <set>

namespace twindraw::messages {

namespace {

// The messages a user sees: to them, or to a unit they hold an identity in.
const char* kVisible = R"(
  EXISTS (SELECT 1 FROM message_recipient r
           WHERE r.message_id = m.id
             AND (r.user_id = $1 OR r.unit_id IN (SELECT authority_id FROM user_identity WHERE user_id = $1))))";

std::string label_of(const std::string& code) {
    for (const auto& [c, l] : categories())
        if (c == code) return l;
    return code;
}

std::string id_list(const std::vector<long long>& ids) {
    std::vector<std::string> s;
    for (auto id : ids) s.push_back(std::to_string(id));
    return pg::array_literal(s);
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& categories() {
    static const std::vector<std::pair<std::string, std::string>> all = {
        {"system", "系统消息"},      {"plan", "计划"},       {"task", "任务"},   {"work", "部门工作"},
        {"job", "检查作业"},         {"result", "检查结果"}, {"appeal", "申诉"}, {"feedback", "问题反馈"},
        {"publication", "结果公示"}, {"alert", "预警"},
    };
    return all;
}

long long send(pqxx::transaction_base& tx, const Recipients& to, const std::string& category, const std::string& title,
               const std::string& body, const std::string& link) {
    std::vector<registry::FieldError> errors;
    if (to.user_ids.empty() && to.unit_ids.empty())
        errors.push_back({"recipients", "required", "请至少选择一个接收人或接收单位"});
    if (std::none_of(categories().begin(), categories().end(), [&](const auto& c) { return c.first == category; }))
        errors.push_back({"category", "bad_choice", "消息类别不正确"});
    if (title.find_first_not_of(" \t\r\n") == std::string::npos)
        errors.push_back({"title", "required", "消息标题不能为空"});
    else if (input::chars(title) > 200)
        errors.push_back({"title", "too_long", "消息标题不能超过 200 个字"});
    if (input::chars(body) > 5000) errors.push_back({"body", "too_long", "消息内容不能超过 5000 个字"});
    if (link.size() > 500)
        errors.push_back({"link", "too_long", "链接过长"});
    else if (!link.empty() && link[0] != '/')
        errors.push_back({"link", "bad_format", "链接应为站内路径（以 / 开头）"});
    if (to.user_ids.size() + to.unit_ids.size() > 10000) errors.push_back({"recipients", "too_many", "接收人过多"});
    if (!errors.empty()) throw registry::ValidationError(errors);

    const std::set<long long> users(to.user_ids.begin(), to.user_ids.end());
    const std::set<long long> units(to.unit_ids.begin(), to.unit_ids.end());
    const std::vector<long long> user_list(users.begin(), users.end()), unit_list(units.begin(), units.end());
    auto missing = pg::exec(tx,
                            "SELECT (SELECT count(*) FROM unnest($1::bigint[]) u(id) WHERE NOT EXISTS"
                            "          (SELECT 1 FROM app_user a WHERE a.id = u.id)),"
                            "       (SELECT count(*) FROM unnest($2::bigint[]) u(id) WHERE NOT EXISTS"
                            "          (SELECT 1 FROM authority a WHERE a.id = u.id))",
                            pg::Params().add(id_list(user_list)).add(id_list(unit_list)));
    if (missing[0][0].as<long long>() > 0) throw invalid("unknown_recipient", "接收人不存在", "user_ids");
    if (missing[0][1].as<long long>() > 0) throw invalid("unknown_recipient", "接收单位不存在", "unit_ids");

    auto r = pg::exec(tx,
                      "INSERT INTO message(category, title, body, link, sender_id)"
                      " VALUES ($1, $2, $3, $4, nullif(current_setting('twindraw.user_id', true), '')::bigint)"
                      " RETURNING id",
                      pg::Params().add(category).add(title).add(body).add(link));
    const long long id = r[0][0].as<long long>();
    pg::exec(tx, "INSERT INTO message_recipient(message_id, user_id) SELECT $1, u FROM unnest($2::bigint[]) u",
             pg::Params().add(id).add(id_list(user_list)));
    pg::exec(tx, "INSERT INTO message_recipient(message_id, unit_id) SELECT $1, u FROM unnest($2::bigint[]) u",
             pg::Params().add(id).add(id_list(unit_list)));
    return id;
}

nlohmann::json list_mine(pg::Pool& pool, long long user_id, const Filter& f) {
    return pg::with_read(pool, "messages", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        p.add(user_id);
        std::string where = std::string(" WHERE ") + kVisible;
        if (f.unread_only)
            where += " AND NOT EXISTS (SELECT 1 FROM message_read mr WHERE mr.message_id = m.id AND mr.user_id = $1)";
        if (!f.category.empty()) where += " AND m.category = " + p.next(f.category);
        if (f.unit_id > 0)
            where += " AND EXISTS (SELECT 1 FROM message_recipient r WHERE r.message_id = m.id AND r.unit_id = " +
                     p.next(std::to_string(f.unit_id)) + "::bigint)";
        auto total = pg::exec(tx, "SELECT count(*) FROM message m" + where, p)[0][0].as<long long>();
        auto unread =
            pg::exec(
                tx,
                "SELECT count(*) FROM message m WHERE" + std::string(kVisible) +
                    " AND NOT EXISTS (SELECT 1 FROM message_read mr WHERE mr.message_id = m.id AND mr.user_id = $1)",
                pg::Params().add(user_id))[0][0]
                .as<long long>();
        const std::string limit = p.next(std::to_string(f.page_size));
        const std::string offset = p.next(std::to_string((f.page - 1) * f.page_size));
        auto rows =
            pg::exec(tx,
                     "SELECT m.id, m.category, m.title, m.body, m.link,"
                     "  to_char(m.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
                     "  coalesce(s.name, '系统'),"
                     "  (SELECT r.unit_id FROM message_recipient r WHERE r.message_id = m.id AND r.unit_id IN"
                     "     (SELECT authority_id FROM user_identity WHERE user_id = $1) ORDER BY r.unit_id LIMIT 1),"
                     "  EXISTS (SELECT 1 FROM message_read mr WHERE mr.message_id = m.id AND mr.user_id = $1)"
                     " FROM message m LEFT JOIN app_user_name s ON s.id = m.sender_id" +
                         where + " ORDER BY m.created_at DESC, m.id DESC LIMIT " + limit + "::bigint OFFSET " + offset +
                         "::bigint",
                     p);
        nlohmann::json items = nlohmann::json::array();
        std::vector<long long> unit_ids;
        for (const auto& row : rows) {
            nlohmann::json it = {
                {"id", row[0].as<long long>()},
                {"category", row[1].as<std::string>()},
                {"category_label", label_of(row[1].as<std::string>())},
                {"title", row[2].as<std::string>()},
                {"body", row[3].as<std::string>()},
                {"link", row[4].as<std::string>()},
                {"created_at", row[5].as<std::string>()},
                {"sender_name", row[6].as<std::string>()},
                {"unit_id", row[7].is_null() ? nlohmann::json() : nlohmann::json(row[7].as<long long>())},
                {"unit_name", nullptr},
                {"read", row[8].as<bool>()}};
            items.push_back(it);
        }
        auto names = pg::exec(
            tx,
            "SELECT id, name FROM authority WHERE id IN (SELECT authority_id FROM user_identity WHERE user_id = $1)",
            pg::Params().add(user_id));
        for (auto& it : items)
            for (const auto& n : names)
                if (!it["unit_id"].is_null() && it["unit_id"].get<long long>() == n[0].as<long long>())
                    it["unit_name"] = n[1].as<std::string>();
        return nlohmann::json{
            {"items", items}, {"total", total}, {"unread", unread}, {"page", f.page}, {"page_size", f.page_size}};
    });
}

nlohmann::json unread_counts(pg::Pool& pool, long long user_id) {
    return pg::with_read(pool, "messages", [&](pqxx::read_transaction& tx) {
        const std::string unread =
            " AND NOT EXISTS (SELECT 1 FROM message_read mr WHERE mr.message_id = m.id AND mr.user_id = $1)";
        auto total = pg::exec(tx, "SELECT count(*) FROM message m WHERE" + std::string(kVisible) + unread,
                              pg::Params().add(user_id))[0][0]
                         .as<long long>();
        auto personal = pg::exec(tx,
                                 "SELECT count(*) FROM message m WHERE EXISTS (SELECT 1 FROM message_recipient r"
                                 " WHERE r.message_id = m.id AND r.user_id = $1)" +
                                     unread,
                                 pg::Params().add(user_id))[0][0]
                            .as<long long>();
        auto rows =
            pg::exec(tx,
                     "SELECT a.id, a.name, (SELECT count(*) FROM message m WHERE EXISTS (SELECT 1 FROM"
                     "   message_recipient r WHERE r.message_id = m.id AND r.unit_id = a.id)" +
                         unread +
                         ")"
                         " FROM authority a WHERE a.id IN (SELECT authority_id FROM user_identity WHERE user_id = $1)"
                         " ORDER BY a.id",
                     pg::Params().add(user_id));
        nlohmann::json units = nlohmann::json::array();
        for (const auto& row : rows)
            units.push_back({{"unit_id", row[0].as<long long>()},
                             {"unit_name", row[1].as<std::string>()},
                             {"unread", row[2].as<long long>()}});
        return nlohmann::json{{"total", total}, {"personal", personal}, {"units", units}};
    });
}

void mark_read(pg::Pool& pool, long long user_id, long long message_id) {
    pg::with_transaction(pool, "messages", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "SELECT 1 FROM message m WHERE m.id = $2 AND" + std::string(kVisible),
                          pg::Params().add(user_id).add(message_id));
        if (r.empty()) throw not_found("消息不存在");
        pg::exec(tx, "INSERT INTO message_read(message_id, user_id) VALUES ($2, $1) ON CONFLICT DO NOTHING",
                 pg::Params().add(user_id).add(message_id));
    });
}

long long mark_all_read(pg::Pool& pool, long long user_id, long long unit_id) {
    return pg::with_transaction(pool, "messages", [&](pqxx::work& tx) {
        pg::Params p;
        p.add(user_id);
        std::string where = std::string(" WHERE ") + kVisible;
        if (unit_id > 0)
            where += " AND EXISTS (SELECT 1 FROM message_recipient r WHERE r.message_id = m.id AND r.unit_id = " +
                     p.next(std::to_string(unit_id)) + "::bigint)";
        auto r = pg::exec(tx,
                          "INSERT INTO message_read(message_id, user_id) SELECT m.id, $1 FROM message m" + where +
                              " ON CONFLICT DO NOTHING",
                          p);
        return static_cast<long long>(r.affected_rows());
    });
}

nlohmann::json send_from_request(pg::Pool& pool, const nlohmann::json& body) {
    input::Fields in(body);
    auto users = in.ids("user_ids", "接收人", 1000);
    auto units = in.ids("unit_ids", "接收单位", 1000);
    std::vector<std::string> codes;
    for (const auto& c : categories()) codes.push_back(c.first);
    auto category = in.choice("category", "消息类别", codes, false);
    auto title = in.text("title", "消息标题", 200, true);
    auto text = in.text("body", "消息内容", 5000, false);
    auto link = in.text("link", "链接", 500, false);
    if (in.ok() && users.empty() && units.empty()) in.fail("recipients", "required", "请至少选择一个接收人或接收单位");
    in.check();
    long long id = pg::with_transaction(pool, "messages", [&](pqxx::work& tx) {
        return send(tx, {users, units}, category.value_or("system"), *title, text.value_or(""), link.value_or(""));
    });
    return {{"id", id}};
}

}  // namespace twindraw::messages
