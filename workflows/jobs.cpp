#include "workflows/jobs.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"
#include "workflows/file-store.hpp"
#include "workflows/job-states.hpp"
#include "workflows/messages.hpp"
#include "workflows/registry-repo.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace twindraw::jobs {

namespace {

using nlohmann::json;
using registry::FieldError;

std::optional<std::string> opt_id(long long v) {
    return v ? std::optional<std::string>(std::to_string(v)) : std::nullopt;
}

json text_or_null(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.c_str());
}

// The ids of a bigint[] column ("{3,1,2}").
std::vector<long long> ids_of(const pqxx::field& f) {
    std::vector<long long> out;
    if (f.is_null()) return out;
    long long v = 0;
    bool any = false;
    for (const char* c = f.c_str(); *c; ++c) {
        if (*c >= '0' && *c <= '9') {
            v = v * 10 + (*c - '0');
            any = true;
        } else if (any) {
            out.push_back(v);
            v = 0;
            any = false;
        }
    }
    if (any) out.push_back(v);
    return out;
}

// The F.1 head of the job's object, whatever its kind: name, USCC, district, licence
// number, legal representative (responsible person), address, phone.
const char* kObjectJoin =
    " LEFT JOIN LATERAL ("
    "  SELECT m.name, m.uscc, m.division_code, m.licence_no, m.legal_representative AS rep, m.address, m.phone"
    "    FROM market_subject m WHERE j.object_kind = 'market_subject' AND m.id = j.object_id"
    "  UNION ALL SELECT v.name, v.responsible_uscc, v.division_code, v.id_number, v.responsible_person, v.address,"
    "    v.phone FROM venue v WHERE j.object_kind = 'venue' AND v.id = j.object_id"
    "  UNION ALL SELECT p.enterprise_name, p.uscc, p.division_code, p.licence_no, NULL, p.address, p.phone"
    "    FROM product p WHERE j.object_kind = 'product' AND p.id = j.object_id) o ON true"
    " LEFT JOIN division dv ON dv.code = o.division_code"
    " LEFT JOIN inspection_task t ON t.id = j.task_id";

const char* kColumns =
    "j.id, j.job_no, j.draw_id, j.task_id, t.name, j.object_kind, j.object_id, o.name, o.uscc, dv.name,"
    " o.licence_no, o.rep, o.address, o.phone, j.group_no, j.state, j.advance_notice, j.notice_reason,"
    " to_char(j.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), j.unit_id,"
    " to_char(j.inspected_on, 'YYYY-MM-DD'), j.result_category,"
    " (SELECT e.label FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
    "   WHERE c.code = 'check_result' AND e.code = j.result_category),"
    " j.qualified, (SELECT string_agg(i.name, '、' ORDER BY array_position(j.inspector_ids, i.id))"
    "   FROM inspector i WHERE i.id = ANY (j.inspector_ids)), j.inspector_ids";

json row_summary(const pqxx::row& r, const flow::FlowActor& actor) {
    const std::string state = r[15].as<std::string>();
    json inspectors = json::array();
    for (long long s : ids_of(r[25])) inspectors.push_back(s);
    return {{"id", r[0].as<long long>()},
            {"job_no", r[1].as<std::string>()},
            {"draw_id", r[2].as<long long>()},
            {"task_id", r[3].is_null() ? json(nullptr) : json(r[3].as<long long>())},
            {"task_name", text_or_null(r[4])},
            {"object_kind", r[5].as<std::string>()},
            {"object_id", r[6].as<long long>()},
            {"object_name", text_or_null(r[7])},
            {"uscc", text_or_null(r[8])},
            {"district", text_or_null(r[9])},
            {"licence_no", text_or_null(r[10])},
            {"legal_representative", text_or_null(r[11])},
            {"address", text_or_null(r[12])},
            {"phone", text_or_null(r[13])},
            {"group_no", r[14].as<int>()},
            {"state", state},
            {"state_label", state_label(state)},
            {"advance_notice", r[16].as<std::string>()},
            {"advance_notice_label", r[16].as<std::string>() == "forbidden" ? "不得提前告知" : "应提前告知"},
            {"notice_reason", r[17].as<std::string>()},
            {"updated_at", r[18].as<std::string>()},
            {"unit_id", r[19].is_null() ? json(nullptr) : json(r[19].as<long long>())},
            {"inspected_on", text_or_null(r[20])},
            {"result_category", text_or_null(r[21])},
            {"result_category_label", text_or_null(r[22])},
            {"qualified", r[23].is_null() ? json(nullptr) : json(r[23].as<bool>())},
            {"inspector_names", text_or_null(r[24])},
            {"inspector_ids", inspectors},
            {"actions", allowed_actions(state, actor.permissions)}};
}

