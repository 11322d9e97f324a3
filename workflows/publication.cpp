#include "workflows/publication.hpp"

#include "geo/error.hpp"
#include "workflows/job-states.hpp"
#include "workflows/messages.hpp"
#include "workflows/publication-states.hpp"
#include "workflows/registry-repo.hpp"

#include <algorithm>
#include <set>

namespace twindraw::publication {

namespace {

using nlohmann::json;
using registry::FieldError;

json text_or_null(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.c_str());
}

std::optional<std::string> opt_id(long long v) {
    return v ? std::optional<std::string>(std::to_string(v)) : std::nullopt;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The accepted results seen by the actor, with their task's completion and their
// publication (if any). RLS on inspection_job and result_publication limits the rows;
// the explicit unit filter (scope_array) says the same for readers of the SQL.
const char* kFrom =
    " FROM inspection_job j"
    " JOIN draw d ON d.id = j.draw_id"
    " LEFT JOIN inspection_task t ON t.id = j.task_id"
    " LEFT JOIN task_completion c1 ON c1.task_id = j.task_id"
    " LEFT JOIN task_completion c2 ON j.task_id IS NULL AND c2.draw_id = j.draw_id"
    " LEFT JOIN result_publication p ON p.job_id = j.id"
    " LEFT JOIN LATERAL ("
    "  SELECT m.name, m.uscc, m.division_code FROM market_subject m"
    "   WHERE j.object_kind = 'market_subject' AND m.id = j.object_id"
    "  UNION ALL SELECT v.name, v.responsible_uscc, v.division_code FROM venue v"
    "   WHERE j.object_kind = 'venue' AND v.id = j.object_id"
    "  UNION ALL SELECT pr.enterprise_name, pr.uscc, pr.division_code FROM product pr"
    "   WHERE j.object_kind = 'product' AND pr.id = j.object_id) o ON true"
    " LEFT JOIN division dv ON dv.code = left(o.division_code, 6)";

const char* kColumns =
    "j.id, j.job_no, j.task_id, j.draw_id, coalesce(t.name, d.title), coalesce(p.enterprise_name, o.name),"
    " coalesce(p.uscc, o.uscc), coalesce(p.district_name, dv.name), j.result_category,"
    " (SELECT e.label FROM dict_entry e JOIN dict_category dc ON dc.id = e.category_id"
    "   WHERE dc.code = 'check_result' AND e.code = j.result_category),"
    " j.qualified, to_char(j.inspected_on, 'YYYY-MM-DD'),"
    " to_char(coalesce(c1.completed_on, c2.completed_on), 'YYYY-MM-DD'),"
    " p.id, p.state, p.version, to_char(p.published_on, 'YYYY-MM-DD'), to_char(p.deadline, 'YYYY-MM-DD'),"
    " p.deadline_provisional, p.late, j.unit_id,"
    " to_char(p.published_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')";

std::string status_where(const std::string& status) {
    if (status == "incomplete") return " AND p.id IS NULL AND c1.id IS NULL AND c2.id IS NULL";
    if (status == "awaiting") return " AND p.id IS NULL AND (c1.id IS NOT NULL OR c2.id IS NOT NULL)";
    if (status == "published") return " AND p.state = 'published'";
    if (status == "correcting") return " AND p.state = 'correcting'";
    return "";
}

// One result row as JSON; the deadline of an unpublished one is counted now, that of a
// published one is what was frozen at publication.
json row_json(const pqxx::row& r, const calendar::Calendar& cal, const calendar::Date& today,
              const flow::FlowActor& actor) {
    const bool published = !r[13].is_null();
    const bool complete = !r[12].is_null();
    const std::string state = published ? r[14].c_str() : complete ? "awaiting" : "incomplete";
    json out = {{"job_id", r[0].as<long long>()},
                {"job_no", r[1].c_str()},
                {"task_id", r[2].is_null() ? json(nullptr) : json(r[2].as<long long>())},
                {"draw_id", r[3].as<long long>()},
                {"task_name", r[4].c_str()},
                {"enterprise_name", text_or_null(r[5])},
                {"uscc", text_or_null(r[6])},
                {"district", text_or_null(r[7])},
                {"result_category", text_or_null(r[8])},
                {"result_category_label", text_or_null(r[9])},
                {"qualified", r[10].is_null() ? json(nullptr) : json(r[10].as<bool>())},
                {"inspected_on", text_or_null(r[11])},
                {"completed_on", text_or_null(r[12])},
                {"publication_id", published ? json(r[13].as<long long>()) : json(nullptr)},
                {"state", state},
                {"state_label", state_label(state)},
                {"version", published ? json(r[15].as<int>()) : json(nullptr)},
                {"published_on", text_or_null(r[16])},
                {"published_at", text_or_null(r[21])},
                {"unit_id", r[20].is_null() ? json(nullptr) : json(r[20].as<long long>())},
                {"actions", allowed_result_actions(state, actor.permissions)}};
    if (published) {
        out["deadline"] = r[17].c_str();
        out["deadline_provisional"] = r[18].as<bool>();
        out["late"] = r[19].as<bool>();
        out["days_left"] = nullptr;
    } else if (complete) {
        const Deadline d = deadline_for(cal, *calendar::parse_date(r[12].c_str()), today);
        out["deadline"] = calendar::format_date(d.deadline);
        out["deadline_provisional"] = d.provisional;
        out["late"] = d.late;
        out["days_left"] = d.days_left;
    } else {
        out["deadline"] = nullptr;
        out["deadline_provisional"] = false;
        out["late"] = false;
        out["days_left"] = nullptr;
    }
    return out;
}

// The visible accepted results matching where (with params p), as JSON rows.
std::vector<json> select_rows(pqxx::transaction_base& tx, const flow::FlowActor& actor, const std::string& where,
                              pg::Params p, const calendar::Calendar& cal, const calendar::Date& today) {
    std::string sql = std::string("SELECT ") + kColumns + kFrom + " WHERE j.state = 'accepted'" + where;
    if (actor.scope != "all") sql += " AND j.unit_id = ANY (" + p.next(flow::scope_array(tx, actor)) + "::bigint[])";
    // A department has at most a few thousand accepted results; the cap keeps a list
    // request bounded whatever happens.
    sql += " ORDER BY j.id LIMIT 20000";
    std::vector<json> out;
    for (const auto& r : pg::exec(tx, sql, p)) out.push_back(row_json(r, cal, today, actor));
    return out;
}

json history(pqxx::transaction_base& tx, long long job_id) {
    return flow::history_of(
        tx, {"job", "publication"}, job_id,
        {[](const std::string& entity, const std::string& action) {
             return std::string(entity == "job" ? jobs::action_label(action) : action_label(action));
         },
         [](const std::string& entity, const std::string& state) {
             return json(entity == "job" ? jobs::state_label(state) : state_label(state));
         }});
}

json versions(pqxx::transaction_base& tx, long long publication_id) {
    json out = json::array();
    for (const auto& r : pg::exec(tx,
                                  "SELECT version, result_category, result_category_label, qualified, findings,"
                                  " correction_id, to_char(created_at AT TIME ZONE 'Asia/Shanghai',"
                                  " 'YYYY-MM-DD HH24:MI:SS') FROM result_version WHERE publication_id = $1"
                                  " ORDER BY version",
                                  pg::Params().add(publication_id)))
        out.push_back({{"version", r[0].as<int>()},
                       {"result_category", r[1].c_str()},
                       {"result_category_label", r[2].c_str()},
                       {"qualified", r[3].is_null() ? json(nullptr) : json(r[3].as<bool>())},
                       {"findings", text_or_null(r[4])},
                       {"correction_id", r[5].is_null() ? json(nullptr) : json(r[5].as<long long>())},
                       {"created_at", r[6].c_str()}});
    return out;
}

const char* kCorrectionColumns =
    "c.id, c.publication_id, p.job_id, c.state, c.from_version, c.reason, c.result_category,"
    " (SELECT e.label FROM dict_entry e JOIN dict_category dc ON dc.id = e.category_id"
    "   WHERE dc.code = 'check_result' AND e.code = c.result_category),"
    " c.qualified, c.findings, c.requested_by, ru.name,"
    " to_char(c.requested_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), du.name,"
    " to_char(c.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), c.opinion,"
    " p.enterprise_name, p.job_no, p.task_name";
const char* kCorrectionFrom =
    " FROM result_correction c JOIN result_publication p ON p.id = c.publication_id"
    " LEFT JOIN app_user_name ru ON ru.id = c.requested_by LEFT JOIN app_user_name du ON du.id = c.decided_by";

json correction_json(const pqxx::row& r, const flow::FlowActor& actor) {
    const std::string state = r[3].c_str();
    json actions = json::array();
    if (state == "pending" && actor.has("result.correct.approve")) actions = {"approve", "refuse"};
    return {{"id", r[0].as<long long>()},
            {"publication_id", r[1].as<long long>()},
            {"job_id", r[2].as<long long>()},
            {"state", state},
            {"state_label", state_label(state)},
            {"from_version", r[4].as<int>()},
            {"reason", r[5].c_str()},
            {"result_category", r[6].c_str()},
            {"result_category_label", text_or_null(r[7])},
            {"qualified", r[8].is_null() ? json(nullptr) : json(r[8].as<bool>())},
            {"findings", text_or_null(r[9])},
            {"requested_by", r[10].is_null() ? json(nullptr) : json(r[10].as<long long>())},
            {"requested_by_name", text_or_null(r[11])},
            {"requested_at", r[12].c_str()},
            {"decided_by_name", text_or_null(r[13])},
            {"decided_at", text_or_null(r[14])},
            {"opinion", text_or_null(r[15])},
            {"enterprise_name", r[16].c_str()},
            {"job_no", r[17].c_str()},
            {"task_name", r[18].c_str()},
            {"actions", actions}};
}

// The one visible accepted result of job_id, or 404.
json require_result(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long job_id,
                    const calendar::Calendar& cal, const calendar::Date& today) {
    pg::Params p;
    const std::string where = " AND j.id = " + p.next(std::to_string(job_id)) + "::bigint";
    auto rows = select_rows(tx, actor, where, p, cal, today);
    if (rows.empty()) throw not_found("检查结果不存在或尚未审核通过");
    return rows[0];
}

// Reads an optional opinion (≤ 1000 characters).
std::string opinion_of(const json& body, bool required, const char* missing) {
    std::string opinion;
    if (body.is_object() && body.contains("opinion") && !body["opinion"].is_null()) {
        if (!body["opinion"].is_string()) throw registry::ValidationError({{"opinion", "bad_type", "意见应为文本"}});
        opinion = trimmed(body["opinion"].get<std::string>());
    }
    if (flow::utf8_length(opinion) > 1000)
        throw registry::ValidationError({{"opinion", "too_long", "意见不能超过 1000 个字"}});
    if (required && opinion.empty()) throw registry::ValidationError({{"opinion", "required", missing}});
    return opinion;
}

void check_page(long long page, long long page_size) {
    if (page < 1 || page > 100000) throw bad_request("bad_page", "页码不正确", "page");
    if (page_size < 1 || page_size > 100) throw bad_request("bad_page_size", "每页条数应为 1 至 100", "page_size");
}

}  // namespace

Deadline deadline_for(const calendar::Calendar& cal, const calendar::Date& completed, const calendar::Date& today) {
    Deadline d;
    const auto s = cal.add_working_days(completed, kDeadlineWorkingDays);
    d.deadline = s.date;
    d.provisional = s.provisional;
    const auto t = std::chrono::sys_days(today), dl = std::chrono::sys_days(d.deadline);
    d.late = t > dl;
    d.days_left = d.late ? -cal.working_days_between(d.deadline, today) : cal.working_days_between(today, d.deadline);
    // Late by a weekend only still counts as late: at least one day past.
    if (d.late && d.days_left == 0) d.days_left = -1;
    return d;
}

json list(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f) {
    static const std::set<std::string> statuses = {"incomplete", "awaiting", "published", "correcting", "all"};
    if (!statuses.count(f.status)) throw bad_request("bad_status", "公示状态不正确", "status");
    check_page(f.page, f.page_size);
    if (flow::utf8_length(f.q) > 100) throw bad_request("bad_q", "关键字过长", "q");
    return pg::with_read(pool, "publication-list", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = status_where(f.status);
        if (f.task_id) where += " AND j.task_id = " + p.next(std::to_string(*f.task_id)) + "::bigint";
        if (!f.q.empty()) {
            const std::string like = p.next("%" + pg::like_escape(f.q) + "%");
            where += " AND (j.job_no ILIKE " + like + " OR coalesce(p.enterprise_name, o.name) ILIKE " + like +
                     " OR coalesce(p.uscc, o.uscc) ILIKE " + like + ")";
        }
        auto rows = select_rows(tx, actor, where, p, calendar::load(tx), calendar::today_in_china());
        if (f.late_only)
            rows.erase(std::remove_if(rows.begin(), rows.end(), [](const json& r) { return !r["late"].get<bool>(); }),
                       rows.end());
        // Unpublished first by deadline (none last), published newest first.
        std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
            const bool pa = !a["publication_id"].is_null(), pb = !b["publication_id"].is_null();
            if (pa != pb) return !pa;
            if (!pa) {
                if (a["deadline"].is_null() != b["deadline"].is_null()) return !a["deadline"].is_null();
                if (!a["deadline"].is_null() && a["deadline"] != b["deadline"]) return a["deadline"] < b["deadline"];
                return a["job_id"] < b["job_id"];
            }
            return a["publication_id"] > b["publication_id"];
        });
        const long long total = static_cast<long long>(rows.size());
        json items = json::array();
        for (long long i = (f.page - 1) * f.page_size; i < total && i < f.page * f.page_size; ++i)
            items.push_back(rows[static_cast<size_t>(i)]);
        return json{{"items", items},
                    {"total", total},
                    {"page", f.page},
                    {"page_size", f.page_size},
                    {"today", calendar::format_date(calendar::today_in_china())},
                    {"working_days", kDeadlineWorkingDays}};
    });
}

