// Annual plans, tasks, review and receiving through the HTTP API on the demo city,
// signed in as its accounts (yz_assigner, yz_reviewer, yz_head, leader, inspector1)
// plus assigners of a cooperating department and of another district: the whole
// plan → task → review → receive flow, every forbidden transition (409 naming the
// state), the permissions (401/403) and data scopes (404), and form errors (422)
// (PLAN-1..3, TASK-1..7, WORK-3, AUDIT-1/2).
#include "demo-api.hpp"

#include "server/import-queue.hpp"

#include <ogrsf_frmts.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

// The rows of an .xlsx read back with GDAL's XLSX driver: 任务编号 → 任务名称|状态.
std::map<long long, std::string> xlsx_tasks(const std::string& bytes) {
    const std::string path = (std::filesystem::temp_directory_path() / "twindraw-flow-tasks.xlsx").string();
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    GDALAllRegister();
    const char* drivers[] = {"XLSX", nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
    std::map<long long, std::string> out;
    EXPECT_TRUE(ds) << "GDAL cannot open the task export";
    if (ds) {
        // Read by column (GDAL may or may not take the first row as field names):
        // 0 任务编号, 1 任务名称, 10 状态; the header row itself is checked and skipped.
        bool header = false;
        for (auto& f : *ds->GetLayer(0)) {
            const std::string id = f->GetFieldAsString(0);
            if (id == "任务编号") {
                header = std::string(f->GetFieldAsString(10)) == "状态";
                continue;
            }
            out[std::stoll(id)] = std::string(f->GetFieldAsString(1)) + "|" + f->GetFieldAsString(10);
        }
        OGRFeatureDefn* defn = ds->GetLayer(0)->GetLayerDefn();
        EXPECT_TRUE(header || (std::string(defn->GetFieldDefn(0)->GetNameRef()) == "任务编号" &&
                               std::string(defn->GetFieldDefn(10)->GetNameRef()) == "状态"));
    }
    ds.reset();
    std::filesystem::remove(path);
    return out;
}

class FlowApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 20, .seed = 7});
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        // The demo accounts have done their first login; extra assigners for a
        // cooperating department and for another district.
        yuzhong = bureau(tx, "500103");
        health = tx.exec1("SELECT id FROM authority WHERE name = '重庆市卫生健康委员会'")[0].as<long long>();
        shapingba = bureau(tx, "500106");
        auto items = tx.exec("SELECT id FROM inspection_item ORDER BY id LIMIT 2");
        item1 = items[0][0].as<long long>();
        item2 = items[1][0].as<long long>();
        for (auto [account, unit, role] : {std::tuple{"wjw_assigner", health, "task_assigner"},
                                           std::tuple{"spb_assigner", shapingba, "task_assigner"},
                                           std::tuple{"spb_reviewer", shapingba, "task_reviewer"}})
            add_user(tx, account, unit, role);
        tx.commit();
        start_api("flow", [](App& a) {
            imports = new ImportQueue(a.pool);
            a.imports = imports;
        });
    }

    static void TearDownTestSuite() {
        delete imports;
        imports = nullptr;
        stop();
    }

    // Expects 409 naming state; returns the error object.
    static json conflict409(const Response& r, const std::string& state) {
        EXPECT_EQ(r.status, 409) << r.body;
        auto e = json::parse(r.body)["error"];
        EXPECT_EQ(e.value("state", ""), state) << r.body;
        EXPECT_FALSE(e.value("message", "").empty());
        return e;
    }

    static json plan_body(const std::string& name, bool joint) {
        json b = {{"year", 2026},
                  {"name", name},
                  {"plan_type", joint ? "joint" : "single"},
                  {"item_ids", {item1, item2}},
                  {"object_scope", "渝中区食品经营者"},
                  {"start_date", "2026-03-01"},
                  {"end_date", "2026-11-30"},
                  {"ratio", 5},
                  {"object_count", 120}};
        if (joint) b["cooperating_authority_ids"] = {health};
        return b;
    }

    static json draw_params() {
        return json::parse(R"({
            "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                        "strata": [{"risk_level": 4, "ratio": 20}, {"risk_level": 3, "credit_level": "C", "count": 5},
                                   {"ratio": 3}]},
            "inspectors": {"scope": "bureau"},
            "groups": {"count": 2, "inspectors_per_group": 2}})");
    }

    static json task_body(long long plan_id, const std::string& name, bool joint) {
        json b = {{"plan_id", plan_id},
                  {"name", name},
                  {"task_type", joint ? "joint" : "single"},
                  {"item_ids", {item1}},
                  {"start_date", "2026-04-01"},
                  {"end_date", "2026-06-30"},
                  {"description", "按年度计划开展"},
                  {"draw_params", draw_params()}};
        if (joint) b["cooperating_authority_ids"] = {health};
        return b;
    }

    // A distributed plan of 渝中区, made by yz_assigner.
    static long long distributed_plan(const std::string& name, bool joint) {
        return DemoApiTest::distributed_plan(plan_body(name, joint));
    }

    // A task of that plan in the given state: created, submitted, returned or approved.
    static long long task_in(const std::string& state, const std::string& name, bool joint = false) {
        long long plan = distributed_plan("计划-" + name, joint);
        json body = task_body(plan, name, joint);
        if (state != "returned") return task_in_state(body, state);
        long long id = task_in_state(body, "submitted");
        ok(call("yz_reviewer", "POST", "/api/tasks/" + std::to_string(id) + "/return", {{"opinion", "请补充说明"}}));
        return id;
    }

    static bool has_id(const json& list, long long id, const char* key = "id") {
        for (const auto& it : list["items"])
            if (it[key] == id) return true;
        return false;
    }

    static inline ImportQueue* imports = nullptr;
    static inline long long yuzhong = 0, health = 0, shapingba = 0, item1 = 0, item2 = 0;
};

}  // namespace