long long inspector_of(pqxx::transaction_base& tx, const flow::FlowActor& actor) {
    auto r = pg::exec(tx, "SELECT inspector_id FROM app_user WHERE id = $1", pg::Params().add(actor.user_id));
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<long long>();
}

struct Locked {
    std::string state;
    long long unit_id = 0;
    bool member = false;
    std::vector<long long> items;
    std::string notice;
};

// Locks the job; 404 when the actor may not see it (RLS, then the explicit rule:
// a member of its group, or a reviewer whose scope holds its unit).
Locked lock(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long id) {
    auto r = pg::exec(tx,
                      "SELECT state, unit_id, inspector_ids, item_ids, advance_notice FROM inspection_job"
                      " WHERE id = $1 FOR UPDATE",
                      pg::Params().add(id));
    if (r.empty()) throw not_found("检查作业不存在");
    Locked l;
    l.state = r[0][0].as<std::string>();
    l.unit_id = r[0][1].is_null() ? 0 : r[0][1].as<long long>();
    const long long me = inspector_of(tx, actor);
    for (long long i : ids_of(r[0][2]))
        if (me && i == me) l.member = true;
    l.items = ids_of(r[0][3]);
    l.notice = r[0][4].as<std::string>();
    const bool reviewer = actor.has("result.review") && l.unit_id && flow::in_scope(tx, actor, l.unit_id);
    if (!l.member && !reviewer) throw not_found("检查作业不存在");
    return l;
}

void require_member(const Locked& l) {
    if (!l.member) throw forbidden("not_group_member", "只有本检查组的执法人员可以录入检查结果");
}

json history(pqxx::transaction_base& tx, long long id) {
    return flow::history_of(
        tx, {"job"}, id,
        {[](const std::string&, const std::string& action) { return std::string(action_label(action)); },
         [](const std::string&, const std::string& state) { return json(state_label(state)); }});
}

json load(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long id, bool member) {
    auto r = pg::exec(tx,
                      std::string("SELECT ") + kColumns +
                          ", j.place, j.findings, j.remarks, j.item_results, j.notice_given, j.signature_refused,"
                          " j.refusal_note, j.review_opinion, to_char(j.submitted_at AT TIME ZONE 'Asia/Shanghai',"
                          " 'YYYY-MM-DD HH24:MI:SS'), j.item_ids FROM inspection_job j" +
                          kObjectJoin + " WHERE j.id = $1",
                      pg::Params().add(id));
    if (r.empty()) throw not_found("检查作业不存在");
    json job = row_summary(r[0], actor);
    // Inspectors act only on their own group's jobs; reviewers only review.
    json actions = json::array();
    for (const auto& a : job["actions"]) {
        const bool inspector_action = a == "save" || a == "submit";
        if (inspector_action ? member : actor.has("result.review")) actions.push_back(a);
    }
    job["actions"] = actions;
    job["editable"] = member && editable(job["state"].get<std::string>());
    job["place"] = text_or_null(r[0][26]);
    job["findings"] = text_or_null(r[0][27]);
    job["remarks"] = text_or_null(r[0][28]);
    const json stored = json::parse(r[0][29].c_str());
    job["notice_given"] = text_or_null(r[0][30]);
    job["signature_refused"] = r[0][31].as<bool>();
    job["refusal_note"] = text_or_null(r[0][32]);
    job["review_opinion"] = text_or_null(r[0][33]);
    job["submitted_at"] = text_or_null(r[0][34]);
    // One row per inspection item of the job, with what was recorded for it.
    json items = json::array();
    auto names = pg::exec(tx,
                          "SELECT i.id, i.domain, i.name FROM inspection_item i"
                          " WHERE i.id = ANY ($1::bigint[]) ORDER BY array_position($1::bigint[], i.id)",
                          pg::Params().add(r[0][35].c_str()));
    for (const auto& n : names) {
        json item = {{"item_id", n[0].as<long long>()},
                     {"domain", n[1].c_str()},
                     {"name", n[2].c_str()},
                     {"content", ""},
                     {"finding", ""},
                     {"qualified", nullptr}};
        for (const auto& s : stored)
            if (s.value("item_id", 0LL) == n[0].as<long long>()) {
                item["content"] = s.value("content", "");
                item["finding"] = s.value("finding", "");
                item["qualified"] = s.contains("qualified") ? s["qualified"] : json(nullptr);
            }
        items.push_back(item);
    }
    job["items"] = items;
    json files = json::array();
    bool signed_ = false;
    for (const auto& f : pg::exec(tx,
                                  "SELECT id, kind, filename, content_type, size, sha256,"
                                  " to_char(uploaded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                                  " FROM job_file WHERE job_id = $1 ORDER BY id",
                                  pg::Params().add(id))) {
        if (std::string(f[1].c_str()) == "signature") signed_ = true;
        files.push_back({{"id", f[0].as<long long>()},
                         {"kind", f[1].c_str()},
                         {"filename", f[2].c_str()},
                         {"content_type", f[3].c_str()},
                         {"size", f[4].as<long long>()},
                         {"sha256", f[5].c_str()},
                         {"uploaded_at", f[6].c_str()}});
    }
    job["files"] = files;
    job["signed"] = signed_;
    job["history"] = history(tx, id);
    return job;
}

