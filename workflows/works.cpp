#include "workflows/works.hpp"

#include "geo/error.hpp"
#include "workflows/flow-form.hpp"
#include "workflows/flow-states.hpp"
#include "workflows/job-states.hpp"
#include "workflows/notify.hpp"
#include "workflows/xlsx-writer.hpp"

namespace twindraw::works {

using nlohmann::json;

namespace {

json text_or_null(const pqxx::field& f) {
    return f.is_null() ? json() : json(f.c_str());
}

// The work's task and unit, or NotFound: the task is approved, the unit executes it
// and lies in the actor's scope. Locks the task_unit row when lock is set.
json head(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long task_id, long long unit_id,
          bool lock = false) {
    if (!flow::in_scope(tx, actor, unit_id)) throw not_found("抽查工作不存在");
    auto r = pg::exec(
        tx,
        "SELECT t.id, t.name, t.task_type, p.id, p.name, ia.name, t.start_date::text, t.end_date::text,"
        " t.end_date - (now() AT TIME ZONE 'Asia/Shanghai')::date, u.authority_id, a.name, u.unit_role, u.state,"
        " ru.name, to_char(u.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), u.urge_count,"
        " to_char(u.last_urged_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), t.draw_id"
        " FROM task_unit u JOIN inspection_task t ON t.id = u.task_id JOIN annual_plan p ON p.id = t.plan_id"
        " JOIN authority a ON a.id = u.authority_id JOIN authority ia ON ia.id = t.initiating_authority_id"
        " LEFT JOIN app_user_name ru ON ru.id = u.received_by"
        " WHERE u.task_id = $1::bigint AND u.authority_id = $2::bigint AND t.state = 'approved'" +
            std::string(lock ? " FOR UPDATE OF u" : ""),
        pg::Params().add(task_id).add(unit_id));
    if (r.empty()) throw not_found("抽查工作不存在");
    const auto& w = r[0];
    const std::string role = w[11].as<std::string>(), state = w[12].as<std::string>();
    return {{"task_id", w[0].as<long long>()},
            {"task_name", w[1].c_str()},
            {"task_type", w[2].c_str()},
            {"task_type_label", std::string(w[2].c_str()) == "joint" ? "联合抽查" : "单部门抽查"},
            {"plan_id", w[3].as<long long>()},
            {"plan_name", w[4].c_str()},
            {"initiating_name", w[5].c_str()},
            {"start_date", w[6].c_str()},
            {"end_date", w[7].c_str()},
            {"days_left", w[8].as<long long>()},
            {"unit_id", w[9].as<long long>()},
            {"unit_name", w[10].c_str()},
            {"unit_role", role},
            {"unit_role_label", role == "initiating" ? "发起部门" : role == "cooperating" ? "配合部门" : "执行单位"},
            {"state", state},
            {"state_label", flow::state_label(flow::Machine::TaskUnit, state)},
            {"received_by_name", text_or_null(w[13])},
            {"received_at", text_or_null(w[14])},
            {"urge_count", w[15].as<long long>()},
            {"last_urged_at", text_or_null(w[16])},
            {"draw_id", w[17].is_null() ? json() : json(w[17].as<long long>())}};
}

// Jobs by state over the work: total, each state, done (submitted or accepted), objects
// not yet inspected, percent done (integer, of total). A job cancelled by an approved list
// change (DRAW-6) is counted apart and is not part of the total.
json progress(pqxx::transaction_base& tx, long long task_id, long long unit_id) {
    auto r = pg::exec(tx,
                      "SELECT count(*) FILTER (WHERE state <> 'cancelled'), count(*) FILTER (WHERE state = 'pending'),"
                      " count(*) FILTER (WHERE state = 'draft'), count(*) FILTER (WHERE state = 'submitted'),"
                      " count(*) FILTER (WHERE state = 'returned'), count(*) FILTER (WHERE state = 'accepted'),"
                      " count(*) FILTER (WHERE state = 'cancelled')"
                      " FROM inspection_job WHERE id IN (SELECT work_job_ids($1::bigint, $2::bigint))",
                      pg::Params().add(task_id).add(unit_id))[0];
    const long long total = r[0].as<long long>(), submitted = r[3].as<long long>(), accepted = r[5].as<long long>();
    const long long done = submitted + accepted;
    return {{"total", total},
            {"pending", r[1].as<long long>()},
            {"draft", r[2].as<long long>()},
            {"submitted", submitted},
            {"returned", r[4].as<long long>()},
            {"accepted", accepted},
            {"cancelled", r[6].as<long long>()},
            {"done", done},
            {"not_inspected", total - done},
            {"percent", total == 0 ? 0 : done * 100 / total}};
}

const char* kJobRows =
    "SELECT j.id, j.job_no, o.name, o.uscc, o.address, j.state, j.group_no,"
    " (SELECT string_agg(i.name, '、' ORDER BY x.n) FROM unnest(j.inspector_ids) WITH ORDINALITY x(id, n)"
    "   JOIN inspector i ON i.id = x.id),"
    " j.result_category, (SELECT e.label FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
    "   WHERE c.code = 'check_result' AND e.code = j.result_category),"
    " j.qualified, to_char(j.inspected_on, 'YYYY-MM-DD'),"
    " to_char(j.submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), j.findings, j.review_opinion"
    " FROM inspection_job j LEFT JOIN LATERAL job_object_head(j.object_kind, j.object_id) o ON true"
    " WHERE j.id IN (SELECT work_job_ids($1::bigint, $2::bigint)) ORDER BY j.job_no";

json jobs_of(pqxx::transaction_base& tx, long long task_id, long long unit_id) {
    json out = json::array();
    for (const auto& r : pg::exec(tx, kJobRows, pg::Params().add(task_id).add(unit_id))) {
        const std::string st = r[5].as<std::string>();
        out.push_back({{"id", r[0].as<long long>()},
                       {"job_no", r[1].c_str()},
                       {"object_name", text_or_null(r[2])},
                       {"uscc", text_or_null(r[3])},
                       {"address", text_or_null(r[4])},
                       {"state", st},
                       {"state_label", jobs::state_label(st)},
                       {"group_no", r[6].as<long long>()},
                       {"inspectors", text_or_null(r[7])},
                       {"result_category", text_or_null(r[8])},
                       {"result_category_label", text_or_null(r[9])},
                       {"qualified", r[10].is_null() ? json() : json(r[10].as<bool>())},
                       {"inspected_on", text_or_null(r[11])},
                       {"submitted_at", text_or_null(r[12])},
                       {"findings", text_or_null(r[13])},
                       {"review_opinion", text_or_null(r[14])}});
    }
    return out;
}

// The inspectors of the work's jobs, leader first as drawn, with their counts.
json inspectors_of(pqxx::transaction_base& tx, long long task_id, long long unit_id) {
    json out = json::array();
    for (const auto& r : pg::exec(tx,
                                  "SELECT i.id, i.name, i.certificate_no, a.name, i.is_leader, count(*),"
                                  " count(*) FILTER (WHERE j.state IN ('submitted', 'accepted'))"
                                  " FROM inspection_job j CROSS JOIN LATERAL unnest(j.inspector_ids) x(id)"
                                  " JOIN inspector i ON i.id = x.id LEFT JOIN authority a ON a.id = i.authority_id"
                                  " WHERE j.id IN (SELECT work_job_ids($1::bigint, $2::bigint))"
                                  " GROUP BY i.id, i.name, i.certificate_no, a.name, i.is_leader ORDER BY i.id",
                                  pg::Params().add(task_id).add(unit_id)))
        out.push_back({{"id", r[0].as<long long>()},
                       {"name", r[1].c_str()},
                       {"certificate_no", text_or_null(r[2])},
                       {"unit_name", text_or_null(r[3])},
                       {"is_leader", r[4].as<bool>()},
                       {"jobs", r[5].as<long long>()},
                       {"done", r[6].as<long long>()}});
    return out;
}

// Submitted and accepted results per category.
json results_of(pqxx::transaction_base& tx, long long task_id, long long unit_id) {
    json out = json::array();
    for (const auto& r : pg::exec(tx,
                                  "SELECT j.result_category, coalesce(e.label, j.result_category), count(*)"
                                  " FROM inspection_job j LEFT JOIN dict_category c ON c.code = 'check_result'"
                                  " LEFT JOIN dict_entry e ON e.category_id = c.id AND e.code = j.result_category"
                                  " WHERE j.id IN (SELECT work_job_ids($1::bigint, $2::bigint))"
                                  " AND j.state IN ('submitted', 'accepted') AND j.result_category IS NOT NULL"
                                  " GROUP BY 1, 2 ORDER BY 3 DESC, 1",
                                  pg::Params().add(task_id).add(unit_id)))
        out.push_back({{"category", r[0].c_str()}, {"label", r[1].c_str()}, {"count", r[2].as<long long>()}});
    return out;
}

}  // namespace

json summary(pg::Pool& pool, const flow::FlowActor& actor) {
    return pg::with_read(pool, "work-summary", [&](pqxx::read_transaction& tx) {
        const std::string scope = flow::scope_array(tx, actor);
        pg::Params p;
        const std::string units = scope.empty() ? "true" : "u.authority_id = ANY(" + p.next(scope) + "::bigint[])";
        auto w = pg::exec(tx,
                          "SELECT count(*) FILTER (WHERE u.state = 'received'), count(*) FILTER (WHERE u.state = 'waiting')"
                          " FROM task_unit u JOIN inspection_task t ON t.id = u.task_id"
                          " WHERE t.state = 'approved' AND " +
                              units,
                          p)[0];
        // Jobs of the actor's own inspector record; results to review in the jobs it may see.
        auto j = pg::exec(tx,
                          "SELECT count(*) FILTER (WHERE twindraw_inspector_id() = ANY (inspector_ids)"
                          "  AND state IN ('pending', 'draft', 'returned')),"
                          " count(*) FILTER (WHERE state = 'submitted')"
                          " FROM inspection_job")[0];
        const long long waiting = w[1].as<long long>(), to_review = j[1].as<long long>();
        const bool reviews = actor.has("result.review");
        return json{{"ongoing", w[0].as<long long>()},
                    {"waiting", waiting},
                    {"my_open_jobs", j[0].as<long long>()},
                    {"results_to_review", reviews ? to_review : 0},
                    {"department_todos", waiting + (reviews ? to_review : 0)}};
    });
}

json detail(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id) {
    return pg::with_read(pool, "work-detail", [&](pqxx::read_transaction& tx) {
        json w = head(tx, actor, task_id, unit_id);
        w["progress"] = progress(tx, task_id, unit_id);
        w["inspectors"] = inspectors_of(tx, task_id, unit_id);
        w["jobs"] = jobs_of(tx, task_id, unit_id);
        w["results"] = results_of(tx, task_id, unit_id);
        json hist = json::array();
        for (const auto& h : flow::history(tx, {"task", "task_unit"}, task_id))
            if (h["entity"] == "task" || h["unit_id"].is_null() || h["unit_id"] == unit_id) hist.push_back(h);
        w["history"] = hist;
        std::vector<std::string> actions;
        if (actor.has("work.receive") && w["state"] == "received" && w["progress"]["not_inspected"].get<long long>() > 0)
            actions.push_back("urge");
        w["actions"] = actions;
        return w;
    });
}

std::string export_xlsx(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id) {
    const json w = detail(pool, actor, task_id, unit_id);
    auto text = [](const json& v) { return v.is_null() ? std::string() : v.get<std::string>(); };
    xlsx::Workbook wb;
    auto& info = wb.add_sheet("基本信息", {"项目", "内容"}, {16, 60});
    const json& pr = w["progress"];
    for (const auto& [k, v] : std::vector<std::pair<std::string, xlsx::Cell>>{
             {"任务名称", text(w["task_name"])},
             {"任务类型", text(w["task_type_label"])},
             {"年度计划", text(w["plan_name"])},
             {"发起部门", text(w["initiating_name"])},
             {"执行单位", text(w["unit_name"])},
             {"单位角色", text(w["unit_role_label"])},
             {"接收状态", text(w["state_label"])},
             {"接收人", text(w["received_by_name"])},
             {"接收时间", text(w["received_at"])},
             {"执行时间", text(w["start_date"]) + " 至 " + text(w["end_date"])},
             {"剩余天数", w["days_left"].get<long long>()},
             {"检查对象数", pr["total"].get<long long>()},
             {"已检查", pr["done"].get<long long>()},
             {"未检查", pr["not_inspected"].get<long long>()},
             {"完成比例（%）", pr["percent"].get<long long>()},
             {"催办次数", w["urge_count"].get<long long>()}})
        info.add_row({k, v});
    auto& people = wb.add_sheet("执法人员", {"姓名", "执法证号", "所属单位", "组长", "检查对象数", "已完成"},
                                {12, 20, 30, 8, 12, 10});
    for (const auto& i : w["inspectors"])
        people.add_row({text(i["name"]), text(i["certificate_no"]), text(i["unit_name"]),
                        i["is_leader"].get<bool>() ? "是" : "否", i["jobs"].get<long long>(), i["done"].get<long long>()});
    auto& objs = wb.add_sheet("检查对象", {"作业编号", "对象名称", "统一社会信用代码", "地址", "检查组", "执法人员", "状态"},
                              {16, 36, 22, 40, 8, 24, 10});
    for (const auto& j : w["jobs"])
        objs.add_row({text(j["job_no"]), text(j["object_name"]), text(j["uscc"]), text(j["address"]),
                      j["group_no"].get<long long>(), text(j["inspectors"]), text(j["state_label"])});
    auto& res = wb.add_sheet("检查结果", {"作业编号", "对象名称", "检查日期", "结果类别", "是否合格", "主要问题", "提交时间",
                                          "审核意见", "状态"},
                             {16, 36, 12, 30, 10, 40, 20, 30, 10});
    for (const auto& j : w["jobs"]) {
        if (j["state"] != "submitted" && j["state"] != "accepted") continue;
        res.add_row({text(j["job_no"]), text(j["object_name"]), text(j["inspected_on"]),
                     text(j["result_category_label"]),
                     j["qualified"].is_null() ? std::string() : std::string(j["qualified"].get<bool>() ? "合格" : "不合格"),
                     text(j["findings"]), text(j["submitted_at"]), text(j["review_opinion"]), text(j["state_label"])});
    }
    return wb.bytes();
}

json urge(pg::Pool& pool, const flow::FlowActor& actor, long long task_id, long long unit_id, const json& body) {
    if (!body.is_null() && !body.is_object()) throw bad_request("bad_body", "请求体应为 JSON 对象");
    const json in = body.is_object() ? body : json::object();
    flow::Form f(in);
    f.only({"opinion"});
    std::string message = f.text("opinion", "催办说明", 500, false);
    f.throw_if_errors();
    if (message.empty()) message = "请尽快完成本单位的检查作业";
    pg::with_transaction(pool, "work-urge", [&](pqxx::work& tx) {
        const json w = head(tx, actor, task_id, unit_id, true);
        if (w["state"] != "received")
            throw conflict("work_not_received", "本单位尚未接收该任务，不能催办").with("state", w["state"].get<std::string>());
        const long long open = progress(tx, task_id, unit_id)["not_inspected"].get<long long>();
        if (open == 0)
            throw conflict("nothing_to_urge", "本单位的检查作业均已提交，无需催办").with("state", "done");
        pg::exec(tx,
                 "UPDATE task_unit SET urge_count = urge_count + 1, last_urged_at = now()"
                 " WHERE task_id = $1::bigint AND authority_id = $2::bigint",
                 pg::Params().add(task_id).add(unit_id));
        flow::record(tx, "task_unit", task_id, "urge", "received", "received", message, actor, unit_id);
        notify::work_urged(tx, task_id, unit_id, message);
    });
    return detail(pool, actor, task_id, unit_id);
}

}  // namespace twindraw::works
