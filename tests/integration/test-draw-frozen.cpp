// The draw's last loose ends (issue 12 §3), on the small city of draw-fixture.hpp:
// - the inspector pools and the recusals of pool members are frozen by the commitment:
//   an inspector added, deactivated or recused between commit and witness changes
//   nothing, and the commit entry of the public log carries the inspector digest that
//   the published record verifies against;
// - one open stand-alone attempt (no task) per drawer or co-drawer: 409 attempt_open
//   with the open attempt's id, until it is confirmed or its abandonment approved;
// - a replacement inspector of a draw change comes from the draw's own pool definition:
//   its personnel categories and every recusal from an object of the draw.
// Without a task every test's drawer is 抽取员张三 (77); 监督员李四 (7801) witnesses and
// 负责人王五 (7802) approves.
#include "draw-api-fixture.hpp"

#include "workflows/draw-core.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/wait.h>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;
using twindraw::testing::draw_body;

namespace {

class DrawFrozen : public twindraw::testing::DrawApiTest {
protected:
    // As DrawApiTest::call, signed in as user, who may also approve changes and abandonments.
    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  long long user = 77) {
        return DrawApiTest::call(method, target, body, true, user,
                                 {"draw.run", "draw.read", "draw.manage", "draw.change.approve", "draw.witness"});
    }
    static std::string str(long long v) { return std::to_string(v); }
    long long commit(const std::string& body) {
        auto r = call("POST", "/api/draws", body);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? parse(r)["id"].get<long long>() : 0;
    }
    Response witness(long long id) {
        return call("POST", "/api/draws/" + str(id) + "/witness", R"({"witness":"0badc0ffee0ddf00d15ea5e5"})", 7801);
    }
    void confirm(long long id) {
        ASSERT_EQ(call("PUT", "/api/draws-password", R"({"login_password":"Login@2026pw","draw_password":"Draw#2026"})")
                      .status,
                  200);
        auto r = call("POST", "/api/draws/" + str(id) + "/confirm", R"({"password":"Draw#2026"})");
        ASSERT_EQ(r.status, 200) << r.body;
    }
    json log_body(long long draw, const std::string& kind) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        auto r = tx.exec_params("SELECT body FROM draw_log WHERE draw_id = $1 AND kind = $2", draw, kind);
        return r.empty() ? json() : json::parse(r[0][0].c_str());
    }
    static std::set<long long> pool_of(const json& record, const std::string& label) {
        for (const auto& p : record["inspector_pools"])
            if (p["label"] == label) return p["ids"].get<std::set<long long>>();
        return {};
    }
    static std::set<long long> people_of(const json& draw) {
        std::set<long long> out;
        for (const auto& g : draw["result_groups"]) {
            if (g["leader"].is_object()) out.insert(g["leader"]["id"].get<long long>());
            for (const auto& m : g["members"]) out.insert(m["id"].get<long long>());
        }
        return out;
    }

    // docs/draw-verify.py over a record: its exit status and output.
    std::pair<int, std::string> python_verify(const json& record) {
        const auto file = std::filesystem::temp_directory_path() / ("twindraw-frozen-" + db.name() + ".json");
        std::ofstream(file) << record.dump();
        FILE* p = popen(("python3 " + std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-verify.py " + file.string() +
                         " 2>&1")
                            .c_str(),
                        "r");
        std::string out;
        std::array<char, 512> buf{};
        while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
        const int st = p ? pclose(p) : -1;
        std::filesystem::remove(file);
        return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
    }

};

// Between commit and witness a leader joins the scope, one member is deactivated and
// another recused: the reveal draws from the pools as committed, and the public log's
// commit entry holds the digest the record verifies against.
TEST_F(DrawFrozen, ThePoolsAreTheOnesCommitted) {
    const long long id = commit(draw_body("冻结执法人员名单"));
    ASSERT_GT(id, 0);
    const json committed = log_body(id, "commit");
    ASSERT_TRUE(committed.contains("inspector_digest")) << committed.dump();
    // The commitment-only record shows it too, before anything is drawn.
    auto pub = parse(call("GET", "/api/draws/" + str(id) + "/record.json"));
    EXPECT_EQ(pub["commitment_only"], true);
    EXPECT_EQ(pub["inspector_digest"], committed["inspector_digest"]) << pub.dump().substr(0, 400);

    exec("INSERT INTO inspector(id, name, division_code, authority_id, category, qualifications, specialties,"
         " is_leader) VALUES (130, '新调入组长', '500103', 901, 'law_enforcement', '{}', '{}', true);"
         "UPDATE inspector SET active = false WHERE id = 103;"
         "INSERT INTO inspector_recusal(inspector_id, reason) VALUES (104, '承诺后新增的回避')");
    auto r = witness(id);
    ASSERT_EQ(r.status, 200) << r.body;

    const json rec = parse(call("GET", "/api/draws/" + str(id) + "/record.json"));
    EXPECT_EQ(pool_of(rec, "leader"), (std::set<long long>{101, 102, 106, 110})) << rec["inspector_pools"].dump();
    std::set<long long> members;
    for (long long i = 101; i <= 113; ++i) members.insert(i);
    EXPECT_EQ(pool_of(rec, "member"), members) << "103 and 104 stay, 130 is not added";
    EXPECT_EQ(rec["inspector_digest"], committed["inspector_digest"]);
    EXPECT_EQ(log_body(id, "reveal")["inspector_digest"], committed["inspector_digest"]);
    EXPECT_FALSE(people_of(parse(r)).count(130)) << parse(r)["result_groups"].dump();
    const auto v = draw::verify(rec);
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].field + " " + v.differences[0].message);
    // The digest is the one of the pools and recusals published in the record.
    std::vector<draw::Stratum> pools;
    for (const auto& p : rec["inspector_pools"]) pools.push_back({p["label"].get<std::string>(), p["ids"].get<std::vector<long long>>()});
    EXPECT_EQ(draw::to_hex(draw::inspector_digest(pools, {})), committed["inspector_digest"]);
}