// The form fields of a save or submit body, checked for shape; the SET list and values.
struct FormUpdate {
    std::vector<std::string> sets;
    pg::Params params;
    std::vector<FieldError> errors;
};

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

FormUpdate read_form(pqxx::transaction_base& tx, const json& body, const Locked& l) {
    FormUpdate u;
    u.params.add(0LL);  // $1: the job id, set by the caller
    if (!body.is_object()) {
        u.errors.push_back({"", "bad_type", "请求体应为 JSON 对象"});
        return u;
    }
    static const std::set<std::string> known = {"inspected_on",      "place",       "result_category", "qualified",
                                                "findings",          "remarks",     "item_results",    "notice_given",
                                                "signature_refused", "refusal_note"};
    for (const auto& [k, v] : body.items())
        if (!known.count(k)) u.errors.push_back({k, "unknown_field", "未知字段：" + k});
    auto text = [&](const char* key, const char* label, size_t max) {
        if (!body.contains(key)) return;
        const auto& v = body[key];
        if (v.is_null()) {
            u.sets.push_back(std::string(key) + " = NULL");
            return;
        }
        if (!v.is_string()) {
            u.errors.push_back({key, "bad_type", std::string(label) + "应为文本"});
            return;
        }
        const std::string s = trimmed(v.get<std::string>());
        if (flow::utf8_length(s) > max) {
            u.errors.push_back({key, "too_long", std::string(label) + "不能超过 " + std::to_string(max) + " 个字"});
            return;
        }
        u.sets.push_back(std::string(key) + " = " +
                         u.params.next(s.empty() ? std::nullopt : std::optional<std::string>(s)));
    };
    text("place", "检查地点", 300);
    text("findings", "主要检查情况", 5000);
    text("remarks", "备注", 2000);
    text("refusal_note", "拒绝签字情况说明", 1000);
    if (body.contains("notice_given") && l.notice == "forbidden" && body["notice_given"].is_string() &&
        !trimmed(body["notice_given"].get<std::string>()).empty())
        u.errors.push_back({"notice_given", "notice_forbidden", "该检查依法不得提前告知被检查对象"});
    else
        text("notice_given", "提前告知情况", 300);
    if (body.contains("inspected_on")) {
        const auto& v = body["inspected_on"];
        if (v.is_null()) {
            u.sets.push_back("inspected_on = NULL");
        } else if (!v.is_string() ||
                   !std::regex_match(v.get<std::string>(), std::regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))) {
            u.errors.push_back({"inspected_on", "bad_format", "检查日期格式应为 YYYY-MM-DD"});
        } else {
            auto ok = pg::exec(tx,
                               "SELECT to_date($1, 'YYYY-MM-DD')::text = $1, to_date($1, 'YYYY-MM-DD') <="
                               " (now() AT TIME ZONE 'Asia/Shanghai')::date",
                               pg::Params().add(v.get<std::string>()));
            if (!ok[0][0].as<bool>())
                u.errors.push_back({"inspected_on", "bad_format", "检查日期不是有效日期"});
            else if (!ok[0][1].as<bool>())
                u.errors.push_back({"inspected_on", "in_future", "检查日期不能晚于今天"});
            else
                u.sets.push_back("inspected_on = " + u.params.next(v.get<std::string>()) + "::date");
        }
    }
    for (const char* key : {"qualified", "signature_refused"}) {
        if (!body.contains(key)) continue;
        const auto& v = body[key];
        if (v.is_null() && std::string(key) == "qualified")
            u.sets.push_back("qualified = NULL");
        else if (!v.is_boolean())
            u.errors.push_back(
                {key, "bad_type", std::string(key) == "qualified" ? "是否合格应为是或否" : "拒绝签字应为是或否"});
        else
            u.sets.push_back(std::string(key) + " = " + u.params.next(std::string(v.get<bool>() ? "true" : "false")) +
                             "::boolean");
    }
    if (body.contains("result_category")) {
        const auto& v = body["result_category"];
        if (v.is_null()) {
            u.sets.push_back("result_category = NULL");
        } else if (!v.is_string()) {
            u.errors.push_back({"result_category", "bad_type", "检查结果类别应为字典编码"});
        } else {
            auto found = pg::exec(tx,
                                  "SELECT 1 FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
                                  " WHERE c.code = 'check_result' AND e.code = $1 AND e.enabled",
                                  pg::Params().add(v.get<std::string>()));
            if (found.empty())
                u.errors.push_back({"result_category", "bad_choice", "检查结果类别不在字典“检查结果类别”中"});
            else
                u.sets.push_back("result_category = " + u.params.next(v.get<std::string>()));
        }
    }
    if (body.contains("item_results")) {
        const auto& v = body["item_results"];
        json out = json::array();
        std::set<long long> seen;
        if (!v.is_array()) {
            u.errors.push_back({"item_results", "bad_type", "分项检查记录应为数组"});
        } else {
            for (size_t i = 0; i < v.size(); ++i) {
                const std::string field = "item_results[" + std::to_string(i) + "]";
                const auto& e = v[i];
                if (!e.is_object() || !e.contains("item_id") || !e["item_id"].is_number_integer()) {
                    u.errors.push_back({field, "bad_type", "分项检查记录应含检查事项编号 item_id"});
                    continue;
                }
                const long long item = e["item_id"].get<long long>();
                if (std::find(l.items.begin(), l.items.end(), item) == l.items.end() || !seen.insert(item).second) {
                    u.errors.push_back({field + ".item_id", "bad_choice", "检查事项不属于本作业或重复"});
                    continue;
                }
                json rec = {{"item_id", item}, {"content", ""}, {"finding", ""}, {"qualified", nullptr}};
                for (const auto& [key, label, max] :
                     {std::tuple{"content", "检查内容", 2000}, std::tuple{"finding", "检查情况", 2000}}) {
                    if (!e.contains(key) || e[key].is_null()) continue;
                    if (!e[key].is_string() || flow::utf8_length(e[key].get<std::string>()) > static_cast<size_t>(max))
                        u.errors.push_back({field + "." + key, "bad_type",
                                            std::string(label) + "应为不超过 " + std::to_string(max) + " 字的文本"});
                    else
                        rec[key] = trimmed(e[key].get<std::string>());
                }
                if (e.contains("qualified") && !e["qualified"].is_null()) {
                    if (!e["qualified"].is_boolean())
                        u.errors.push_back({field + ".qualified", "bad_type", "是否合格应为是或否"});
                    else
                        rec["qualified"] = e["qualified"];
                }
                out.push_back(rec);
            }
        }
        u.sets.push_back("item_results = " + u.params.next(out.dump()) + "::jsonb");
    }
    return u;
}

