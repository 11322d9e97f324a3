// The draw of a task through the HTTP API on the demo city, as its accounts: plan →
// task → approve → receive → draw from the task → confirm → the task shows its draw;
// the refusals (409 with the state, 403, 404); the system messages of each step
// arriving as unread counts (DRAW-1, TASK-1, TASK-5..7, WORK-3, issue 4 step 4 and
// "Notifications").
#include "demo-api.hpp"
#include "sms-sink.hpp"
#include "smtp-sink.hpp"

#include "server/import-queue.hpp"
#include "workflows/notify-outbox.hpp"
#include "workflows/notify.hpp"

#include <sodium.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

std::string unbase64(std::string s) {
    std::erase_if(s, [](char c) { return c == '\r' || c == '\n'; });
    std::string out(s.size(), '\0');
    size_t len = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(), s.size(), nullptr,
                                &len, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    out.resize(len);
    return out;
}

// The decoded subject (=?UTF-8?B?...?=) and base64 body of a mail as the sink got it.
std::pair<std::string, std::string> decode_mail(const std::string& data) {
    std::string subject, body;
    auto s = data.find("Subject: =?UTF-8?B?");
    if (s != std::string::npos) {
        s += 19;
        subject = unbase64(data.substr(s, data.find("?=", s) - s));
    }
    auto b = data.find("\r\n\r\n");
    if (b != std::string::npos) body = unbase64(data.substr(b + 4));
    return {subject, body};
}

class TaskDrawApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 200, .seed = 11});
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        yuzhong = bureau(tx, "500103");
        shapingba = bureau(tx, "500106");
        item1 = tx.exec1("SELECT id FROM inspection_item ORDER BY id LIMIT 1")[0].as<long long>();
        add_user(tx, "spb_assigner", shapingba, "task_assigner");
        tx.commit();
        start_api("taskdraw", [](App& a) {
            imports = new ImportQueue(a.pool);
            a.imports = imports;
        });
        // The assigner's draw password (DRAW-11).
        set_draw_password();
    }

    static void TearDownTestSuite() {
        delete imports;
        imports = nullptr;
        stop();
    }

    // Every stratum of 渝中区 at 50 %, two groups of two.
    static json draw_params() {
        return json::parse(R"({
            "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                        "strata": [{"risk_level": 4, "ratio": 50}, {"ratio": 50}]},
            "inspectors": {"scope": "bureau"},
            "groups": {"count": 2, "inspectors_per_group": 2}})");
    }

    // A task of a distributed plan of 渝中区 in state created, submitted or approved.
    static long long task_in(const std::string& state, const std::string& name, json params = draw_params()) {
        json plan = {{"year", 2026},
                     {"name", "计划-" + name},
                     {"plan_type", "single"},
                     {"item_ids", {item1}},
                     {"object_scope", "渝中区"},
                     {"start_date", "2026-03-01"},
                     {"end_date", "2026-11-30"}};
        const long long pid = distributed_plan(plan);
        json body = {{"plan_id", pid},
                     {"name", name},
                     {"task_type", "single"},
                     {"item_ids", {item1}},
                     {"start_date", "2026-04-01"},
                     {"end_date", "2026-06-30"},
                     {"draw_params", params}};
        return task_in_state(body, state);
    }

    static inline ImportQueue* imports = nullptr;
    static inline long long yuzhong = 0, shapingba = 0, item1 = 0;
};

}  // namespace