TEST_F(FlowApi, PlanToTaskToReviewToReceiveAsTheDemoRoles) {
    // The assigner makes a joint annual plan (D.1) and distributes it; the public page
    // then shows it.
    auto plan = ok(call("yz_assigner", "POST", "/api/plans", plan_body("2026年度食品安全联合抽查计划", true)), 201);
    const long long plan_id = plan["id"];
    const std::string p = "/api/plans/" + std::to_string(plan_id);
    EXPECT_EQ(plan["state"], "draft");
    EXPECT_EQ(plan["state_label"], "未分发");
    EXPECT_EQ(plan["initiating_authority_id"], yuzhong);
    EXPECT_EQ(plan["cooperating_names"], json::array({"重庆市卫生健康委员会"}));
    EXPECT_EQ(plan["ratio"], 5.0);
    EXPECT_EQ(plan["actions"], json::array({"edit", "delete", "distribute"}));
    EXPECT_FALSE(has_id(ok(call("", "GET", "/api/public/plans")), plan_id));
    EXPECT_FALSE(has_id(ok(call("yz_assigner", "GET", "/api/plans?selectable=1")), plan_id));

    plan = ok(call("yz_assigner", "POST", p + "/distribute", {{"opinion", "请各部门按计划执行"}}));
    EXPECT_EQ(plan["state"], "distributed");
    EXPECT_EQ(plan["target_unit_ids"], json::array({yuzhong, health}));
    EXPECT_EQ(plan["publish_version"], 1);
    EXPECT_EQ(plan["actions"], json::array({"recall"}));
    auto pub = ok(call("", "GET", "/api/public/plans?year=2026"));
    ASSERT_TRUE(has_id(pub, plan_id)) << pub.dump();
    for (const auto& it : pub["items"])
        if (it["id"] == plan_id) {
            EXPECT_EQ(it["name"], "2026年度食品安全联合抽查计划");
            EXPECT_EQ(it["cooperating_names"], json::array({"重庆市卫生健康委员会"}));
            EXPECT_EQ(it["object_count"], 120);
            EXPECT_FALSE(it.contains("created_by"));
        }
    EXPECT_TRUE(has_id(ok(call("yz_assigner", "GET", "/api/plans?selectable=1")), plan_id));
    // The cooperating department sees the distributed plan too.
    EXPECT_TRUE(has_id(ok(call("wjw_assigner", "GET", "/api/plans?selectable=1")), plan_id));

    // A joint task from the plan, with its draw parameters.
    auto task = ok(call("yz_assigner", "POST", "/api/tasks", task_body(plan_id, "渝中区餐饮联合抽查", true)), 201);
    const long long task_id = task["id"];
    const std::string t = "/api/tasks/" + std::to_string(task_id);
    EXPECT_EQ(task["state"], "created");
    EXPECT_EQ(task["unit_count"], 2);
    EXPECT_EQ(task["draw_params"]["objects"]["strata"].size(), 3u);
    EXPECT_EQ(task["draw_params"]["groups"]["count"], 2);
    EXPECT_EQ(task["actions"], json::array({"edit", "delete", "submit"}));

    ok(call("yz_assigner", "POST", t + "/submit", {{"opinion", "请审核"}}));
    // The reviewer finds it among the pending ones, may approve or return it, and
    // returns it with a reason (a return without one is refused).
    auto pending = ok(call("yz_reviewer", "GET", "/api/tasks?state=submitted"));
    ASSERT_TRUE(has_id(pending, task_id));
    for (const auto& it : pending["items"])
        if (it["id"] == task_id) {
            EXPECT_EQ(it["actions"], json::array({"approve", "return"}));
        }
    auto r = call("yz_reviewer", "POST", t + "/return", json::object());
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["field"], "opinion");
    task = ok(call("yz_reviewer", "POST", t + "/return", {{"opinion", "高风险层抽查比例过高，请调整"}}));
    EXPECT_EQ(task["state"], "returned");
    EXPECT_EQ(task["review_opinion"], "高风险层抽查比例过高，请调整");

    // The assigner corrects the strata and submits again; the reviewer approves.
    json params = draw_params();
    params["objects"]["strata"][0]["ratio"] = 10;
    task = ok(call("yz_assigner", "PUT", t, {{"draw_params", params}}));
    EXPECT_EQ(task["state"], "returned");
    EXPECT_EQ(task["draw_params"]["objects"]["strata"][0]["ratio"], 10.0);
    EXPECT_EQ(task["name"], "渝中区餐饮联合抽查");  // untouched fields stay
    ok(call("yz_assigner", "POST", t + "/submit"));
    task = ok(call("yz_reviewer", "POST", t + "/approve", {{"opinion", "同意，按计划执行"}}));
    EXPECT_EQ(task["state"], "approved");
    EXPECT_EQ(task["state_label"], "审核通过");
    EXPECT_EQ(task["reviewed_by_name"], "渝中区任务审核员");

    // Each executing department's assigner receives it.
    auto works = ok(call("wjw_assigner", "GET", "/api/works?state=waiting"));
    ASSERT_TRUE(has_id(works, task_id, "task_id")) << works.dump();
    for (const auto& it : works["items"])
        if (it["task_id"] == task_id) {
            EXPECT_EQ(it["unit_id"], health);
            EXPECT_EQ(it["actions"], json::array({"receive"}));
        }
    auto detail = ok(call("yz_assigner", "POST", t + "/receive", json::object()));
    for (const auto& u : detail["units"]) {
        EXPECT_EQ(u["state"], u["authority_id"] == yuzhong ? "received" : "waiting") << u.dump();
    }
    detail = ok(call("wjw_assigner", "POST", t + "/receive", {{"opinion", "已安排执法人员"}}));
    EXPECT_EQ(detail["received_count"], 2);
    EXPECT_TRUE(ok(call("wjw_assigner", "GET", "/api/works?state=waiting"))["items"].empty() ||
                !has_id(ok(call("wjw_assigner", "GET", "/api/works?state=waiting")), task_id, "task_id"));

    // The reviewer urges the approved task.
    task = ok(call("yz_reviewer", "POST", t + "/urge", {{"opinion", "请于本周内完成"}}));
    EXPECT_EQ(task["urge_count"], 1);

    // The detail shows every unit's progress and the whole flow history.
    detail = ok(call("yz_head", "GET", t));
    ASSERT_EQ(detail["units"].size(), 2u);
    EXPECT_EQ(detail["units"][0]["unit_role"], "initiating");
    EXPECT_EQ(detail["units"][0]["received_by_name"], "渝中区任务分配员");
    EXPECT_EQ(detail["units"][1]["name"], "重庆市卫生健康委员会");
    EXPECT_EQ(detail["units"][1]["state_label"], "已接收");
    std::vector<std::string> steps;
    for (const auto& h : detail["history"])
        steps.push_back(h["action"].get<std::string>() + ":" + h["user_name"].get<std::string>());
    EXPECT_EQ(steps,
              (std::vector<std::string>{"create:渝中区任务分配员", "submit:渝中区任务分配员", "return:渝中区任务审核员",
                                        "edit:渝中区任务分配员", "submit:渝中区任务分配员", "approve:渝中区任务审核员",
                                        "receive:渝中区任务分配员", "receive:wjw_assigner", "urge:渝中区任务审核员"}));
    EXPECT_EQ(detail["history"][2]["from_state"], "submitted");
    EXPECT_EQ(detail["history"][2]["to_state"], "returned");
    EXPECT_EQ(detail["history"][2]["opinion"], "高风险层抽查比例过高，请调整");
    EXPECT_EQ(detail["history"][7]["unit_name"], "重庆市卫生健康委员会");
    EXPECT_EQ(detail["history"][7]["opinion"], "已安排执法人员");

    auto plan_detail = ok(call("yz_head", "GET", p));
    ASSERT_EQ(plan_detail["history"].size(), 2u);
    EXPECT_EQ(plan_detail["history"][1]["action"], "distribute");
    EXPECT_EQ(plan_detail["history"][1]["opinion"], "请各部门按计划执行");
    ASSERT_EQ(plan_detail["tasks"].size(), 1u);
    EXPECT_EQ(plan_detail["tasks"][0]["state"], "approved");

    // The export lists the task; the audit trail has every change with its actor.
    r = call("yz_head", "GET", "/api/tasks/export.xlsx?state=approved");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.substr(0, 2), "PK");
    EXPECT_NE(r.content_type.find("spreadsheetml"), std::string::npos);
    auto rows = xlsx_tasks(r.body);
    EXPECT_EQ(rows[task_id], "渝中区餐饮联合抽查|审核通过");
    r = call("spb_reviewer", "GET", "/api/tasks/export.xlsx");  // another district's export leaves it out
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(xlsx_tasks(r.body).count(task_id), 0u);
    pqxx::connection c(db->url());
    pqxx::read_transaction tx(c);
    auto audit = tx.exec_params1(
        "SELECT count(*), count(*) FILTER (WHERE u.account = 'yz_reviewer') FROM audit_log a"
        " LEFT JOIN app_user u ON u.id = a.user_id WHERE a.entity = 'inspection_task' AND a.entity_id = $1",
        std::to_string(task_id));
    EXPECT_GE(audit[0].as<int>(), 7);
    EXPECT_GE(audit[1].as<int>(), 3);
    EXPECT_GE(tx.exec_params1("SELECT count(*) FROM audit_log WHERE entity = 'task_unit' AND action = 'update'"
                              " AND entity_id LIKE $1 || ',%'",
                              std::to_string(task_id))[0]
                  .as<int>(),
              2);
}

