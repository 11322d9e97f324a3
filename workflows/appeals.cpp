#include "workflows/appeals.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"
#include "workflows/file-store.hpp"
#include "workflows/job-states.hpp"
#include "workflows/notify.hpp"
#include "workflows/registry-repo.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace twindraw::appeals {

namespace {

using nlohmann::json;
using registry::FieldError;

const std::vector<flow::Transition> kAppeal = {
    {"withdraw", "pending", "withdrawn", "job.submit"},
    {"accept", "pending", "accepted", "result.review"},
    {"reject", "pending", "rejected", "result.review"},
};

const std::map<std::string, std::string> kStates = {
    {"pending", "待复核"}, {"accepted", "申诉通过"}, {"rejected", "申诉驳回"}, {"withdrawn", "已撤回"}};
const std::map<std::string, std::string> kActions = {
    {"file", "提出申诉"}, {"withdraw", "撤回申诉"}, {"accept", "申诉通过"}, {"reject", "申诉驳回"}};

std::string action_label(const std::string& a) {
    auto it = kActions.find(a);
    return it == kActions.end() ? a : it->second;
}

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

long long inspector_of(pqxx::transaction_base& tx, const flow::FlowActor& actor) {
    auto r = pg::exec(tx, "SELECT inspector_id FROM app_user WHERE id = $1", pg::Params().add(actor.user_id));
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<long long>();
}

struct Job {
    long long id = 0;
    std::string state, job_no;
    long long unit_id = 0;
    bool member = false, reviewer = false;
    std::vector<long long> items;
};

// The job, locked when `lock`; 404 when the actor is neither of its group nor a reviewer
// whose scope holds its unit (the rule of jobs.cpp, over the same row-level security).
Job job_of(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long id, bool lock) {
    auto r = pg::exec(tx,
                      std::string("SELECT state, unit_id, inspector_ids, item_ids, job_no FROM inspection_job"
                                  " WHERE id = $1") +
                          (lock ? " FOR UPDATE" : ""),
                      pg::Params().add(id));
    if (r.empty()) throw not_found("检查作业不存在");
    Job j;
    j.id = id;
    j.state = r[0][0].as<std::string>();
    j.unit_id = r[0][1].is_null() ? 0 : r[0][1].as<long long>();
    const long long me = inspector_of(tx, actor);
    for (long long i : ids_of(r[0][2]))
        if (me && i == me) j.member = true;
    j.items = ids_of(r[0][3]);
    j.job_no = r[0][4].as<std::string>();
    j.reviewer = actor.has("result.review") && j.unit_id && flow::in_scope(tx, actor, j.unit_id);
    if (!j.member && !j.reviewer) throw not_found("检查作业不存在");
    return j;
}

// The result of a job as stored: the fields an appeal may correct, plus date and place.
json result_of(pqxx::transaction_base& tx, long long job_id) {
    auto r = pg::exec(tx,
                      "SELECT to_char(j.inspected_on, 'YYYY-MM-DD'), j.place, j.result_category,"
                      " (SELECT e.label FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
                      "   WHERE c.code = 'check_result' AND e.code = j.result_category),"
                      " j.qualified, j.findings, j.remarks, j.item_results FROM inspection_job j WHERE j.id = $1",
                      pg::Params().add(job_id));
    return {{"inspected_on", text_or_null(r[0][0])},
            {"place", text_or_null(r[0][1])},
            {"result_category", text_or_null(r[0][2])},
            {"result_category_label", text_or_null(r[0][3])},
            {"qualified", r[0][4].is_null() ? json(nullptr) : json(r[0][4].as<bool>())},
            {"findings", text_or_null(r[0][5])},
            {"remarks", text_or_null(r[0][6])},
            {"item_results", json::parse(r[0][7].c_str())}};
}

// Adds labels to a stored corrected result: category label and item names.
json labelled(pqxx::transaction_base& tx, json result) {
    if (result.contains("result_category") && result["result_category"].is_string()) {
        auto r = pg::exec(tx,
                          "SELECT e.label FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
                          " WHERE c.code = 'check_result' AND e.code = $1",
                          pg::Params().add(result["result_category"].get<std::string>()));
        result["result_category_label"] = r.empty() ? json(nullptr) : json(r[0][0].c_str());
    }
    if (result.contains("item_results") && result["item_results"].is_array())
        for (auto& it : result["item_results"]) {
            auto r = pg::exec(tx, "SELECT name FROM inspection_item WHERE id = $1",
                              pg::Params().add(it.value("item_id", 0LL)));
            it["name"] = r.empty() ? json(nullptr) : json(r[0][0].c_str());
        }
    return result;
}

// The corrected result of a body: the current result with the given fields replaced,
// checked for shape and completeness like a submission (JOB-3). 422 errors[] per field.
json corrected_result(pqxx::transaction_base& tx, const Job& job, const json& current, const json& body) {
    std::vector<FieldError> e;
    json out = {{"result_category", current["result_category"]},
                {"qualified", current["qualified"]},
                {"findings", current["findings"]},
                {"remarks", current["remarks"]},
                {"item_results", current["item_results"]}};
    if (!body.contains("corrected") || !body["corrected"].is_object()) {
        throw registry::ValidationError({{"corrected", "required", "请填写更正后的检查结果"}});
    }
    const json& c = body["corrected"];
    static const std::set<std::string> known = {"result_category", "qualified", "findings", "remarks", "item_results"};
    for (const auto& [k, v] : c.items())
        if (!known.count(k)) e.push_back({"corrected." + k, "unknown_field", "未知字段：" + k});
    if (c.contains("result_category")) {
        const auto& v = c["result_category"];
        if (!v.is_string() || pg::exec(tx,
                                       "SELECT 1 FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
                                       " WHERE c.code = 'check_result' AND e.code = $1 AND e.enabled",
                                       pg::Params().add(v.is_string() ? v.get<std::string>() : std::string()))
                                  .empty())
            e.push_back({"corrected.result_category", "bad_choice", "检查结果类别不在字典“检查结果类别”中"});
        else
            out["result_category"] = v;
    }
    if (c.contains("qualified")) {
        if (!c["qualified"].is_boolean())
            e.push_back({"corrected.qualified", "bad_type", "是否合格应为 true 或 false"});
        else
            out["qualified"] = c["qualified"];
    }
    for (const auto& [key, label, max] :
         {std::tuple{"findings", "主要检查情况", 5000}, std::tuple{"remarks", "备注", 2000}}) {
        if (!c.contains(key)) continue;
        const auto& v = c[key];
        if (v.is_null()) {
            out[key] = nullptr;
        } else if (!v.is_string()) {
            e.push_back({std::string("corrected.") + key, "bad_type", std::string(label) + "应为文本"});
        } else if (flow::utf8_length(trimmed(v.get<std::string>())) > static_cast<size_t>(max)) {
            e.push_back({std::string("corrected.") + key, "too_long",
                         std::string(label) + "不能超过 " + std::to_string(max) + " 个字"});
        } else {
            const std::string s = trimmed(v.get<std::string>());
            out[key] = s.empty() ? json(nullptr) : json(s);
        }
    }
    if (c.contains("item_results")) {
        const auto& v = c["item_results"];
        if (!v.is_array()) {
            e.push_back({"corrected.item_results", "bad_type", "检查事项结果应为数组"});
        } else {
            json items = json::array();
            for (size_t i = 0; i < v.size(); ++i) {
                const auto& it = v[i];
                const std::string f = "corrected.item_results[" + std::to_string(i) + "]";
                if (!it.is_object() || !it.contains("item_id") || !it["item_id"].is_number_integer() ||
                    std::find(job.items.begin(), job.items.end(), it["item_id"].get<long long>()) == job.items.end()) {
                    e.push_back({f + ".item_id", "bad_item", "检查事项不属于本检查作业"});
                    continue;
                }
                json rec = {{"item_id", it["item_id"]}};
                for (const char* k : {"content", "finding"}) {
                    if (!it.contains(k) || it[k].is_null()) {
                        rec[k] = "";
                    } else if (!it[k].is_string() || flow::utf8_length(it[k].get<std::string>()) > 2000) {
                        e.push_back({f + "." + k, "bad_type", "应为不超过 2000 字的文本"});
                    } else {
                        rec[k] = trimmed(it[k].get<std::string>());
                    }
                }
                if (it.contains("qualified") && !it["qualified"].is_null()) {
                    if (!it["qualified"].is_boolean())
                        e.push_back({f + ".qualified", "bad_type", "是否合格应为 true 或 false"});
                    else
                        rec["qualified"] = it["qualified"];
                }
                items.push_back(rec);
            }
            out["item_results"] = items;
        }
    }
    if (!e.empty()) throw registry::ValidationError(e);
    // Complete like a submission.
    if (out["result_category"].is_null()) e.push_back({"corrected.result_category", "required", "请选择检查结果类别"});
    if (!out["qualified"].is_boolean()) e.push_back({"corrected.qualified", "required", "请选择是否合格"});
    for (size_t i = 0; i < job.items.size(); ++i) {
        const json* rec = nullptr;
        for (const auto& it : out["item_results"])
            if (it.value("item_id", 0LL) == job.items[i]) rec = &it;
        const std::string f = "corrected.item_results[" + std::to_string(i) + "]";
        if (!rec || rec->value("content", "").empty())
            e.push_back({f + ".content", "required", "请填写第 " + std::to_string(i + 1) + " 个检查事项的检查内容"});
        if (!rec || !rec->contains("qualified") || !(*rec)["qualified"].is_boolean())
            e.push_back({f + ".qualified", "required", "请选择第 " + std::to_string(i + 1) + " 个检查事项是否合格"});
    }
    if (job.items.empty() && out["findings"].is_null())
        e.push_back({"corrected.findings", "required", "请填写主要检查情况"});
    if (!e.empty()) throw registry::ValidationError(e);
    const json same = {{"result_category", current["result_category"]},
                       {"qualified", current["qualified"]},
                       {"findings", current["findings"]},
                       {"remarks", current["remarks"]},
                       {"item_results", current["item_results"]}};
    if (out == same) throw registry::ValidationError({{"corrected", "no_change", "更正后的检查结果与当前结果相同"}});
    return out;
}

json history(pqxx::transaction_base& tx, long long id) {
    return flow::history_of(
        tx, {"appeal"}, id,
        {[](const std::string&, const std::string& action) { return std::string(action_label(action)); },
         [](const std::string&, const std::string& state) { return json(state_label(state)); }});
}

const char* kAppealColumns =
    "a.id, a.job_id, j.job_no, a.state, a.reason, a.corrected, a.reviewer_id, rv.name, a.filed_by, fb.name,"
    " to_char(a.filed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), db.name,"
    " to_char(a.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), a.opinion, a.unit_id,"
    " (SELECT coalesce(m.name, v.name, p.enterprise_name) FROM inspection_job x"
    "   LEFT JOIN market_subject m ON x.object_kind = 'market_subject' AND m.id = x.object_id"
    "   LEFT JOIN venue v ON x.object_kind = 'venue' AND v.id = x.object_id"
    "   LEFT JOIN product p ON x.object_kind = 'product' AND p.id = x.object_id WHERE x.id = a.job_id)";
const char* kAppealFrom =
    " FROM result_appeal a JOIN inspection_job j ON j.id = a.job_id"
    " LEFT JOIN app_user_name rv ON rv.id = a.reviewer_id LEFT JOIN app_user_name fb ON fb.id = a.filed_by"
    " LEFT JOIN app_user_name db ON db.id = a.decided_by";

json row_json(pqxx::transaction_base& tx, const pqxx::row& r, const flow::FlowActor& actor) {
    const std::string state = r[3].as<std::string>();
    const long long reviewer = r[6].as<long long>();
    json actions = json::array();
    for (const auto& t : kAppeal) {
        if (t.from != state || !actor.has(t.permission)) continue;
        if (t.permission == "result.review" && reviewer != actor.user_id) continue;
        actions.push_back(t.action);
    }
    return {{"id", r[0].as<long long>()},
            {"job_id", r[1].as<long long>()},
            {"job_no", r[2].c_str()},
            {"state", state},
            {"state_label", state_label(state)},
            {"reason", r[4].c_str()},
            {"corrected", labelled(tx, json::parse(r[5].c_str()))},
            {"reviewer_id", reviewer},
            {"reviewer_name", text_or_null(r[7])},
            {"filed_by", r[8].is_null() ? json(nullptr) : json(r[8].as<long long>())},
            {"filed_by_name", text_or_null(r[9])},
            {"filed_at", r[10].c_str()},
            {"decided_by_name", text_or_null(r[11])},
            {"decided_at", text_or_null(r[12])},
            {"opinion", text_or_null(r[13])},
            {"object_name", text_or_null(r[15])},
            {"for_me", reviewer == actor.user_id},
            {"actions", actions}};
}

json files_of(pqxx::transaction_base& tx, long long appeal_id) {
    json files = json::array();
    for (const auto& f : pg::exec(tx,
                                  "SELECT id, filename, content_type, size, sha256,"
                                  " to_char(uploaded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                                  " FROM appeal_file WHERE appeal_id = $1 ORDER BY id",
                                  pg::Params().add(appeal_id)))
        files.push_back({{"id", f[0].as<long long>()},
                         {"filename", f[1].c_str()},
                         {"content_type", f[2].c_str()},
                         {"size", f[3].as<long long>()},
                         {"sha256", f[4].c_str()},
                         {"uploaded_at", f[5].c_str()}});
    return files;
}

json load(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long id) {
    auto r =
        pg::exec(tx, std::string("SELECT ") + kAppealColumns + kAppealFrom + " WHERE a.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("申诉不存在");
    json a = row_json(tx, r[0], actor);
    a["files"] = files_of(tx, id);
    a["history"] = history(tx, id);
    return a;
}

json versions_of(pqxx::transaction_base& tx, long long job_id) {
    json out = json::array();
    for (const auto& r : pg::exec(tx,
                                  "SELECT v.version_no, v.source, v.appeal_id, v.result, u.name,"
                                  " to_char(v.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                                  " FROM job_result_version v LEFT JOIN app_user_name u ON u.id = v.created_by"
                                  " WHERE v.job_id = $1 ORDER BY v.version_no",
                                  pg::Params().add(job_id)))
        out.push_back({{"version_no", r[0].as<int>()},
                       {"source", r[1].c_str()},
                       {"source_label", std::string(r[1].c_str()) == "appeal"       ? "申诉更正"
                                        : std::string(r[1].c_str()) == "correction" ? "公示更正"
                                                                                    : "审核通过的原结果"},
                       {"appeal_id", r[2].is_null() ? json(nullptr) : json(r[2].as<long long>())},
                       {"result", labelled(tx, json::parse(r[3].c_str()))},
                       {"created_by_name", text_or_null(r[4])},
                       {"created_at", r[5].c_str()}});
    if (!out.empty()) out.back()["current"] = true;
    return out;
}

// A published result changes only through a correction (PUB-3): 409 result_published.
void require_unpublished(pqxx::transaction_base& tx, long long job_id, const char* action) {
    if (pg::exec(tx, "SELECT job_is_published($1)", pg::Params().add(job_id))[0][0].as<bool>())
        throw conflict("result_published", "检查结果已公示，只能通过公示结果更正（经部门负责人批准）变更")
            .with("state", "published")
            .with("action", action);
}

struct Locked {
    long long id = 0, job_id = 0, reviewer_id = 0, filed_by = 0;
    std::string state;
    json corrected;
};

Locked lock_appeal(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(
        tx, "SELECT job_id, reviewer_id, filed_by, state, corrected FROM result_appeal WHERE id = $1 FOR UPDATE",
        pg::Params().add(id));
    if (r.empty()) throw not_found("申诉不存在");
    Locked l;
    l.id = id;
    l.job_id = r[0][0].as<long long>();
    l.reviewer_id = r[0][1].as<long long>();
    l.filed_by = r[0][2].is_null() ? 0 : r[0][2].as<long long>();
    l.state = r[0][3].as<std::string>();
    l.corrected = json::parse(r[0][4].c_str());
    return l;
}

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

}  // namespace

const std::vector<flow::Transition>& transitions() {
    return kAppeal;
}

const flow::Transition& require_transition(const std::string& action, const std::string& from) {
    for (const auto& t : kAppeal)
        if (t.action == action && t.from == from) return t;
    throw conflict("invalid_transition", "申诉当前状态为“" + state_label(from) + "”，不能" + action_label(action))
        .with("state", from)
        .with("action", action);
}

std::string state_label(const std::string& state) {
    auto it = kStates.find(state);
    return it == kStates.end() ? state : it->second;
}

json for_job(pg::Pool& pool, const flow::FlowActor& actor, long long job_id) {
    return pg::with_transaction(pool, "appeal-job", [&](pqxx::work& tx) {
        const Job job = job_of(tx, actor, job_id, false);
        json appeals = json::array();
        bool pending = false;
        for (const auto& r : pg::exec(
                 tx, std::string("SELECT ") + kAppealColumns + kAppealFrom + " WHERE a.job_id = $1 ORDER BY a.id DESC",
                 pg::Params().add(job_id))) {
            json a = row_json(tx, r, actor);
            if (a["state"] == "pending") pending = true;
            a["files"] = files_of(tx, a["id"].get<long long>());
            a["history"] = history(tx, a["id"].get<long long>());
            // An inspector withdraws; the named reviewer decides (the page of each).
            json actions = json::array();
            for (const auto& x : a["actions"])
                if (x == "withdraw" ? job.member : a["for_me"].get<bool>()) actions.push_back(x);
            a["actions"] = actions;
            appeals.push_back(a);
        }
        // A published result changes only through a correction (PUB-3): no appeal.
        const bool published = pg::exec(tx, "SELECT job_is_published($1)", pg::Params().add(job_id))[0][0].as<bool>();
        return json{
            {"job_id", job_id},
            {"job_no", job.job_no},
            {"job_state", job.state},
            {"can_appeal", job.member && actor.has("job.submit") && job.state == "accepted" && !pending && !published},
            {"published", published},
            {"current", result_of(tx, job_id)},
            {"appeals", appeals},
            {"versions", versions_of(tx, job_id)}};
    });
}

json reviewers(pg::Pool& pool, const flow::FlowActor& actor, long long job_id) {
    return pg::with_transaction(pool, "appeal-reviewers", [&](pqxx::work& tx) {
        const Job job = job_of(tx, actor, job_id, false);
        json items = json::array();
        for (const auto& r : pg::exec(tx, "SELECT user_id, name, unit_name FROM appeal_reviewers($1) ORDER BY 1",
                                      pg::Params().add(job.unit_id)))
            if (r[0].as<long long>() != actor.user_id)
                items.push_back({{"id", r[0].as<long long>()}, {"name", r[1].c_str()}, {"unit_name", r[2].c_str()}});
        return json{{"items", items}};
    });
}

json file(pg::Pool& pool, const flow::FlowActor& actor, long long job_id, const json& body) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    return pg::with_transaction(pool, "appeal-file", [&](pqxx::work& tx) {
        const Job job = job_of(tx, actor, job_id, true);
        if (!job.member) throw forbidden("not_group_member", "只有本检查组的执法人员可以提出申诉");
        if (job.state != "accepted")
            throw conflict("invalid_transition",
                           "检查作业当前状态为“" + jobs::state_label(job.state) + "”，只有审核通过的检查结果可以申诉")
                .with("state", job.state)
                .with("action", "appeal");
        require_unpublished(tx, job_id, "appeal");
        if (!pg::exec(tx, "SELECT 1 FROM result_appeal WHERE job_id = $1 AND state = 'pending'",
                      pg::Params().add(job_id))
                 .empty())
            throw conflict("appeal_pending", "该检查结果已有待复核的申诉")
                .with("state", "pending")
                .with("action", "file");
        std::vector<FieldError> e;
        std::string reason;
        static const std::set<std::string> known = {"reason", "reviewer_id", "corrected"};
        for (const auto& [k, v] : body.items())
            if (!known.count(k)) e.push_back({k, "unknown_field", "未知字段：" + k});
        if (!body.contains("reason") || !body["reason"].is_string() ||
            (reason = trimmed(body["reason"].get<std::string>())).empty())
            e.push_back({"reason", "required", "请填写申诉理由"});
        else if (flow::utf8_length(reason) > 2000)
            e.push_back({"reason", "too_long", "申诉理由不能超过 2000 个字"});
        long long reviewer = 0;
        if (!body.contains("reviewer_id") || !body["reviewer_id"].is_number_integer() ||
            body["reviewer_id"].get<long long>() <= 0) {
            e.push_back({"reviewer_id", "required", "请指定复核人"});
        } else {
            reviewer = body["reviewer_id"].get<long long>();
            if (reviewer == actor.user_id || pg::exec(tx, "SELECT 1 FROM appeal_reviewers($1) WHERE user_id = $2",
                                                      pg::Params().add(job.unit_id).add(reviewer))
                                                 .empty())
                e.push_back({"reviewer_id", "not_a_reviewer", "复核人须为有权审核本单位检查结果的其他人员"});
        }
        const json current = result_of(tx, job_id);
        json corrected;
        try {
            corrected = corrected_result(tx, job, current, body);
        } catch (const registry::ValidationError& ve) {
            for (const auto& x : ve.errors()) e.push_back(x);
        }
        if (!e.empty()) throw registry::ValidationError(e);
        auto r = pg::exec(tx,
                          "INSERT INTO result_appeal(job_id, unit_id, reason, corrected, reviewer_id, filed_by)"
                          " VALUES ($1, $2::bigint, $3, $4::jsonb, $5, $6::bigint) RETURNING id",
                          pg::Params()
                              .add(job_id)
                              .add(opt_id(job.unit_id))
                              .add(reason)
                              .add(corrected.dump())
                              .add(reviewer)
                              .add(opt_id(actor.user_id)));
        const long long id = r[0][0].as<long long>();
        flow::record(tx, "appeal", id, "file", "", "pending", files::clip_utf8(reason, 1000), actor, actor.unit_id);
        flow::record(tx, "job", job_id, "appeal", job.state, job.state, files::clip_utf8("申诉理由：" + reason, 1000),
                     actor, actor.unit_id);
        notify::users(tx, {reviewer}, "appeal", "检查结果申诉待复核：" + job.job_no,
                      "执法人员对检查结果提出申诉，指定您复核。申诉理由：" + files::clip_utf8(reason, 200),
                      "/random/appeals/" + std::to_string(id));
        return load(tx, actor, id);
    });
}