TEST_F(TaskDrawApi, ApprovedReceivedTaskIsDrawnConfirmedAndShowsItsDraw) {
    const long long reviewer0 = unread("yz_reviewer"), assigner0 = unread("yz_assigner");
    const long long id = task_in("submitted", "2026年渝中区双随机抽查任务");
    const std::string t = "/api/tasks/" + std::to_string(id);
    // Submitting told the reviewer of the initiating department.
    EXPECT_EQ(unread("yz_reviewer"), reviewer0 + 1);
    auto msgs = ok(call("yz_reviewer", "GET", "/api/messages?unread=true"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("待审核"), std::string::npos) << msgs.dump();
    EXPECT_EQ(msgs["items"][0]["link"], "/random/tasks/" + std::to_string(id));

    ok(call("yz_reviewer", "POST", t + "/approve", {{"opinion", "同意抽取"}}));
    // Approving told the assigner of the executing unit to receive it.
    EXPECT_EQ(unread("yz_assigner"), assigner0 + 1);

    // Approved but not received yet: no draw (409 naming the receiving state).
    refused(call("yz_assigner", "POST", t + "/draw"), 409, "task_not_received", "waiting");
    auto st = ok(call("yz_assigner", "GET", t + "/draw"));
    EXPECT_EQ(st["allowed"], false);
    EXPECT_EQ(st["refusal"]["code"], "task_not_received");

    const long long inspector0 = unread("inspector1");
    ok(call("yz_assigner", "POST", t + "/receive", {{"opinion", "已接收"}}));
    EXPECT_EQ(unread("inspector1"), inspector0 + 1) << "the inspectors of the receiving unit are told";
    st = ok(call("yz_assigner", "GET", t + "/draw"));
    EXPECT_EQ(st["allowed"], true) << st.dump();
    EXPECT_TRUE(st["draw_id"].is_null());

    // The preview is the task's draw_params as a draw request.
    auto pv = ok(call("yz_assigner", "POST", t + "/draw/preview"));
    EXPECT_EQ(pv["request"]["task_id"], id);
    EXPECT_EQ(pv["request"]["scope"]["division_codes"], json::array({"500103"}));
    EXPECT_EQ(pv["request"]["strata"].size(), 16u);
    EXPECT_EQ(pv["request"]["inspectors"]["unit_ids"], json::array({yuzhong}));
    EXPECT_EQ(pv["request"]["groups"], 2);
    long long population = 0;
    for (const auto& s : pv["preview"]["strata"]) population += s["population"].get<long long>();
    EXPECT_GT(population, 0) << pv.dump();

    auto d = ok(call("yz_assigner", "POST", t + "/draw"), 201);
    const long long draw_id = d["id"];
    EXPECT_EQ(d["status"], "committed");
    EXPECT_EQ(d["task_id"], id) << d.dump();
    st = ok(call("yz_assigner", "GET", t + "/draw"));
    ASSERT_EQ(st["draws"].size(), 1u);
    EXPECT_EQ(st["draws"][0]["status"], "committed");
    EXPECT_TRUE(st["draw_id"].is_null()) << "an unconfirmed attempt is not yet the task's draw";
    // One attempt of a task at a time.
    refused(call("yz_assigner", "POST", t + "/draw"), 409, "attempt_open");

    const long long assigner1 = unread("yz_assigner");
    confirm_draw(draw_id);
    // The task records its draw: draw_id, a flow-history row, the public page path.
    st = ok(call("yz_assigner", "GET", t + "/draw"));
    EXPECT_EQ(st["draw_id"], draw_id);
    EXPECT_EQ(st["public_path"], "/public/draws/" + std::to_string(draw_id));
    EXPECT_EQ(st["allowed"], false);
    EXPECT_EQ(st["refusal"]["code"], "task_already_drawn");
    auto task = ok(call("yz_assigner", "GET", t));
    bool drawn = false;
    for (const auto& h : task["history"])
        if (h["action"] == "draw") {
            drawn = true;
            EXPECT_EQ(h["action_label"], "随机抽取");
            EXPECT_NE(h["opinion"].get<std::string>().find(std::to_string(draw_id)), std::string::npos);
        }
    EXPECT_TRUE(drawn) << task["history"].dump();
    EXPECT_EQ(unread("yz_assigner"), assigner1 + 1) << "the assigners of the executing units are told";
    EXPECT_EQ(ok(call("", "GET", "/api/public/draws/" + std::to_string(draw_id)))["matches"], true);
    // A drawn task cannot be drawn again.
    refused(call("yz_assigner", "POST", t + "/draw"), 409, "task_already_drawn", "drawn");
    refused(call("yz_assigner", "POST", t + "/draw/preview"), 409, "task_already_drawn", "drawn");
}

TEST_F(TaskDrawApi, RefusalsNameTheStateAndPermissionsAndScopesHold) {
    const long long created = task_in("created", "未提交任务");
    refused(call("yz_assigner", "POST", "/api/tasks/" + std::to_string(created) + "/draw"), 409, "task_not_approved",
            "created");
    const long long submitted = task_in("submitted", "待审核任务");
    refused(call("yz_assigner", "POST", "/api/tasks/" + std::to_string(submitted) + "/draw/preview"), 409,
            "task_not_approved", "submitted");
    const long long approved = task_in("approved", "已通过任务");
    const std::string t = "/api/tasks/" + std::to_string(approved);
    ok(call("yz_assigner", "POST", t + "/receive"));
    // A reviewer has no draw.run; another district does not see the task; no session is 401.
    EXPECT_EQ(call("yz_reviewer", "POST", t + "/draw").status, 403);
    EXPECT_EQ(call("spb_assigner", "POST", t + "/draw").status, 404);
    EXPECT_EQ(call("", "POST", t + "/draw").status, 401);
    EXPECT_EQ(call("yz_assigner", "POST", "/api/tasks/0x1/draw").status, 400);
    EXPECT_EQ(call("yz_assigner", "POST", "/api/tasks/999999/draw").status, 404);
    // The refusals are in the draw log with the task named.
    auto log = ok(call("yz_assigner", "GET", "/api/draws/attempts?page_size=50"));
    int refusals = 0;
    for (const auto& a : log["items"])
        if (a.value("code", json()).is_string() && a["code"] == "task_not_approved") ++refusals;
    EXPECT_EQ(refusals, 1) << log.dump();
}

// A joint task of two districts' market bureaus: the draw runs under the drawer's row-level
// data scope, and still pools the members of both departments and the leaders of the
// initiating one (0022). A single-department task naming another district's people does not
// widen the scope: they stay out of its pool.
TEST_F(TaskDrawApi, JointTaskDrawPoolsBothDistrictsInspectorsUnderRowLevelSecurity) {
    // Counted as the owner, outside row-level security: active, not experts, not recused.
    auto eligible = [&](long long unit, bool leaders) {
        pqxx::connection c(db->url());
        pqxx::read_transaction tx(c);
        return tx
            .exec_params1(
                "WITH RECURSIVE u AS (SELECT id FROM authority WHERE id = $1"
                "  UNION SELECT a.id FROM authority a JOIN u ON a.parent_id = u.id)"
                " SELECT count(*) FROM inspector i WHERE i.authority_id IN (SELECT id FROM u)"
                "  AND i.active AND i.category <> 'expert' AND (NOT $2 OR i.is_leader)"
                "  AND NOT EXISTS (SELECT 1 FROM inspector_recusal r WHERE r.inspector_id = i.id AND r.object_id IS NULL"
                "   AND current_date >= r.valid_from AND (r.valid_until IS NULL OR current_date <= r.valid_until))",
                unit, leaders)[0]
            .as<long long>();
    };
    const long long yz_members = eligible(yuzhong, false), spb_members = eligible(shapingba, false);
    const long long yz_leaders = eligible(yuzhong, true);
    ASSERT_GT(spb_members, 0);
    ASSERT_GT(yz_leaders, 0);

    json params = draw_params();
    params["inspectors"] = {{"scope", "offices"}, {"authority_ids", {yuzhong, shapingba}}};
    const long long single = task_in("approved", "单部门任务-外区人员不入池", params);
    ok(call("yz_assigner", "POST", "/api/tasks/" + std::to_string(single) + "/receive"));
    auto pv = ok(call("yz_assigner", "POST", "/api/tasks/" + std::to_string(single) + "/draw/preview"));
    EXPECT_EQ(pv["preview"]["inspectors"]["members"], yz_members) << pv["preview"]["inspectors"].dump();

    json plan = {{"year", 2026},
                 {"name", "渝中区沙坪坝区联合抽查计划"},
                 {"plan_type", "joint"},
                 {"item_ids", {item1}},
                 {"object_scope", "渝中区"},
                 {"start_date", "2026-03-01"},
                 {"end_date", "2026-11-30"},
                 {"cooperating_authority_ids", {shapingba}}};
    const long long pid = ok(call("yz_assigner", "POST", "/api/plans", plan), 201)["id"];
    ok(call("yz_assigner", "POST", "/api/plans/" + std::to_string(pid) + "/distribute", json::object()));
    json body = {{"plan_id", pid},
                 {"name", "渝中区沙坪坝区联合抽查"},
                 {"task_type", "joint"},
                 {"cooperating_authority_ids", {shapingba}},
                 {"item_ids", {item1}},
                 {"start_date", "2026-04-01"},
                 {"end_date", "2026-06-30"},
                 {"draw_params", draw_params()}};
    const long long joint = ok(call("yz_assigner", "POST", "/api/tasks", body), 201)["id"];
    const std::string t = "/api/tasks/" + std::to_string(joint);
    ok(call("yz_assigner", "POST", t + "/submit"));
    ok(call("yz_reviewer", "POST", t + "/approve", {{"opinion", "同意联合抽查"}}));
    ok(call("yz_assigner", "POST", t + "/receive"));
    ok(call("spb_assigner", "POST", t + "/receive"));
    for (const char* who : {"yz_assigner", "spb_assigner"}) {
        pv = ok(call(who, "POST", t + "/draw/preview"));
        EXPECT_EQ(pv["request"]["inspectors"]["initiating_unit_id"], yuzhong) << who;
        EXPECT_EQ(pv["preview"]["inspectors"]["members"], yz_members + spb_members)
            << who << ": " << pv["preview"]["inspectors"].dump();
        EXPECT_EQ(pv["preview"]["inspectors"]["leaders"], yz_leaders)
            << who << ": the leaders come from the initiating department";
    }
}

TEST_F(TaskDrawApi, ReturnAndUrgeNotifyAndACountOverSeveralStrataIsRefused) {
    const long long assigner0 = unread("yz_assigner");
    const long long id = task_in("submitted", "将被退回的任务");
    ok(call("yz_reviewer", "POST", "/api/tasks/" + std::to_string(id) + "/return", {{"opinion", "请补充抽取范围"}}));
    EXPECT_EQ(unread("yz_assigner"), assigner0 + 1);
    auto msgs = ok(call("yz_assigner", "GET", "/api/messages?unread=true"));
    EXPECT_NE(msgs["items"][0]["body"].get<std::string>().find("请补充抽取范围"), std::string::npos) << msgs.dump();

    json params = draw_params();
    params["objects"]["strata"] = json::parse(R"([{"risk_level": 4, "count": 3}])");
    const long long bad = task_in("approved", "按数量跨层的任务", params);
    const std::string t = "/api/tasks/" + std::to_string(bad);
    const long long assigner1 = unread("yz_assigner");
    ok(call("yz_reviewer", "POST", t + "/urge", {{"opinion", "请尽快接收"}}));
    EXPECT_EQ(unread("yz_assigner"), assigner1 + 1);
    ok(call("yz_assigner", "POST", t + "/receive"));
    refused(call("yz_assigner", "POST", t + "/draw/preview"), 422, "draw_params_not_drawable");
}

TEST_F(TaskDrawApi, MailAndSmsLeaveAfterCommitAndARefusingServerIsRetried) {
    {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        // Earlier steps' rows are not this test's; the reviewer gets an address and a phone.
        tx.exec("UPDATE notify_outbox SET status = 'skipped' WHERE status = 'pending'");
        tx.exec(
            "UPDATE app_user SET email = 'reviewer@example.test', phone = '13800000001' WHERE account = 'yz_reviewer'");
        tx.commit();
    }
    auto pending = [&] {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        return tx.exec1("SELECT count(*) FROM notify_outbox WHERE status = 'pending'")[0].as<long long>();
    };
    const long long id = task_in("submitted", "邮件短信通知的任务");
    const std::string name = "邮件短信通知的任务";
    EXPECT_EQ(pending(), 2) << "one e-mail and one SMS to the reviewer, queued with the step";

    // A mail server that refuses and a gateway that is not there: the step had already
    // succeeded; both rows wait for their next attempt with the error kept.
    notify::OutboxSettings s;
    s.smtp_from = "twindraw@example.test";
    s.first_retry = std::chrono::seconds(60);
    {
        twindraw::testing::SmtpSink refusing(true);
        s.smtp_url = refusing.url();
        s.sms_gateway_url = "http://127.0.0.1:9/sms";
        auto n = notify::deliver_due(db->pool(), s);
        EXPECT_EQ(n.retried, 2);
        EXPECT_EQ(n.sent, 0);
        EXPECT_GE(refusing.connections(), 1);
        EXPECT_TRUE(refusing.mails().empty());
    }
    EXPECT_EQ(ok(call("yz_reviewer", "GET", "/api/tasks/" + std::to_string(id)))["state"], "submitted");
    {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        auto r = tx.exec1(
            "SELECT count(*), min(attempts), bool_and(last_error IS NOT NULL),"
            " bool_and(next_attempt_at > now() + interval '50 seconds')"
            " FROM notify_outbox WHERE status = 'pending'");
        EXPECT_EQ(r[0].as<long long>(), 2);
        EXPECT_EQ(r[1].as<int>(), 1);
        EXPECT_TRUE(r[2].as<bool>());
        EXPECT_TRUE(r[3].as<bool>()) << "backed off, not due at once";
        // Not due yet: nothing is attempted.
        EXPECT_EQ(notify::deliver_due(db->pool(), s).retried, 0);
        tx.exec("UPDATE notify_outbox SET next_attempt_at = now() WHERE status = 'pending'");  // the minute passed
        tx.commit();
    }

    // The servers are back: the mail arrives at the SMTP server, the SMS at the gateway.
    twindraw::testing::SmtpSink smtp;
    twindraw::testing::SmsSink sms;
    s.smtp_url = smtp.url();
    s.sms_gateway_url = sms.url();
    auto n = notify::deliver_due(db->pool(), s);
    EXPECT_EQ(n.sent, 2);
    EXPECT_EQ(pending(), 0);
    auto mails = smtp.mails();
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].from, "twindraw@example.test");
    EXPECT_EQ(mails[0].to, std::vector<std::string>({"reviewer@example.test"}));
    auto [subject, body] = decode_mail(mails[0].data);
    EXPECT_NE(subject.find(name), std::string::npos) << mails[0].data;
    EXPECT_NE(subject.find("待审核"), std::string::npos) << subject;
    EXPECT_NE(body.find("/random/tasks/" + std::to_string(id)), std::string::npos) << body;
    const auto request = sms.request();
    EXPECT_NE(request.find("13800000001"), std::string::npos) << request;
    EXPECT_NE(request.find(name), std::string::npos) << request;

    // After the last attempt a row is given up as failed.
    task_in("submitted", "邮件发送失败的任务");
    {
        twindraw::testing::SmtpSink refusing(true);
        s.smtp_url = refusing.url();
        s.sms_gateway_url = "http://127.0.0.1:9/sms";
        s.max_attempts = 1;
        auto f = notify::deliver_due(db->pool(), s);
        EXPECT_EQ(f.failed, 2);
    }
    EXPECT_EQ(pending(), 0);
}