void apply_form(pqxx::transaction_base& tx, long long id, FormUpdate& u) {
    if (!u.errors.empty()) throw registry::ValidationError(u.errors);
    if (u.sets.empty()) return;
    pg::Params p;
    p.add(id);
    for (size_t i = 1; i < u.params.values().size(); ++i) p.add(u.params.values()[i]);
    std::string sql = "UPDATE inspection_job SET ";
    for (size_t i = 0; i < u.sets.size(); ++i) sql += (i ? ", " : "") + u.sets[i];
    pg::exec(tx, sql + " WHERE id = $1::bigint", p);
}

// Everything a submitted result must hold (JOB-3, JOB-7, JOB-8), as field errors.
std::vector<FieldError> incomplete(pqxx::transaction_base& tx, long long id, const Locked& l) {
    auto r = pg::exec(tx,
                      "SELECT inspected_on IS NULL, place IS NULL, result_category IS NULL, qualified IS NULL,"
                      " item_results, coalesce(notice_given, ''), signature_refused, coalesce(refusal_note, ''),"
                      " EXISTS (SELECT 1 FROM job_file f WHERE f.job_id = j.id AND f.kind = 'signature'),"
                      " coalesce(findings, '') FROM inspection_job j WHERE id = $1",
                      pg::Params().add(id));
    std::vector<FieldError> e;
    const auto& x = r[0];
    if (x[0].as<bool>()) e.push_back({"inspected_on", "required", "请填写检查日期"});
    if (x[1].as<bool>()) e.push_back({"place", "required", "请填写检查地点"});
    if (x[2].as<bool>()) e.push_back({"result_category", "required", "请选择检查结果类别"});
    if (x[3].as<bool>()) e.push_back({"qualified", "required", "请选择是否合格"});
    const json items = json::parse(x[4].c_str());
    for (size_t i = 0; i < l.items.size(); ++i) {
        const json* rec = nullptr;
        for (const auto& it : items)
            if (it.value("item_id", 0LL) == l.items[i]) rec = &it;
        const std::string field = "item_results[" + std::to_string(i) + "]";
        if (!rec || rec->value("content", "").empty())
            e.push_back(
                {field + ".content", "required", "请填写第 " + std::to_string(i + 1) + " 个检查事项的检查内容"});
        if (!rec || !rec->contains("qualified") || !(*rec)["qualified"].is_boolean())
            e.push_back(
                {field + ".qualified", "required", "请选择第 " + std::to_string(i + 1) + " 个检查事项是否合格"});
    }
    if (l.items.empty() && std::string(x[9].c_str()).empty())
        e.push_back({"findings", "required", "请填写主要检查情况"});
    if (l.notice == "required" && std::string(x[5].c_str()).empty())
        e.push_back({"notice_given", "required", "请填写提前告知的方式和时间"});
    const bool refused = x[6].as<bool>(), has_signature = x[8].as<bool>();
    if (!has_signature && !refused)
        e.push_back({"signature", "required", "请上传被检查对象的签字（盖章），或记录其拒绝签字"});
    if (!has_signature && refused && std::string(x[7].c_str()).empty())
        e.push_back({"refusal_note", "required", "被检查对象拒绝签字的，请填写检查人员的现场说明"});
    return e;
}