json get(pg::Pool& pool, const flow::FlowActor& actor, long long id) {
    return pg::with_read(pool, "appeal-get", [&](pqxx::read_transaction& tx) {
        json a = load(tx, actor, id);
        a["current"] = result_of(tx, a["job_id"].get<long long>());
        a["versions"] = versions_of(tx, a["job_id"].get<long long>());
        return a;
    });
}

json list(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f) {
    static const std::set<std::string> states = {"", "pending", "accepted", "rejected", "withdrawn"};
    if (!states.count(f.state)) throw bad_request("bad_state", "状态不正确", "state");
    if (f.page < 1 || f.page > 100000) throw bad_request("bad_page", "页码不正确", "page");
    if (f.page_size < 1 || f.page_size > 100) throw bad_request("bad_page_size", "每页条数应为 1 至 100", "page_size");
    return pg::with_read(pool, "appeal-list", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (f.mine) where += " AND a.reviewer_id = " + p.next(std::to_string(actor.user_id)) + "::bigint";
        if (!f.state.empty()) where += " AND a.state = " + p.next(f.state);
        const long long total =
            pg::exec(tx, std::string("SELECT count(*)") + kAppealFrom + where, p)[0][0].as<long long>();
        json items = json::array();
        for (const auto& r :
             pg::exec(tx,
                      std::string("SELECT ") + kAppealColumns + kAppealFrom + where + " ORDER BY a.id DESC LIMIT " +
                          std::to_string(f.page_size) + " OFFSET " + std::to_string((f.page - 1) * f.page_size),
                      p))
            items.push_back(row_json(tx, r, actor));
        return json{{"items", items}, {"total", total}, {"page", f.page}, {"page_size", f.page_size}};
    });
}

