// Appeals of accepted results and approved changes of a confirmed draw through the HTTP
// API on the demo city, signed in as its accounts (JOB-5, WORK-9, DRAW-6, DRAW-9,
// WORK-6): yz_assigner draws half of 渝中区 in 2 groups of 2 and confirms; inspector1
// submits, yz_reviewer accepts, inspector1 appeals naming yz_head, who alone accepts
// (both versions kept) — or a named yz_reviewer rejects; yz_assigner asks to replace a
// drawn inspector and to change the object list, yz_head approves or refuses; the
// draw's public verification still matches; every forbidden transition is 409 with the
// state, every missing permission 403, every ineligible choice 422.
#include "demo-api.hpp"

#include <filesystem>
#include <map>
#include <set>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "signature-bytes";

class AppealApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 1500, .seed = 11});
        pqxx::connection c(db->url());
        {
            pqxx::work tx(c);
            yuzhong = bureau(tx, "500103");
            // The pool: inspector1..3 and a fourth (leaders: inspector1 and the fourth).
            // Outside the draw: a fifth (eligible), a sixth (inactive), a seventh (recused).
            const auto four = four_inspectors(tx, yuzhong);
            std::copy(four.begin(), four.end(), inspector);
            auto more = tx.exec_params(
                "INSERT INTO inspector(name, division_code, authority_id, category) SELECT '备选执法人员' || g,"
                " '500103', $1, 'law_enforcement' FROM generate_series(1, 3) g RETURNING id",
                yuzhong);
            for (int k = 0; k < 3; ++k) inspector[5 + k] = more[k][0].as<long long>();
            tx.exec_params(
                "UPDATE inspector SET active = (id IN ($2, $3, $4, $5)), is_leader = (id IN ($2, $5)),"
                " qualifications = '{}', specialties = '{}', category = 'law_enforcement' WHERE authority_id = $1",
                yuzhong, inspector[1], inspector[2], inspector[3], inspector[4]);
            item = tx.exec1("SELECT id FROM inspection_item WHERE importance = 'key' ORDER BY id LIMIT 1")[0]
                       .as<long long>();
            tx.commit();
        }
        start_api("appeals", [](App& a) { a.max_upload_bytes = 256 * 1024; });

        draw_id = new_draw(draw_body("2026年渝中区申诉与变更测试"));
        set_draw_password();
        confirm_draw(draw_id);
        // Only now do the fifth to seventh become part of the library: they were not drawn.
        pqxx::work tx(c);
        tx.exec_params("UPDATE inspector SET active = true WHERE id IN ($1, $2)", inspector[5], inspector[7]);
        tx.exec_params("INSERT INTO inspector_recusal(inspector_id, reason) VALUES ($1, '与辖区企业存在利害关系')",
                       inspector[7]);
        tx.commit();
    }

    static void TearDownTestSuite() { stop(); }

    // Half of every stratum of 渝中区, 2 groups of 2: some candidates stay undrawn.
    static std::string draw_body(const std::string& title) {
        return yuzhong_draw_body(title, item, yuzhong, "\"ratio\":50");
    }

    static long long user_id(const std::string& account) {
        pqxx::connection c(db->url());
        pqxx::read_transaction tx(c);
        return tx.exec_params1("SELECT id FROM app_user WHERE account = $1", account)[0].as<long long>();
    }

    static int group_of(long long inspector_id) {
        auto r = sql("SELECT group_no FROM draw_inspector WHERE draw_id = " + std::to_string(draw_id) +
                     " AND inspector_id = " + std::to_string(inspector_id));
        return r.empty() ? 0 : r[0][0].as<int>();
    }

    // The account among inspector1..3 of the group without inspector1.
    static std::string other_account() {
        return group_of(inspector[2]) != group_of(inspector[1]) ? "inspector2" : "inspector3";
    }

    // inspector1 submits a complete form of its n-th pending job; yz_reviewer accepts it.
    static long long accepted_job(size_t n) {
        auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?state=pending&page_size=100"));
        EXPECT_GT(mine["items"].size(), n);
        const long long job = mine["items"][n]["id"].get<long long>();
        const std::string path = "/api/jobs/" + std::to_string(job);
        const json detail = parse(call("inspector1", "GET", path));
        json items = json::array();
        for (const auto& it : detail["items"])
            items.push_back({{"item_id", it["item_id"]}, {"content", "查验营业执照"}, {"qualified", true}});
        json form = {{"inspected_on", "2026-03-02"}, {"place", "经营场所"},
                     {"result_category", "01"},      {"qualified", true},
                     {"findings", "未发现问题"},     {"item_results", items}};
        if (detail["advance_notice"] == "required") form["notice_given"] = "电话告知";
        EXPECT_EQ(
            raw("POST", path + "/files?kind=signature", kJpeg, token("inspector1"), "application/octet-stream").status,
            201);
        auto r = call("inspector1", "POST", path + "/submit", form.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        r = call("yz_reviewer", "POST", "/api/results/" + std::to_string(job) + "/accept", "{}");
        EXPECT_EQ(r.status, 200) << r.body;
        return job;
    }

    static json corrected(long long job) {
        json items = json::array();
        const json detail = parse(call("inspector1", "GET", "/api/jobs/" + std::to_string(job)));
        for (const auto& it : detail["items"])
            items.push_back({{"item_id", it["item_id"]},
                             {"content", "复查营业执照与经营范围"},
                             {"finding", "超范围经营"},
                             {"qualified", false}});
        return {{"result_category", "07"},
                {"qualified", false},
                {"findings", "发现超范围经营，需进一步整改"},
                {"item_results", items}};
    }

    static std::string changes_path() { return "/api/draws/" + std::to_string(draw_id) + "/changes"; }

    static void expect_draw_verifies() {
        auto r = raw("GET", "/api/public/draws/" + std::to_string(draw_id), "", "");
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(parse(r)["matches"], true) << r.body;
    }

    static inline long long yuzhong = 0, item = 0, draw_id = 0;
    static inline long long inspector[8] = {};
};

