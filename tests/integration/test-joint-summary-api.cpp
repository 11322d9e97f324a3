// The joint summary form (联合检查汇总表) of a joint task through the HTTP API on the demo
// city (JOB-3, last clause): 渝中区 initiates a joint task with 沙坪坝区, the draw is confirmed,
// one job's group submits its result; the lead department uploads the summary of that job
// (a PDF, then an XLSX as version 2), the cooperating department is told and downloads
// the same bytes; a cooperating department's upload is 403, a job whose result is not
// submitted 409 with its state, a single-department task's job 409, bad files 400/413/415,
// bad fields 422, a department outside the task 404; the trail and the flow history
// record each version.
#include "demo-api.hpp"

#include <filesystem>
#include <map>
#include <set>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

const std::string kPdf = "%PDF-1.4\n% 联合检查汇总表\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "signature-bytes";
// The first bytes of an XLSX: a ZIP whose entry names include the workbook part.
const std::string kXlsx = std::string("PK\x03\x04\x14\0\0\0", 8) + "[Content_Types].xml....PK\x03\x04" +
                          "xl/workbook.xml....xl/worksheets/sheet1.xml";

std::string urlencode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

class JointSummaryApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 600, .seed = 11});
        pqxx::connection c(db->url());
        {
            pqxx::work tx(c);
            yuzhong = bureau(tx, "500103");
            shapingba = bureau(tx, "500106");
            jiangbei = bureau(tx, "500105");
            item1 = tx.exec1("SELECT id FROM inspection_item ORDER BY id LIMIT 1")[0].as<long long>();
            // Assigners of the cooperating department and of a department outside the task.
            for (const auto& [account, unit] :
                 {std::pair{"spb_assigner", shapingba}, std::pair{"jb_assigner", jiangbei}})
                add_user(tx, account, unit, "task_assigner", 0);
            tx.commit();
        }
        // A small upload limit to reach 413 with a small body.
        start_api("joint", [](App& a) { a.max_upload_bytes = 64 * 1024; });
        set_draw_password();

        // The joint task of 渝中区 (initiating) and 沙坪坝区 (cooperating), drawn and confirmed.
        json plan = {{"year", 2026},
                     {"name", "渝中区沙坪坝区联合抽查计划"},
                     {"plan_type", "joint"},
                     {"item_ids", {item1}},
                     {"object_scope", "渝中区"},
                     {"start_date", "2026-03-01"},
                     {"end_date", "2026-11-30"},
                     {"cooperating_authority_ids", {shapingba}}};
        const long long pid = distributed_plan(plan);
        joint_task = task("渝中区沙坪坝区联合抽查", pid, true);
        const std::string t = "/api/tasks/" + std::to_string(joint_task);
        ok(call("spb_assigner", "POST", t + "/receive"));
        const long long draw = ok(call("yz_assigner", "POST", t + "/draw"), 201)["id"];
        confirm_draw(draw);

        pqxx::work tx(c);
        auto jobs = tx.exec_params("SELECT id FROM inspection_job WHERE task_id = $1 ORDER BY id", joint_task);
        EXPECT_GE(jobs.size(), 2u);
        done_job = jobs[0][0].as<long long>();
        open_job = jobs[1][0].as<long long>();
        job_count = static_cast<long long>(jobs.size());
        // The account of the done job's group leader (an inspector of 渝中区): the demo's
        // inspector account when it is one, else a new one linked to that inspector.
        auto lead = tx.exec_params1(
            "SELECT j.inspector_ids[1], i.authority_id, (SELECT u.account FROM app_user u WHERE u.inspector_id ="
            " j.inspector_ids[1]) FROM inspection_job j JOIN inspector i ON i.id = j.inspector_ids[1] WHERE j.id = $1",
            done_job);
        if (lead[2].is_null()) {
            leader = "joint_leader";
            add_user(tx, leader, lead[1].as<long long>(), "inspector", lead[0].as<long long>());
        } else {
            leader = lead[2].as<std::string>();
        }
        tx.commit();
        submit(done_job);
    }

    static void TearDownTestSuite() { stop(); }

    // A task of plan pid by 渝中区, submitted, approved and received by 渝中区.
    static long long task(const std::string& name, long long pid, bool joint) {
        json body = {{"plan_id", pid},
                     {"name", name},
                     {"task_type", joint ? "joint" : "single"},
                     {"item_ids", {item1}},
                     {"start_date", "2026-04-01"},
                     {"end_date", "2026-06-30"},
                     {"draw_params", json::parse(R"({
                        "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                                    "strata": [{"ratio": 40}]},
                        "inspectors": {"scope": "bureau"},
                        "groups": {"count": 2, "inspectors_per_group": 2}})")}};
        if (joint) body["cooperating_authority_ids"] = {shapingba};
        return task_in_state(body, "received");
    }

    // The group leader records form F.1, uploads the party's signature and submits.
    static void submit(long long job) {
        const std::string path = "/api/jobs/" + std::to_string(job);
        json detail = ok(call(leader, "GET", path));
        json items = json::array();
        for (const auto& it : detail["items"])
            items.push_back(
                {{"item_id", it["item_id"]}, {"content", "查验公示信息"}, {"finding", "一致"}, {"qualified", true}});
        json form = {{"inspected_on", "2026-03-02"}, {"place", "经营场所"},
                     {"result_category", "01"},      {"qualified", true},
                     {"findings", "未发现问题"},     {"item_results", items}};
        if (detail["advance_notice"] == "required") form["notice_given"] = "2026-03-01 电话告知";
        ok(call(leader, "PUT", path, form));
        ASSERT_EQ(raw("POST", path + "/files?kind=signature&filename=sig.jpg", kJpeg, token(leader),
                      "application/octet-stream")
                      .status,
                  201);
        EXPECT_EQ(ok(call(leader, "POST", path + "/submit"))["state"], "submitted");
    }

    // Uploads bytes as the summary of job with the given fields.
    static Response upload(const std::string& account, long long job, const std::string& bytes,
                           const std::map<std::string, std::string>& fields = {{"summary_date", "2026-03-03"},
                                                                               {"conclusion", "未发现问题"}}) {
        std::string q;
        for (const auto& [k, v] : fields) q += (q.empty() ? "?" : "&") + k + "=" + urlencode(v);
        return raw("POST", "/api/jobs/" + std::to_string(job) + "/joint-summary" + q, bytes,
                   account.empty() ? "" : token(account), "application/octet-stream");
    }

    static long long sql_count(const std::string& q) { return sql(q)[0][0].as<long long>(); }

    static json job_entry(const json& list, long long job) {
        for (const auto& j : list["jobs"])
            if (j["job_id"] == job) return j;
        ADD_FAILURE() << "job " << job << " not listed: " << list.dump();
        return json::object();
    }

    static inline std::string leader;
    static inline long long yuzhong = 0, shapingba = 0, jiangbei = 0, item1 = 0;
    static inline long long joint_task = 0, done_job = 0, open_job = 0, job_count = 0;
};

}  // namespace

