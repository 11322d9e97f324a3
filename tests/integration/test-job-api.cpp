// Inspection jobs and the review of results through the HTTP API on the demo city,
// signed in as its accounts: yz_assigner runs and confirms a draw (jobs are made in the
// confirmation), inspector1..3 record and submit form F.1 with a photo and a signature,
// yz_reviewer returns and yz_head accepts; permissions (401/403), data scope (another
// group's job, another district's reviewer: 404), bad uploads (415/413/400) and
// forbidden transitions (409 with the state) (JOB-1..9, WORK-7).
#include "demo-api.hpp"

#include <cairo.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

namespace {

// A small PNG and JPEG: only their first bytes matter to the type check.
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR photo-bytes", 19);
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "signature-bytes";

class JobApi : public twindraw::testing::DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 300, .seed = 11});
        pqxx::connection c(db->url());
        {
            pqxx::work tx(c);
            yuzhong = bureau(tx, "500103");
            const long long shapingba = bureau(tx, "500106");
            // The draw's pool: inspector1..3 and one more of the bureau (no account);
            // leaders inspector1 and the fourth, so they lead the two groups.
            const auto four = four_inspectors(tx, yuzhong);
            std::copy(four.begin(), four.end(), inspector);
            tx.exec_params(
                "UPDATE inspector SET active = (id IN ($2, $3, $4, $5)), is_leader = (id IN ($2, $5)),"
                " qualifications = '{}', specialties = '{}' WHERE authority_id = $1",
                yuzhong, inspector[1], inspector[2], inspector[3], inspector[4]);
            item = tx.exec1("SELECT id FROM inspection_item WHERE importance = 'key' ORDER BY id LIMIT 1")[0]
                       .as<long long>();
            add_user(tx, "spb_reviewer", shapingba, "task_reviewer", 0, "沙坪坝审核员");
            tx.commit();
        }
        start_api("jobs", [](App& a) { a.max_upload_bytes = 256 * 1024; });

        // yz_assigner draws 2 groups of 2 over 渝中区 with every stratum at 100 % and
        // confirms with the draw password.
        draw_id = new_draw(yuzhong_draw_body("2026年渝中区检查作业测试", item, yuzhong, "\"ratio\":100"));
        set_draw_password();
        confirm_draw(draw_id);
    }

    static void TearDownTestSuite() { stop(); }

    static Response upload(const std::string& account, long long job, const std::string& kind,
                           const std::string& bytes) {
        return raw("POST", "/api/jobs/" + std::to_string(job) + "/files?kind=" + kind + "&filename=x", bytes,
                   token(account), "application/octet-stream");
    }

    // The group of an inspector in the draw (0: none), read as the owner.
    static int group_of(long long inspector_id) {
        pqxx::connection c(db->url());
        pqxx::read_transaction tx(c);
        auto r = tx.exec_params("SELECT group_no FROM draw_inspector WHERE draw_id = $1 AND inspector_id = $2", draw_id,
                                inspector_id);
        return r.empty() ? 0 : r[0][0].as<int>();
    }

    // The account (inspector2 or inspector3) drawn into the other group than inspector1.
    static std::string other_account() {
        return group_of(inspector[2]) != group_of(inspector[1]) ? "inspector2" : "inspector3";
    }

    static long long first_job(const std::string& account) {
        auto r = call(account, "GET", "/api/jobs/mine?page_size=100");
        EXPECT_EQ(r.status, 200) << r.body;
        auto items = parse(r)["items"];
        EXPECT_FALSE(items.empty());
        return items.empty() ? 0 : items.back()["id"].get<long long>();
    }

    // A complete form for a job, respecting its advance-notice rule.
    static json full_form(const json& job) {
        json items = json::array();
        for (const auto& it : job["items"])
            items.push_back({{"item_id", it["item_id"]},
                             {"content", "查验营业执照与公示信息"},
                             {"finding", "与登记一致"},
                             {"qualified", true}});
        json f = {{"inspected_on", "2026-03-02"}, {"place", "被检查对象经营场所"},
                  {"result_category", "01"},      {"qualified", true},
                  {"findings", "未发现问题"},     {"remarks", ""},
                  {"item_results", items}};
        if (job["advance_notice"] == "required") f["notice_given"] = "2026-03-01 电话告知";
        return f;
    }

    static inline long long yuzhong = 0, item = 0, draw_id = 0;
    static inline long long inspector[5] = {};
};