std::string job_no(pqxx::transaction_base& tx, long long id) {
    return pg::exec(tx, "SELECT job_no FROM inspection_job WHERE id = $1", pg::Params().add(id))[0][0].c_str();
}

void check_filter(const Filter& f) {
    static const std::set<std::string> states = {"", "pending", "draft", "submitted", "returned", "accepted", "cancelled"};
    if (!states.count(f.state)) throw bad_request("bad_state", "状态不正确", "state");
    if (f.page < 1 || f.page > 100000) throw bad_request("bad_page", "页码不正确", "page");
    if (f.page_size < 1 || f.page_size > 100) throw bad_request("bad_page_size", "每页条数应为 1 至 100", "page_size");
    if (flow::utf8_length(f.q) > 100) throw bad_request("bad_q", "关键字过长", "q");
}

json list(pqxx::transaction_base& tx, const flow::FlowActor& actor, const Filter& f, const std::string& where,
          pg::Params p) {
    std::string sql = " FROM inspection_job j" + std::string(kObjectJoin) + " WHERE " + where;
    if (f.task_id) sql += " AND j.task_id = " + p.next(std::to_string(*f.task_id)) + "::bigint";
    if (f.draw_id) sql += " AND j.draw_id = " + p.next(std::to_string(*f.draw_id)) + "::bigint";
    if (!f.state.empty()) sql += " AND j.state = " + p.next(f.state);
    if (!f.q.empty()) {
        const std::string like = p.next("%" + pg::like_escape(f.q) + "%");
        sql += " AND (j.job_no ILIKE " + like + " OR o.name ILIKE " + like + ")";
    }
    const long long total = pg::exec(tx, "SELECT count(*)" + sql, p)[0][0].as<long long>();
    sql += " ORDER BY j.id DESC LIMIT " + std::to_string(f.page_size) + " OFFSET " +
           std::to_string((f.page - 1) * f.page_size);
    json items = json::array();
    for (const auto& r : pg::exec(tx, std::string("SELECT ") + kColumns + sql, p)) {
        json s = row_summary(r, actor);
        s.erase("actions");
        items.push_back(s);
    }
    return {{"items", items}, {"total", total}, {"page", f.page}, {"page_size", f.page_size}};
}

}  // namespace