json get(pg::Pool& pool, const flow::FlowActor& actor, long long job_id) {
    return pg::with_read(pool, "publication-get", [&](pqxx::read_transaction& tx) {
        json out = require_result(tx, actor, job_id, calendar::load(tx), calendar::today_in_china());
        auto r = pg::exec(tx, "SELECT findings, remarks FROM inspection_job WHERE id = $1", pg::Params().add(job_id));
        out["findings"] = text_or_null(r[0][0]);
        out["remarks"] = text_or_null(r[0][1]);
        out["versions"] = json::array();
        out["corrections"] = json::array();
        if (!out["publication_id"].is_null()) {
            const long long pid = out["publication_id"].get<long long>();
            out["versions"] = versions(tx, pid);
            auto snap = pg::exec(tx, "SELECT inspectors::text, unit_name FROM result_publication WHERE id = $1",
                                 pg::Params().add(pid));
            out["inspectors"] = json::parse(snap[0][0].c_str());
            out["unit_name"] = text_or_null(snap[0][1]);
            for (const auto& c : pg::exec(tx,
                                          std::string("SELECT ") + kCorrectionColumns + kCorrectionFrom +
                                              " WHERE c.publication_id = $1 ORDER BY c.id",
                                          pg::Params().add(pid)))
                out["corrections"].push_back(correction_json(c, actor));
            // The current content is the current version's.
            for (const auto& v : out["versions"])
                if (v["version"] == out["version"]) {
                    out["result_category"] = v["result_category"];
                    out["result_category_label"] = v["result_category_label"];
                    out["qualified"] = v["qualified"];
                    out["findings"] = v["findings"];
                }
        }
        out["history"] = history(tx, job_id);
        return out;
    });
}

