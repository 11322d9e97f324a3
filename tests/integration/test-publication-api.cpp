// Publication of accepted results through the HTTP API on the demo city (PUB-1..3):
// yz_assigner draws and confirms two stand-alone draws over 渝中区; every job of the first
// is submitted by its group and accepted by yz_reviewer (the "task" completes), one job of
// the second is accepted (its task does not complete). yz_admin publishes; the deadline
// is 20 working days after completion (checked against the SQL calendar functions) and
// the late flag follows a completion moved into the past; corrections are requested by
// yz_admin and approved or refused by yz_head; every forbidden transition answers 409
// with the current state; the public API (no login) shows published data only, and its
// XLSX and CSV exports are read back.
#include "demo-api.hpp"

#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

class PublicationApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 1500, .seed = 17});
        pqxx::connection c(db->url());
        {
            pqxx::work tx(c);
            yuzhong = bureau(tx, "500103");
            const long long shapingba = bureau(tx, "500106");
            const auto ins = four_inspectors(tx, yuzhong);
            // Two groups, each led by one inspector and holding one more: every group has
            // an inspector with an account (inspector1..3) who can submit its jobs.
            tx.exec_params(
                "UPDATE inspector SET active = (id IN ($2, $3, $4, $5)), is_leader = (id IN ($2, $5)),"
                " qualifications = '{}', specialties = '{}' WHERE authority_id = $1",
                yuzhong, ins[1], ins[2], ins[3], ins[4]);
            item = tx.exec1("SELECT id FROM inspection_item WHERE importance = 'key' ORDER BY id LIMIT 1")[0]
                       .as<long long>();
            add_user(tx, "spb_head", shapingba, "department_head", 0, "沙坪坝部门负责人");
            tx.commit();
        }
        start_api();
        set_draw_password();
        draw_a = draw("2026年渝中区结果公示测试");
        draw_b = draw("2026年渝中区未完成的抽查");
        // Every job of draw A goes through submit and accept; one job of draw B too.
        for (long long job : jobs_of(draw_a)) complete(job);
        complete(jobs_of(draw_b).front());
    }

    static void TearDownTestSuite() { stop(); }

    static long long draw(const std::string& title) {
        const long long id = new_draw(yuzhong_draw_body(title, item, yuzhong, "\"count\":1"));
        confirm_draw(id);
        return id;
    }

    static std::vector<long long> jobs_of(long long draw_id) {
        pqxx::connection c(db->url());
        pqxx::read_transaction tx(c);
        std::vector<long long> out;
        for (const auto& r : tx.exec_params("SELECT id FROM inspection_job WHERE draw_id = $1 ORDER BY id", draw_id))
            out.push_back(r[0].as<long long>());
        EXPECT_GE(out.size(), 2u) << "draw " << draw_id;
        return out;
    }

    // The group's inspector with an account submits the complete form (the inspected
    // party refused to sign); yz_reviewer accepts.
    static void complete(long long job) {
        const std::string path = "/api/jobs/" + std::to_string(job);
        std::string who;
        json detail;
        for (const char* a : {"inspector1", "inspector2", "inspector3"}) {
            auto r = call(a, "GET", path);
            if (r.status == 200) {
                who = a;
                detail = json::parse(r.body);
                break;
            }
        }
        ASSERT_FALSE(who.empty()) << "no inspector with an account in the group of job " << job;
        json items = json::array();
        for (const auto& it : detail["items"])
            items.push_back({{"item_id", it["item_id"]}, {"content", "查验营业执照与公示信息"}, {"qualified", true}});
        json f = {{"inspected_on", "2026-03-02"}, {"place", "经营场所"},
                  {"result_category", "01"},      {"qualified", true},
                  {"findings", "未发现问题"},     {"item_results", items},
                  {"signature_refused", true},    {"refusal_note", "拒绝签字，二人见证"}};
        if (detail["advance_notice"] == "required") f["notice_given"] = "2026-03-01 电话告知";
        auto r = call(who, "POST", path + "/submit", f.dump());
        ASSERT_EQ(r.status, 200) << r.body;
        r = call("yz_reviewer", "POST", "/api/results/" + std::to_string(job) + "/accept", "{}");
        ASSERT_EQ(r.status, 200) << r.body;
    }

    static Response anon(const std::string& target) { return raw("GET", target, "", ""); }

    static json results(const std::string& account, const std::string& query) {
        auto r = call(account, "GET", "/api/publication/results?page_size=100&" + query);
        EXPECT_EQ(r.status, 200) << r.body;
        return parse(r);
    }
    static json item_of(const json& list, long long job) {
        for (const auto& i : list["items"])
            if (i["job_id"] == job) return i;
        return nullptr;
    }

    // Owner SQL for what the API does not say (independent checks and time travel).
    static pqxx::result sql(const std::string& q) {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        auto r = tx.exec(q);
        tx.commit();
        return r;
    }

    static void expect_conflict(const Response& r, const std::string& state) {
        EXPECT_EQ(r.status, 409) << r.body;
        if (r.status == 409) {
            EXPECT_EQ(parse(r)["error"]["state"], state) << r.body;
        }
    }

    // ctest runs each test in its own process: the steps a test builds on are repeated
    // here idempotently. The completion of draw A moved 60 days before its acceptance
    // (every result late), all of draw A published, and the approved correction of its
    // second result to category 07.
    static void move_completion_back() {
        sql("UPDATE task_completion SET completed_on = (completed_at AT TIME ZONE 'Asia/Shanghai')::date - 60"
            " WHERE draw_id = " +
            std::to_string(draw_a));
    }
    static void publish_draw_a() {
        move_completion_back();
        json ids = json::array();
        for (long long j : jobs_of(draw_a))
            if (sql("SELECT 1 FROM result_publication WHERE job_id = " + std::to_string(j)).empty()) ids.push_back(j);
        if (ids.empty()) return;
        auto r = call("yz_admin", "POST", "/api/publication/publish", json({{"job_ids", ids}}).dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    static void correct_second_result() {
        publish_draw_a();
        const std::string job = std::to_string(jobs_of(draw_a)[1]);
        if (!sql("SELECT 1 FROM result_correction c JOIN result_publication p ON p.id = c.publication_id"
                 " WHERE p.job_id = " +
                 job + " AND c.state = 'approved'")
                 .empty())
            return;
        auto r = call("yz_admin", "POST", "/api/publication/results/" + job + "/corrections", kCorrection);
        ASSERT_EQ(r.status, 201) << r.body;
        r = call("yz_head", "POST",
                 "/api/publication/corrections/" + std::to_string(parse(r)["id"].get<long long>()) + "/approve",
                 R"({"opinion":"同意更正"})");
        ASSERT_EQ(r.status, 200) << r.body;
    }
    static inline const std::string kCorrection =
        R"({"reason":"复核发现经营场所存在问题","result_category":"07","qualified":false,"findings":"需进一步整改"})";

    static inline long long yuzhong = 0, item = 0, draw_a = 0, draw_b = 0;
};

TEST_F(PublicationApi, ATaskCompletesWhenEveryJobIsAccepted) {
    auto a =
        sql("SELECT jobs, completed_on = (SELECT max(reviewed_at) AT TIME ZONE 'Asia/Shanghai' FROM inspection_job"
            " WHERE draw_id = " +
            std::to_string(draw_a) + ")::date FROM task_completion WHERE draw_id = " + std::to_string(draw_a));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0][0].as<size_t>(), jobs_of(draw_a).size());
    EXPECT_TRUE(a[0][1].as<bool>());
    EXPECT_TRUE(sql("SELECT 1 FROM task_completion WHERE draw_id = " + std::to_string(draw_b)).empty());
    // The accepted job of the incomplete draw is listed as such and cannot be published.
    const long long b_job = jobs_of(draw_b).front();
    auto incomplete = results("yz_admin", "status=incomplete");
    ASSERT_FALSE(item_of(incomplete, b_job).is_null()) << incomplete.dump();
    EXPECT_EQ(item_of(incomplete, b_job)["state_label"], "任务未完成");
    EXPECT_TRUE(item_of(incomplete, b_job)["deadline"].is_null());
    auto r = call("yz_admin", "POST", "/api/publication/publish", json({{"job_ids", json::array({b_job})}}).dump());
    expect_conflict(r, "incomplete");
    // A job not accepted yet: 409 with the job's state.
    r = call("yz_admin", "POST", "/api/publication/publish",
             json({{"job_ids", json::array({jobs_of(draw_b).back()})}}).dump());
    expect_conflict(r, "pending");
    EXPECT_EQ(parse(r)["error"]["code"], "result_not_accepted");
}