long long create_for_draw(pqxx::work& tx, long long draw_id) {
    // job_create_for_draw (0013_jobs.sql) runs as the schema owner: whoever confirms,
    // every drawn object gets its job, whether or not the confirming user's data scope
    // holds the drawing unit.
    return pg::exec(tx, "SELECT job_create_for_draw($1)", pg::Params().add(draw_id))[0][0].as<long long>();
}

json list_mine(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f) {
    check_filter(f);
    return pg::with_read(pool, "jobs-mine", [&](pqxx::read_transaction& tx) {
        const long long me = inspector_of(tx, actor);
        // A user without an inspector row (an administrator) has no jobs of its own.
        if (!me) return json{{"items", json::array()}, {"total", 0}, {"page", f.page}, {"page_size", f.page_size}};
        pg::Params p;
        const std::string where = p.next(std::to_string(me)) + "::bigint = ANY (j.inspector_ids)";
        return list(tx, actor, f, where, p);
    });
}

json list_review(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f) {
    check_filter(f);
    return pg::with_read(pool, "jobs-review", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "true";
        const std::string units = flow::scope_array(tx, actor);
        if (actor.scope != "all") where = "j.unit_id = ANY (" + p.next(units) + "::bigint[])";
        return list(tx, actor, f, where, p);
    });
}

json get(pg::Pool& pool, const flow::FlowActor& actor, long long id) {
    return pg::with_transaction(pool, "job-get", [&](pqxx::work& tx) {
        const Locked l = lock(tx, actor, id);
        return load(tx, actor, id, l.member);
    });
}

json save(pg::Pool& pool, const flow::FlowActor& actor, long long id, const json& body) {
    return pg::with_transaction(pool, "job-save", [&](pqxx::work& tx) {
        const Locked l = lock(tx, actor, id);
        require_member(l);
        const auto& t = require_transition("save", l.state);
        FormUpdate u = read_form(tx, body, l);
        apply_form(tx, id, u);
        if (t.to != l.state) {
            pg::exec(tx, "UPDATE inspection_job SET state = $2 WHERE id = $1", pg::Params().add(id).add(t.to));
            flow::record(tx, "job", id, "save", l.state, t.to, "", actor, actor.unit_id);
        }
        return load(tx, actor, id, true);
    });
}

json submit(pg::Pool& pool, const flow::FlowActor& actor, long long id, const json& body) {
    return pg::with_transaction(pool, "job-submit", [&](pqxx::work& tx) {
        const Locked l = lock(tx, actor, id);
        require_member(l);
        const auto& t = require_transition("submit", l.state);
        FormUpdate u = read_form(tx, body.is_null() ? json::object() : body, l);
        apply_form(tx, id, u);
        auto missing = incomplete(tx, id, l);
        if (!missing.empty()) throw registry::ValidationError(missing);
        pg::exec(tx,
                 "UPDATE inspection_job SET state = $2, submitted_by = $3::bigint, submitted_at = now() WHERE id = $1",
                 pg::Params().add(id).add(t.to).add(opt_id(actor.user_id)));
        flow::record(tx, "job", id, "submit", l.state, t.to, "", actor, actor.unit_id);
        if (l.unit_id)
            messages::send(tx, {{}, {l.unit_id}}, "result", "检查结果待审核：" + job_no(tx, id),
                           "检查组已提交检查结果，请审核。", "/random/results/" + std::to_string(id));
        return load(tx, actor, id, true);
    });
}