TEST_F(JobApi, ConfirmingADrawMakesOneJobPerObjectForItsGroup) {
    pqxx::connection c(db->url());
    pqxx::read_transaction tx(c);
    const long long objects =
        tx.exec_params1("SELECT count(*) FROM draw_object WHERE draw_id = $1", draw_id)[0].as<long long>();
    ASSERT_GT(objects, 1);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM inspection_job WHERE draw_id = $1", draw_id)[0].as<long long>(),
              objects);
    // Each job carries its group's inspectors, leader first, and a creation history row.
    auto wrong = tx.exec_params1(
        "SELECT count(*) FROM inspection_job j JOIN draw_object o ON o.draw_id = j.draw_id"
        "  AND o.object_kind = j.object_kind AND o.object_id = j.object_id"
        " WHERE j.draw_id = $1 AND (j.group_no <> o.group_no OR j.state <> 'pending' OR j.inspector_ids <>"
        "  (SELECT array_agg(inspector_id ORDER BY role = 'leader' DESC, inspector_id) FROM draw_inspector d"
        "    WHERE d.draw_id = j.draw_id AND d.group_no = j.group_no) OR j.item_ids <> ARRAY[$2::bigint])",
        draw_id, item);
    EXPECT_EQ(wrong[0].as<long long>(), 0);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM flow_history h JOIN inspection_job j ON j.id = h.entity_id"
                              " WHERE h.entity = 'job' AND h.action = 'create' AND j.draw_id = $1",
                              draw_id)[0]
                  .as<long long>(),
              objects);
    // JOB-8, checked against the law's list independently of the rule table.
    auto item_text =
        tx.exec_params1("SELECT domain || name FROM inspection_item WHERE id = $1", item)[0].as<std::string>();
    for (const auto& r : tx.exec_params("SELECT j.advance_notice, m.industry_code FROM inspection_job j"
                                        " JOIN market_subject m ON m.id = j.object_id WHERE j.draw_id = $1",
                                        draw_id)) {
        const std::string industry = r[1].is_null() ? "" : r[1].c_str();
        bool forbidden = industry == "13" || industry == "14" || industry == "15" || industry == "62";
        for (const char* w : {"食品", "餐饮", "食用农产品", "安全生产"})
            if (item_text.find(w) != std::string::npos) forbidden = true;
        EXPECT_EQ(r[0].as<std::string>(), forbidden ? "forbidden" : "required") << industry << " " << item_text;
    }
    // A confirmed draw cannot be confirmed again, and no job is made twice.
    auto r = call("yz_assigner", "POST", "/api/draws/" + std::to_string(draw_id) + "/confirm",
                  R"({"password":"Draw#2026"})");
    EXPECT_EQ(r.status, 409);
}

TEST_F(JobApi, InspectorsSeeOnlyTheirGroupsJobs) {
    const int g1 = group_of(inspector[1]);
    ASSERT_GT(g1, 0);
    auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?page_size=100"));
    ASSERT_GT(mine["total"].get<long long>(), 0);
    for (const auto& j : mine["items"]) EXPECT_EQ(j["group_no"], g1);
    const std::string other = other_account();
    auto theirs = parse(call(other, "GET", "/api/jobs/mine?page_size=100"));
    ASSERT_GT(theirs["total"].get<long long>(), 0);
    for (const auto& j : theirs["items"]) EXPECT_NE(j["group_no"], g1);
    const std::string foreign = std::to_string(theirs["items"][0]["id"].get<long long>());
    EXPECT_EQ(call("inspector1", "GET", "/api/jobs/" + foreign).status, 404);
    EXPECT_EQ(call("inspector1", "PUT", "/api/jobs/" + foreign, R"({"place":"x"})").status, 404);
    EXPECT_EQ(upload("inspector1", std::stoll(foreign), "photo", kPng).status, 404);
    // Filters: by state and by job number.
    const std::string no = mine["items"][0]["job_no"];
    auto found = parse(call("inspector1", "GET", "/api/jobs/mine?q=" + no));
    ASSERT_EQ(found["total"], 1);
    EXPECT_EQ(found["items"][0]["job_no"], no);
    EXPECT_EQ(parse(call("inspector1", "GET", "/api/jobs/mine?state=accepted&q=" + no))["total"], 0);
    EXPECT_EQ(call("inspector1", "GET", "/api/jobs/mine?state=nonsense").status, 400);
    EXPECT_EQ(call("inspector1", "GET", "/api/jobs/abc").status, 400);
}