TEST_F(FlowApi, ForbiddenTransitionsAre409NamingTheCurrentState) {
    // Plans: a distributed plan is neither edited, deleted nor distributed again; a
    // draft is not recalled.
    long long plan = distributed_plan("不可编辑的计划", false);
    const std::string p = "/api/plans/" + std::to_string(plan);
    conflict409(call("yz_assigner", "PUT", p, {{"name", "改名"}}), "distributed");
    conflict409(call("yz_assigner", "DELETE", p), "distributed");
    conflict409(call("yz_assigner", "POST", p + "/distribute", json::object()), "distributed");
    long long draft = ok(call("yz_assigner", "POST", "/api/plans", plan_body("草稿计划", false)), 201)["id"];
    conflict409(call("yz_assigner", "POST", "/api/plans/" + std::to_string(draft) + "/recall", json::object()),
                "draft");
    // No task from an undistributed or recalled plan.
    auto e = conflict409(call("yz_assigner", "POST", "/api/tasks", task_body(draft, "草稿上的任务", false)), "draft");
    EXPECT_EQ(e["code"], "plan_not_distributed");
    ok(call("yz_assigner", "POST", p + "/recall", {{"opinion", "计划调整"}}));
    conflict409(call("yz_assigner", "POST", p + "/recall", json::object()), "recalled");
    conflict409(call("yz_assigner", "POST", "/api/tasks", task_body(plan, "回收计划上的任务", false)), "recalled");

    // Tasks, state by state.
    long long created = task_in("created", "已创建的任务");
    const std::string tc = "/api/tasks/" + std::to_string(created);
    conflict409(call("yz_reviewer", "POST", tc + "/approve", json::object()), "created");
    conflict409(call("yz_reviewer", "POST", tc + "/return", {{"opinion", "x"}}), "created");
    conflict409(call("yz_reviewer", "POST", tc + "/urge", json::object()), "created");
    conflict409(call("yz_assigner", "POST", tc + "/receive", json::object()), "created");

    long long submitted = task_in("submitted", "待审核的任务");
    const std::string ts = "/api/tasks/" + std::to_string(submitted);
    conflict409(call("yz_assigner", "PUT", ts, {{"name", "改名"}}), "submitted");
    conflict409(call("yz_assigner", "DELETE", ts), "submitted");
    conflict409(call("yz_assigner", "POST", ts + "/submit"), "submitted");
    conflict409(call("yz_reviewer", "POST", ts + "/urge", json::object()), "submitted");
    e = conflict409(call("yz_assigner", "POST", ts + "/receive", json::object()), "submitted");
    EXPECT_EQ(e["code"], "task_not_approved");

    long long approved = task_in("approved", "已通过的任务");
    const std::string ta = "/api/tasks/" + std::to_string(approved);
    conflict409(call("yz_assigner", "PUT", ta, {{"name", "改名"}}), "approved");
    conflict409(call("yz_assigner", "DELETE", ta), "approved");
    conflict409(call("yz_assigner", "POST", ta + "/submit"), "approved");
    conflict409(call("yz_reviewer", "POST", ta + "/approve", json::object()), "approved");
    conflict409(call("yz_reviewer", "POST", ta + "/return", {{"opinion", "x"}}), "approved");
    // The plan of a task cannot be deleted, even once recalled.
    const std::string pa =
        "/api/plans/" + std::to_string(ok(call("yz_assigner", "GET", ta))["plan_id"].get<long long>());
    ok(call("yz_assigner", "POST", pa + "/recall", json::object()));
    e = conflict409(call("yz_assigner", "DELETE", pa), "recalled");
    EXPECT_EQ(e["code"], "plan_has_tasks");
    ok(call("yz_assigner", "POST", ta + "/receive", json::object()));
    e = conflict409(call("yz_assigner", "POST", ta + "/receive", json::object()), "received");
    EXPECT_EQ(e["action"], "receive");

    long long returned = task_in("returned", "已退回的任务");
    const std::string tr = "/api/tasks/" + std::to_string(returned);
    conflict409(call("yz_reviewer", "POST", tr + "/approve", json::object()), "returned");
    conflict409(call("yz_reviewer", "POST", tr + "/urge", json::object()), "returned");
    // ... but a returned task is edited, resubmitted, or deleted.
    ok(call("yz_assigner", "PUT", tr, {{"description", "已补充说明"}}));
    ok(call("yz_assigner", "DELETE", tr), 204);
    EXPECT_EQ(call("yz_assigner", "GET", tr).status, 404);

    // A failed transition changes nothing.
    auto still = ok(call("yz_assigner", "GET", ts));
    EXPECT_EQ(still["state"], "submitted");
    EXPECT_EQ(still["name"], "待审核的任务");
}