json decide(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool accept, const json& body) {
    return pg::with_transaction(pool, accept ? "appeal-accept" : "appeal-reject", [&](pqxx::work& tx) {
        const Locked a = lock_appeal(tx, id);
        if (a.reviewer_id != actor.user_id) throw forbidden("not_named_reviewer", "只有申诉指定的复核人可以复核该申诉");
        const auto& t = require_transition(accept ? "accept" : "reject", a.state);
        std::string opinion = opinion_of(body, !accept, "请填写驳回意见");
        if (accept && opinion.empty()) opinion = "同意更正";
        auto jr = pg::exec(tx, "SELECT state, job_no, reviewed_by FROM inspection_job WHERE id = $1 FOR UPDATE",
                           pg::Params().add(a.job_id));
        if (jr.empty()) throw not_found("检查作业不存在");
        const std::string job_state = jr[0][0].as<std::string>(), job_no = jr[0][1].as<std::string>();
        if (accept) {
            if (job_state != "accepted")
                throw conflict("invalid_transition", "检查作业当前不是审核通过状态，不能按申诉更正")
                    .with("state", job_state)
                    .with("action", "accept");
            // The one rule of docs/appeals-changes.md: the job's result becomes the corrected
            // one and the version is appended (version 1 keeps the result as reviewed).
            // A published result changes only through a correction (PUB-3).
            require_unpublished(tx, a.job_id, "accept");
            pg::exec(tx, "SELECT job_result_change($1, 'appeal', $2, NULL, $3::jsonb, $4::bigint)",
                     pg::Params().add(a.job_id).add(id).add(a.corrected.dump()).add(opt_id(actor.user_id)));
        }
        pg::exec(tx,
                 "UPDATE result_appeal SET state = $2, decided_by = $3::bigint, decided_at = now(), opinion = $4"
                 " WHERE id = $1",
                 pg::Params().add(id).add(t.to).add(opt_id(actor.user_id)).add(opinion));
        flow::record(tx, "appeal", id, t.action, a.state, t.to, opinion, actor, actor.unit_id);
        flow::record(tx, "job", a.job_id, accept ? "appeal_accept" : "appeal_reject", job_state, job_state, opinion,
                     actor, actor.unit_id);
        if (a.filed_by)
            notify::users(tx, {a.filed_by}, "appeal",
                          (accept ? "申诉已通过，检查结果已更正：" : "申诉被驳回：") + job_no,
                          (accept ? "复核意见：" : "驳回意见：") + opinion, "/random/jobs/" + std::to_string(a.job_id));
        return load(tx, actor, id);
    });
}