json publish(pg::Pool& pool, const flow::FlowActor& actor, const json& body) {
    if (!body.is_object() || !body.contains("job_ids") || !body["job_ids"].is_array())
        throw registry::ValidationError({{"job_ids", "required", "请选择要公示的检查结果"}});
    std::vector<long long> ids;
    for (const auto& v : body["job_ids"]) {
        if (!v.is_number_integer() || v.get<long long>() < 1)
            throw registry::ValidationError({{"job_ids", "bad_type", "检查结果编号应为正整数"}});
        if (std::find(ids.begin(), ids.end(), v.get<long long>()) == ids.end()) ids.push_back(v.get<long long>());
    }
    if (ids.empty()) throw registry::ValidationError({{"job_ids", "required", "请选择要公示的检查结果"}});
    if (ids.size() > 500) throw registry::ValidationError({{"job_ids", "too_many", "一次最多公示 500 条检查结果"}});
    for (const auto& [k, v] : body.items())
        if (k != "job_ids" && k != "opinion") throw registry::ValidationError({{k, "unknown_field", "未知字段：" + k}});
    const std::string opinion = opinion_of(body, false, "");
    return pg::with_transaction(pool, "publication-publish", [&](pqxx::work& tx) {
        std::sort(ids.begin(), ids.end());  // a fixed lock order: two publishers never deadlock
        const calendar::Calendar cal = calendar::load(tx);
        const calendar::Date today = calendar::today_in_china();
        json published = json::array();
        for (long long id : ids) {
            auto job = pg::exec(tx, "SELECT state, unit_id FROM inspection_job WHERE id = $1 FOR UPDATE",
                                pg::Params().add(id));
            if (job.empty() || job[0][1].is_null() || !flow::in_scope(tx, actor, job[0][1].as<long long>()))
                throw not_found("检查结果不存在（编号 " + std::to_string(id) + "）");
            const std::string job_state = job[0][0].c_str();
            if (job_state != "accepted")
                throw conflict("result_not_accepted",
                               "检查结果尚未审核通过（当前状态为“" + jobs::state_label(job_state) + "”），不能公示")
                    .with("state", job_state)
                    .with("action", "publish")
                    .with("job_id", std::to_string(id));
            // An appeal under review may still change the result: publish after its decision.
            if (!pg::exec(tx, "SELECT 1 FROM result_appeal WHERE job_id = $1 AND state = 'pending'",
                          pg::Params().add(id))
                     .empty())
                throw conflict("appeal_pending", "该检查结果有待复核的申诉，复核后才能公示")
                    .with("state", "pending")
                    .with("action", "publish")
                    .with("job_id", std::to_string(id));
            const json r = require_result(tx, actor, id, cal, today);
            try {
                require_result_transition("publish", r["state"].get<std::string>());
            } catch (Error& e) {
                throw e.with("job_id", std::to_string(id));
            }
            const Deadline d = deadline_for(cal, *calendar::parse_date(r["completed_on"].get<std::string>()), today);
            auto ins = pg::exec(
                tx,
                "INSERT INTO result_publication(job_id, unit_id, task_id, draw_id, completed_on, deadline,"
                " deadline_provisional, late, published_on, published_by, job_no, object_kind, enterprise_name, uscc,"
                " division_code, district_name, task_name, unit_name, inspected_on, inspectors)"
                " SELECT j.id, j.unit_id, j.task_id, j.draw_id, $2::date, $3::date, $4::boolean, $5::boolean,"
                "  $6::date, $7::bigint, j.job_no, j.object_kind, coalesce(s->>'enterprise_name', j.job_no),"
                "  s->>'uscc', s->>'division_code', s->>'district_name', s->>'task_name', s->>'unit_name',"
                "  j.inspected_on, s->'inspectors'"
                " FROM inspection_job j CROSS JOIN LATERAL result_snapshot(j.id) s WHERE j.id = $1 RETURNING id",
                pg::Params()
                    .add(id)
                    .add(r["completed_on"].get<std::string>())
                    .add(calendar::format_date(d.deadline))
                    .add(d.provisional)
                    .add(d.late)
                    .add(calendar::format_date(today))
                    .add(opt_id(actor.user_id)));
            const long long pid = ins[0][0].as<long long>();
            pg::exec(tx,
                     "INSERT INTO result_version(publication_id, version, result_category, result_category_label,"
                     " qualified, findings)"
                     " SELECT $1, 1, j.result_category, coalesce((SELECT e.label FROM dict_entry e JOIN dict_category"
                     "  dc ON dc.id = e.category_id WHERE dc.code = 'check_result' AND e.code = j.result_category),"
                     "  j.result_category), j.qualified, j.findings FROM inspection_job j WHERE j.id = $2",
                     pg::Params().add(pid).add(id));
            flow::record(tx, "publication", id, "publish", "awaiting", "published",
                         opinion.empty() ? std::string(d.late ? "逾期公示" : "按期公示") : opinion, actor,
                         actor.unit_id);
            published.push_back({{"job_id", id},
                                 {"publication_id", pid},
                                 {"deadline", calendar::format_date(d.deadline)},
                                 {"deadline_provisional", d.provisional},
                                 {"late", d.late}});
        }
        return json{{"published", published}, {"count", published.size()}};
    });
}