TEST_F(TaskDrawApi, DeadlineNearIsToldOnceToTheExecutingUnits) {
    const long long id = task_in("approved", "即将到期的任务");
    const long long later = task_in("approved", "尚早到期的任务");
    {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        // Tasks already past their end are not "near"; this one ends tomorrow, the other in
        // a month.
        tx.exec_params(
            "UPDATE inspection_task SET end_date = (now() AT TIME ZONE 'Asia/Shanghai')::date + 1,"
            " start_date = (now() AT TIME ZONE 'Asia/Shanghai')::date - 10 WHERE id = $1",
            id);
        tx.exec_params(
            "UPDATE inspection_task SET end_date = (now() AT TIME ZONE 'Asia/Shanghai')::date + 40,"
            " start_date = (now() AT TIME ZONE 'Asia/Shanghai')::date - 10 WHERE id = $1",
            later);
        tx.exec("UPDATE inspection_task SET deadline_notified_at = now() WHERE end_date < current_date");
        tx.commit();
    }
    const long long inspector0 = unread("inspector1"), assigner0 = unread("yz_assigner");
    EXPECT_EQ(notify::deadline_near(db->pool(), 3), 1);
    EXPECT_EQ(unread("inspector1"), inspector0 + 1);
    EXPECT_EQ(unread("yz_assigner"), assigner0 + 1);
    auto msgs = ok(call("yz_assigner", "GET", "/api/messages?unread=true"));
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("即将到期的任务"), std::string::npos) << msgs.dump();
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("到期"), std::string::npos);
    // Told once.
    EXPECT_EQ(notify::deadline_near(db->pool(), 3), 0);
    EXPECT_EQ(unread("yz_assigner"), assigner0 + 1);
}