TEST_F(PublicationApi, AwaitingResultsShowTheirDeadlineAndLateFlag) {
    auto list = results("yz_admin", "status=awaiting");
    const auto jobs = jobs_of(draw_a);
    EXPECT_EQ(list["total"].get<size_t>(), jobs.size());
    const json first = item_of(list, jobs[0]);
    ASSERT_FALSE(first.is_null());
    // The deadline against the SQL calendar functions of 0007 (an independent implementation).
    auto expect =
        sql("SELECT add_working_days(completed_on, 20)::text, working_days_provisional(completed_on,"
            " add_working_days(completed_on, 20)) FROM task_completion WHERE draw_id = " +
            std::to_string(draw_a));
    EXPECT_EQ(first["deadline"], expect[0][0].c_str());
    EXPECT_EQ(first["deadline_provisional"], expect[0][1].as<bool>());
    EXPECT_EQ(first["days_left"], 20);
    EXPECT_EQ(first["late"], false);
    EXPECT_EQ(results("yz_admin", "status=awaiting&late=1")["total"], 0);

    // Moved 60 days into the past the completion makes every result late.
    move_completion_back();
    list = results("yz_admin", "status=awaiting&late=1");
    EXPECT_EQ(list["total"].get<size_t>(), jobs.size());
    const json late = item_of(list, jobs[0]);
    EXPECT_TRUE(late["late"].get<bool>());
    EXPECT_LT(late["days_left"].get<int>(), 0);
    auto expect_late = sql("SELECT add_working_days(completed_on, 20)::text FROM task_completion WHERE draw_id = " +
                           std::to_string(draw_a));
    EXPECT_EQ(late["deadline"], expect_late[0][0].c_str());
    EXPECT_EQ(call("yz_admin", "GET", "/api/publication/results?status=nonsense").status, 400);
    EXPECT_EQ(call("yz_admin", "GET", "/api/publication/results?late=2").status, 400);
}