json request_correction(pg::Pool& pool, const flow::FlowActor& actor, long long job_id, const json& body) {
    if (!body.is_object()) throw registry::ValidationError({{"", "bad_type", "请求体应为 JSON 对象"}});
    std::vector<FieldError> errors;
    static const std::set<std::string> known = {"reason", "result_category", "qualified", "findings"};
    for (const auto& [k, v] : body.items())
        if (!known.count(k)) errors.push_back({k, "unknown_field", "未知字段：" + k});
    auto text = [&](const char* key, const char* label, size_t max, bool required) -> std::optional<std::string> {
        if (!body.contains(key) || body[key].is_null()) {
            if (required) errors.push_back({key, "required", std::string("请填写") + label});
            return std::nullopt;
        }
        if (!body[key].is_string()) {
            errors.push_back({key, "bad_type", std::string(label) + "应为文本"});
            return std::nullopt;
        }
        std::string s = trimmed(body[key].get<std::string>());
        if (s.empty() && required) errors.push_back({key, "required", std::string("请填写") + label});
        if (flow::utf8_length(s) > max)
            errors.push_back({key, "too_long", std::string(label) + "不能超过 " + std::to_string(max) + " 个字"});
        return s;
    };
    const auto reason = text("reason", "更正原因", 1000, true);
    const auto category = text("result_category", "更正后的检查结果类别", 40, true);
    const auto findings = text("findings", "更正后的检查情况", 5000, false);
    std::optional<bool> qualified;
    if (body.contains("qualified") && !body["qualified"].is_null()) {
        if (!body["qualified"].is_boolean())
            errors.push_back({"qualified", "bad_type", "是否合格应为 true 或 false"});
        else
            qualified = body["qualified"].get<bool>();
    }
    return pg::with_transaction(pool, "publication-correct", [&](pqxx::work& tx) {
        if (category && !category->empty() &&
            pg::exec(tx,
                     "SELECT 1 FROM dict_entry e JOIN dict_category dc ON dc.id = e.category_id"
                     " WHERE dc.code = 'check_result' AND e.code = $1 AND e.enabled",
                     pg::Params().add(*category))
                .empty())
            errors.push_back({"result_category", "bad_choice", "检查结果类别不在数据字典“检查结果类别”中"});
        auto locked = pg::exec(tx, "SELECT p.id FROM result_publication p WHERE p.job_id = $1 FOR UPDATE",
                               pg::Params().add(job_id));
        const json r = require_result(tx, actor, job_id, calendar::load(tx), calendar::today_in_china());
        const auto& t = require_result_transition("request_correction", r["state"].get<std::string>());
        if (!errors.empty()) throw registry::ValidationError(errors);
        const long long pid = r["publication_id"].get<long long>();
        auto cur = pg::exec(tx,
                            "SELECT result_category, qualified, coalesce(findings, '') FROM result_version"
                            " WHERE publication_id = $1 AND version = $2",
                            pg::Params().add(pid).add(r["version"].get<int>()));
        // A publication without its published version cannot be corrected (pqxx's
        // operator[] does not check the range: an empty result must not be indexed).
        if (cur.empty()) throw conflict("version_missing", "该公示缺少已公示的结果版本，无法更正");
        const std::string new_findings = findings ? *findings : std::string(cur[0][2].c_str());
        const std::optional<bool> cur_q =
            cur[0][1].is_null() ? std::nullopt : std::optional<bool>(cur[0][1].as<bool>());
        const std::optional<bool> new_q = body.contains("qualified") ? qualified : cur_q;
        if (*category == cur[0][0].c_str() && new_q == cur_q && new_findings == cur[0][2].c_str())
            throw registry::ValidationError({{"result_category", "unchanged", "更正内容与当前公示内容相同"}});
        auto ins = pg::exec(tx,
                            "INSERT INTO result_correction(publication_id, unit_id, from_version, reason,"
                            " result_category, qualified, findings, requested_by)"
                            " SELECT id, unit_id, version, $2, $3, $4::boolean, $5, $6::bigint"
                            " FROM result_publication WHERE id = $1 RETURNING id",
                            pg::Params()
                                .add(pid)
                                .add(*reason)
                                .add(*category)
                                .add(new_q ? std::optional<std::string>(*new_q ? "true" : "false") : std::nullopt)
                                .add(new_findings.empty() ? std::nullopt : std::optional<std::string>(new_findings))
                                .add(opt_id(actor.user_id)));
        pg::exec(tx, "UPDATE result_publication SET state = $2 WHERE id = $1", pg::Params().add(pid).add(t.to));
        flow::record(tx, "publication", job_id, t.action, t.from, t.to, *reason, actor, actor.unit_id);
        if (!r["unit_id"].is_null())
            messages::send(tx, {{}, {r["unit_id"].get<long long>()}}, "publication",
                           "公示结果更正待审批：" + r["job_no"].get<std::string>(), "更正原因：" + *reason,
                           "/random/publication/" + std::to_string(job_id));
        (void)locked;
        auto c = pg::exec(tx, std::string("SELECT ") + kCorrectionColumns + kCorrectionFrom + " WHERE c.id = $1",
                          pg::Params().add(ins[0][0].as<long long>()));
        return correction_json(c[0], actor);
    });
}