// Recusals from objects are frozen with the pools: one from every candidate keeps its
// inspector out of the draw whatever is selected, though it was withdrawn after the
// commitment; one made after the commitment does not count; one from an object outside
// the population is not published.
TEST_F(DrawFrozen, RecusalsFromObjectsAreFrozenWithThePools) {
    exec("INSERT INTO inspector_recusal(inspector_id, object_kind, object_id, reason)"
         " SELECT 105, 'market_subject', id, '亲属经营' FROM market_subject WHERE division_code LIKE '500103%';"
         "INSERT INTO inspector_recusal(inspector_id, object_kind, object_id, reason)"
         " VALUES (107, 'market_subject', 5, '大渡口区企业，不在候选名单中')");
    const long long id = commit(draw_body("冻结回避名单"));
    ASSERT_GT(id, 0);
    exec("DELETE FROM inspector_recusal WHERE inspector_id = 105;"
         "INSERT INTO inspector_recusal(inspector_id, object_kind, object_id, reason)"
         " SELECT 108, 'market_subject', id, '承诺后新增' FROM market_subject WHERE division_code LIKE '500103%'");
    auto r = witness(id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(people_of(parse(r)).count(105)) << parse(r)["result_groups"].dump();

    const json rec = parse(call("GET", "/api/draws/" + str(id) + "/record.json"));
    ASSERT_TRUE(rec.contains("recusals")) << rec.dump().substr(0, 300);
    EXPECT_EQ(rec["recusals"].size(), 640u);
    for (const auto& x : rec["recusals"]) ASSERT_EQ(x[0], 105) << x.dump();
    EXPECT_TRUE(pool_of(rec, "member").count(105)) << "in the pool, left out by the algorithm";
    EXPECT_EQ(rec["inspector_digest"], log_body(id, "commit")["inspector_digest"]);
    const auto v = draw::verify(rec);
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].field + " " + v.differences[0].message);

    // Dropping the recusals from the published record is seen.
    json tampered = rec;
    tampered.erase("recusals");
    const auto t = draw::verify(tampered);
    ASSERT_FALSE(t.ok);
    EXPECT_EQ(t.differences[0].field, "inspector_digest");
    // docs/draw-verify.py agrees on both.
    EXPECT_EQ(python_verify(rec).first, 0) << python_verify(rec).second;
    const auto py = python_verify(tampered);
    EXPECT_EQ(py.first, 1) << py.second;
    EXPECT_NE(py.second.find("[inspector_digest]"), std::string::npos) << py.second;
}

// An attempt committed before migration 0039 (no frozen pools on its row) still reveals:
// it reads the pools at the reveal as it did, and its record, without recusals,
// verifies as before. The row is made to look old by the owner, guards lifted.
TEST_F(DrawFrozen, AnAttemptCommittedBeforeTheFreezeReadsItsPoolsAtTheReveal) {
    const long long id = commit(draw_body("迁移前承诺的抽取"));
    ASSERT_GT(id, 0);
    exec("ALTER TABLE draw DISABLE TRIGGER draw_guard; ALTER TABLE draw DISABLE TRIGGER draw_recusals_guard;"
         "UPDATE draw SET inspector_pools = NULL, inspector_digest = NULL, inspector_recusals = NULL WHERE id = " +
         str(id) + ";ALTER TABLE draw ENABLE TRIGGER draw_guard; ALTER TABLE draw ENABLE TRIGGER draw_recusals_guard");
    exec("UPDATE inspector SET active = false WHERE id = 103");  // read at the reveal: left out
    auto r = witness(id);
    ASSERT_EQ(r.status, 200) << r.body;
    const json rec = parse(call("GET", "/api/draws/" + str(id) + "/record.json"));
    EXPECT_FALSE(rec.contains("recusals"));
    EXPECT_FALSE(pool_of(rec, "member").count(103)) << rec["inspector_pools"].dump();
    EXPECT_EQ(pool_of(rec, "member").size(), 12u);
    const auto v = draw::verify(rec);
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].field + " " + v.differences[0].message);
    // Frozen columns cannot be filled in afterwards.
    EXPECT_THROW(exec("UPDATE draw SET inspector_recusals = '[]' WHERE id = " + str(id)), pqxx::sql_error);
}