TEST_F(FlowApi, EveryRouteNeedsItsPermissionAndScope) {
    long long plan = distributed_plan("权限检查计划", false);
    long long task = task_in("submitted", "权限检查任务");
    long long draft = ok(call("yz_assigner", "POST", "/api/plans", plan_body("本区草稿", false)), 201)["id"];
    const std::string P = std::to_string(plan), T = std::to_string(task), D = std::to_string(draft);
    struct Route {
        std::string method, path;
        std::string allowed;  // an account the route lets through
    };
    const std::vector<Route> routes = {
        {"GET", "/api/plans", "leader"},
        {"POST", "/api/plans", "yz_assigner"},
        {"GET", "/api/plans/" + P, "leader"},
        {"PUT", "/api/plans/" + D, "yz_assigner"},
        {"POST", "/api/plans/" + D + "/distribute", "yz_assigner"},
        {"POST", "/api/plans/" + P + "/recall", "yz_assigner"},
        {"DELETE", "/api/plans/" + D, "yz_assigner"},
        {"GET", "/api/tasks", "leader"},
        {"GET", "/api/tasks/export.xlsx", "leader"},
        {"POST", "/api/tasks", "yz_assigner"},
        {"GET", "/api/tasks/" + T, "yz_head"},
        {"PUT", "/api/tasks/" + T, "yz_assigner"},
        {"DELETE", "/api/tasks/" + T, "yz_assigner"},
        {"POST", "/api/tasks/" + T + "/submit", "yz_assigner"},
        {"POST", "/api/tasks/" + T + "/approve", "yz_reviewer"},
        {"POST", "/api/tasks/" + T + "/return", "yz_head"},
        {"POST", "/api/tasks/" + T + "/urge", "yz_reviewer"},
        {"POST", "/api/tasks/" + T + "/receive", "yz_assigner"},
        {"GET", "/api/works", "yz_reviewer"},
    };
    for (const auto& r : routes) {
        const std::string what = r.method + " " + r.path;
        const json body = r.method == "GET" || r.method == "DELETE" ? json() : json::object();
        auto res = call("", r.method, r.path, body);
        EXPECT_EQ(res.status, 401) << what;
        EXPECT_EQ(json::parse(res.body)["error"]["code"], "unauthenticated") << what;
        res = call("inspector1", r.method, r.path, body);  // 执法人员: none of these
        EXPECT_EQ(res.status, 403) << what << res.body;
        EXPECT_EQ(json::parse(res.body)["error"]["code"], "forbidden") << what;
    }
    // Each role only where its permissions reach: the leader reads, the reviewer does
    // not make plans or tasks, the assigner does not review, the head reviews.
    auto denied = [&](const std::string& account, const std::string& method, const std::string& path) {
        auto res = call(account, method, path, method == "GET" || method == "DELETE" ? json() : json::object());
        EXPECT_EQ(res.status, 403) << account << " " << method << " " << path << res.body;
    };
    denied("leader", "POST", "/api/plans");
    denied("leader", "POST", "/api/plans/" + D + "/distribute");
    denied("leader", "POST", "/api/tasks/" + T + "/approve");
    denied("yz_reviewer", "POST", "/api/plans");
    denied("yz_reviewer", "PUT", "/api/plans/" + D);
    denied("yz_reviewer", "POST", "/api/tasks");
    denied("yz_reviewer", "POST", "/api/tasks/" + T + "/receive");
    denied("yz_assigner", "POST", "/api/tasks/" + T + "/approve");
    denied("yz_assigner", "POST", "/api/tasks/" + T + "/return");
    denied("yz_assigner", "POST", "/api/tasks/" + T + "/urge");
    denied("yz_head", "POST", "/api/plans/" + D + "/distribute");
    for (const auto& [account, path] : std::vector<std::pair<std::string, std::string>>{
             {"leader", "/api/plans/" + P}, {"leader", "/api/tasks/" + T}, {"yz_head", "/api/tasks/" + T}}) {
        EXPECT_EQ(call(account, "GET", path).status, 200) << account << " " << path;
    }
    EXPECT_EQ(call("", "GET", "/api/public/plans").status, 200);

    // Scope: another district neither sees 渝中区's draft plan nor its task under
    // review, cannot review it, and cannot make a task from a plan not sent to it.
    EXPECT_EQ(call("spb_assigner", "GET", "/api/plans/" + D).status, 404);
    EXPECT_FALSE(has_id(ok(call("spb_assigner", "GET", "/api/plans")), draft));
    EXPECT_EQ(call("spb_assigner", "PUT", "/api/plans/" + D, {{"name", "x"}}).status, 404);
    EXPECT_EQ(call("spb_reviewer", "GET", "/api/tasks/" + T).status, 404);
    EXPECT_EQ(call("spb_reviewer", "POST", "/api/tasks/" + T + "/approve", json::object()).status, 404);
    EXPECT_FALSE(has_id(ok(call("spb_reviewer", "GET", "/api/tasks")), task));
    auto res = call("spb_assigner", "POST", "/api/tasks", task_body(plan, "越权任务", false));
    EXPECT_EQ(res.status, 422) << res.body;
    EXPECT_EQ(json::parse(res.body)["error"]["field"], "plan_id") << res.body;
    // Naming another district as the initiating department is refused.
    json body = plan_body("替沙坪坝制定", false);
    body["initiating_authority_id"] = shapingba;
    res = call("yz_assigner", "POST", "/api/plans", body);
    EXPECT_EQ(res.status, 422);
    EXPECT_EQ(json::parse(res.body)["error"]["field"], "initiating_authority_id");
    // A cooperating department sees the joint plan once distributed, but changes
    // nothing of it: 403, not being the initiator.
    long long joint = distributed_plan("联合计划-只读", true);
    EXPECT_EQ(call("wjw_assigner", "GET", "/api/plans/" + std::to_string(joint)).status, 200);
    res = call("wjw_assigner", "POST", "/api/plans/" + std::to_string(joint) + "/recall", json::object());
    EXPECT_EQ(res.status, 403);
    EXPECT_EQ(json::parse(res.body)["error"]["code"], "not_initiator");
}