TEST_F(JobApi, PermissionsAreChecked) {
    EXPECT_EQ(raw("GET", "/api/jobs/mine", "", "").status, 401);
    EXPECT_EQ(raw("GET", "/api/results", "", "").status, 401);
    EXPECT_EQ(call("yz_reviewer", "GET", "/api/jobs/mine").status, 403);
    EXPECT_EQ(call("inspector1", "GET", "/api/results").status, 403);
    EXPECT_EQ(call("yz_assigner", "GET", "/api/results").status, 403);
    // An administrator may call 我的检查 but has no inspector row, so no jobs of its own.
    auto admin = call("admin", "GET", "/api/jobs/mine");
    EXPECT_EQ(admin.status, 200) << admin.body;
    EXPECT_EQ(parse(admin)["total"], 0);
    const long long job = first_job("inspector1");
    EXPECT_EQ(call("inspector1", "POST", "/api/results/" + std::to_string(job) + "/accept", "{}").status, 403);
    // A reviewer of another district does not see 渝中区's results.
    EXPECT_EQ(call("spb_reviewer", "GET", "/api/results/" + std::to_string(job)).status, 404);
    EXPECT_EQ(parse(call("spb_reviewer", "GET", "/api/results?state=all"))["total"], 0);
}

TEST_F(JobApi, BadUploadsAreRefused) {
    const long long job = first_job("inspector1");
    auto r = upload("inspector1", job, "photo", "just some text, not an image");
    EXPECT_EQ(r.status, 415) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "unsupported_type");
    EXPECT_EQ(upload("inspector1", job, "photo", "%PDF-1.4 a pdf is not a photo").status, 415);
    EXPECT_EQ(upload("inspector1", job, "file", "%PDF-1.4 a pdf is a file").status, 201);
    r = upload("inspector1", job, "photo", kPng + std::string(256 * 1024, 'x'));
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_EQ(upload("inspector1", job, "photo", "").status, 400);
    EXPECT_EQ(upload("inspector1", job, "video", kPng).status, 400);
    // Nothing of the refused uploads was kept.
    auto files = parse(call("inspector1", "GET", "/api/jobs/" + std::to_string(job)))["files"];
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0]["content_type"], "application/pdf");
}