json withdraw(pg::Pool& pool, const flow::FlowActor& actor, long long id, const json& body) {
    return pg::with_transaction(pool, "appeal-withdraw", [&](pqxx::work& tx) {
        const Locked a = lock_appeal(tx, id);
        const Job job = job_of(tx, actor, a.job_id, false);
        if (!job.member) throw forbidden("not_group_member", "只有本检查组的执法人员可以撤回申诉");
        const auto& t = require_transition("withdraw", a.state);
        const std::string opinion = opinion_of(body, false, "");
        pg::exec(tx,
                 "UPDATE result_appeal SET state = $2, decided_by = $3::bigint, decided_at = now(), opinion = $4"
                 " WHERE id = $1",
                 pg::Params().add(id).add(t.to).add(opt_id(actor.user_id)).add(opinion.empty() ? "撤回申诉" : opinion));
        flow::record(tx, "appeal", id, t.action, a.state, t.to, opinion, actor, actor.unit_id);
        flow::record(tx, "job", a.job_id, "appeal_withdraw", job.state, job.state, opinion, actor, actor.unit_id);
        notify::users(tx, {a.reviewer_id}, "appeal", "申诉已撤回：" + job.job_no, "执法人员撤回了申诉。",
                      "/random/appeals/" + std::to_string(id));
        return load(tx, actor, id);
    });
}