TEST_F(FlowApi, BadFormsAre422NamingEachField) {
    auto fields = [](const Response& r) {
        std::set<std::string> out;
        EXPECT_EQ(r.status, 422) << r.body;
        const json body = json::parse(r.body);
        for (const auto& e : body["error"]["errors"]) out.insert(e["field"].get<std::string>());
        return out;
    };
    auto f = fields(call("yz_assigner", "POST", "/api/plans",
                         {{"year", 1999},
                          {"plan_type", "joint"},
                          {"start_date", "2026-02-30"},
                          {"end_date", "2026-01-01"},
                          {"ratio", 150},
                          {"item_ids", {999999}},
                          {"colour", "red"}}));
    for (const char* k :
         {"year", "name", "cooperating_authority_ids", "start_date", "ratio", "item_ids", "object_scope", "colour"}) {
        EXPECT_TRUE(f.count(k)) << k;
    }
    json b = plan_body("结束早于开始", false);
    b["end_date"] = "2026-02-01";
    EXPECT_TRUE(fields(call("yz_assigner", "POST", "/api/plans", b)).count("end_date"));
    EXPECT_EQ(call("yz_assigner", "POST", "/api/plans", "not json").status, 400);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/plans/abc").status, 400);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/plans?state=lost").status, 400);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/tasks?page_size=1000").status, 400);

    long long plan = distributed_plan("表单检查计划", false);
    json t = task_body(plan, "表单检查任务", false);
    t["end_date"] = "2027-01-31";  // outside the plan's window
    t["item_ids"] = {item1, 999999};
    t["draw_params"]["objects"]["strata"].push_back({{"ratio", 3}});  // a duplicate stratum
    t["draw_params"]["objects"]["division_codes"] = {"999999"};
    t["draw_params"]["groups"]["inspectors_per_group"] = 1;
    f = fields(call("yz_assigner", "POST", "/api/tasks", t));
    for (const char* k : {"end_date", "item_ids", "draw_params.objects.strata[3]", "draw_params.objects.division_codes",
                          "draw_params.groups.inspectors_per_group"}) {
        EXPECT_TRUE(f.count(k)) << k;
    }
    // A task is submitted only with complete draw parameters.
    json bare = task_body(plan, "无抽取参数", false);
    bare.erase("draw_params");
    long long id = ok(call("yz_assigner", "POST", "/api/tasks", bare), 201)["id"];
    auto r = call("yz_assigner", "POST", "/api/tasks/" + std::to_string(id) + "/submit");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "draw_params_incomplete");
    EXPECT_EQ(ok(call("yz_assigner", "GET", "/api/tasks/" + std::to_string(id)))["state"], "created");
    // Nothing half-written: the refused task left no rows.
    pqxx::connection c(db->url());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM inspection_task WHERE name = '表单检查任务'")[0].as<int>(), 0);
}

