// The draws through dispatch() on a real PostGIS (DRAW-1..11, VERIFY-1): preview counts,
// run, confirm with the draw password, immutability, filter rules, recusals, refusals in
// the attempt log, tampered records, concurrent draws, scans, PDF and the public page.
#include "draw-fixture.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "workflows/draw-core.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;
using twindraw::testing::TempDatabase;

namespace {

class DrawApi : public ::testing::Test {
protected:
    void SetUp() override {
        twindraw::testing::load_draw_city(db.url(), 4000);
        app = std::make_unique<App>(App{db.pool(), "", data_dir.string()});
        register_all(router, *app);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(data_dir, ec);
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  std::vector<std::string> permissions = {"draw.run", "draw.read", "draw.manage"},
                  bool signed_in = true, const std::string& type = "application/json", long long user = 77) {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = type;
        req.headers["host"] = "twindraw.example:8080";
        req.peer = "192.0.2.9";
        if (signed_in) {
            Principal p;
            p.user_id = user;
            p.identity_id = 1;
            p.unit_id = 900;
            p.stage = "ok";
            p.data_scope = "all";  // as the fixture's city_assigner role (draw-fixture.hpp)
            p.permissions = std::move(permissions);
            req.principal = p;
        }
        return dispatch(router, "", req);
    }
    static json parse(const Response& r) { return json::parse(r.body); }
    // The 监督人员 (user 7801, draw.witness) enters W; the department head (7802) decides.
    Response witness(long long id, const std::string& w = "00112233445566778899aabbccddeeff") {
        return call("POST", "/api/draws/" + std::to_string(id) + "/witness", json{{"witness", w}}.dump(),
                    {"draw.read", "draw.witness"}, true, "application/json", 7801);
    }
    Response as_head(const std::string& method, const std::string& target, const std::string& body = "{}") {
        return call(method, target, body, {"draw.read", "draw.change.approve"}, true, "application/json", 7802);
    }
    // Commit (as the drawer, 77 unless another user is named) and witness: the revealed
    // draw; fails the test otherwise. A drawer holds one attempt without a task at a time
    // (issue 12 §3), so a second open one is another drawer's.
    json drawn(const std::string& body, const std::string& w = "00112233445566778899aabbccddeeff", long long user = 77) {
        auto r = call("POST", "/api/draws", body, {"draw.run", "draw.read", "draw.manage"}, true, "application/json", user);
        EXPECT_EQ(r.status, 201) << r.body;
        if (r.status != 201) return json();
        r = witness(parse(r)["id"].get<long long>(), w);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? parse(r) : json();
    }
    long long scalar(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1(sql)[0].as<long long>();
    }
    void set_password(long long user = 77) {
        auto r = call("PUT", "/api/draws-password", R"({"login_password":"Login@2026pw","draw_password":"Draw#2026"})",
                      {"draw.run", "draw.read"}, true, "application/json", user);
        ASSERT_EQ(r.status, 200) << r.body;
    }
    // The drawer (77) gives up an attempt and the department head (7802) approves.
    void abandon(long long id) {
        auto r = call("POST", "/api/draws/" + std::to_string(id) + "/abandon", R"({"reason":"测试放弃"})");
        ASSERT_EQ(r.status, 200) << r.body;
        r = as_head("POST", "/api/draws/" + std::to_string(id) + "/abandon/approve", R"({"opinion":"同意"})");
        ASSERT_EQ(r.status, 200) << r.body;
    }

    TempDatabase db;
    std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("twindraw-draw-" + db.name());
    std::unique_ptr<App> app;
    Router router;
};

}  // namespace