json review(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool accept, const json& body) {
    return pg::with_transaction(pool, accept ? "job-accept" : "job-return", [&](pqxx::work& tx) {
        const Locked l = lock(tx, actor, id);
        if (!(l.unit_id && flow::in_scope(tx, actor, l.unit_id)))
            throw forbidden("out_of_scope", "只能审核本单位（或下级单位）的检查结果");
        const auto& t = require_transition(accept ? "accept" : "return", l.state);
        std::string opinion;
        if (body.is_object() && body.contains("opinion") && !body["opinion"].is_null()) {
            if (!body["opinion"].is_string())
                throw registry::ValidationError({{"opinion", "bad_type", "审核意见应为文本"}});
            opinion = trimmed(body["opinion"].get<std::string>());
        }
        if (flow::utf8_length(opinion) > 1000)
            throw registry::ValidationError({{"opinion", "too_long", "审核意见不能超过 1000 个字"}});
        if (!accept && opinion.empty()) throw registry::ValidationError({{"opinion", "required", "请填写退回原因"}});
        if (accept && opinion.empty()) opinion = "同意";
        pg::exec(tx,
                 "UPDATE inspection_job SET state = $2, reviewed_by = $3::bigint, reviewed_at = now(),"
                 " review_opinion = $4 WHERE id = $1",
                 pg::Params().add(id).add(t.to).add(opt_id(actor.user_id)).add(opinion));
        flow::record(tx, "job", id, t.action, l.state, t.to, opinion, actor, actor.unit_id);
        if (!accept) {
            // The group's inspectors who have accounts (seen through the reviewer's scope).
            messages::Recipients to;
            for (const auto& r : pg::exec(tx,
                                          "SELECT u.id FROM app_user u JOIN inspection_job j ON j.id = $1"
                                          " WHERE u.inspector_id = ANY (j.inspector_ids) AND u.active",
                                          pg::Params().add(id)))
                to.user_ids.push_back(r[0].as<long long>());
            if (!to.user_ids.empty())
                messages::send(tx, to, "result", "检查结果被退回：" + job_no(tx, id), "退回原因：" + opinion,
                               "/random/jobs/" + std::to_string(id));
        }
        return load(tx, actor, id, false);
    });
}

json add_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long job_id,
              const std::string& kind, const std::string& filename, const std::string& bytes, size_t max_bytes) {
    if (kind != "photo" && kind != "file" && kind != "signature")
        throw bad_request("bad_kind", "附件类型应为 photo、file 或 signature", "kind");
    files::check_upload(bytes, max_bytes);
    const std::string type = files::sniff(bytes);
    if (type.empty() || (type == "application/pdf" && kind != "file"))
        throw Error(Error::Kind::Unsupported, "unsupported_type",
                    kind == "file" ? "附件只接受 PDF、JPEG 或 PNG 格式" : "照片和签字只接受 JPEG 或 PNG 图片");
    std::string name = filename.empty() ? (kind == "photo"       ? "现场照片"
                                           : kind == "signature" ? "签字"
                                                                 : "附件")
                                        : filename;
    // At most 200 characters, cut on a character boundary: the default names are Chinese,
    // and stripping trailing continuation bytes would leave a lone lead byte (invalid UTF-8).
    name = files::clip_utf8(name, 200);
    const std::string hex = files::sha256_hex(bytes);
    return pg::with_transaction(pool, "job-file", [&](pqxx::work& tx) {
        const Locked l = lock(tx, actor, job_id);
        require_member(l);
        if (!editable(l.state))
            throw conflict("invalid_transition", "当前状态为“" + state_label(l.state) + "”，不能上传附件")
                .with("state", l.state)
                .with("action", "upload");
        files::put(data_dir, hex, bytes);  // before the row (file-store.hpp)
        auto r = pg::exec(tx,
                          "INSERT INTO job_file(job_id, kind, filename, content_type, size, sha256, uploaded_by)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7::bigint) RETURNING id",
                          pg::Params()
                              .add(job_id)
                              .add(kind)
                              .add(name)
                              .add(type)
                              .add(static_cast<long long>(bytes.size()))
                              .add(hex)
                              .add(opt_id(actor.user_id)));
        if (kind == "signature")
            pg::exec(tx, "UPDATE inspection_job SET signature_refused = false WHERE id = $1", pg::Params().add(job_id));
        const long long id = r[0][0].as<long long>();
        return json{{"id", id},     {"kind", kind}, {"filename", name}, {"content_type", type}, {"size", bytes.size()},
                    {"sha256", hex}};
    });
}

File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long file_id) {
    auto row = pg::with_transaction(pool, "job-file-get", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "SELECT job_id, content_type, filename, sha256 FROM job_file WHERE id = $1",
                          pg::Params().add(file_id));
        if (r.empty()) throw not_found("附件不存在");
        lock(tx, actor, r[0][0].as<long long>());
        return std::array<std::string, 3>{r[0][1].c_str(), r[0][2].c_str(), r[0][3].c_str()};
    });
    return {row[0], row[1], files::get(data_dir, row[2])};
}

}  // namespace twindraw::jobs