TEST_F(JobApi, InspectorSubmitsReviewerReturnsThenAccepts) {
    auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?page_size=100"));
    const long long job = mine["items"][0]["id"].get<long long>();
    const std::string path = "/api/jobs/" + std::to_string(job);
    json detail = parse(call("inspector1", "GET", path));
    EXPECT_EQ(detail["state"], "pending");
    EXPECT_FALSE(detail["object_name"].is_null());
    ASSERT_EQ(detail["items"].size(), 1u);
    EXPECT_EQ(detail["actions"], json::array({"save", "submit"}));

    // Submitting an empty form names every missing field.
    auto r = call("inspector1", "POST", path + "/submit", "{}");
    ASSERT_EQ(r.status, 422) << r.body;
    auto missing = error_fields(r);
    for (const char* f : {"inspected_on", "place", "result_category", "qualified", "signature",
                          "item_results[0].content", "item_results[0].qualified"})
        EXPECT_TRUE(missing.count(f)) << f << ": " << r.body;
    EXPECT_EQ(missing.count("notice_given"), detail["advance_notice"] == "required" ? 1u : 0u);
    // JOB-8: notice may not be recorded where the law forbids it.
    if (detail["advance_notice"] == "forbidden") {
        r = call("inspector1", "PUT", path, R"({"notice_given":"电话告知"})");
        EXPECT_EQ(r.status, 422);
        EXPECT_TRUE(error_fields(r).count("notice_given"));
    }
    // A category outside the dictionary and unknown fields are refused.
    r = call("inspector1", "PUT", path, R"({"result_category":"99","colour":"red"})");
    EXPECT_EQ(r.status, 422);
    EXPECT_TRUE(error_fields(r).count("result_category"));
    EXPECT_TRUE(error_fields(r).count("colour"));

    // Draft, photo, signature, submit.
    json form = full_form(detail);
    r = call("inspector1", "PUT", path, form.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "draft");
    EXPECT_EQ(parse(r)["result_category_label"], "未发现问题");
    r = upload("inspector1", job, "photo", kPng);
    ASSERT_EQ(r.status, 201) << r.body;
    const json photo = parse(r);
    EXPECT_EQ(photo["content_type"], "image/png");
    EXPECT_EQ(upload("inspector1", job, "signature", kJpeg).status, 201);
    r = call("inspector1", "POST", path + "/submit", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "submitted");

    // The stored photo is the uploaded bytes, named by their SHA-256.
    r = call("inspector1", "GET", "/api/job-files/" + std::to_string(photo["id"].get<long long>()));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kPng);
    EXPECT_TRUE(
        std::filesystem::exists(std::filesystem::path(data_dir) / "job-files" / photo["sha256"].get<std::string>()));

    // Forbidden transitions: 409 with the current state.
    for (const auto& [method, target, body] : {std::tuple{"POST", path + "/submit", std::string("{}")},
                                               std::tuple{"PUT", path, std::string(R"({"place":"改"})")}}) {
        r = call("inspector1", method, target, body);
        EXPECT_EQ(r.status, 409) << target;
        EXPECT_EQ(parse(r)["error"]["state"], "submitted");
    }
    EXPECT_EQ(upload("inspector1", job, "photo", kPng).status, 409);

    // The reviewing unit was told; the reviewer sees it and returns it with a reason.
    auto msgs = parse(call("yz_reviewer", "GET", "/api/messages?category=result"));
    ASSERT_FALSE(msgs["items"].empty()) << msgs.dump();
    EXPECT_NE(msgs["items"][0]["title"].get<std::string>().find(detail["job_no"].get<std::string>()),
              std::string::npos);
    auto queue = parse(call("yz_reviewer", "GET", "/api/results"));
    bool listed = false;
    for (const auto& j : queue["items"]) listed = listed || j["id"] == job;
    EXPECT_TRUE(listed);
    const std::string review = "/api/results/" + std::to_string(job);
    EXPECT_EQ(call("yz_reviewer", "POST", review + "/return", "{}").status, 422);
    r = call("yz_reviewer", "POST", review + "/return", R"({"opinion":"照片不清晰，请补充"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["state"], "returned");
    r = call("yz_reviewer", "POST", review + "/return", R"({"opinion":"again"})");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["state"], "returned");

    // The inspector was told, corrects and submits again; the head accepts.
    msgs = parse(call("inspector1", "GET", "/api/messages?category=result"));
    ASSERT_FALSE(msgs["items"].empty());
    EXPECT_NE(msgs["items"][0]["body"].get<std::string>().find("照片不清晰"), std::string::npos);
    EXPECT_EQ(upload("inspector1", job, "photo", kJpeg).status, 201);
    r = call("inspector1", "POST", path + "/submit", R"({"remarks":"已补充照片"})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = call("yz_head", "POST", review + "/accept", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    const json done = parse(r);
    EXPECT_EQ(done["state"], "accepted");
    EXPECT_EQ(done["review_opinion"], "同意");
    EXPECT_EQ(call("yz_head", "POST", review + "/accept", "{}").status, 409);
    EXPECT_EQ(call("inspector1", "PUT", path, R"({"place":"改"})").status, 409);

    std::vector<std::string> steps;
    for (const auto& h : done["history"]) steps.push_back(h["action"]);
    EXPECT_EQ(steps, (std::vector<std::string>{"create", "save", "submit", "return", "submit", "accept"}));
    EXPECT_EQ(done["history"][3]["opinion"], "照片不清晰，请补充");
    EXPECT_EQ(parse(call("yz_reviewer", "GET", "/api/results?state=accepted"))["total"], 1);
}