TEST_F(AppealApi, NamedReviewerAcceptsAndBothVersionsAreKept) {
    // Not yet accepted: no appeal (409 with the job's state).
    auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?state=pending&page_size=100"));
    const std::string pending = std::to_string(mine["items"][0]["id"].get<long long>());
    auto r = call("inspector1", "POST", "/api/jobs/" + pending + "/appeals",
                  json({{"reason", "x"}, {"reviewer_id", user_id("yz_head")}, {"corrected", json::object()}}).dump());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["state"], "pending");

    const long long job = accepted_job(0);
    const std::string jp = "/api/jobs/" + std::to_string(job);
    const long long head = user_id("yz_head"), reviewer = user_id("yz_reviewer");

    // The reviewers one may name: result.review in a scope holding the job's unit.
    auto names = parse(call("inspector1", "GET", jp + "/appeal-reviewers"))["items"];
    std::set<long long> ids;
    for (const auto& n : names) ids.insert(n["id"].get<long long>());
    EXPECT_TRUE(ids.count(head) && ids.count(reviewer)) << names.dump();
    EXPECT_FALSE(ids.count(user_id("inspector2")));
    EXPECT_FALSE(ids.count(user_id("yz_assigner")));

    // Bad appeals: 422 naming the fields.
    r = call("inspector1", "POST", jp + "/appeals", "{}");
    ASSERT_EQ(r.status, 422) << r.body;
    for (const char* f : {"reason", "reviewer_id", "corrected"}) EXPECT_TRUE(error_fields(r).count(f)) << f;
    r = call("inspector1", "POST", jp + "/appeals",
             json({{"reason", "有误"}, {"reviewer_id", user_id("inspector2")}, {"corrected", corrected(job)}}).dump());
    EXPECT_EQ(r.status, 422);
    EXPECT_TRUE(error_fields(r).count("reviewer_id")) << r.body;
    r = call("inspector1", "POST", jp + "/appeals",
             json({{"reason", "有误"}, {"reviewer_id", head}, {"corrected", {{"result_category", "01"}}}}).dump());
    EXPECT_EQ(r.status, 422);
    EXPECT_TRUE(error_fields(r).count("corrected")) << r.body;  // no change
    r = call("inspector1", "POST", jp + "/appeals",
             json({{"reason", "有误"}, {"reviewer_id", head}, {"corrected", {{"result_category", "99"}}}}).dump());
    EXPECT_TRUE(error_fields(r).count("corrected.result_category")) << r.body;

    // Only the job's group appeals; a reviewer has no job.submit.
    EXPECT_EQ(call(other_account(), "POST", jp + "/appeals",
                   json({{"reason", "x"}, {"reviewer_id", head}, {"corrected", corrected(job)}}).dump())
                  .status,
              404);
    EXPECT_EQ(call("yz_reviewer", "POST", jp + "/appeals", "{}").status, 403);

    r = call(
        "inspector1", "POST", jp + "/appeals",
        json({{"reason", "现场复核发现超范围经营，原结果有误"}, {"reviewer_id", head}, {"corrected", corrected(job)}})
            .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    const json appeal = parse(r);
    EXPECT_EQ(appeal["state"], "pending");
    EXPECT_EQ(appeal["reviewer_id"], head);
    EXPECT_EQ(appeal["corrected"]["result_category_label"], "发现问题需进一步整改");
    const std::string ap = "/api/appeals/" + std::to_string(appeal["id"].get<long long>());

    // One open appeal per job.
    r = call("inspector1", "POST", jp + "/appeals",
             json({{"reason", "again"}, {"reviewer_id", head}, {"corrected", corrected(job)}}).dump());
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["code"], "appeal_pending");

    // Attachments: PDF kept by content hash; other types refused.
    r = raw("POST", ap + "/files?filename=复核说明.pdf", "%PDF-1.4 appeal", token("inspector1"),
            "application/octet-stream");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(
        std::filesystem::exists(std::filesystem::path(data_dir) / "job-files" / parse(r)["sha256"].get<std::string>()));
    EXPECT_EQ(raw("POST", ap + "/files", "plain text", token("inspector1"), "application/octet-stream").status, 415);

    // The named reviewer was told; only they decide.
    auto msgs = parse(call("yz_head", "GET", "/api/messages?category=appeal"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_EQ(msgs["items"][0]["link"], "/random/appeals/" + std::to_string(appeal["id"].get<long long>()));
    EXPECT_EQ(parse(call("yz_reviewer", "GET", "/api/appeals"))["total"], 0);
    EXPECT_EQ(parse(call("yz_head", "GET", "/api/appeals"))["total"], 1);
    r = call("yz_reviewer", "POST", ap + "/accept", "{}");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "not_named_reviewer");
    EXPECT_EQ(call("inspector1", "POST", ap + "/accept", "{}").status, 403);
    EXPECT_EQ(call("yz_head", "POST", ap + "/reject", "{}").status, 422);

    r = call("yz_head", "POST", ap + "/accept", R"({"opinion":"经核实，同意更正"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "accepted");

    // The job's result is the corrected one; both versions are stored and shown.
    const json result = parse(call("inspector1", "GET", jp));
    EXPECT_EQ(result["result_category"], "07");
    EXPECT_EQ(result["qualified"], false);
    EXPECT_EQ(result["state"], "accepted");
    const json view = parse(call("inspector1", "GET", jp + "/appeals"));
    ASSERT_EQ(view["versions"].size(), 2u) << view.dump();
    EXPECT_EQ(view["versions"][0]["source"], "review");
    EXPECT_EQ(view["versions"][0]["result"]["result_category"], "01");
    EXPECT_EQ(view["versions"][0]["result"]["findings"], "未发现问题");
    EXPECT_EQ(view["versions"][1]["source"], "appeal");
    EXPECT_EQ(view["versions"][1]["result"]["result_category"], "07");
    EXPECT_EQ(view["appeals"][0]["files"].size(), 1u);
    EXPECT_TRUE(view["can_appeal"].get<bool>());
    msgs = parse(call("inspector1", "GET", "/api/messages?category=appeal"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("申诉已通过"), std::string::npos);

    // Forbidden transitions of a decided appeal: 409 with its state.
    for (const auto& [who, action] :
         {std::pair{"yz_head", "/accept"}, std::pair{"yz_head", "/reject"}, std::pair{"inspector1", "/withdraw"}}) {
        r = call(who, "POST", ap + action, R"({"opinion":"再次"})");
        EXPECT_EQ(r.status, 409) << action << r.body;
        EXPECT_EQ(parse(r)["error"]["state"], "accepted");
    }
    r = raw("POST", ap + "/files", "%PDF-1.4 late", token("inspector1"), "application/octet-stream");
    EXPECT_EQ(r.status, 409);

    // The flow history of the job and the audit trail.
    std::vector<std::string> steps;
    for (const auto& h : result["history"]) steps.push_back(h["action"]);
    EXPECT_EQ(steps.back(), "appeal_accept");
    EXPECT_NE(std::find(steps.begin(), steps.end(), "appeal"), steps.end());
    EXPECT_GE(sql("SELECT count(*) FROM audit_log WHERE entity = 'result_appeal'")[0][0].as<long long>(), 2);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE entity = 'job_result_version'")[0][0].as<long long>(), 2);
    // A stored version never changes.
    pqxx::connection c(db->url());
    pqxx::work tx(c);
    EXPECT_THROW(tx.exec("UPDATE job_result_version SET result = '{}'"), pqxx::sql_error);
}

TEST_F(AppealApi, RejectedAndWithdrawnAppealsLeaveTheResult) {
    const long long job = accepted_job(0);
    const std::string jp = "/api/jobs/" + std::to_string(job);
    const long long reviewer = user_id("yz_reviewer");
    auto r = call("inspector1", "POST", jp + "/appeals",
                  json({{"reason", "结果类别选错"}, {"reviewer_id", reviewer}, {"corrected", corrected(job)}}).dump());
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string ap = "/api/appeals/" + std::to_string(parse(r)["id"].get<long long>());
    // The reviewer sees it in 申诉审核 and its detail; the head (not named) may not decide.
    EXPECT_EQ(parse(call("yz_reviewer", "GET", "/api/appeals"))["total"], 1);
    EXPECT_EQ(call("yz_reviewer", "GET", ap).status, 200);
    EXPECT_EQ(call("yz_head", "POST", ap + "/reject", R"({"opinion":"no"})").status, 403);
    r = call("yz_reviewer", "POST", ap + "/reject", R"({"opinion":"现场记录与照片一致，维持原结果"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "rejected");
    EXPECT_EQ(call("yz_reviewer", "POST", ap + "/accept", "{}").status, 409);
    const json view = parse(call("inspector1", "GET", jp + "/appeals"));
    EXPECT_EQ(view["current"]["result_category"], "01");
    EXPECT_TRUE(view["versions"].empty());
    EXPECT_EQ(view["appeals"][0]["opinion"], "现场记录与照片一致，维持原结果");
    auto msgs = parse(call("inspector1", "GET", "/api/messages?category=appeal"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("驳回"), std::string::npos);

    // Withdraw: only the group; then nothing more.
    r = call("inspector1", "POST", jp + "/appeals",
             json({{"reason", "再议"}, {"reviewer_id", reviewer}, {"corrected", corrected(job)}}).dump());
    ASSERT_EQ(r.status, 201);
    const std::string ap2 = "/api/appeals/" + std::to_string(parse(r)["id"].get<long long>());
    EXPECT_EQ(call("yz_reviewer", "POST", ap2 + "/withdraw", "{}").status, 403);  // no job.submit
    EXPECT_EQ(call(other_account(), "POST", ap2 + "/withdraw", "{}").status, 404);
    r = call("inspector1", "POST", ap2 + "/withdraw", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "withdrawn");
    r = call("yz_reviewer", "POST", ap2 + "/accept", "{}");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["state"], "withdrawn");
    EXPECT_EQ(call("inspector1", "POST", ap2 + "/withdraw", "{}").status, 409);
    // Without a session nothing.
    EXPECT_EQ(raw("GET", "/api/appeals", "", "").status, 401);
    EXPECT_EQ(call("inspector1", "GET", "/api/appeals").status, 403);
}

TEST_F(AppealApi, InspectorReplacementNeedsTheHeadsApproval) {
    // inspector2 (a member) cannot inspect; the fifth, never drawn, replaces them.
    const long long old = inspector[2];
    const int g = group_of(old);
    ASSERT_GT(g, 0);
    auto body = [&](long long to, const std::string& code = "health") {
        return json({{"kind", "inspector"},
                     {"reason_code", code},
                     {"reason", "因病住院，无法参加本次检查"},
                     {"old_inspector_id", old},
                     {"new_inspector_id", to}})
            .dump();
    };
    // The options offer only eligible people.
    auto opts = parse(call("yz_assigner", "GET",
                           "/api/draws/" + std::to_string(draw_id) + "/change-options?group_no=" + std::to_string(g)));
    std::set<long long> offered;
    for (const auto& p : opts["inspectors"]) offered.insert(p["id"].get<long long>());
    EXPECT_TRUE(offered.count(inspector[5])) << opts.dump();
    for (int k : {1, 2, 3, 4, 6, 7}) EXPECT_FALSE(offered.count(inspector[k])) << k;

    // Ineligible: inactive, recused, already drawn, unknown; a bad reason.
    for (int k : {6, 7, 1}) {
        auto r = call("yz_assigner", "POST", changes_path(), body(inspector[k]));
        EXPECT_EQ(r.status, 422) << k << r.body;
        EXPECT_EQ(parse(r)["error"]["field"], "new_inspector_id") << r.body;
    }
    EXPECT_EQ(call("yz_assigner", "POST", changes_path(), body(99999999)).status, 422);
    EXPECT_EQ(call("yz_assigner", "POST", changes_path(), body(inspector[5], "boredom")).status, 422);
    // A leader is replaced only from the leader library.
    auto r = call("yz_assigner", "POST", changes_path(),
                  json({{"kind", "inspector"},
                        {"reason_code", "post_change"},
                        {"reason", "调岗"},
                        {"old_inspector_id", inspector[1]},
                        {"new_inspector_id", inspector[5]}})
                      .dump());
    EXPECT_EQ(r.status, 422) << r.body;
    // Permissions: the inspector may not ask, the assigner may not approve.
    EXPECT_EQ(call("inspector1", "POST", changes_path(), body(inspector[5])).status, 403);

    r = call("yz_assigner", "POST", changes_path(), body(inspector[5]));
    ASSERT_EQ(r.status, 201) << r.body;
    const json change = parse(r);
    EXPECT_EQ(change["state"], "pending");
    EXPECT_EQ(change["group_no"], g);
    const std::string cp = "/api/draw-changes/" + std::to_string(change["id"].get<long long>());
    r = call("yz_assigner", "POST", changes_path(), body(inspector[5]));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["code"], "change_pending");
    EXPECT_EQ(call("yz_assigner", "POST", cp + "/approve", "{}").status, 403);
    EXPECT_EQ(call("yz_reviewer", "GET", "/api/draw-changes").status, 403);
    // Nothing changed before the approval.
    const std::string d = std::to_string(draw_id);
    auto holders = [&](long long who) {
        return sql("SELECT count(*) FROM inspection_job WHERE draw_id = " + d + " AND " + std::to_string(who) +
                   " = ANY(inspector_ids) AND state <> 'accepted'")[0][0]
            .as<long long>();
    };
    const long long before = holders(old);
    ASSERT_GT(before, 0);
    EXPECT_EQ(holders(inspector[5]), 0);

    // The head sees it (and was told), approves; the group's open jobs follow.
    auto msgs = parse(call("yz_head", "GET", "/api/messages?category=work"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("执法人员变更"), std::string::npos);
    auto queue = parse(call("yz_head", "GET", "/api/draw-changes"));
    ASSERT_EQ(queue["total"], 1);
    EXPECT_EQ(queue["items"][0]["actions"], json::array({"approve", "refuse"}));
    EXPECT_EQ(call("yz_head", "POST", cp + "/refuse", "{}").status, 422);
    r = call("yz_head", "POST", cp + "/approve", R"({"opinion":"同意更换"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "approved");
    EXPECT_EQ(parse(r)["jobs_changed"], before);
    EXPECT_EQ(holders(old), 0);
    EXPECT_EQ(holders(inspector[5]), before);
    for (const char* action : {"/approve", "/refuse"}) {
        r = call("yz_head", "POST", cp + action, R"({"opinion":"again"})");
        EXPECT_EQ(r.status, 409);
        EXPECT_EQ(parse(r)["error"]["state"], "approved");
    }
    // The replaced inspector is told in 我的检查's terms.
    msgs = parse(call("inspector2", "GET", "/api/messages?category=job"));
    ASSERT_FALSE(msgs["items"].empty()) << msgs.dump();
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find("执法人员变更已批准"), std::string::npos);
    EXPECT_EQ(msgs["items"][0]["link"], "/random/jobs");
    // The draw itself is untouched and still verifies; the change is shown next to it.
    EXPECT_EQ(group_of(old), g);
    expect_draw_verifies();
    auto pub = parse(raw("GET", "/api/public/draws/" + d + "/changes", "", ""));
    ASSERT_EQ(pub["changes"].size(), 1u) << pub.dump();
    EXPECT_EQ(pub["changes"][0]["new_inspector"]["id"], inspector[5]);
    EXPECT_FALSE(pub["changes"][0].contains("requested_by_name"));
    bool shown = false;
    for (const auto& grp : pub["current_groups"])
        for (const auto& p : grp["inspectors"])
            if (p["id"] == inspector[5]) shown = grp["no"] == g && p["changed"] == true;
    EXPECT_TRUE(shown) << pub.dump();
    auto jobs = sql("SELECT id FROM inspection_job WHERE draw_id = " + d + " AND " + std::to_string(inspector[5]) +
                    " = ANY(inspector_ids) LIMIT 1");
    auto hist =
        sql("SELECT count(*) FROM flow_history WHERE entity = 'job' AND action = 'replace_inspector'"
            " AND entity_id = " +
            jobs[0][0].as<std::string>());
    EXPECT_EQ(hist[0][0].as<long long>(), 1);

    // A refused change changes nothing: inspector3 → inspector2 (out of the draw again).
    // Asked by the district administrator, who may approve changes but not their own
    // (four eyes, issue 12 §3).
    r = call("yz_admin", "POST", changes_path(),
             json({{"kind", "inspector"},
                   {"reason_code", "conflict"},
                   {"reason", "与被检查对象负责人系亲属"},
                   {"old_inspector_id", inspector[3]},
                   {"new_inspector_id", old}})
                 .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string cp2 = "/api/draw-changes/" + std::to_string(parse(r)["id"].get<long long>());
    refused(call("yz_admin", "POST", cp2 + "/approve", "{}"), 403, "self_approval");
    const long long held = holders(inspector[3]);
    r = call("yz_head", "POST", cp2 + "/refuse", R"({"opinion":"回避理由不成立"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "refused");
    EXPECT_EQ(holders(inspector[3]), held);
    EXPECT_EQ(holders(old), 0);
    EXPECT_EQ(call("yz_head", "POST", cp2 + "/approve", "{}").status, 409);
    EXPECT_EQ(parse(raw("GET", "/api/public/draws/" + d + "/changes", "", ""))["changes"].size(), 1u);
    EXPECT_EQ(parse(call("yz_assigner", "GET", changes_path()))["changes"].size(), 2u);
    EXPECT_GE(sql("SELECT count(*) FROM audit_log WHERE entity = 'draw_change'")[0][0].as<long long>(), 4);
}

TEST_F(AppealApi, ListChangeCancelsAndCreatesJobs) {
    const std::string d = std::to_string(draw_id);
    // An object of inspector1's group whose job has not started, and an undrawn candidate.
    auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?state=pending&page_size=100"));
    ASSERT_GE(mine["items"].size(), 2u);
    const long long old_job = mine["items"].back()["id"].get<long long>();
    const long long old_object = mine["items"].back()["object_id"].get<long long>();
    const int g = mine["items"].back()["group_no"].get<int>();
    auto opts = parse(call("yz_assigner", "GET", "/api/draws/" + d + "/change-options"));
    ASSERT_GE(opts["objects"].size(), 2u) << opts.dump();
    const long long added = opts["objects"][0]["id"].get<long long>();

    auto body = [&](long long from, std::optional<long long> to) {
        json b = {
            {"kind", "object"}, {"reason_code", "deregistered"}, {"reason", "已办理注销登记"}, {"old_object_id", from}};
        if (to) b["new_object_id"] = *to;
        return b.dump();
    };
    // Ineligible replacements: one already drawn, one that was never a candidate.
    auto other = sql("SELECT object_id FROM draw_object WHERE draw_id = " + d + " AND object_id <> " +
                     std::to_string(old_object) + " LIMIT 1")[0][0]
                     .as<long long>();
    auto r = call("yz_assigner", "POST", changes_path(), body(old_object, other));
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["code"], "already_drawn") << r.body;
    auto outside =
        sql("SELECT id FROM market_subject WHERE division_code NOT LIKE '500103%' LIMIT 1")[0][0].as<long long>();
    r = call("yz_assigner", "POST", changes_path(), body(old_object, outside));
    EXPECT_EQ(parse(r)["error"]["code"], "not_a_candidate") << r.body;
    EXPECT_EQ(call("yz_assigner", "POST", changes_path(), body(outside, std::nullopt)).status, 422);

    r = call("yz_assigner", "POST", changes_path(), body(old_object, added));
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string cp = "/api/draw-changes/" + std::to_string(parse(r)["id"].get<long long>());
    r = call("yz_head", "POST", cp + "/approve", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    const json done = parse(r);
    EXPECT_EQ(done["cancelled_job_id"], old_job);
    ASSERT_FALSE(done["created_job_id"].is_null());
    const long long new_job = done["created_job_id"].get<long long>();

    // One transaction did it all: old job cancelled, object released; new job for the group.
    EXPECT_EQ(sql("SELECT state FROM inspection_job WHERE id = " + std::to_string(old_job))[0][0].as<std::string>(),
              "cancelled");
    EXPECT_FALSE(sql("SELECT open FROM draw_object WHERE draw_id = " + d +
                     " AND object_id = " + std::to_string(old_object))[0][0]
                     .as<bool>());
    auto nj =
        sql("SELECT object_id, group_no, state, inspector_ids = (SELECT inspector_ids FROM inspection_job"
            " WHERE id = " +
            std::to_string(mine["items"][0]["id"].get<long long>()) +
            ") FROM inspection_job WHERE id = " + std::to_string(new_job));
    EXPECT_EQ(nj[0][0].as<long long>(), added);
    EXPECT_EQ(nj[0][1].as<int>(), g);
    EXPECT_EQ(nj[0][2].as<std::string>(), "pending");
    EXPECT_TRUE(nj[0][3].as<bool>());  // the group's current inspectors
    bool listed = false;
    const json now_mine = parse(call("inspector1", "GET", "/api/jobs/mine?page_size=100"));
    for (const auto& j : now_mine["items"]) listed = listed || j["id"] == new_job;
    EXPECT_TRUE(listed);
    auto job = parse(call("inspector1", "GET", "/api/jobs/" + std::to_string(old_job)));
    EXPECT_EQ(job["state_label"], "已取消");
    EXPECT_EQ(job["history"].back()["action"], "cancel");
    EXPECT_EQ(call("inspector1", "PUT", "/api/jobs/" + std::to_string(old_job), R"({"place":"x"})").status, 409);
    expect_draw_verifies();

    // Removing without replacement; a job that was accepted cannot leave the list.
    const long long second = mine["items"][0]["object_id"].get<long long>();
    r = call("yz_assigner", "POST", changes_path(), body(second, std::nullopt));
    ASSERT_EQ(r.status, 201) << r.body;
    r = call("yz_head", "POST", "/api/draw-changes/" + std::to_string(parse(r)["id"].get<long long>()) + "/approve",
             "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(parse(r)["created_job_id"].is_null());
    const long long acc = accepted_job(0);
    auto acc_object =
        sql("SELECT object_id FROM inspection_job WHERE id = " + std::to_string(acc))[0][0].as<long long>();
    r = call("yz_assigner", "POST", changes_path(), body(acc_object, std::nullopt));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["state"], "accepted");
    auto pub = parse(raw("GET", "/api/public/draws/" + d + "/changes", "", ""));
    int object_changes = 0;
    for (const auto& c : pub["changes"]) object_changes += c["kind"] == "object";
    EXPECT_EQ(object_changes, 2);
    expect_draw_verifies();

    // An unconfirmed draw is not changed by request: it is abandoned (with approval) and
    // drawn again; the public never sees its groups.
    const std::string draft = std::to_string(new_draw(draw_body("未确认抽取")));
    r = call("yz_assigner", "POST", "/api/draws/" + draft + "/changes", body(1, std::nullopt));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["state"], "revealed");
    EXPECT_EQ(raw("GET", "/api/public/draws/" + draft + "/changes", "", "").status, 404);
    EXPECT_EQ(call("yz_assigner", "POST", "/api/draws/" + draft + "/discard", R"({"reason":"测试"})").status, 200);
}

}  // namespace