TEST_F(DrawApi, PreviewRunConfirmAndTheRecordVerifies) {
    auto r = call("POST", "/api/draws/preview", twindraw::testing::draw_body());
    ASSERT_EQ(r.status, 200) << r.body;
    auto pv = parse(r);
    // 渝中区 holds the 3200 subjects whose id is not a multiple of 5, 200 per stratum.
    EXPECT_EQ(pv["total"], 3200);
    EXPECT_EQ(pv["importance"], "general");
    EXPECT_EQ(pv["cap_bp"], 500);
    ASSERT_EQ(pv["strata"].size(), 16u);
    for (const auto& s : pv["strata"]) {
        EXPECT_EQ(s["population"], 200) << s.dump();
        EXPECT_EQ(s["k"], 10) << s.dump();  // ceil(200 · 5 %)
    }
    EXPECT_EQ(pv["to_draw"], 160);
    EXPECT_EQ(pv["inspectors"]["leaders"], 4);
    EXPECT_EQ(pv["inspectors"]["members"], 13);

    // The request commits: population frozen, H(E) published, nothing drawn (format 2).
    r = call("POST", "/api/draws", twindraw::testing::draw_body());
    ASSERT_EQ(r.status, 201) << r.body;
    auto d = parse(r);
    const long long id = d["id"].get<long long>();
    EXPECT_EQ(d["status"], "committed");
    EXPECT_EQ(d["format"], 2);
    EXPECT_EQ(d["drawn_total"], 160);  // the quotas' k, known before any randomness
    EXPECT_TRUE(d["result_groups"].empty());
    EXPECT_TRUE(d["entropy"].is_null()) << "E stays secret until the reveal";
    EXPECT_TRUE(d["seed"].is_null());
    ASSERT_TRUE(d["entropy_commitment"].is_string());
    EXPECT_EQ(d["drawn_by"], (json{{"id", 77}, {"name", "抽取员张三"}}));
    EXPECT_EQ(d["log_head"]["seq"], 1);
    auto c0 = parse(call("GET", "/api/public/draws/" + std::to_string(id), "", {}, false));
    EXPECT_TRUE(c0["matches"].is_null());
    EXPECT_EQ(c0["record"]["commitment_only"], true);
    EXPECT_FALSE(c0["record"].contains("candidates"));
    EXPECT_FALSE(c0["record"].contains("entropy"));

    // The witness: not the drawer, not without draw.witness, W of at least 64 bits.
    const std::string wpath = "/api/draws/" + std::to_string(id) + "/witness";
    r = call("POST", wpath, R"({"witness":"00112233445566778899"})", {"draw.read", "draw.witness"});
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "witness_is_drawer");
    r = call("POST", wpath, R"({"witness":"00112233445566778899"})", {"draw.read"}, true, "application/json", 7801);
    EXPECT_EQ(r.status, 403) << r.body;
    r = witness(id, "0011223344");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["field"], "witness");
    r = witness(id, "");
    EXPECT_EQ(r.status, 422) << r.body;
    r = call("POST", wpath, R"({"witness":1})", {"draw.read", "draw.witness"}, true, "application/json", 7801);
    EXPECT_EQ(r.status, 422) << r.body;
    r = witness(id);
    ASSERT_EQ(r.status, 200) << r.body;
    d = parse(r);
    EXPECT_EQ(d["status"], "revealed");
    EXPECT_EQ(d["witnessed_by"], (json{{"id", 7801}, {"name", "监督员李四"}}));
    EXPECT_EQ(d["witness"], "00112233445566778899aabbccddeeff");
    EXPECT_EQ(d["drawn_total"], 160);
    EXPECT_EQ(witness(id).status, 409) << "one witness per attempt";
    ASSERT_EQ(d["result_groups"].size(), 3u);
    std::set<long long> people;
    size_t objects = 0;
    for (const auto& g : d["result_groups"]) {
        ASSERT_FALSE(g["leader"].is_null());
        people.insert(g["leader"]["id"].get<long long>());
        EXPECT_EQ(g["members"].size(), 1u);
        for (const auto& m : g["members"]) people.insert(m["id"].get<long long>());
        objects += g["objects"].size();
        for (const auto& o : g["objects"]) EXPECT_EQ(o["division_code"], "500103");
    }
    EXPECT_EQ(objects, 160u);
    EXPECT_EQ(people.size(), 6u);
    for (long long p : people) EXPECT_LE(p, 113) << "from the 渝中区 bureau and its offices";
    // A revealed attempt holds nothing yet: only a confirmed draw keeps objects out of others.
    EXPECT_EQ(scalar("SELECT count(*) FROM draw_object WHERE draw_id = " + std::to_string(id)), 0);

    // The exported record recomputes offline (staff); the public sees it once confirmed.
    r = call("GET", "/api/draws/" + std::to_string(id) + "/record.json");
    ASSERT_EQ(r.status, 200) << r.body;
    auto rec = parse(r);
    EXPECT_EQ(rec["format"], "twindraw-draw/2");
    EXPECT_EQ(rec["candidates"].size(), 3200u);
    EXPECT_TRUE(draw::verify(rec).ok);
    EXPECT_EQ(rec["log"]["commit_seq"], 1);
    EXPECT_EQ(rec["log"]["reveal_seq"], 3);
    EXPECT_EQ(call("GET", "/api/public/draws/999999", "", {}, false).status, 404);
    EXPECT_EQ(call("GET", "/api/draws/" + std::to_string(id), "", {}, false).status, 401);

    // Confirmation needs the separate draw password (DRAW-11).
    const std::string confirm = "/api/draws/" + std::to_string(id) + "/confirm";
    r = call("POST", confirm, R"({"password":"Draw#2026"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "no_draw_password");
    r = call("PUT", "/api/draws-password", R"({"login_password":"wrong","draw_password":"Draw#2026"})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "login_password");
    set_password();
    r = call("POST", confirm, R"({"password":"Draw#2025"})");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "wrong_draw_password");
    // Only the drawer (or a named co-drawer) confirms, whatever their permissions.
    r = call("POST", confirm, R"({"password":"Draw#2026"})", {"draw.run", "draw.read"}, true, "application/json", 7801);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "not_drawer");
    r = call("POST", confirm, R"({"password":"Draw#2026"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["status"], "confirmed");
    EXPECT_EQ(parse(r)["confirmed_by_name"], "抽取员张三");
    EXPECT_EQ(parse(r)["confirmed_by"], (json{{"id", 77}, {"name", "抽取员张三"}}));
    EXPECT_EQ(parse(r)["log_head"]["seq"], 4);
    EXPECT_EQ(scalar("SELECT count(*) FROM draw_object WHERE open AND draw_id = " + std::to_string(id)), 160);
    r = call("GET", "/api/public/draws/" + std::to_string(id), "", {}, false);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["matches"], true);
    EXPECT_EQ(parse(r)["attempt"]["people"]["witness"], "监督员李四");
    r = call("POST", confirm, R"({"password":"Draw#2026"})");
    EXPECT_EQ(r.status, 409);
    r = call("POST", "/api/draws/" + std::to_string(id) + "/discard", R"({"reason":"想重抽"})");
    EXPECT_EQ(r.status, 409);

    // Confirmed means unchangeable, even by hand in SQL (DRAW-6).
    pqxx::connection c(db.url());
    for (const std::string sql :
         {"UPDATE draw SET seed = seed || ''::bytea, title = 'x' WHERE id = ",
          "UPDATE draw SET status = 'draft', confirmed_at = NULL WHERE id = ",
          "DELETE FROM draw_object WHERE draw_id = ", "UPDATE draw_object SET group_no = 9 WHERE draw_id = ",
          "DELETE FROM draw_inspector WHERE draw_id = "}) {
        pqxx::work tx(c);
        EXPECT_THROW(tx.exec(sql + std::to_string(id)), pqxx::sql_error) << sql;
    }

    // The draw log lists the run, the refusals and the confirmation (DRAW-10).
    r = call("GET", "/api/draws/attempts?draw_id=" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << r.body;
    std::multiset<std::string> seen;
    const auto log = parse(r);
    for (const auto& a : log["items"])
        seen.insert(a["action"].get<std::string>() + "/" + a["outcome"].get<std::string>());
    EXPECT_EQ(seen.count("run/ok"), 1u);
    EXPECT_EQ(seen.count("witness/ok"), 1u);
    EXPECT_EQ(seen.count("reveal/ok"), 1u);
    EXPECT_EQ(seen.count("witness/refused"), 4u);  // the drawer, a short W, an empty W, a second witness
    EXPECT_EQ(seen.count("confirm/ok"), 1u);
    EXPECT_EQ(seen.count("confirm/refused"), 4u);  // no password, wrong password, not the drawer, again
    EXPECT_EQ(seen.count("abandon_request/refused"), 1u);
    r = call("GET", "/api/draws?status=confirmed");
    EXPECT_EQ(parse(r)["total"], 1);
    // The audit trail has the draw's insert, witness, reveal and confirmation.
    EXPECT_EQ(
        scalar("SELECT count(*) FROM audit_log WHERE entity = 'draw' AND entity_id = '" + std::to_string(id) + "'"), 4);
    // The public log: commit, witness, reveal, confirm, chained.
    r = call("GET", "/api/public/draw-log", "", {}, false);
    ASSERT_EQ(r.status, 200) << r.body;
    auto pl = parse(r);
    ASSERT_EQ(pl["items"].size(), 4u);
    EXPECT_EQ(pl["items"][0]["kind"], "commit");
    EXPECT_EQ(pl["items"][3]["kind"], "confirm");
    EXPECT_EQ(pl["items"][1]["prev_hash"], pl["items"][0]["row_hash"]);
    EXPECT_EQ(pl["head"]["hash"], pl["items"][3]["row_hash"]);
    EXPECT_EQ(json::parse(pl["items"][0]["body"].get<std::string>())["entropy_commitment"], d["entropy_commitment"]);
    EXPECT_EQ(json::parse(pl["items"][2]["body"].get<std::string>())["entropy"], rec["entropy"]);
}

TEST_F(DrawApi, ChangingOneByteOfARecordFailsVerificationAlsoOnTheCommandLine) {
    const long long id = drawn(twindraw::testing::draw_body())["id"].get<long long>();
    set_password();
    ASSERT_EQ(call("POST", "/api/draws/" + std::to_string(id) + "/confirm", R"({"password":"Draw#2026"})").status, 200);
    auto r = call("GET", "/api/draws/" + std::to_string(id) + "/record.json");
    ASSERT_EQ(r.status, 200);
    const std::string text = r.body;
    const auto file = data_dir / "record.json";
    std::filesystem::create_directories(data_dir);
    auto verify_file = [&](const std::string& content) {
        std::ofstream(file) << content;
        std::string cmd = std::string(TWINDRAW_BINARY) + " draw verify " + file.string() + " 2>&1";
        FILE* p = popen(cmd.c_str(), "r");
        std::string out;
        std::array<char, 512> buf{};
        while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
        int status = p ? pclose(p) : -1;
        return std::pair<int, std::string>{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
    };
    auto [rc, out] = verify_file(text);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("核验一致"), std::string::npos) << out;

    // One byte of the seed.
    const auto seed = parse(r)["seed"].get<std::string>();
    std::string t = text;
    auto pos = t.find(seed);
    ASSERT_NE(pos, std::string::npos);
    t[pos + 10] = t[pos + 10] == '0' ? '1' : '0';
    std::tie(rc, out) = verify_file(t);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("随机种子不符"), std::string::npos) << out;

    // One byte of a drawn object id in a group: the group's objects differ.
    auto j = json::parse(text);
    j["result_groups"][0]["objects"][0] = j["result_groups"][0]["objects"][0].get<long long>() + 1;
    auto v = draw::verify(j);
    EXPECT_FALSE(v.ok);
    ASSERT_FALSE(v.differences.empty());
    EXPECT_EQ(v.differences[0].field, "result_groups[0].objects");
    std::tie(rc, out) = verify_file(j.dump());
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.find("第 1 组检查对象不符"), std::string::npos) << out;

    // One candidate left out of the published list: the digest differs.
    j = json::parse(text);
    j["candidates"][5] = j["candidates"][5].get<long long>() + 100000;
    v = draw::verify(j);
    EXPECT_FALSE(v.ok);
    EXPECT_TRUE(std::any_of(v.differences.begin(), v.differences.end(),
                            [](const draw::Difference& d) { return d.field == "object_digest"; }));

    // The stored row changed behind the application's back (a superuser disabling the
    // guard): the public page recomputes and says so.
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("ALTER TABLE draw DISABLE TRIGGER draw_guard");
        tx.exec("ALTER TABLE draw DISABLE TRIGGER draw_frozen_guard");
        tx.exec("UPDATE draw SET entropy = decode(repeat('00', 32), 'hex') WHERE id = " + std::to_string(id));
        tx.exec("ALTER TABLE draw ENABLE TRIGGER draw_frozen_guard");
        tx.exec("ALTER TABLE draw ENABLE TRIGGER draw_guard");
        tx.commit();
    }
    r = call("GET", "/api/public/draws/" + std::to_string(id), "", {}, false);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(parse(r)["matches"], false);
    // The entropy no longer matches what was committed before the draw, nor the seed.
    std::set<std::string> fields;
    const auto answer = parse(r);
    for (const auto& d : answer["differences"]) fields.insert(d["field"].get<std::string>());
    EXPECT_TRUE(fields.count("entropy_commitment")) << answer["differences"].dump();
    EXPECT_TRUE(fields.count("seed")) << answer["differences"].dump();
    // The same answer saved from the public page is checked by the CLI and the script alike.
    std::tie(rc, out) = verify_file(r.body);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("[entropy_commitment]"), std::string::npos) << out;
    const std::string script = std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-verify.py " + file.string() + " 2>&1";
    FILE* p = popen(("python3 " + script).c_str(), "r");
    std::string py;
    std::array<char, 512> buf{};
    while (p && fgets(buf.data(), buf.size(), p)) py += buf.data();
    const int st = p ? pclose(p) : -1;
    EXPECT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 1) << py;
    EXPECT_NE(py.find("[entropy_commitment]"), std::string::npos) << py;
    EXPECT_NE(py.find("[seed]"), std::string::npos) << py;
    // Untouched, the script says it matches too.
    std::ofstream(file) << text;
    p = popen(("python3 " + script).c_str(), "r");
    py.clear();
    while (p && fgets(buf.data(), buf.size(), p)) py += buf.data();
    EXPECT_EQ(p ? pclose(p) : -1, 0) << py;
}

TEST_F(DrawApi, OnlyConfirmedDrawsHoldObjectsOutOfOtherDraws) {
    set_password();
    // Draw A (count 150 of 200 in R1CA, key item) is revealed: it holds nothing yet.
    const std::string one =
        R"({"title":"A","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","count":150}],)"
        R"("groups":2,"per_group":0})";
    auto a = drawn(one);
    EXPECT_EQ(a["importance"], "key");  // key item: 75 % allowed
    auto r = call("POST", "/api/draws/preview", one);
    EXPECT_EQ(parse(r)["strata"][0]["population"], 200) << "an unconfirmed attempt parks nothing";
    // Confirmed, it keeps its 150 out: B sees only the 50 left.
    ASSERT_EQ(call("POST", "/api/draws/" + a["id"].dump() + "/confirm", R"({"password":"Draw#2026"})").status, 200);
    r = call("POST", "/api/draws/preview", one);
    EXPECT_EQ(parse(r)["strata"][0]["population"], 50);
    auto b = drawn(one);
    EXPECT_EQ(b["drawn_total"], 50);
    ASSERT_EQ(call("POST", "/api/draws/" + b["id"].dump() + "/confirm", R"({"password":"Draw#2026"})").status, 200);
    EXPECT_EQ(scalar("SELECT count(*) FROM draw_object x JOIN draw_object y ON x.object_id = y.object_id"
                     " WHERE x.draw_id = " +
                     a["id"].dump() + " AND y.draw_id = " + b["id"].dump()),
              0);
    // "in_open_draw" is locked on; "inspected_this_year" may be switched off.
    r = call("PUT", "/api/draw-rules", R"({"code":"in_open_draw","enabled":false})");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["code"], "rule_locked");
    ASSERT_EQ(call("PUT", "/api/draw-rules", R"({"code":"inspected_this_year","enabled":false})").status, 200);
    r = call("POST", "/api/draws/preview", one);
    EXPECT_EQ(parse(r)["strata"][0]["population"], 0) << "A and B are still open";
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("UPDATE draw SET closed_at = now() WHERE id IN (" + a["id"].dump() + ", " + b["id"].dump() + ")");
        tx.exec("UPDATE draw_object SET open = false");
        tx.commit();
    }
    r = call("POST", "/api/draws/preview", one);
    EXPECT_EQ(parse(r)["strata"][0]["population"], 200) << "closed and the year rule off";
    ASSERT_EQ(call("PUT", "/api/draw-rules", R"({"code":"drawn_within_days","enabled":true,"days":30})").status, 200);
    r = call("POST", "/api/draws/preview", one);
    EXPECT_EQ(parse(r)["strata"][0]["population"], 0) << "confirmed within 30 days";
    EXPECT_EQ(call("PUT", "/api/draw-rules", R"({"code":"drawn_within_days","days":0})").status, 422);
    EXPECT_EQ(call("PUT", "/api/draw-rules", R"({"code":"drawn_within_days","days":10})", {"draw.read"}).status, 403);
}

// The parking attack of issue 12 §3: keep an attempt that holds a friend's enterprise
// open, confirm another draw, then give up the first. Before the fix the open draft
// excluded the friend from the confirmed draw's population.
TEST_F(DrawApi, ParkingAnObjectInAnOpenAttemptDoesNotKeepItOutOfAnotherDraw) {
    set_password();
    // P: one object of R1CA (the "friend" is whatever it drew), revealed, left open.
    const std::string park =
        R"({"title":"停放","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","count":1}],)"
        R"("groups":1,"per_group":0})";
    auto p = drawn(park);
    const long long friend_id = p["result_groups"][0]["objects"][0]["id"].get<long long>();
    // Q: every object of R1CA (key item, 100 %): the friend is in Q's population and drawn.
    // (Q is another drawer's, 7802: P's drawer holds one attempt without a task at a time.)
    const std::string all =
        R"({"title":"全部","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","ratio":100}],)"
        R"("groups":1,"per_group":0})";
    EXPECT_EQ(call("POST", "/api/draws", all).status, 409) << "P's drawer cannot draw Q alongside";
    auto q = drawn(all, "00112233445566778899aabbccddeeff", 7802);
    EXPECT_EQ(q["drawn_total"], 200) << "the parked object is not excluded";
    set_password(7802);
    ASSERT_EQ(call("POST", "/api/draws/" + q["id"].dump() + "/confirm", R"({"password":"Draw#2026"})",
                   {"draw.run", "draw.read"}, true, "application/json", 7802)
                  .status,
              200);
    auto rec = parse(call("GET", "/api/draws/" + q["id"].dump() + "/record.json"));
    const auto cands = rec["candidates"].get<std::vector<long long>>();
    EXPECT_NE(std::find(cands.begin(), cands.end(), friend_id), cands.end());
    EXPECT_EQ(scalar("SELECT count(*) FROM draw_object WHERE open AND object_id = " + std::to_string(friend_id) +
                     " AND draw_id = " + q["id"].dump()),
              1);
    // P can no longer be confirmed (its object is taken) and cannot be dropped alone.
    auto r = call("POST", "/api/draws/" + p["id"].dump() + "/confirm", R"({"password":"Draw#2026"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "object_taken");
    r = call("POST", "/api/draws/" + p["id"].dump() + "/abandon", R"({"reason":"对象已被其他抽取选中"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["status"], "revealed") << "a request, not yet an abandonment";
    EXPECT_EQ(parse(r)["abandon"]["pending"], true);
}

// The re-roll of issue 12 §3 (draw, look, discard, draw again until the friend is out):
// each attempt of a task is public, a new one needs the last given up, and giving up
// needs another person's approval.
TEST_F(DrawApi, ReRollingATaskIsPublicAndNeedsAnotherPersonsApproval) {
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO annual_plan(id, year, name, plan_type, initiating_authority_id, object_scope, start_date,"
            " end_date) VALUES (31, 2026, '2026年渝中区抽查计划', 'single', 900, '渝中区市场主体', '2026-01-01',"
            " '2026-12-31');"
            "INSERT INTO inspection_task(id, plan_id, name, task_type, initiating_authority_id, start_date, end_date)"
            " VALUES (41, 31, '产品质量抽查任务', 'single', 900, '2026-01-01', '2026-12-31')");
        tx.commit();
    }
    set_password();
    const std::string body = twindraw::testing::draw_body("第一次", R"(,"task_id":41)");
    auto first = drawn(body);
    const std::string f = "/api/draws/" + first["id"].dump();
    // While the first attempt is in progress there is no second one.
    auto r = call("POST", "/api/draws", body);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "attempt_open");
    // Giving up is a request; the drawer cannot approve it, nor can the requester.
    r = call("POST", f + "/abandon", R"({"reason":""})");
    EXPECT_EQ(r.status, 422);
    ASSERT_EQ(call("POST", f + "/abandon", R"({"reason":"名单中有企业已注销"})").status, 200);
    r = call("POST", f + "/abandon/approve", "{}", {"draw.read", "draw.change.approve"});
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "self_approval");
    EXPECT_EQ(call("POST", f + "/abandon/approve", "{}", {"draw.read", "draw.run"}, true, "application/json", 7802)
                  .status,
              403);
    EXPECT_EQ(call("POST", f + "/confirm", R"({"password":"Draw#2026"})").status, 409) << "abandonment pending";
    EXPECT_EQ(call("POST", "/api/draws", body).status, 409) << "still in progress until approved";
    r = as_head("POST", f + "/abandon/approve", R"({"opinion":"同意重新抽取"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["status"], "abandoned");
    EXPECT_TRUE(parse(r)["result_groups"].empty()) << "nothing an abandoned attempt selected is shown";
    EXPECT_TRUE(parse(r)["seed"].is_null());
    EXPECT_EQ(call("GET", f + "/record.pdf").status, 409);
    // The second attempt; the public lists both, without the first one's selection.
    auto second = drawn(twindraw::testing::draw_body("第二次", R"(,"task_id":41)"), "ffeeddccbbaa99887766554433221100");
    EXPECT_EQ(second["attempt_no"], 2);
    EXPECT_EQ(second["attempt_count"], 2);
    ASSERT_EQ(call("POST", "/api/draws/" + second["id"].dump() + "/confirm", R"({"password":"Draw#2026"})").status,
              200);
    r = call("GET", "/api/public/tasks/41/draws", "", {}, false);
    ASSERT_EQ(r.status, 200) << r.body;
    auto pub = parse(r);
    ASSERT_EQ(pub["items"].size(), 2u);
    EXPECT_EQ(pub["items"][0]["status"], "abandoned");
    EXPECT_EQ(pub["items"][0]["reason"], "名单中有企业已注销");
    EXPECT_EQ(pub["items"][0]["people"]["abandon_approver"], "负责人王五");
    EXPECT_EQ(pub["items"][0]["people"]["witness"], "监督员李四");
    EXPECT_FALSE(pub["items"][0]["abandoned_at"].is_null());
    EXPECT_EQ(pub["items"][1]["status"], "confirmed");
    EXPECT_EQ(pub["items"][1]["attempt_no"], 2);
    EXPECT_EQ(pub["items"][1]["attempt_count"], 2);
    EXPECT_EQ(parse(call("GET", "/api/public/plans/31/draws", "", {}, false))["items"].size(), 2u);
    r = call("GET", "/api/public/draws/" + first["id"].dump(), "", {}, false);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(parse(r)["record"]["commitment_only"], true);
    EXPECT_EQ(r.body.find("result_groups"), std::string::npos) << r.body.substr(0, 400);
    EXPECT_EQ(call("GET", "/api/public/draws/" + first["id"].dump() + "/changes", "", {}, false).status, 404);
    EXPECT_EQ(call("GET", "/api/public/tasks/999/draws", "", {}, false).status, 404);
    // The whole chain of the log still verifies, on the command line.
    FILE* p = popen((std::string(TWINDRAW_BINARY) + " --database '" + db.url() + "' draw log verify 2>&1").c_str(), "r");
    std::string out;
    std::array<char, 512> buf{};
    while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
    EXPECT_EQ(p ? pclose(p) : -1, 0) << out;
    // An edit behind the application's back breaks it.
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("ALTER TABLE draw_log DISABLE TRIGGER draw_log_guard");
        tx.exec("UPDATE draw_log SET body = replace(body, '已注销', '已迁出') WHERE kind = 'abandon_request'");
        tx.exec("ALTER TABLE draw_log ENABLE TRIGGER draw_log_guard");
        tx.commit();
    }
    p = popen((std::string(TWINDRAW_BINARY) + " --database '" + db.url() + "' draw log verify 2>&1").c_str(), "r");
    out.clear();
    while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
    const int st = p ? pclose(p) : -1;
    EXPECT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 1) << out;
    EXPECT_NE(out.find("row_hash"), std::string::npos) << out;
}

TEST_F(DrawApi, RefusalsAnswer4xxAndAreLogged) {
    // 6 % on a general item capped at 5 %.
    std::string body = twindraw::testing::draw_body();
    std::string over = body;
    over.replace(over.find("\"ratio\":5}"), 10, "\"ratio\":6}");
    auto r = call("POST", "/api/draws", over);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "above_cap");
    // Five groups but four leaders in the library.
    std::string many = body;
    many.replace(many.find("\"groups\":3"), 10, "\"groups\":5");
    r = call("POST", "/api/draws", many);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "too_few_leaders");
    r = call("POST", "/api/draws", R"({"title":"x","strata":[],"groups":1,"per_group":0})");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "strata");
    EXPECT_EQ(call("POST", "/api/draws", "not json").status, 400);
    EXPECT_EQ(call("POST", "/api/draws", body, {"draw.read"}).status, 403);
    EXPECT_EQ(call("GET", "/api/draws/abc").status, 400);
    EXPECT_EQ(call("GET", "/api/draws/424242").status, 404);
    EXPECT_EQ(scalar("SELECT count(*) FROM draw"), 0) << "nothing half-drawn";
    r = call("GET", "/api/draws/attempts");
    auto items = parse(r)["items"];
    ASSERT_EQ(items.size(), 4u);
    std::set<std::string> codes;
    for (const auto& a : items) {
        EXPECT_EQ(a["outcome"], "refused");
        EXPECT_EQ(a["user_id"], 77);
        EXPECT_EQ(a["address"], "192.0.2.9");
        codes.insert(a["code"].get<std::string>());
    }
    EXPECT_EQ(codes, (std::set<std::string>{"above_cap", "too_few_leaders", "bad_strata", "bad_json"}));
}

TEST_F(DrawApi, RecusedAndInactiveInspectorsAreNeverInThePools) {
    ASSERT_EQ(call("POST", "/api/draw-recusals", R"({"inspector_id":101,"reason":"健康原因"})").status, 201);
    ASSERT_EQ(call("POST", "/api/draw-recusals",
                   R"({"inspector_id":103,"object_kind":"market_subject","object_id":999999,"reason":"x"})")
                  .status,
              422);
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("UPDATE inspector SET active = false WHERE id = 104");
        tx.commit();
    }
    const auto first = drawn(twindraw::testing::draw_body())["id"].dump();
    auto rec = parse(call("GET", "/api/draws/" + first + "/record.json"));
    ASSERT_EQ(rec["inspector_pools"].size(), 2u) << rec.dump().substr(0, 300);
    for (const auto& pool : rec["inspector_pools"])
        for (const auto& id : pool["ids"]) {
            EXPECT_NE(id, 101);
            EXPECT_NE(id, 104);
        }
    // A recusal for one object keeps the inspector out only of draws that select it:
    // recuse everyone but the leaders 102 and 106 from object 1 and draw it alone.
    for (int g = 3; g <= 13; ++g) {
        if (g == 6) continue;
        ASSERT_EQ(call("POST", "/api/draw-recusals",
                       "{\"inspector_id\":" + std::to_string(100 + g) +
                           ",\"object_kind\":\"market_subject\",\"object_id\":1,\"reason\":\"亲属关系\"}")
                      .status,
                  201);
    }
    // Object 1 is R2CA (1 % 4 = 1 → risk 2; (1 / 4) % 4 = 0 → A) in 渝中区.
    abandon(std::stoll(first));  // one attempt without a task at a time
    auto g = drawn(R"({"title":"one","object_kind":"market_subject","item_id":2,"scope":{"division_codes":["500103"]},)"
                   R"("strata":[{"risk":2,"credit":"A","count":200}],"groups":1,"per_group":2,"inspectors":{"unit_ids":[900]}})")
                 ["result_groups"][0];
    std::set<long long> got = {g["leader"]["id"].get<long long>(), g["members"][0]["id"].get<long long>()};
    EXPECT_EQ(got, (std::set<long long>{102, 106}));
}

TEST_F(DrawApi, ConcurrentDrawsNeverShareAnOpenObject) {
    // Two threads, each drawing 60 % of the same 1,600 candidates (key item, no cap):
    // both commit from the same population (an unconfirmed attempt holds nothing); when
    // both are confirmed at once, one of them holds its objects and the other is refused.
    // Two drawers (77 and 7802): one person holds one attempt without a task at a time.
    set_password();
    set_password(7802);
    const std::string body =
        R"({"title":"并发","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","ratio":60},)"
        R"({"risk":2,"credit":"B","ratio":60},{"risk":3,"credit":"C","ratio":60},{"risk":4,"credit":"D","ratio":60}],"groups":2,"per_group":0})";
    Response a, b;
    std::thread t1([&] { a = call("POST", "/api/draws", body); });
    std::thread t2([&] { b = call("POST", "/api/draws", body, {"draw.run", "draw.read"}, true, "application/json", 7802); });
    t1.join();
    t2.join();
    ASSERT_EQ(a.status, 201) << a.body;
    ASSERT_EQ(b.status, 201) << b.body;
    const long long ia = parse(a)["id"].get<long long>(), ib = parse(b)["id"].get<long long>();
    ASSERT_EQ(witness(ia).status, 200);
    ASSERT_EQ(witness(ib, "0f0f0f0f0f0f0f0f").status, 200);
    for (long long id : {ia, ib})
        EXPECT_TRUE(draw::verify(parse(call("GET", "/api/draws/" + std::to_string(id) + "/record.json"))).ok);
    std::thread t3([&] { a = call("POST", "/api/draws/" + std::to_string(ia) + "/confirm", R"({"password":"Draw#2026"})"); });
    std::thread t4([&] {
        b = call("POST", "/api/draws/" + std::to_string(ib) + "/confirm", R"({"password":"Draw#2026"})",
                 {"draw.run", "draw.read"}, true, "application/json", 7802);
    });
    t3.join();
    t4.join();
    EXPECT_EQ(std::set<int>({a.status, b.status}), (std::set<int>{200, 409})) << a.body << b.body;
    const auto& refused = a.status == 409 ? a : b;
    EXPECT_EQ(parse(refused)["error"]["code"], "object_taken");
    EXPECT_EQ(scalar("SELECT count(*) FROM (SELECT object_id FROM draw_object WHERE open GROUP BY object_id"
                     " HAVING count(*) > 1) x"),
              0);
    EXPECT_EQ(scalar("SELECT count(*) FROM draw WHERE status = 'confirmed'"), 1);
    // The database itself refuses a second open row for an object.
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    auto d = tx.exec1("SELECT id FROM draw LIMIT 1")[0].as<long long>();
    tx.exec("INSERT INTO draw_object(draw_id, object_kind, object_id, stratum, group_no) VALUES (" + std::to_string(d) +
            ", 'market_subject', 424242, 'R1CA', 1)");
    EXPECT_THROW(tx.exec("INSERT INTO draw_object(draw_id, object_kind, object_id, stratum, group_no) VALUES (" +
                         std::to_string(d) + ", 'venue', 424242, 'R1CA', 1), (" + std::to_string(d) +
                         ", 'market_subject', 424242, 'R1CB', 1)"),
                 pqxx::sql_error);
}

TEST_F(DrawApi, PrintedRecordAndSignedScans) {
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'x');
    // A bare commitment has nothing to print or sign; a refused scan leaves no file
    // (issue 12 §5: it used to be written before the draw was checked).
    auto r = call("POST", "/api/draws", twindraw::testing::draw_body("仅承诺"));
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string bare = "/api/draws/" + parse(r)["id"].dump();
    EXPECT_EQ(call("GET", bare + "/record.pdf").status, 409);
    r = call("POST", bare + "/scans?filename=a.png", png, {"draw.run", "draw.read"}, true, "image/png");
    EXPECT_EQ(r.status, 409) << r.body;
    r = call("POST", "/api/draws/424242/scans?filename=a.png", png, {"draw.run", "draw.read"}, true, "image/png");
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_FALSE(std::filesystem::exists(data_dir / "draw-scans") &&
                 !std::filesystem::is_empty(data_dir / "draw-scans"))
        << "no orphan file";
    abandon(parse(call("GET", bare))["id"].get<long long>());

    const std::string base = "/api/draws/" + drawn(twindraw::testing::draw_body())["id"].dump();
    r = call("GET", base + "/record.pdf");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/pdf");
    EXPECT_EQ(r.body.substr(0, 5), "%PDF-");
    EXPECT_GT(r.body.size(), 10000u);  // embedded CJK font subset
    EXPECT_NE(r.body.find("/Type /Page"), std::string::npos);
    EXPECT_NE(r.body.find("NotoSansCJK"), std::string::npos) << "Chinese text in Noto Sans CJK";

    r = call("POST", base + "/scans?filename=签字.png", png, {"draw.run", "draw.read"}, true, "image/png");
    ASSERT_EQ(r.status, 201) << r.body;
    const auto scan = parse(r);
    EXPECT_EQ(scan["content_type"], "image/png");
    r = call("GET", "/api/draw-scans/" + std::to_string(scan["id"].get<long long>()));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, png);
    EXPECT_EQ(call("POST", base + "/scans", "hello", {"draw.run"}, true, "text/plain").status, 415);
    EXPECT_EQ(call("POST", base + "/scans", "", {"draw.run"}, true, "image/png").status, 400);
    EXPECT_EQ(call("POST", base + "/scans", "%PDF-" + std::string(21u * 1024u * 1024u, 'x'), {"draw.run"}, true,
                   "application/pdf")
                  .status,
              413);
    EXPECT_EQ(parse(call("GET", base))["scans"].size(), 1u);
}

TEST_F(DrawApi, JointTaskLeadersComeFromTheInitiatingDepartment) {
    // Inspectors from 渝中区 (900 and its offices); the initiating department is the
    // 大渡口区 bureau (910), whose only leader is 114: every group is led by 114's
    // department, so one group can be formed and two cannot.
    const std::string body =
        R"({"title":"联合","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","count":4}],)"
        R"("groups":1,"per_group":3,"inspectors":{"unit_ids":[900],"initiating_unit_id":910}})";
    auto g = drawn(body)["result_groups"][0];
    EXPECT_EQ(g["leader"]["id"], 114);
    EXPECT_EQ(g["leader"]["unit"], "重庆市大渡口区市场监督管理局");
    ASSERT_EQ(g["members"].size(), 2u);
    for (const auto& m : g["members"]) EXPECT_LE(m["id"].get<long long>(), 113);
    std::string two = body;
    two.replace(two.find("\"groups\":1"), 10, "\"groups\":2");
    auto r = call("POST", "/api/draws", two, {"draw.run", "draw.read"}, true, "application/json", 7802);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["code"], "too_few_leaders");
}

TEST_F(DrawApi, TheApplicationRoleDrawsConfirmsAndCannotDeleteTheLog) {
    // The whole flow on connections whose session role is twindraw_app (what a
    // production deployment and the row-level security policies run as).
    pg::Pool as_app(db.url() + " options='-c role=twindraw_app'", 2);
    App app_role{as_app, "", data_dir.string()};
    Router r2;
    register_all(r2, app_role);
    auto call2 = [&](const std::string& method, const std::string& path, const std::string& body,
                     long long user = 77) {
        Request req;
        req.method = method;
        req.path = path;
        req.body = body;
        req.headers["content-type"] = "application/json";
        Principal p;
        p.user_id = user;
        p.unit_id = 900;
        p.stage = "ok";
        p.data_scope = "unit_tree";
        p.permissions = {"draw.run", "draw.read", "draw.manage", "draw.witness"};
        req.principal = p;
        return dispatch(r2, "", req);
    };
    {
        pqxx::connection c(db.url() + " options='-c role=twindraw_app'");
        pqxx::read_transaction tx(c);
        ASSERT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), "twindraw_app");
    }
    auto r = call2("POST", "/api/draws", twindraw::testing::draw_body());
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    r = call2("POST", "/api/draws/" + id + "/witness", R"({"witness":"a1b2c3d4e5f60718"})", 7801);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(
        call2("PUT", "/api/draws-password", R"({"login_password":"Login@2026pw","draw_password":"Draw#2026"})").status,
        200);
    r = call2("POST", "/api/draws/" + id + "/confirm", R"({"password":"Draw#2026"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(call2("POST", "/api/draw-recusals", R"({"inspector_id":101,"reason":"病假"})").status, 201);
    // The rules are city-wide: a unit_tree scope may not change them (issue 12, SYS-8).
    EXPECT_EQ(call2("PUT", "/api/draw-rules", R"({"code":"inspected_this_year","enabled":true})").status, 403);
    EXPECT_EQ(parse(call2("GET", "/api/public/draws/" + id, ""))["matches"], true);

    pqxx::connection c(db.url() + " options='-c role=twindraw_app'");
    const std::vector<std::string> refused = {"DELETE FROM draw_attempt", "DELETE FROM draw WHERE id = " + id,
                                              "TRUNCATE draw_object", "DELETE FROM draw_log",
                                              "UPDATE draw_log SET body = '{}'", "TRUNCATE draw_log"};
    for (const std::string& sql : refused) {
        pqxx::work tx(c);
        EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
    }
}

TEST_F(DrawApi, CrossDistrictRuleNeverSendsAnOfficeToItsOwnObjects) {
    // Every 渝中区 object lies under office 901 (the lowest sub-office of its division).
    auto body = [](const std::string& unit) {
        return R"({"title":"所所交叉","item_id":2,"scope":{"division_codes":["500103"]},"strata":[{"risk":1,"credit":"A","count":6}],)"
               R"("groups":1,"per_group":2,"inspectors":{"unit_ids":[)" +
               unit + R"(],"cross_district":true}})";
    };
    // The rule can only fail once the objects are drawn, at the reveal: the witness is
    // refused, nothing is written, the attempt stays committed.
    auto r = call("POST", "/api/draws", body("901"));
    ASSERT_EQ(r.status, 201) << r.body;
    const long long impossible = parse(r)["id"].get<long long>();
    r = witness(impossible);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "cross_district_impossible");
    EXPECT_EQ(parse(call("GET", "/api/draws/" + std::to_string(impossible)))["status"], "committed");
    abandon(impossible);
    const auto d = drawn(body("902"));
    EXPECT_EQ(d["result_groups"][0]["objects"].size(), 6u);
    auto rec = parse(call("GET", "/api/draws/" + std::to_string(d["id"].get<long long>()) + "/record.json"));
    EXPECT_EQ(rec["cross_district"], true);
    EXPECT_EQ(rec["object_offices"].size(), 6u);
    EXPECT_TRUE(draw::verify(rec).ok);
    EXPECT_EQ(call("POST", "/api/draws",
                   R"({"title":"x","strata":[{"risk":1,"credit":"A","count":1}],"groups":1,"per_group":2,)"
                   R"("inspectors":{"unit_ids":[900],"cross_district":"yes"}})")
                  .status,
              422);
}