TEST_F(JointSummaryApi, LeadUploadsVersionsCooperatingIsToldAndDownloadsTheSameBytes) {
    const std::string list_path = "/api/tasks/" + std::to_string(joint_task) + "/joint-summaries";
    // Before: both departments list every job of the task; only the lead may upload.
    json lead = ok(call("yz_assigner", "GET", list_path));
    EXPECT_EQ(lead["joint"], true);
    EXPECT_EQ(lead["is_lead"], true);
    EXPECT_EQ(lead["can_upload"], true);
    EXPECT_EQ(lead["lead"]["id"], yuzhong);
    EXPECT_EQ(lead["departments"].size(), 2u) << lead["departments"].dump();
    EXPECT_EQ(lead["counts"]["jobs"], job_count);
    EXPECT_EQ(lead["counts"]["ready"], 1);
    EXPECT_EQ(lead["counts"]["with_summary"], 0);
    EXPECT_EQ(job_entry(lead, done_job)["ready"], true);
    EXPECT_EQ(job_entry(lead, open_job)["ready"], false);
    json coop = ok(call("spb_assigner", "GET", list_path));
    EXPECT_EQ(coop["is_lead"], false);
    EXPECT_EQ(coop["can_upload"], false);
    EXPECT_EQ(coop["counts"]["jobs"], job_count) << "the cooperating department lists every job of the task";

    // Version 1: a PDF with the form's fields; the cooperating department is told.
    const long long told0 = unread("spb_assigner");
    auto r = upload("yz_assigner", done_job, kPdf,
                    {{"filename", "联合检查汇总表.pdf"},
                     {"summary_date", "2026-03-03"},
                     {"conclusion", "未发现问题"},
                     {"summary", "市场监管、消防两部门联合检查，各事项均符合要求。"}});
    json v1 = ok(r, 201);
    EXPECT_EQ(v1["version_no"], 1);
    EXPECT_EQ(v1["content_type"], "application/pdf");
    EXPECT_EQ(v1["filename"], "联合检查汇总表.pdf");
    EXPECT_EQ(v1["summary"], "市场监管、消防两部门联合检查，各事项均符合要求。");
    EXPECT_EQ(v1["job_state"], "submitted");
    EXPECT_EQ(v1["departments"].size(), 2u);
    EXPECT_GE(v1["notified"].get<long long>(), 1);
    EXPECT_EQ(unread("spb_assigner"), told0 + 1);
    auto msgs = ok(call("spb_assigner", "GET", "/api/messages?unread=true"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("联合检查汇总表"), std::string::npos) << msgs.dump();
    EXPECT_EQ(msgs["items"][0]["link"], "/random/tasks/" + std::to_string(joint_task));

    // The cooperating department downloads the very bytes, stored by their SHA-256.
    r = call("spb_assigner", "GET", "/api/joint-summaries/" + std::to_string(v1["id"].get<long long>()) + "/file");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kPdf);
    EXPECT_TRUE(std::filesystem::exists(data_dir + "/job-files/" + v1["sha256"].get<std::string>()));

    // The reviewer accepts the result; version 2 (an XLSX) replaces it and keeps version 1.
    ok(call("yz_reviewer", "POST", "/api/results/" + std::to_string(done_job) + "/accept", json::object()));
    json v2 =
        ok(upload("yz_assigner", done_job, kXlsx,
                  {{"filename", "汇总表.xlsx"}, {"summary_date", "2026-03-04"}, {"conclusion", "发现问题已当场改正"}}),
           201);
    EXPECT_EQ(v2["version_no"], 2);
    EXPECT_EQ(v2["content_type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(v2["job_state"], "accepted");
    coop = ok(call("spb_assigner", "GET", list_path));
    json entry = job_entry(coop, done_job);
    EXPECT_EQ(entry["current"]["version_no"], 2);
    EXPECT_EQ(entry["current"]["conclusion"], "发现问题已当场改正");
    ASSERT_EQ(entry["versions"].size(), 2u);
    EXPECT_EQ(entry["versions"][1]["version_no"], 1);
    EXPECT_EQ(coop["counts"]["with_summary"], 1);
    r = call("spb_assigner", "GET", "/api/joint-summaries/" + std::to_string(v1["id"].get<long long>()) + "/file");
    EXPECT_EQ(r.body, kPdf) << "the replaced version stays downloadable";

    // The trail and the job's flow history hold both versions.
    EXPECT_EQ(sql_count("SELECT count(*) FROM audit_log WHERE entity = 'joint_summary' AND action = 'insert'"), 2);
    EXPECT_EQ(sql_count("SELECT count(*) FROM flow_history WHERE entity = 'job' AND action = 'joint_summary'"
                        " AND entity_id = " +
                        std::to_string(done_job)),
              2);
}

TEST_F(JointSummaryApi, OnlyTheLeadDepartmentUploadsAndOutsidersSeeNothing) {
    // The cooperating department holds the permission but is not the lead: 403.
    auto e = refused(upload("spb_assigner", done_job, kPdf), 403, "not_lead_department");
    EXPECT_NE(e["message"].get<std::string>().find("牵头部门"), std::string::npos);
    // A role without the permission (the reviewer), and no session.
    EXPECT_EQ(upload("yz_reviewer", done_job, kPdf).status, 403);
    EXPECT_EQ(upload("", done_job, kPdf).status, 401);
    // A department outside the task sees neither the task's summaries nor the job.
    EXPECT_EQ(call("jb_assigner", "GET", "/api/tasks/" + std::to_string(joint_task) + "/joint-summaries").status, 404);
    refused(upload("jb_assigner", done_job, kPdf), 404, "not_found");
    // The lead's version: the cooperating department reads it, the outsider does not.
    const long long v1 = ok(upload("yz_assigner", done_job, kPdf), 201)["id"];
    const std::string file = "/api/joint-summaries/" + std::to_string(v1) + "/file";
    EXPECT_EQ(call("spb_assigner", "GET", file).status, 200);
    EXPECT_EQ(call("jb_assigner", "GET", file).status, 404);
    EXPECT_EQ(call("inspector1", "GET", file).status, 403) << "task.read: inspectors do not read the task pages";

    // Row-level security itself, as request transactions run (role twindraw_app with the
    // actor's settings): the cooperating department reads the version but cannot insert
    // one; a department outside the task reads none; the lead department may insert.
    for (const auto& [account, unit, rows, may_insert] :
         {std::tuple{"spb_assigner", shapingba, 1LL, false}, std::tuple{"jb_assigner", jiangbei, 0LL, false},
          std::tuple{"yz_assigner", yuzhong, 1LL, true}}) {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        const auto uid = tx.exec_params1("SELECT id FROM app_user WHERE account = $1", account)[0].as<long long>();
        tx.exec_params(
            "SELECT set_config('twindraw.user_id', $1, true), set_config('twindraw.unit_id', $2, true),"
            " set_config('twindraw.data_scope', 'unit_tree', true), set_config('role', 'twindraw_app', true)",
            std::to_string(uid), std::to_string(unit));
        EXPECT_EQ(tx.exec1("SELECT count(*) FROM joint_summary")[0].as<long long>(), rows) << account;
        const char* forged =
            "INSERT INTO joint_summary(task_id, job_id, version_no, filename, content_type, size, sha256,"
            " summary_date, conclusion, job_state) VALUES ($1, $2, 99, 'x.pdf', 'application/pdf', 1,"
            " repeat('a', 64), current_date, '伪造', 'submitted')";
        if (may_insert) {
            EXPECT_NO_THROW(tx.exec_params(forged, joint_task, done_job)) << account;
            EXPECT_THROW(tx.exec_params("UPDATE joint_summary SET conclusion = '改' WHERE job_id = $1", done_job),
                         pqxx::sql_error)
                << "versions are never changed";
        } else {
            EXPECT_THROW(tx.exec_params(forged, joint_task, done_job), pqxx::sql_error) << account;
        }
    }  // rolled back
    EXPECT_EQ(call("yz_assigner", "GET", "/api/joint-summaries/999999/file").status, 404);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/tasks/0x1/joint-summaries").status, 400);
    // Nothing was written by the refusals.
    EXPECT_EQ(sql_count("SELECT count(*) FROM joint_summary WHERE uploaded_by IN"
                        " (SELECT id FROM app_user WHERE account IN ('spb_assigner', 'yz_reviewer', 'jb_assigner'))"),
              0);
}

TEST_F(JointSummaryApi, ForbiddenStatesAnswer409WithTheState) {
    // A job whose group has not submitted its result.
    refused(upload("yz_assigner", open_job, kPdf), 409, "job_not_ready", "pending");
    // A job of a single-department task has no joint summary.
    json plan = {{"year", 2026},
                 {"name", "单部门计划"},
                 {"plan_type", "single"},
                 {"item_ids", {item1}},
                 {"object_scope", "渝中区"},
                 {"start_date", "2026-03-01"},
                 {"end_date", "2026-11-30"}};
    const long long pid = distributed_plan(plan);
    // Half of 渝中区 is left by the joint task's draw.
    const long long single = task("单部门抽查任务", pid, false);
    const std::string t = "/api/tasks/" + std::to_string(single);
    const long long draw = ok(call("yz_assigner", "POST", t + "/draw"), 201)["id"];
    confirm_draw(draw);
    const long long job = sql_count("SELECT min(id) FROM inspection_job WHERE task_id = " + std::to_string(single));
    ASSERT_GT(job, 0);
    refused(upload("yz_assigner", job, kPdf), 409, "not_joint_task", "pending");
    json list = ok(call("yz_assigner", "GET", t + "/joint-summaries"));
    EXPECT_EQ(list["joint"], false);
    EXPECT_EQ(list["can_upload"], false);
    EXPECT_TRUE(list["jobs"].empty());
    EXPECT_EQ(sql_count("SELECT count(*) FROM joint_summary WHERE job_id IN (" + std::to_string(open_job) + ", " +
                        std::to_string(job) + ")"),
              0);
}

TEST_F(JointSummaryApi, BadFilesAndFieldsAreRefusedWithoutWriting) {
    const long long before = sql_count("SELECT count(*) FROM joint_summary");
    refused(upload("yz_assigner", done_job, ""), 400, "empty_body");
    refused(upload("yz_assigner", done_job, "just some text, not a form"), 415, "unsupported_type");
    // A ZIP that is not a workbook (no xl/workbook.xml).
    refused(upload("yz_assigner", done_job, std::string("PK\x03\x04", 4) + "[Content_Types].xml word/document.xml"),
            415, "unsupported_type");
    refused(upload("yz_assigner", done_job, kPdf + std::string(70 * 1024, 'x')), 413, "too_large");
    // Fields: both required ones missing; a date that does not exist; a future date.
    auto r = upload("yz_assigner", done_job, kPdf, {});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::set<std::string>{"summary_date", "conclusion"}));
    r = upload("yz_assigner", done_job, kPdf, {{"summary_date", "2026-02-30"}, {"conclusion", "未发现问题"}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::set<std::string>{"summary_date"}));
    r = upload("yz_assigner", done_job, kPdf, {{"summary_date", "2999-01-01"}, {"conclusion", "未发现问题"}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::set<std::string>{"summary_date"}));
    r = upload("yz_assigner", done_job, kPdf,
               {{"summary_date", "2026-03-03"}, {"conclusion", std::string(201 * 3, 'a')}, {"summary", "\xC3\x28"}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(r), (std::set<std::string>{"conclusion", "summary"}));
    EXPECT_EQ(sql_count("SELECT count(*) FROM joint_summary"), before);
}

// The job page (我的检查): the group leader (an inspector, scope self, without task.read)
// reads its job's summary and downloads each version through the job, sees a new version
// as the current one; an inspector outside the group sees neither (404), and the
// task-page download stays closed to inspectors (403).
TEST_F(JointSummaryApi, TheJobsGroupReadsItsSummaryOnTheJobPage) {
    const std::string path = "/api/jobs/" + std::to_string(done_job) + "/joint-summary";
    const long long before = sql_count("SELECT count(*) FROM joint_summary WHERE job_id = " + std::to_string(done_job));
    json mine = ok(call(leader, "GET", path));
    EXPECT_EQ(mine["joint"], true);
    EXPECT_EQ(mine["ready"], true);
    EXPECT_EQ(mine["state"], "submitted");
    EXPECT_EQ(mine["task_id"], joint_task);
    EXPECT_EQ(mine["lead"]["id"], yuzhong);
    EXPECT_EQ(static_cast<long long>(mine["versions"].size()), before);

    // A new version by the lead department is the current one on the job page.
    const json v = ok(upload("yz_assigner", done_job, kJpeg,
                             {{"filename", "汇总表.jpg"}, {"summary_date", "2026-03-04"}, {"conclusion", "组员已签字"}}),
                      201);
    mine = ok(call(leader, "GET", path));
    ASSERT_EQ(static_cast<long long>(mine["versions"].size()), before + 1) << mine.dump();
    EXPECT_EQ(mine["current"]["id"], v["id"]);
    EXPECT_EQ(mine["current"]["conclusion"], "组员已签字");
    EXPECT_EQ(mine["current"]["version_no"], v["version_no"]);
    const std::string file = "/api/joint-summaries/" + std::to_string(v["id"].get<long long>()) + "/job-file";
    auto got = call(leader, "GET", file);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(got.body, kJpeg);
    EXPECT_EQ(call(leader, "GET", "/api/joint-summaries/" + std::to_string(v["id"].get<long long>()) + "/file").status,
              403);
    EXPECT_EQ(call(leader, "GET", "/api/joint-summaries/999999999/job-file").status, 404);

    // An inspector of 渝中区 outside the group: neither the job nor its summary.
    {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        auto other = tx.exec_params(
            "SELECT i.id FROM inspector i, inspection_job j WHERE j.id = $1 AND i.authority_id = $2"
            " AND NOT i.id = ANY (j.inspector_ids) AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.inspector_id = i.id)"
            " ORDER BY i.id LIMIT 1",
            done_job, yuzhong);
        ASSERT_EQ(other.size(), 1u);
        add_user(tx, "outside_inspector", yuzhong, "inspector", other[0][0].as<long long>());
        tx.commit();
    }
    refused(call("outside_inspector", "GET", path), 404, "not_found");
    EXPECT_EQ(call("outside_inspector", "GET", file).status, 404);
    // Without job.submit (the cooperating department's assigner), no session, a bad id.
    EXPECT_EQ(call("spb_assigner", "GET", path).status, 403);
    EXPECT_EQ(call("", "GET", path).status, 401);
    EXPECT_EQ(call(leader, "GET", "/api/jobs/999999999/joint-summary").status, 404);
    EXPECT_EQ(call(leader, "GET", "/api/jobs/x/joint-summary").status, 400);
}