json add_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long appeal_id,
              const std::string& filename, const std::string& bytes, size_t max_bytes) {
    files::check_upload(bytes, max_bytes);
    const std::string type = files::sniff(bytes);
    if (type.empty()) throw Error(Error::Kind::Unsupported, "unsupported_type", "申诉附件只接受 PDF、JPEG 或 PNG 格式");
    std::string name = filename.empty() ? "申诉附件" : filename;
    name = files::clip_utf8(name, 200);
    const std::string hex = files::sha256_hex(bytes);
    return pg::with_transaction(pool, "appeal-upload", [&](pqxx::work& tx) {
        const Locked a = lock_appeal(tx, appeal_id);
        const Job job = job_of(tx, actor, a.job_id, false);
        if (!job.member) throw forbidden("not_group_member", "只有本检查组的执法人员可以上传申诉附件");
        if (a.state != "pending")
            throw conflict("invalid_transition", "申诉当前状态为“" + state_label(a.state) + "”，不能上传附件")
                .with("state", a.state)
                .with("action", "upload");
        files::put(data_dir, hex, bytes);  // content-addressed like a job's files, before the row
        auto r = pg::exec(tx,
                          "INSERT INTO appeal_file(appeal_id, filename, content_type, size, sha256, uploaded_by)"
                          " VALUES ($1, $2, $3, $4, $5, $6::bigint) RETURNING id",
                          pg::Params()
                              .add(appeal_id)
                              .add(name)
                              .add(type)
                              .add(static_cast<long long>(bytes.size()))
                              .add(hex)
                              .add(opt_id(actor.user_id)));
        return json{{"id", r[0][0].as<long long>()},
                    {"filename", name},
                    {"content_type", type},
                    {"size", bytes.size()},
                    {"sha256", hex}};
    });
}

File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long file_id) {
    auto row = pg::with_read(pool, "appeal-file-get", [&](pqxx::read_transaction& tx) {
        // The appeal's row-level security decides: its group, its reviewer, its scope.
        auto r = pg::exec(tx,
                          "SELECT f.content_type, f.filename, f.sha256 FROM appeal_file f"
                          " JOIN result_appeal a ON a.id = f.appeal_id WHERE f.id = $1",
                          pg::Params().add(file_id));
        if (r.empty()) throw not_found("附件不存在");
        (void)actor;
        return std::array<std::string, 3>{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    });
    return {row[0], row[1], files::get(data_dir, row[2])};
}

json rows_where(pqxx::transaction_base& tx, const flow::FlowActor& actor, const std::string& where,
                const pg::Params& p) {
    json items = json::array();
    for (const auto& r : pg::exec(
             tx, std::string("SELECT ") + kAppealColumns + kAppealFrom + " WHERE " + where + " ORDER BY a.id DESC", p))
        items.push_back(row_json(tx, r, actor));
    return items;
}

}  // namespace twindraw::appeals