// A drawer holds one stand-alone attempt at a time, as drawer or as co-drawer; a pending
// abandonment still holds it; an approved one or a confirmation frees it. Task draws
// keep their own rule.
TEST_F(DrawFrozen, OneOpenStandaloneAttemptPerPerson) {
    const long long first = commit(draw_body("第一次"));
    ASSERT_GT(first, 0);
    auto r = call("POST", "/api/draws", draw_body("第二次"));
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "attempt_open");
    EXPECT_EQ(parse(r)["error"]["draw_id"], str(first)) << r.body;
    // Witnessed and revealed, it still holds; so does a pending abandonment.
    ASSERT_EQ(witness(first).status, 200);
    EXPECT_EQ(call("POST", "/api/draws", draw_body("第二次")).status, 409);
    ASSERT_EQ(call("POST", "/api/draws/" + str(first) + "/abandon", R"({"reason":"范围设错"})").status, 200);
    EXPECT_EQ(call("POST", "/api/draws", draw_body("第二次")).status, 409);
    // Another person may not draw with 77 as co-drawer either.
    r = call("POST", "/api/draws", draw_body("代为抽取", R"(,"co_drawer_id":77)"), 7802);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(parse(r)["error"]["draw_id"], str(first));
    // The refusals are in the attempt log.
    {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        EXPECT_GE(tx.exec("SELECT count(*) FROM draw_attempt WHERE code = 'attempt_open'")[0][0].as<long long>(), 3);
    }
    ASSERT_EQ(call("POST", "/api/draws/" + str(first) + "/abandon/approve", R"({"opinion":"同意"})", 7802).status, 200);

    const long long second = commit(draw_body("第二次"));
    ASSERT_GT(second, 0);
    EXPECT_EQ(call("POST", "/api/draws", draw_body("又一次")).status, 409) << "77 holds the second attempt";
    // 7802 drawing for themself is not held by 77's attempt.
    r = call("POST", "/api/draws", draw_body("负责人自己的抽取"), 7802);
    EXPECT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(witness(second).status, 200);
    confirm(second);
    EXPECT_GT(commit(draw_body("确认后再抽")), 0);
}

// A draw for law-enforcement staff only: a daily-supervision inspector of its scope may
// not replace a drawn one, nor may a person recused from an object of another group.
TEST_F(DrawFrozen, AReplacementComesFromTheDrawsPoolDefinition) {
    exec("UPDATE inspector SET category = 'daily_supervision' WHERE id = 107");
    const long long id = commit(draw_body("按人员类别变更", R"(,"inspectors":{"unit_ids":[900],"categories":["law_enforcement"]})"));
    ASSERT_GT(id, 0);
    auto r = witness(id);
    ASSERT_EQ(r.status, 200) << r.body;
    const json d = parse(r);
    confirm(id);
    const auto drawn = people_of(d);
    ASSERT_FALSE(drawn.count(107));
    long long member = 0;
    for (const auto& g : d["result_groups"])
        if (g["no"] == 1) member = g["members"][0]["id"].get<long long>();
    ASSERT_GT(member, 0);
    // A free person of the pool, recused from an object of group 2 only.
    long long free = 0;
    for (long long i = 101; i <= 113; ++i)
        if (i != 107 && !drawn.count(i)) free = i;
    ASSERT_GT(free, 0);
    long long object2 = 0;
    for (const auto& g : d["result_groups"])
        if (g["no"] == 2) object2 = g["objects"][0]["id"].get<long long>();
    ASSERT_GT(object2, 0);

    const std::string changes = "/api/draws/" + str(id) + "/changes";
    auto replace = [&](long long to) {
        return call("POST", changes,
                    json({{"kind", "inspector"},
                          {"reason_code", "health"},
                          {"reason", "病假"},
                          {"old_inspector_id", member},
                          {"new_inspector_id", to}})
                        .dump());
    };
    auto offered = [&] {
        std::set<long long> out;
        const json opts = parse(call("GET", "/api/draws/" + str(id) + "/change-options?old_inspector_id=" + str(member)));
        for (const auto& p : opts["inspectors"]) out.insert(p["id"].get<long long>());
        return out;
    };
    EXPECT_TRUE(offered().count(free)) << free;
    r = replace(107);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "ineligible_inspector") << r.body;
    EXPECT_NE(r.body.find("人员类别"), std::string::npos) << r.body;
    EXPECT_FALSE(offered().count(107));

    exec("INSERT INTO inspector_recusal(inspector_id, object_kind, object_id, reason) VALUES (" + str(free) +
         ", 'market_subject', " + str(object2) + ", '亲属经营')");
    EXPECT_FALSE(offered().count(free));
    r = replace(free);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("回避"), std::string::npos) << r.body;
}

}  // namespace