TEST_F(PublicationApi, PublishingIsOneTransactionWithHistoryAndTrail) {
    move_completion_back();
    const auto jobs = jobs_of(draw_a);
    // One of the batch already published: nothing of the batch is published.
    auto r = call("yz_admin", "POST", "/api/publication/publish", json({{"job_ids", json::array({jobs[0]})}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["published"][0]["late"], true);  // completion moved 60 days back
    r = call("yz_admin", "POST", "/api/publication/publish",
             json({{"job_ids", json::array({jobs[1], jobs[0]})}}).dump());
    expect_conflict(r, "published");
    EXPECT_EQ(parse(r)["error"]["job_id"], std::to_string(jobs[0]));
    EXPECT_FALSE(item_of(results("yz_admin", "status=awaiting"), jobs[1]).is_null());
    EXPECT_EQ(sql("SELECT count(*) FROM result_publication WHERE job_id = " + std::to_string(jobs[1]))[0][0].as<int>(),
              0);
    // Bad bodies.
    EXPECT_EQ(call("yz_admin", "POST", "/api/publication/publish", R"({"job_ids":[]})").status, 422);
    EXPECT_EQ(call("yz_admin", "POST", "/api/publication/publish", R"({"job_ids":["x"]})").status, 422);
    EXPECT_EQ(call("yz_admin", "POST", "/api/publication/publish", R"({"job_ids":[1],"x":1})").status, 422);
    EXPECT_EQ(call("yz_admin", "POST", "/api/publication/publish", R"({"job_ids":[999999]})").status, 404);

    // The rest in one call.
    json rest = json::array();
    for (size_t i = 1; i < jobs.size(); ++i) rest.push_back(jobs[i]);
    r = call("yz_admin", "POST", "/api/publication/publish", json({{"job_ids", rest}, {"opinion", "按期公示"}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["count"].get<size_t>(), rest.size());
    EXPECT_EQ(results("yz_admin", "status=awaiting")["total"], 0);
    auto published = results("yz_admin", "status=published");
    EXPECT_EQ(published["total"].get<size_t>(), jobs.size());
    EXPECT_EQ(item_of(published, jobs[0])["late"], true);
    EXPECT_TRUE(item_of(published, jobs[0])["days_left"].is_null());

    auto detail = parse(call("yz_admin", "GET", "/api/publication/results/" + std::to_string(jobs[1])));
    EXPECT_EQ(detail["state"], "published");
    EXPECT_EQ(detail["version"], 1);
    ASSERT_EQ(detail["versions"].size(), 1u);
    EXPECT_EQ(detail["versions"][0]["result_category_label"], "未发现问题");
    std::vector<std::string> steps;
    for (const auto& h : detail["history"]) steps.push_back(h["action"]);
    EXPECT_EQ(steps, (std::vector<std::string>{"create", "submit", "accept", "publish"}));
    EXPECT_EQ(detail["history"].back()["opinion"], "按期公示");
    // The audit trail holds every publication and version.
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE entity = 'result_publication' AND action = 'insert'")[0][0]
                  .as<size_t>(),
              jobs.size());
}

TEST_F(PublicationApi, PermissionsAndDataScope) {
    const long long job = jobs_of(draw_a)[0];
    const std::string j = std::to_string(job);
    EXPECT_EQ(anon("/api/publication/results").status, 401);
    EXPECT_EQ(call("inspector1", "GET", "/api/publication/results").status, 403);
    EXPECT_EQ(call("yz_reviewer", "GET", "/api/publication/results").status, 403);  // reviews, does not publish
    EXPECT_EQ(
        call("yz_reviewer", "POST", "/api/publication/publish", json({{"job_ids", json::array({job})}}).dump()).status,
        403);
    EXPECT_EQ(call("yz_admin", "GET", "/api/publication/corrections").status, 403);  // not the department head
    EXPECT_EQ(call("yz_admin", "POST", "/api/publication/corrections/1/approve", "{}").status, 403);
    EXPECT_EQ(call("inspector1", "POST", "/api/publication/results/" + j + "/corrections", "{}").status, 403);
    // Another district's head sees nothing of 渝中区.
    EXPECT_EQ(call("spb_head", "GET", "/api/publication/results/" + j).status, 404);
    EXPECT_EQ(results("spb_head", "status=all")["total"], 0);
    auto r = call("spb_head", "POST", "/api/publication/results/" + j + "/corrections",
                  R"({"reason":"x","result_category":"07"})");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(call("yz_admin", "GET", "/api/publication/results/abc").status, 400);
}

TEST_F(PublicationApi, CorrectionsNeedTheHeadAndKeepEveryVersion) {
    publish_draw_a();
    const auto jobs = jobs_of(draw_a);
    const std::string path = "/api/publication/results/" + std::to_string(jobs[1]) + "/corrections";
    // An unpublished result cannot be corrected: the accepted job of draw B.
    auto r =
        call("yz_admin", "POST", "/api/publication/results/" + std::to_string(jobs_of(draw_b).front()) + "/corrections",
             R"({"reason":"x","result_category":"07"})");
    expect_conflict(r, "incomplete");
    // Field checks.
    r = call("yz_admin", "POST", path, R"({"result_category":"99"})");
    ASSERT_EQ(r.status, 422) << r.body;
    std::set<std::string> fields;
    const json err = parse(r)["error"];  // (a range over a temporary's member would dangle)
    for (const auto& e : err["errors"]) fields.insert(e["field"].get<std::string>());
    EXPECT_TRUE(fields.count("reason") && fields.count("result_category")) << r.body;
    r = call("yz_admin", "POST", path, R"({"reason":"无变化","result_category":"01"})");
    EXPECT_EQ(r.status, 422) << r.body;

    // Request → a second request is 409 → the requester's role cannot approve → head approves.
    r = call("yz_admin", "POST", path, kCorrection);
    ASSERT_EQ(r.status, 201) << r.body;
    const long long first = parse(r)["id"].get<long long>();
    EXPECT_EQ(parse(r)["state"], "pending");
    expect_conflict(call("yz_admin", "POST", path, R"({"reason":"again","result_category":"08"})"), "correcting");
    auto queue = parse(call("yz_head", "GET", "/api/publication/corrections"));
    ASSERT_EQ(queue["total"], 1);
    EXPECT_EQ(queue["items"][0]["actions"], json::array({"approve", "refuse"}));
    auto msgs = parse(call("yz_head", "GET", "/api/messages?category=publication"));
    ASSERT_FALSE(msgs["items"].empty());
    r = call("yz_head", "POST", "/api/publication/corrections/" + std::to_string(first) + "/approve",
             R"({"opinion":"同意更正"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "approved");
    expect_conflict(call("yz_head", "POST", "/api/publication/corrections/" + std::to_string(first) + "/approve", "{}"),
                    "approved");
    expect_conflict(call("yz_head", "POST", "/api/publication/corrections/" + std::to_string(first) + "/refuse",
                         R"({"opinion":"x"})"),
                    "approved");
    auto detail = parse(call("yz_admin", "GET", "/api/publication/results/" + std::to_string(jobs[1])));
    EXPECT_EQ(detail["version"], 2);
    EXPECT_EQ(detail["state"], "published");
    EXPECT_EQ(detail["result_category_label"], "发现问题需进一步整改");
    ASSERT_EQ(detail["versions"].size(), 2u);
    EXPECT_EQ(detail["versions"][0]["result_category_label"], "未发现问题");
    EXPECT_EQ(detail["versions"][1]["findings"], "需进一步整改");
    // The requester was told.
    msgs = parse(call("yz_admin", "GET", "/api/messages?category=publication"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("已批准"), std::string::npos);

    // A second correction is refused: the reason is required; the version stays.
    r = call("yz_admin", "POST", path, R"({"reason":"类别填写有误","result_category":"08"})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string second = std::to_string(parse(r)["id"].get<long long>());
    EXPECT_EQ(call("yz_head", "POST", "/api/publication/corrections/" + second + "/refuse", "{}").status, 422);
    r = call("yz_head", "POST", "/api/publication/corrections/" + second + "/refuse", R"({"opinion":"依据不足"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "refused");
    expect_conflict(call("yz_head", "POST", "/api/publication/corrections/" + second + "/approve", "{}"), "refused");
    detail = parse(call("yz_admin", "GET", "/api/publication/results/" + std::to_string(jobs[1])));
    EXPECT_EQ(detail["version"], 2);
    EXPECT_EQ(detail["corrections"].size(), 2u);

    // The head may not approve their own request.
    r = call("yz_head", "POST", path, R"({"reason":"本人申请","result_category":"06"})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string own = std::to_string(parse(r)["id"].get<long long>());
    r = call("yz_head", "POST", "/api/publication/corrections/" + own + "/approve", "{}");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "self_approval");
    ASSERT_EQ(
        call("admin", "POST", "/api/publication/corrections/" + own + "/refuse", R"({"opinion":"不予更正"})").status,
        200);

    std::vector<std::string> steps;
    for (const auto& h : detail["history"])
        if (h["entity"] == "publication") steps.push_back(h["action"]);
    EXPECT_EQ(steps, (std::vector<std::string>{"publish", "request_correction", "approve_correction",
                                               "request_correction", "refuse_correction"}));
    // The job's current result is the approved correction (0024), the refused one changed
    // nothing; both published versions stay.
    EXPECT_EQ(sql("SELECT result_category FROM inspection_job WHERE id = " + std::to_string(jobs[1]))[0][0].c_str(),
              std::string("07"));
}

// The completion trigger for jobs that belong to a task (the draws above have none), in
// a transaction that is rolled back: the task completes only when every one of its jobs
// is accepted, on the date of the last acceptance, and stops being complete when a job
// leaves the accepted state.
TEST_F(PublicationApi, CompletionFollowsEveryJobOfATask) {
    pqxx::connection c(db->url());
    pqxx::work tx(c);
    const std::string y = std::to_string(yuzhong), b = std::to_string(draw_b);
    const long long task =
        tx.exec1(
              "WITH p AS (INSERT INTO annual_plan(year, name, plan_type, initiating_authority_id, object_scope,"
              " start_date, end_date) VALUES (2026, '完成判定测试计划', 'single', " +
              y +
              ", '市场主体', '2026-01-01', '2026-12-31') RETURNING id)"
              " INSERT INTO inspection_task(plan_id, name, task_type, initiating_authority_id, start_date, end_date)"
              " SELECT id, '完成判定测试任务', 'single', " +
              y + ", '2026-01-01', '2026-12-31' FROM p RETURNING id")[0]
            .as<long long>();
    const std::string t = std::to_string(task);
    auto completion = [&]() {
        return tx.exec("SELECT jobs, completed_on::text FROM task_completion WHERE task_id = " + t);
    };
    tx.exec("UPDATE inspection_job SET task_id = " + t + " WHERE draw_id = " + b);
    EXPECT_TRUE(completion().empty());  // draw B has jobs not accepted
    const long long n = tx.exec1("SELECT count(*) FROM inspection_job WHERE task_id = " + t)[0].as<long long>();
    ASSERT_GE(n, 2);
    tx.exec("UPDATE inspection_job SET state = 'accepted', reviewed_at = '2026-03-05 10:00+08' WHERE task_id = " + t);
    EXPECT_EQ(std::string(completion()[0][1].c_str()), "2026-03-05");
    tx.exec(
        "UPDATE inspection_job SET reviewed_at = '2026-03-09 23:30+08' WHERE id = (SELECT max(id)"
        " FROM inspection_job WHERE task_id = " +
        t + ")");
    auto done = completion();
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0][0].as<long long>(), n);
    EXPECT_EQ(std::string(done[0][1].c_str()), "2026-03-09");  // China date of the last acceptance
    tx.exec(
        "UPDATE inspection_job SET state = 'returned' WHERE id = (SELECT min(id) FROM inspection_job"
        " WHERE task_id = " +
        t + ")");
    EXPECT_TRUE(completion().empty());
    tx.abort();
}

// Reads an .xlsx back with GDAL's XLSX driver: every row as its cells (header included
// when GDAL does not take it as field names).
std::vector<std::vector<std::string>> read_xlsx(const std::string& bytes) {
    const std::string path = (std::filesystem::temp_directory_path() / "twindraw-publication.xlsx").string();
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    GDALAllRegister();
    const char* drivers[] = {"XLSX", nullptr};
    std::vector<std::vector<std::string>> rows;
    {
        GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
        EXPECT_TRUE(ds);
        if (ds) {
            OGRFeatureDefn* defn = ds->GetLayer(0)->GetLayerDefn();
            std::vector<std::string> names;
            for (int i = 0; i < defn->GetFieldCount(); ++i) names.push_back(defn->GetFieldDefn(i)->GetNameRef());
            rows.push_back(names);
            for (auto& f : *ds->GetLayer(0)) {
                std::vector<std::string> row;
                for (int i = 0; i < defn->GetFieldCount(); ++i) row.push_back(f->GetFieldAsString(i));
                rows.push_back(row);
            }
        }
    }
    std::filesystem::remove(path);
    return rows;
}

// A simple RFC 4180 reader (quoted fields with doubled quotes, CRLF), BOM stripped.
std::vector<std::vector<std::string>> read_csv(std::string text) {
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text = text.substr(3);
    std::vector<std::vector<std::string>> rows(1);
    std::string cell;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                cell += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                cell += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(cell), cell.clear();
        } else if (c == '\r') {
        } else if (c == '\n') {
            rows.back().push_back(cell), cell.clear();
            rows.emplace_back();
        } else {
            cell += c;
        }
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

TEST_F(PublicationApi, ThePublicSeesOnlyPublishedResults) {
    correct_second_result();
    // Published: draw A's jobs. Not published: draw B (its task is not complete).
    auto r = anon("/api/public/results?page_size=100");
    ASSERT_EQ(r.status, 200) << r.body;
    json list = parse(r);
    const auto a_jobs = jobs_of(draw_a);
    EXPECT_EQ(list["total"].get<size_t>(), a_jobs.size());
    std::set<std::string> published_names;
    for (const auto& i : list["items"]) {
        EXPECT_EQ(i["task_name"], "2026年渝中区结果公示测试");
        published_names.insert(i["enterprise_name"]);
        // Each result links the draw that chose it (its public re-check page).
        EXPECT_EQ(i["draw_id"], draw_a) << i.dump();
    }
    ASSERT_FALSE(list["items"].empty());
    EXPECT_EQ(parse(anon("/api/public/results/" + std::to_string(list["items"][0]["id"].get<long long>())))["draw_id"],
              draw_a);
    EXPECT_EQ(parse(anon("/api/public/tasks"))["items"][0]["draw_id"], draw_a);
    // Nothing of draw B anywhere in the public API, whichever dataset.
    auto b_names =
        sql("SELECT m.name FROM inspection_job j JOIN market_subject m ON m.id = j.object_id"
            " WHERE j.draw_id = " +
            std::to_string(draw_b) +
            " AND m.name NOT IN (SELECT m2.name FROM inspection_job j2 JOIN market_subject m2"
            "  ON m2.id = j2.object_id WHERE j2.draw_id = " +
            std::to_string(draw_a) + ")");
    ASSERT_FALSE(b_names.empty());
    for (const char* set : {"results", "enterprises", "inspectors", "tasks"}) {
        auto all = anon(std::string("/api/public/") + set + "?page_size=100");
        ASSERT_EQ(all.status, 200) << set << all.body;
        EXPECT_EQ(all.body.find("未完成的抽查"), std::string::npos) << set;
        for (const auto& n : b_names) EXPECT_EQ(all.body.find(n[0].c_str()), std::string::npos) << set;
        auto csv = anon(std::string("/api/public/") + set + "/export.csv");
        ASSERT_EQ(csv.status, 200);
        EXPECT_EQ(csv.body.find("未完成的抽查"), std::string::npos) << set;
    }

    // Queries: name, USCC, district, category (the current version), date range, paging.
    const json one = list["items"][0];
    auto q = parse(anon("/api/public/results?q=" + one["enterprise_name"].get<std::string>()));
    ASSERT_GE(q["total"].get<int>(), 1);
    EXPECT_EQ(q["items"][0]["enterprise_name"], one["enterprise_name"]);
    if (one["uscc"].is_string()) {
        q = parse(anon("/api/public/results?uscc=" + one["uscc"].get<std::string>()));
        EXPECT_EQ(q["total"], 1);
    }
    EXPECT_EQ(parse(anon("/api/public/results?district=500103"))["total"].get<size_t>(), a_jobs.size());
    EXPECT_EQ(parse(anon("/api/public/results?district=500106"))["total"], 0);
    auto corrected = parse(anon("/api/public/results?category=07"));
    ASSERT_EQ(corrected["total"], 1);  // the approved correction of the earlier test
    EXPECT_EQ(corrected["items"][0]["corrected"], true);
    EXPECT_EQ(parse(anon("/api/public/results?category=01"))["total"].get<size_t>(), a_jobs.size() - 1);
    const std::string today = one["published_on"];
    EXPECT_EQ(parse(anon("/api/public/results?from=" + today + "&to=" + today))["total"].get<size_t>(), a_jobs.size());
    EXPECT_EQ(parse(anon("/api/public/results?to=2000-01-01"))["total"], 0);
    auto page = parse(anon("/api/public/results?page_size=1&page=2"));
    EXPECT_EQ(page["items"].size(), 1u);
    EXPECT_EQ(page["total"].get<size_t>(), a_jobs.size());
    for (const char* bad : {"page_size=101", "page_size=0", "district=50", "from=2026-02-30", "uscc=abc",
                            "from=2026-05-01&to=2026-04-01"}) {
        r = anon(std::string("/api/public/results?") + bad);
        EXPECT_EQ(r.status, 400) << bad;
        EXPECT_TRUE(parse(r)["error"].contains("code")) << bad;
    }

    // The corrected result: the current version and the earlier one as 更正记录.
    const long long cid = corrected["items"][0]["id"].get<long long>();
    auto detail = parse(anon("/api/public/results/" + std::to_string(cid)));
    EXPECT_EQ(detail["result_category_label"], "发现问题需进一步整改");
    ASSERT_EQ(detail["corrections"].size(), 1u);
    EXPECT_EQ(detail["corrections"][0]["result_category_label"], "未发现问题");
    EXPECT_EQ(detail["corrections"][0]["reason"], "复核发现经营场所存在问题");
    EXPECT_EQ(anon("/api/public/results/999999").status, 404);

    // Inspectors: names and certificate numbers only, never phone or e-mail.
    auto ins = parse(anon("/api/public/inspectors?page_size=100"));
    ASSERT_GT(ins["total"].get<int>(), 0);
    for (const auto& i : ins["items"]) {
        std::set<std::string> keys;
        for (const auto& [k, v] : i.items()) keys.insert(k);
        EXPECT_EQ(keys, (std::set<std::string>{"name", "certificate_no", "tasks", "results"}));
    }
    auto phones =
        sql("SELECT phone FROM inspector WHERE phone IS NOT NULL AND authority_id = " + std::to_string(yuzhong));
    for (const auto& p : phones) EXPECT_EQ(ins.dump().find(p[0].c_str()), std::string::npos);
    auto ents = parse(anon("/api/public/enterprises?page_size=100"));
    EXPECT_EQ(ents["total"].get<size_t>(), published_names.size());
    auto tasks = parse(anon("/api/public/tasks"));
    ASSERT_EQ(tasks["total"], 1);
    EXPECT_EQ(tasks["items"][0]["results"], std::to_string(a_jobs.size()));
    EXPECT_EQ(tasks["items"][0]["corrected"], "1");

    // Exports read back: XLSX through GDAL, CSV by an RFC 4180 reader.
    r = anon("/api/public/results/export.xlsx?district=500103");
    ASSERT_EQ(r.status, 200);
    auto rows = read_xlsx(r.body);
    ASSERT_GT(rows.size(), 1u);
    // Row 0 holds GDAL's field names: the header row itself, or Field1… with the header
    // as the first data row.
    bool header = rows[0].size() > 8 && rows[0][1] == "企业名称" && rows[0][8] == "检查结果";
    std::set<std::string> xlsx_names;
    for (size_t i = 1; i < rows.size(); ++i) {
        if (rows[i].size() > 8 && rows[i][1] == "企业名称") {
            header = rows[i][8] == "检查结果";
            continue;
        }
        if (rows[i].size() > 8) xlsx_names.insert(rows[i][1]);
    }
    EXPECT_TRUE(header);
    EXPECT_EQ(xlsx_names, published_names);
    r = anon("/api/public/results/export.csv?category=07");
    ASSERT_EQ(r.status, 200);
    auto csv = read_csv(r.body);
    ASSERT_EQ(csv.size(), 2u) << r.body;
    EXPECT_EQ(csv[0][1], "企业名称");
    EXPECT_EQ(csv[0][8], "检查结果");
    EXPECT_EQ(csv[1][8], "发现问题需进一步整改");
    EXPECT_EQ(csv[1][1], corrected["items"][0]["enterprise_name"]);
    r = anon("/api/public/inspectors/export.csv");
    ASSERT_EQ(r.status, 200);
    csv = read_csv(r.body);
    EXPECT_EQ(csv[0], (std::vector<std::string>{"姓名", "执法证号", "参与的抽查任务", "检查结果数"}));
    EXPECT_EQ(csv.size(), ins["items"].size() + 1);
    auto filters = parse(anon("/api/public/result-filters"));
    EXPECT_EQ(filters["districts"].size(), 1u);
    EXPECT_EQ(filters["tasks"], json::array({"2026年渝中区结果公示测试"}));
}

}  // namespace

// One current result (0024, docs/publication.md "The job's current result"): a published
// result of category 01 corrected to 07 with the head's approval is counted as 07 by the
// dashboard statistics, result_point and the heat grid, in the same transaction as the
// approval; the publication keeps both versions, the public page lists the earlier one,
// and the job's history (job_result_version) gains the correction. An appeal pending on
// a result blocks its publication; a published result is not appealed (409).
TEST_F(PublicationApi, AnApprovedCorrectionBecomesTheCurrentResultEverywhere) {
    const auto jobs = jobs_of(draw_a);
    const long long job = jobs[1];
    const std::string jid = std::to_string(job);
    // The group's inspector with an account, and a reviewer it may name.
    std::string inspector;
    for (const char* a : {"inspector1", "inspector2", "inspector3"})
        if (call(a, "GET", "/api/jobs/" + jid).status == 200) {
            inspector = a;
            break;
        }
    ASSERT_FALSE(inspector.empty());
    auto r = call(inspector, "GET", "/api/jobs/" + jid + "/appeal-reviewers");
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_FALSE(parse(r)["items"].empty()) << r.body;
    const long long reviewer = parse(r)["items"][0]["id"].get<long long>();
    r = call(
        inspector, "POST", "/api/jobs/" + jid + "/appeals",
        json({{"reason", "复查"}, {"reviewer_id", reviewer}, {"corrected", {{"findings", "复查后补充说明"}}}}).dump());
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string appeal = std::to_string(parse(r)["id"].get<long long>());
    // While the appeal is pending the result is not published (one transaction: none of the batch).
    move_completion_back();
    r = call("yz_admin", "POST", "/api/publication/publish", json({{"job_ids", jobs}}).dump());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "appeal_pending");
    EXPECT_EQ(parse(r)["error"]["job_id"], jid);
    EXPECT_TRUE(sql("SELECT 1 FROM result_publication").empty());
    ASSERT_EQ(call(inspector, "POST", "/api/appeals/" + appeal + "/withdraw", "{}").status, 200);
    publish_draw_a();

    auto overview = [&](const std::string& who) {
        auto o = call(who, "GET", "/api/stats/overview?year=2026");
        EXPECT_EQ(o.status, 200) << o.body;
        return parse(o)["summary"];
    };
    auto point = [&]() { return sql("SELECT category, problem FROM result_point WHERE job_id = " + jid); };
    auto heat_problems = [&]() {
        return sql("SELECT coalesce(sum(p), 0) FROM heat_cell WHERE level = 0 AND year = 0 AND unit_id = 0")[0][0]
            .as<long long>();
    };
    const json before = overview("yz_head");
    const json public_before = parse(anon("/api/public/stats?year=2026"))["summary"];
    const long long heat_before = heat_problems();
    ASSERT_EQ(point().size(), 1u);
    EXPECT_EQ(point()[0][0].c_str(), std::string("01"));
    EXPECT_FALSE(point()[0][1].as<bool>());

    // A pending correction changes nothing yet.
    r = call("yz_admin", "POST", "/api/publication/results/" + jid + "/corrections", kCorrection);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string correction = std::to_string(parse(r)["id"].get<long long>());
    EXPECT_EQ(overview("yz_head")["problem_enterprises"], before["problem_enterprises"]);
    EXPECT_EQ(point()[0][0].c_str(), std::string("01"));

    r = call("yz_head", "POST", "/api/publication/corrections/" + correction + "/approve", R"({"opinion":"同意"})");
    ASSERT_EQ(r.status, 200) << r.body;

    // The statistics count the corrected category: one more problem enterprise, the same
    // number of inspections (a correction is not a new inspection).
    const json after = overview("yz_head");
    EXPECT_EQ(after["inspections"], before["inspections"]);
    EXPECT_EQ(after["problem_enterprises"].get<long long>(), before["problem_enterprises"].get<long long>() + 1)
        << before.dump() << " → " << after.dump();
    const json public_after = parse(anon("/api/public/stats?year=2026"))["summary"];
    EXPECT_EQ(public_after["problem_enterprises"].get<long long>(),
              public_before["problem_enterprises"].get<long long>() + 1);
    // result_point (results layer) and the heat grid.
    ASSERT_EQ(point().size(), 1u);
    EXPECT_EQ(point()[0][0].c_str(), std::string("07"));
    EXPECT_TRUE(point()[0][1].as<bool>());
    EXPECT_EQ(heat_problems(), heat_before + 1);
    EXPECT_EQ(sql("SELECT count(*) FROM heat_grid_fresh() f FULL JOIN heat_cell c USING (level, block, cx, cy, year,"
                  " unit_id) WHERE f.n IS DISTINCT FROM c.n OR f.p IS DISTINCT FROM c.p")[0][0]
                  .as<long long>(),
              0);
    EXPECT_EQ(
        sql("SELECT result_category || '/' || qualified::text || '/' || findings FROM inspection_job WHERE id = " +
            jid)[0][0]
            .c_str(),
        std::string("07/false/需进一步整改"));

    // Both versions stay visible: the publication's, the public page's 更正记录, and the
    // job's own history, whose current version is the correction.
    const json detail = parse(call("yz_admin", "GET", "/api/publication/results/" + jid));
    ASSERT_EQ(detail["versions"].size(), 2u);
    EXPECT_EQ(detail["versions"][0]["result_category"], "01");
    EXPECT_EQ(detail["versions"][1]["result_category"], "07");
    const json pub = parse(anon("/api/public/results/" + std::to_string(detail["publication_id"].get<long long>())));
    EXPECT_EQ(pub["version"], 2);
    EXPECT_EQ(pub["result_category_label"], "发现问题需进一步整改");
    ASSERT_EQ(pub["corrections"].size(), 1u);
    EXPECT_EQ(pub["corrections"][0]["result_category_label"], "未发现问题");
    r = call(inspector, "GET", "/api/jobs/" + jid + "/appeals");
    ASSERT_EQ(r.status, 200) << r.body;
    const json hist = parse(r);
    ASSERT_EQ(hist["versions"].size(), 2u) << r.body;
    EXPECT_EQ(hist["versions"][0]["source"], "review");
    EXPECT_EQ(hist["versions"][0]["result"]["result_category"], "01");
    EXPECT_EQ(hist["versions"][1]["source"], "correction");
    EXPECT_EQ(hist["versions"][1]["source_label"], "公示更正");
    EXPECT_EQ(hist["versions"][1]["result"]["result_category"], "07");
    EXPECT_EQ(hist["current"]["result_category"], "07");
    EXPECT_FALSE(hist["can_appeal"].get<bool>());
    EXPECT_TRUE(hist["published"].get<bool>());

    // A published result changes only through a correction: no appeal.
    r = call(
        inspector, "POST", "/api/jobs/" + jid + "/appeals",
        json({{"reason", "再次申诉"}, {"reviewer_id", reviewer}, {"corrected", {{"result_category", "01"}}}}).dump());
    expect_conflict(r, "published");
    EXPECT_EQ(parse(r)["error"]["code"], "result_published");
}

// A job cancelled by an approved list change (its object left the list, 0018) no longer
// keeps its task incomplete (0024): draw B, with one accepted job, completes when its
// other jobs are cancelled, and is incomplete again when one of them is open.
TEST_F(PublicationApi, CancelledJobsDoNotKeepATaskIncomplete) {
    const auto jobs = jobs_of(draw_b);
    const std::string b = std::to_string(draw_b);
    EXPECT_TRUE(sql("SELECT 1 FROM task_completion WHERE draw_id = " + b).empty());
    sql("UPDATE inspection_job SET state = 'cancelled' WHERE draw_id = " + b + " AND state <> 'accepted'");
    auto done = sql("SELECT jobs FROM task_completion WHERE draw_id = " + b);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0][0].as<int>(), 1);
    auto listed = item_of(results("yz_admin", "status=awaiting"), jobs.front());
    ASSERT_FALSE(listed.is_null());
    EXPECT_EQ(listed["state"], "awaiting");
    sql("UPDATE inspection_job SET state = 'pending' WHERE id = " + std::to_string(jobs.back()));
    EXPECT_TRUE(sql("SELECT 1 FROM task_completion WHERE draw_id = " + b).empty());
}

// A publication whose published version cannot be found (data damaged by hand) answers
// 409 version_missing to a correction instead of indexing an empty result (which took
// the process down).
TEST_F(PublicationApi, ACorrectionOfAPublicationWithoutItsVersionIsAConflict) {
    publish_draw_a();
    const std::string job = std::to_string(jobs_of(draw_a)[0]);
    const std::string pub = "(SELECT id FROM result_publication WHERE job_id = " + job + ")";
    sql("UPDATE result_version SET version = version + 1000 WHERE publication_id = " + pub);
    auto r = call("yz_admin", "POST", "/api/publication/results/" + job + "/corrections", kCorrection);
    sql("UPDATE result_version SET version = version - 1000 WHERE publication_id = " + pub + " AND version > 1000");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "version_missing") << r.body;
    EXPECT_EQ(sql("SELECT 1 FROM result_correction WHERE publication_id = " + pub + " AND state = 'pending'").size(),
              0u);
}