TEST_F(FlowApi, RecalledJointPlanLeavesThePublicPageAndComesBackAsANewVersion) {
    long long plan = distributed_plan("2026年度特种设备联合抽查计划", true);
    const std::string p = "/api/plans/" + std::to_string(plan);
    auto version_of = [&]() -> long long {
        const json pub = ok(call("", "GET", "/api/public/plans"));
        for (const auto& it : pub["items"])
            if (it["id"] == plan) return it["publish_version"];
        return 0;
    };
    EXPECT_EQ(version_of(), 1);
    ok(call("yz_assigner", "POST", p + "/recall", {{"opinion", "调整抽查比例"}}));
    EXPECT_EQ(version_of(), 0);
    EXPECT_FALSE(has_id(ok(call("yz_assigner", "GET", "/api/plans?selectable=1")), plan));
    EXPECT_FALSE(has_id(ok(call("wjw_assigner", "GET", "/api/plans?selectable=1")), plan));
    auto edited = ok(call("yz_assigner", "PUT", p, {{"ratio", 8}}));
    EXPECT_EQ(edited["state"], "recalled");
    EXPECT_EQ(edited["ratio"], 8.0);
    ok(call("yz_assigner", "POST", p + "/distribute", json::object()));
    EXPECT_EQ(version_of(), 2);
    auto detail = ok(call("yz_assigner", "GET", p));
    std::vector<std::string> steps;
    for (const auto& h : detail["history"]) steps.push_back(h["action"]);
    EXPECT_EQ(steps, (std::vector<std::string>{"create", "distribute", "recall", "edit", "distribute"}));
    EXPECT_EQ(detail["history"][2]["opinion"], "调整抽查比例");
    // A single-department plan is never public.
    long long single = distributed_plan("单部门计划", false);
    EXPECT_FALSE(has_id(ok(call("", "GET", "/api/public/plans")), single));
}