// --- The department's work (WORK-1, WORK-2, WORK-4, WORK-5, TASK-7) -------------------

namespace {

// The sheet's data rows of an .xlsx read back with GDAL's XLSX driver (header row not
// counted whether or not GDAL takes it as field names).
long long xlsx_rows(const std::string& bytes, const std::string& sheet, const std::string& first_header) {
    const std::string path = (std::filesystem::temp_directory_path() / "twindraw-work-export.xlsx").string();
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    GDALAllRegister();
    const char* drivers[] = {"XLSX", nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
    EXPECT_TRUE(ds) << "GDAL cannot open the work export";
    if (!ds) return -1;
    OGRLayer* layer = ds->GetLayerByName(sheet.c_str());
    EXPECT_NE(layer, nullptr) << sheet;
    if (!layer) return -1;
    long long n = 0;
    for (auto& f : *layer)
        if (std::string(f->GetFieldAsString(0)) != first_header) ++n;
    return n;
}

}  // namespace

TEST_F(TaskDrawApi, WorkShowsProgressExportsAndUrgesTheInspectorsWithOpenJobs) {
    const long long id = task_in("approved", "部门工作进度任务");
    const std::string t = "/api/tasks/" + std::to_string(id);
    const std::string w = "/api/works/" + std::to_string(id) + "/" + std::to_string(yuzhong);
    // Approved, not received: the work exists, but there is nothing to urge yet.
    refused(call("yz_assigner", "POST", w + "/urge"), 409, "work_not_received", "waiting");
    ok(call("yz_assigner", "POST", t + "/receive"));
    const long long draw_id = ok(call("yz_assigner", "POST", t + "/draw"), 201)["id"];
    confirm_draw(draw_id);

    // Counted as the owner: the task's jobs, the draw's inspectors, a result category.
    pqxx::connection c(db->url());
    std::vector<long long> jobs;
    long long drawn_inspectors = 0, inspector1 = 0;  // the work's inspectors, inspector1 among them
    std::string category;
    {
        pqxx::work tx(c);
        for (const auto& r : tx.exec_params("SELECT id FROM inspection_job WHERE task_id = $1 ORDER BY id", id))
            jobs.push_back(r[0].as<long long>());
        inspector1 = tx.exec1("SELECT inspector_id FROM app_user WHERE account = 'inspector1'")[0].as<long long>();
        category = tx.exec1("SELECT e.code FROM dict_entry e JOIN dict_category c ON c.id = e.category_id"
                            " WHERE c.code = 'check_result' ORDER BY e.sort_order, e.id LIMIT 1")[0]
                       .as<std::string>();
        // The fixture puts inspector1's account into the first job's group, so that the
        // urge has a known account to reach whatever the draw picked.
        tx.exec_params(
            "UPDATE inspection_job SET inspector_ids = array_append(inspector_ids, $2)"
            " WHERE id = $1 AND NOT ($2 = ANY (inspector_ids))",
            jobs.front(), inspector1);
        drawn_inspectors = tx.exec_params1("SELECT count(DISTINCT x) FROM inspection_job j, unnest(j.inspector_ids) x"
                                           " WHERE j.task_id = $1",
                                           id)[0]
                               .as<long long>();
        tx.commit();
    }
    const long long total = static_cast<long long>(jobs.size());
    ASSERT_GE(total, 3);

    auto d = ok(call("yz_assigner", "GET", w));
    EXPECT_EQ(d["progress"]["total"], total);
    EXPECT_EQ(d["progress"]["not_inspected"], total);
    EXPECT_EQ(d["progress"]["percent"], 0);
    EXPECT_EQ(d["jobs"].size(), jobs.size());
    EXPECT_EQ(d["inspectors"].size(), static_cast<size_t>(drawn_inspectors)) << d["inspectors"].dump();
    EXPECT_EQ(d["draw_id"], draw_id);
    EXPECT_EQ(d["actions"], json::array({"urge"}));
    auto list = ok(call("yz_assigner", "GET", "/api/works?state=received&q=" + std::string("部门工作进度")));
    ASSERT_EQ(list["items"].size(), 1u) << list.dump();
    EXPECT_EQ(list["items"][0]["jobs_total"], total);
    EXPECT_EQ(list["items"][0]["not_inspected"], total);
    EXPECT_EQ(ok(call("yz_assigner", "GET", "/api/works?q=没有这样的任务名称"))["total"], 0);

    // Two results in: one submitted, one accepted.
    {
        pqxx::work tx(c);
        tx.exec_params("UPDATE inspection_job SET state = 'submitted', result_category = $2, qualified = true WHERE id = $1",
                       jobs[1], category);
        tx.exec_params("UPDATE inspection_job SET state = 'accepted', result_category = $2, qualified = true WHERE id = $1",
                       jobs[2], category);
        tx.commit();
    }
    d = ok(call("yz_assigner", "GET", w));
    EXPECT_EQ(d["progress"]["done"], 2);
    EXPECT_EQ(d["progress"]["submitted"], 1);
    EXPECT_EQ(d["progress"]["accepted"], 1);
    EXPECT_EQ(d["progress"]["not_inspected"], total - 2);
    EXPECT_EQ(d["progress"]["percent"], 200 / total);
    ASSERT_EQ(d["results"].size(), 1u) << d["results"].dump();
    EXPECT_EQ(d["results"][0]["category"], category);
    EXPECT_EQ(d["results"][0]["count"], 2);

    // A job cancelled by an approved list change (DRAW-6) leaves the work: counted apart,
    // not in the total nor among the objects not yet inspected, here and in the list.
    {
        pqxx::work tx(c);
        tx.exec_params("UPDATE inspection_job SET state = 'cancelled' WHERE id = $1", jobs.front());
        tx.commit();
    }
    d = ok(call("yz_assigner", "GET", w));
    EXPECT_EQ(d["progress"]["total"], total - 1);
    EXPECT_EQ(d["progress"]["cancelled"], 1);
    EXPECT_EQ(d["progress"]["not_inspected"], total - 3);
    list = ok(call("yz_assigner", "GET", "/api/works?state=received&q=" + std::string("部门工作进度")));
    EXPECT_EQ(list["items"][0]["jobs_total"], total - 1);
    EXPECT_EQ(list["items"][0]["not_inspected"], total - 3);
    {
        pqxx::work tx(c);
        tx.exec_params("UPDATE inspection_job SET state = 'pending' WHERE id = $1", jobs.front());
        tx.commit();
    }

    // The export holds every object and the two results.
    auto x = call("yz_assigner", "GET", w + "/export.xlsx");
    ASSERT_EQ(x.status, 200) << x.body;
    EXPECT_EQ(xlsx_rows(x.body, "检查对象", "作业编号"), total);
    EXPECT_EQ(xlsx_rows(x.body, "检查结果", "作业编号"), 2);
    EXPECT_EQ(xlsx_rows(x.body, "执法人员", "姓名"), drawn_inspectors);

    // Urge: inspector1 (open job) is told once; the work counts it and its history shows it.
    const long long before = unread("inspector1");
    d = ok(call("yz_assigner", "POST", w + "/urge", {{"opinion", "请本周内完成"}}));
    EXPECT_EQ(unread("inspector1"), before + 1);
    EXPECT_EQ(d["urge_count"], 1);
    bool urged = false;
    for (const auto& h : d["history"])
        if (h["action"] == "urge" && h["opinion"] == "请本周内完成") urged = true;
    EXPECT_TRUE(urged) << d["history"].dump();

    // Refusals: another district sees no such work, a reviewer may not urge, bad ids are
    // 400, bad bodies 400/422, and a work with every job done has nothing to urge.
    refused(call("spb_assigner", "GET", w), 404, "not_found");
    EXPECT_EQ(call("yz_reviewer", "POST", w + "/urge").status, 403);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/works/x1/" + std::to_string(yuzhong)).status, 400);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/works/" + std::to_string(id) + "/999999").status, 404);
    EXPECT_EQ(call("yz_assigner", "POST", w + "/urge", {{"opinion", std::string(600, 'x')}}).status, 422);
    EXPECT_EQ(call("yz_assigner", "POST", w + "/urge", {{"unknown", 1}}).status, 422);
    {
        pqxx::work tx(c);
        tx.exec_params("UPDATE inspection_job SET state = 'accepted' WHERE task_id = $1", id);
        tx.commit();
    }
    refused(call("yz_assigner", "POST", w + "/urge"), 409, "nothing_to_urge", "done");
    EXPECT_EQ(ok(call("yz_assigner", "GET", w))["actions"], json::array());
    EXPECT_GE(ok(call("yz_assigner", "GET", "/api/works/summary"))["ongoing"], 1);
}