TEST_F(JobApi, ARefusedSignatureIsRecordedWithItsNote) {
    const std::string other = other_account();
    const long long job = first_job(other);
    const std::string path = "/api/jobs/" + std::to_string(job);
    json detail = parse(call(other, "GET", path));
    json form = full_form(detail);
    form["signature_refused"] = true;
    auto r = call(other, "POST", path + "/submit", form.dump());
    ASSERT_EQ(r.status, 422);
    EXPECT_TRUE(error_fields(r).count("refusal_note")) << r.body;
    form["refusal_note"] = "负责人拒绝签字，检查人员二人现场见证";
    r = call(other, "POST", path + "/submit", form.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["signature_refused"], true);
    EXPECT_EQ(parse(r)["signed"], false);
}

// JOB-6: form F.1 prints as a PDF with what was recorded, the party's signature drawn in
// (a real PNG) or the refusal with its note; only those who may see the job get it.
TEST_F(JobApi, FormF1PrintsAsAPdfWithTheRecordAndTheSignatureOrRefusal) {
    // The last of inspector1's jobs (the first is the review test's).
    auto mine = parse(call("inspector1", "GET", "/api/jobs/mine?page_size=100"));
    ASSERT_GE(mine["items"].size(), 2u);
    const long long job = mine["items"].back()["id"].get<long long>();
    const std::string path = "/api/jobs/" + std::to_string(job);
    json detail = parse(call("inspector1", "GET", path));
    json form = full_form(detail);
    form["findings"] = "货架商品标签齐全，未发现问题";
    ASSERT_EQ(call("inspector1", "PUT", path, form.dump()).status, 200);
    // A 2×2 white PNG, made by cairo so it is a real image.
    std::string png;
    {
        cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 2, 2);
        cairo_surface_write_to_png_stream(
            img,
            [](void* out, const unsigned char* data, unsigned int n) {
                static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), n);
                return CAIRO_STATUS_SUCCESS;
            },
            &png);
        cairo_surface_destroy(img);
    }
    ASSERT_EQ(upload("inspector1", job, "signature", png).status, 201);

    auto text_of = [&](const Response& r) {
        EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
        EXPECT_EQ(r.content_type, "application/pdf");
        return twindraw::testing::pdf_text(r.body, "f1-" + db->name());
    };
    auto r = call("inspector1", "GET", path + "/form.pdf");
    EXPECT_NE(r.body.find("/Subtype /Image"), std::string::npos) << "the signature is drawn in";
    std::string text = text_of(r);
    for (const std::string& want :
         {std::string("抽查情况记录表"), detail["job_no"].get<std::string>(), detail["object_name"].get<std::string>(),
          detail["uscc"].get<std::string>(), std::string("查验营业执照与公示信息"), std::string("货架商品标签齐全"),
          std::string("结果类别：未发现问题"), std::string("被检查对象签字")})
        EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
    EXPECT_EQ(text.find("拒绝签字"), std::string::npos);

    // The reviewer prints it from 结果审核; an inspector of another group cannot.
    EXPECT_EQ(call("yz_reviewer", "GET", "/api/results/" + std::to_string(job) + "/form.pdf").status, 200);
    if (group_of(inspector[1]) != group_of(inspector[2])) {
        EXPECT_EQ(call("inspector2", "GET", path + "/form.pdf").status, 404);
    }
    EXPECT_EQ(call("inspector1", "GET", "/api/results/" + std::to_string(job) + "/form.pdf").status, 403);
    EXPECT_EQ(call("inspector1", "GET", "/api/jobs/abc/form.pdf").status, 400);

    // A refused signature prints the refusal and its note.
    const std::string other = other_account();
    const long long job2 = first_job(other);
    json form2 = full_form(parse(call(other, "GET", "/api/jobs/" + std::to_string(job2))));
    form2["signature_refused"] = true;
    form2["refusal_note"] = "负责人拒绝签字由两名检查人员见证";
    ASSERT_EQ(call(other, "PUT", "/api/jobs/" + std::to_string(job2), form2.dump()).status, 200);
    text = text_of(call(other, "GET", "/api/jobs/" + std::to_string(job2) + "/form.pdf"));
    EXPECT_NE(text.find("拒绝签字"), std::string::npos) << text;
    EXPECT_NE(text.find("负责人拒绝签字由两名检查人员见证"), std::string::npos) << text;
}

}  // namespace