TEST_F(FlowApi, ConcurrentDecisionsOnOneTaskLeaveExactlyOne) {
    // Reviewers approving and returning the same task at once, and two receives of the
    // same unit: the row lock lets one through; the others see the new state (409).
    long long task = task_in("submitted", "并发审核的任务");
    const std::string t = "/api/tasks/" + std::to_string(task);
    token("yz_reviewer");
    token("yz_head");
    std::vector<int> status(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            const bool approve = i % 2 == 0;
            status[i] = call(i < 4 ? "yz_reviewer" : "yz_head", "POST", t + (approve ? "/approve" : "/return"),
                             {{"opinion", "并发 " + std::to_string(i)}})
                            .status;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(std::count(status.begin(), status.end(), 200), 1);
    EXPECT_EQ(std::count(status.begin(), status.end(), 409), 7);
    auto detail = ok(call("yz_head", "GET", t));
    int decisions = 0;
    for (const auto& h : detail["history"])
        if (h["action"] == "approve" || h["action"] == "return") ++decisions;
    EXPECT_EQ(decisions, 1);

    if (detail["state"] == "returned") {  // bring it to approved for the receive race
        ok(call("yz_assigner", "POST", t + "/submit"));
        ok(call("yz_reviewer", "POST", t + "/approve", json::object()));
    }
    token("yz_assigner");
    std::vector<int> rs(4);
    threads.clear();
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] { rs[i] = call("yz_assigner", "POST", t + "/receive", json::object()).status; });
    for (auto& th : threads) th.join();
    EXPECT_EQ(std::count(rs.begin(), rs.end(), 200), 1);
    EXPECT_EQ(std::count(rs.begin(), rs.end(), 409), 3);
}