// The task and work pages list the appeals of their jobs and the change requests of
// their draws (JOB-5, WORK-9, DRAW-6): an appeal filed on an accepted job of the task
// (owner SQL: the appeal flow has its own tests) and a list change requested by the
// assigner and approved by the head through the API appear on GET
// /api/tasks/{id}/appeals-changes and /api/works/{task}/{unit}/appeals-changes; another
// district's assigner gets 404 (task not visible, unit out of scope), a role without
// task.read 403, no session 401.
TEST_F(TaskDrawApi, TaskAndWorkListTheAppealsAndChangesOfTheirJobs) {
    const long long id = task_in("approved", "申诉与变更列表任务");
    const std::string t = "/api/tasks/" + std::to_string(id);
    const std::string w = "/api/works/" + std::to_string(id) + "/" + std::to_string(yuzhong);
    ok(call("yz_assigner", "POST", t + "/receive"));
    const long long draw_id = ok(call("yz_assigner", "POST", t + "/draw"), 201)["id"];
    confirm_draw(draw_id);
    // Nothing yet.
    auto empty = ok(call("yz_assigner", "GET", t + "/appeals-changes"));
    EXPECT_TRUE(empty["appeals"].empty());
    EXPECT_TRUE(empty["changes"].empty());

    pqxx::connection c(db->url());
    long long appealed = 0, removed_object = 0;
    std::string appealed_no;
    {
        pqxx::work tx(c);
        auto jobs = tx.exec_params("SELECT id, job_no, object_id FROM inspection_job WHERE task_id = $1 ORDER BY id", id);
        ASSERT_GE(jobs.size(), 2u);
        appealed = jobs[0][0].as<long long>();
        appealed_no = jobs[0][1].as<std::string>();
        removed_object = jobs[1][2].as<long long>();
        tx.exec_params(
            "UPDATE inspection_job SET state = 'accepted', result_category = '01', qualified = true,"
            " findings = '未发现问题' WHERE id = $1",
            appealed);
        tx.exec_params(
            "INSERT INTO result_appeal(job_id, unit_id, reason, corrected, reviewer_id, filed_by)"
            " SELECT j.id, j.unit_id, '复查发现超范围经营', '{\"result_category\":\"07\",\"qualified\":false}',"
            " (SELECT id FROM app_user WHERE account = 'yz_reviewer'), NULL FROM inspection_job j WHERE j.id = $1",
            appealed);
        tx.commit();
    }
    // A list change through the API: the second job's object leaves the list (注销).
    auto change = ok(call("yz_assigner", "POST", "/api/draws/" + std::to_string(draw_id) + "/changes",
                          {{"kind", "object"},
                           {"reason_code", "deregistered"},
                           {"reason", "已注销"},
                           {"old_object_id", removed_object}}),
                     201);
    ok(call("yz_head", "POST", "/api/draw-changes/" + std::to_string(change["id"].get<long long>()) + "/approve",
            {{"opinion", "同意"}}));

    for (const std::string& path : {t + "/appeals-changes", w + "/appeals-changes"}) {
        auto d = ok(call("yz_assigner", "GET", path));
        ASSERT_EQ(d["appeals"].size(), 1u) << path << ": " << d.dump();
        EXPECT_EQ(d["appeals"][0]["job_id"], appealed);
        EXPECT_EQ(d["appeals"][0]["job_no"], appealed_no);
        EXPECT_EQ(d["appeals"][0]["state_label"], "待复核");
        EXPECT_EQ(d["appeals"][0]["corrected"]["result_category_label"], "发现问题需进一步整改");
        ASSERT_EQ(d["changes"].size(), 1u) << path << ": " << d.dump();
        EXPECT_EQ(d["changes"][0]["kind_label"], "检查对象名单变更");
        EXPECT_EQ(d["changes"][0]["state"], "approved");
        EXPECT_EQ(d["changes"][0]["draw_id"], draw_id);
        EXPECT_EQ(d["changes"][0]["old_object"]["id"], removed_object);
        EXPECT_FALSE(d["changes"][0]["cancelled_job_id"].is_null());
    }
    // The head's identity sees the same (scope of the unit).
    EXPECT_EQ(ok(call("yz_head", "GET", t + "/appeals-changes"))["appeals"].size(), 1u);
    // Another district's assigner: the task is not visible, the unit not in scope.
    refused(call("spb_assigner", "GET", t + "/appeals-changes"), 404, "not_found");
    refused(call("spb_assigner", "GET", w + "/appeals-changes"), 404, "not_found");
    // Another unit of no work of this task.
    refused(call("yz_assigner", "GET", "/api/works/" + std::to_string(id) + "/" + std::to_string(shapingba) +
                                           "/appeals-changes"),
            404, "not_found");
    // No task.read (inspector role); no session.
    EXPECT_EQ(call("inspector1", "GET", t + "/appeals-changes").status, 403);
    EXPECT_EQ(call("", "GET", w + "/appeals-changes").status, 401);
}