json list_corrections(pg::Pool& pool, const flow::FlowActor& actor, const std::string& state, long long page,
                      long long page_size) {
    static const std::set<std::string> states = {"pending", "approved", "refused", "all"};
    if (!states.count(state)) throw bad_request("bad_state", "审批状态不正确", "state");
    check_page(page, page_size);
    return pg::with_read(pool, "publication-corrections", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (state != "all") where += " AND c.state = " + p.next(state);
        if (actor.scope != "all")
            where += " AND c.unit_id = ANY (" + p.next(flow::scope_array(tx, actor)) + "::bigint[])";
        const long long total =
            pg::exec(tx, std::string("SELECT count(*)") + kCorrectionFrom + where, p)[0][0].as<long long>();
        json items = json::array();
        for (const auto& r : pg::exec(tx,
                                      std::string("SELECT ") + kCorrectionColumns + kCorrectionFrom + where +
                                          " ORDER BY c.id DESC LIMIT " + std::to_string(page_size) + " OFFSET " +
                                          std::to_string((page - 1) * page_size),
                                      p))
            items.push_back(correction_json(r, actor));
        return json{{"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

json decide_correction(pg::Pool& pool, const flow::FlowActor& actor, long long correction_id, bool approve,
                       const json& body) {
    const std::string opinion = opinion_of(body, !approve, "请填写不予更正的理由");
    return pg::with_transaction(pool, approve ? "publication-approve" : "publication-refuse", [&](pqxx::work& tx) {
        auto c = pg::exec(tx,
                          "SELECT c.state, c.publication_id, p.job_id, c.requested_by, c.unit_id, p.state, p.version,"
                          " p.job_no FROM result_correction c JOIN result_publication p ON p.id = c.publication_id"
                          " WHERE c.id = $1 FOR UPDATE OF c, p",
                          pg::Params().add(correction_id));
        if (c.empty() || c[0][4].is_null() || !flow::in_scope(tx, actor, c[0][4].as<long long>()))
            throw not_found("更正申请不存在");
        const auto& row = c[0];
        const auto& t = require_correction_transition(approve ? "approve" : "refuse", row[0].c_str());
        const long long pid = row[1].as<long long>(), job_id = row[2].as<long long>();
        const long long requester = row[3].is_null() ? 0 : row[3].as<long long>();
        if (requester && requester == actor.user_id)
            throw forbidden("self_approval", "不能审批本人提出的更正申请，请由部门负责人审批");
        const auto& rt =
            require_result_transition(approve ? "approve_correction" : "refuse_correction", row[5].c_str());
        const int version = row[6].as<int>() + (approve ? 1 : 0);
        if (approve)
            pg::exec(tx,
                     "INSERT INTO result_version(publication_id, version, result_category, result_category_label,"
                     " qualified, findings, correction_id)"
                     " SELECT $1, $2, c.result_category, coalesce((SELECT e.label FROM dict_entry e JOIN dict_category"
                     "  dc ON dc.id = e.category_id WHERE dc.code = 'check_result' AND e.code = c.result_category),"
                     "  c.result_category), c.qualified, c.findings, c.id FROM result_correction c WHERE c.id = $3",
                     pg::Params().add(pid).add(version).add(correction_id));
        // The job's current result becomes the corrected one (docs/publication.md "The
        // job's current result"): statistics, works, result_point and the map layers
        // count it; the job's history gains the version (job_result_version).
        if (approve)
            pg::exec(tx,
                     "SELECT job_result_change($1, 'correction', NULL, c.id, jsonb_build_object('result_category',"
                     " c.result_category, 'qualified', c.qualified, 'findings', c.findings), $3::bigint)"
                     " FROM result_correction c WHERE c.id = $2",
                     pg::Params().add(job_id).add(correction_id).add(opt_id(actor.user_id)));
        pg::exec(tx,
                 "UPDATE result_correction SET state = $2, decided_by = $3::bigint, decided_at = now(), opinion = $4"
                 " WHERE id = $1",
                 pg::Params()
                     .add(correction_id)
                     .add(t.to)
                     .add(opt_id(actor.user_id))
                     .add(opinion.empty() ? std::string("同意更正") : opinion));
        pg::exec(tx, "UPDATE result_publication SET state = $2, version = $3 WHERE id = $1",
                 pg::Params().add(pid).add(rt.to).add(version));
        flow::record(tx, "publication", job_id, rt.action, rt.from, rt.to,
                     opinion.empty() ? std::string("同意更正") : opinion, actor, actor.unit_id);
        if (requester)
            messages::send(
                tx, {{requester}, {}}, "publication",
                std::string(approve ? "更正申请已批准：" : "更正申请未获批准：") + row[7].c_str(),
                approve ? "公示结果已更正为第 " + std::to_string(version) + " 版。" : "不予更正的理由：" + opinion,
                "/random/publication/" + std::to_string(job_id));
        auto out = pg::exec(tx, std::string("SELECT ") + kCorrectionColumns + kCorrectionFrom + " WHERE c.id = $1",
                            pg::Params().add(correction_id));
        return correction_json(out[0], actor);
    });
}

}  // namespace twindraw::publication
