// The audit trail (AUDIT-1) on a real PostGIS: changes made through the registry
// repository are recorded with their actor, before and after in the same transaction;
// the chain verifies in C++ exactly as SQL wrote it; tampering behind the triggers'
// back (as a superuser) is named by row and kind; the application role cannot edit it.
#include "common-pg.hpp"

#include "workflows/audit-verify.hpp"
#include "workflows/registry-repo.hpp"

#include <array>
#include <cstdio>
#include <thread>

using namespace twindraw;
using twindraw::testing::TempDatabase;

namespace {

const registry::Entity& entity(const char* name) { return *registry::find_entity(name); }

const char* kSubject = R"({"uscc":"914403001922038216","name":"重庆渝中测试餐饮有限公司","division_code":"500103",
    "risk_level":3,"credit_level":"B","location":{"lon":106.57,"lat":29.55}})";

class AuditTrail : public ::testing::Test {
protected:
    void SetUp() override {
        pg::ActorScope actor({11, 12, 13, "10.0.0.5"});
        registry::create(db.pool(), entity("divisions"), {{"code", "500000"}, {"name", "重庆市"}, {"level", 1}});
        registry::create(db.pool(), entity("divisions"),
                         {{"code", "500103"}, {"name", "渝中区"}, {"level", 3}, {"parent_code", "500000"}});
    }

    // Runs sql as the test's superuser in its own transaction.
    void sql(const std::string& statements) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(statements);
        tx.commit();
    }

    long long count(const std::string& where = "true") {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1("SELECT count(*) FROM audit_log WHERE " + where)[0].as<long long>();
    }

    audit::VerifyResult verify() {
        pqxx::connection c(db.url());
        return audit::verify(c);
    }

    // Edits the trail behind its guard, as an attacker with superuser rights would.
    void tamper(const std::string& statements) {
        sql("ALTER TABLE audit_log DISABLE TRIGGER USER; " + statements +
            "; ALTER TABLE audit_log ENABLE TRIGGER USER");
    }

    // Creates, changes and deletes a market subject as user 11: rows 3..5.
    long long subject_lifecycle() {
        pg::ActorScope actor({11, 12, 13, "10.0.0.5"});
        auto created = registry::create(db.pool(), entity("subjects"), nlohmann::json::parse(kSubject));
        std::string id = std::to_string(created["id"].get<long long>());
        registry::update(db.pool(), entity("subjects"), id, {{"name", "重庆渝中改名餐饮有限公司"}});
        registry::update(db.pool(), entity("subjects"), id, {{"name", "重庆渝中改名餐饮有限公司"}});  // no change
        registry::remove(db.pool(), entity("subjects"), id);
        return created["id"].get<long long>();
    }

    TempDatabase db;
};

std::pair<int, std::string> run_binary(const std::string& args) {
    std::string cmd = std::string(TWINDRAW_BINARY) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 512> buf{};
    while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
    int status = p ? pclose(p) : -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_F(AuditTrail, RecordsWhoWhatBeforeAndAfterOfEachChange) {
    long long id = subject_lifecycle();
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    auto rows = tx.exec(
        "SELECT id, user_id, identity_id, unit_id, address, action, entity, entity_id, before::text, after::text"
        " FROM audit_log ORDER BY id");
    ASSERT_EQ(rows.size(), 5u);  // two divisions, insert, one real update, delete
    EXPECT_EQ(rows[0][6].as<std::string>(), "division");
    EXPECT_EQ(rows[0][7].as<std::string>(), "500000");
    for (const auto& r : rows) {
        EXPECT_EQ(r[1].as<long long>(), 11);
        EXPECT_EQ(r[2].as<long long>(), 12);
        EXPECT_EQ(r[3].as<long long>(), 13);
        EXPECT_EQ(r[4].as<std::string>(), "10.0.0.5");
    }
    const std::string sid = std::to_string(id);
    EXPECT_EQ(rows[2][5].as<std::string>(), "insert");
    EXPECT_EQ(rows[2][6].as<std::string>(), "market_subject");
    EXPECT_EQ(rows[2][7].as<std::string>(), sid);
    EXPECT_TRUE(rows[2][8].is_null());
    auto inserted = nlohmann::json::parse(rows[2][9].c_str());
    EXPECT_EQ(inserted["uscc"], "914403001922038216");
    EXPECT_FALSE(inserted.contains("updated_at"));

    EXPECT_EQ(rows[3][5].as<std::string>(), "update");
    EXPECT_EQ(nlohmann::json::parse(rows[3][8].c_str())["name"], "重庆渝中测试餐饮有限公司");
    EXPECT_EQ(nlohmann::json::parse(rows[3][9].c_str())["name"], "重庆渝中改名餐饮有限公司");

    EXPECT_EQ(rows[4][5].as<std::string>(), "delete");
    EXPECT_EQ(rows[4][7].as<std::string>(), sid);
    EXPECT_EQ(nlohmann::json::parse(rows[4][8].c_str())["name"], "重庆渝中改名餐饮有限公司");
    EXPECT_TRUE(rows[4][9].is_null());
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_pending")[0].as<int>(), 0);
}

TEST_F(AuditTrail, UpdateTouchingOnlyUpdatedAtIsNotRecorded) {
    long long before = count();
    sql("UPDATE division SET updated_at = now() + interval '1 hour'");
    EXPECT_EQ(count(), before);
    sql("UPDATE division SET name = '渝中' WHERE code = '500103'");
    EXPECT_EQ(count(), before + 1);
}

TEST_F(AuditTrail, ChangeWithoutActorIsRecordedWithNullUser) {
    registry::create(db.pool(), entity("enterprise-types"), {{"code", "9300"}, {"name", "试点类型"}});
    EXPECT_EQ(count("entity = 'enterprise_type' AND entity_id = '9300' AND user_id IS NULL AND identity_id IS NULL"
                    " AND unit_id IS NULL AND address IS NULL"),
              1);
}

TEST_F(AuditTrail, FailedTransactionLeavesNoAuditRow) {
    long long before = count();
    EXPECT_THROW(pg::with_transaction(db.pool(), "test", [](pqxx::work& tx) {
                     tx.exec("INSERT INTO enterprise_type(code, name) VALUES ('9301', '回滚类型')");
                     throw std::runtime_error("abort");
                 }),
                 std::runtime_error);
    // A duplicate rejected by the database after the first row went in.
    EXPECT_THROW(sql("INSERT INTO enterprise_type(code, name) VALUES ('9302', '甲'), ('9303', '甲')"), std::exception);
    EXPECT_EQ(count(), before);
    EXPECT_EQ(count("entity = 'enterprise_type'"), 0);
    EXPECT_TRUE(verify().broken == std::nullopt);
}

TEST_F(AuditTrail, VerifyPassesAndCppCanonicalContentEqualsSql) {
    subject_lifecycle();
    auto result = verify();
    EXPECT_FALSE(result.broken) << result.broken->message;
    EXPECT_EQ(result.rows, 5);

    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    auto rows = tx.exec(
        "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, user_id, identity_id, unit_id, address, action, entity,"
        " entity_id, before::text, after::text, audit_canonical(id, at, user_id, identity_id, unit_id, address, action,"
        " entity, entity_id, before, after), encode(hash, 'hex'), encode(prev_hash, 'hex') FROM audit_log ORDER BY id");
    ASSERT_EQ(rows.size(), 5u);
    std::string prev(64, '0');
    for (const auto& f : rows) {
        audit::ChainRow r;
        r.id = f[0].as<long long>();
        r.at_us = f[1].as<long long>();
        r.user_id = f[2].as<long long>();
        r.identity_id = f[3].as<long long>();
        r.unit_id = f[4].as<long long>();
        r.address = f[5].as<std::string>();
        r.action = f[6].as<std::string>();
        r.entity = f[7].as<std::string>();
        r.entity_id = f[8].as<std::string>();
        if (!f[9].is_null()) r.before = f[9].as<std::string>();
        if (!f[10].is_null()) r.after = f[10].as<std::string>();
        EXPECT_EQ(audit::canonical_content(r), f[11].as<std::string>()) << "row " << r.id;
        EXPECT_EQ(f[13].as<std::string>(), prev) << "row " << r.id;
        prev = f[12].as<std::string>();
    }
    EXPECT_EQ(tx.exec1("SELECT encode(last_hash, 'hex') FROM audit_chain")[0].as<std::string>(), prev);
}

TEST_F(AuditTrail, EditedRowIsNamed) {
    subject_lifecycle();
    tamper("UPDATE audit_log SET after = jsonb_set(after, '{name}', '\"伪造的名称\"') WHERE id = 4");
    auto result = verify();
    ASSERT_TRUE(result.broken);
    EXPECT_EQ(result.broken->id, 4);
    EXPECT_EQ(result.broken->kind, audit::BreakKind::Edited);
    EXPECT_EQ(result.rows, 3);
}

TEST_F(AuditTrail, DeletedRowIsNamed) {
    subject_lifecycle();
    tamper("DELETE FROM audit_log WHERE id = 3");
    auto result = verify();
    ASSERT_TRUE(result.broken);
    EXPECT_EQ(result.broken->id, 3);
    EXPECT_EQ(result.broken->kind, audit::BreakKind::Deleted);
}

TEST_F(AuditTrail, DeletedLastRowIsNamed) {
    subject_lifecycle();
    tamper("DELETE FROM audit_log WHERE id = 5");
    auto result = verify();
    ASSERT_TRUE(result.broken);
    EXPECT_EQ(result.broken->id, 5);
    EXPECT_EQ(result.broken->kind, audit::BreakKind::Deleted);
}

TEST_F(AuditTrail, ForgedRowIsNamedEvenWithACorrectHash) {
    subject_lifecycle();
    // The forger knows the rule and links the row correctly; only the head betrays it.
    tamper(
        "INSERT INTO audit_log SELECT 6, now(), 11, 12, 13, '10.0.0.5', 'delete', 'division', '500103',"
        " '{\"code\": \"500103\"}', NULL, hash, sha256(hash || convert_to(audit_canonical(6, now(), 11, 12, 13,"
        " '10.0.0.5', 'delete', 'division', '500103', '{\"code\": \"500103\"}', NULL), 'UTF8'))"
        " FROM audit_log WHERE id = 5");
    auto result = verify();
    ASSERT_TRUE(result.broken);
    EXPECT_EQ(result.broken->id, 6);
    EXPECT_EQ(result.broken->kind, audit::BreakKind::Inserted);
}

TEST_F(AuditTrail, RowReplacedOutOfOrderIsNamed) {
    subject_lifecycle();
    // Row 4 swapped for a self-consistent copy of row 3 re-numbered as 4: its hash
    // matches its content, but it does not follow row 3.
    tamper(
        "DELETE FROM audit_log WHERE id = 4;"
        " INSERT INTO audit_log SELECT 4, at, user_id, identity_id, unit_id, address, action, entity, entity_id,"
        " before, after, prev_hash, sha256(prev_hash || convert_to(audit_canonical(4, at, user_id, identity_id,"
        " unit_id, address, action, entity, entity_id, before, after), 'UTF8')) FROM audit_log WHERE id = 3");
    auto result = verify();
    ASSERT_TRUE(result.broken);
    EXPECT_EQ(result.broken->id, 4);
    EXPECT_EQ(result.broken->kind, audit::BreakKind::Inserted);
}

TEST_F(AuditTrail, TrailRefusesEditsEvenFromItsOwner) {
    EXPECT_THROW(sql("UPDATE audit_log SET address = 'x'"), std::exception);
    EXPECT_THROW(sql("DELETE FROM audit_log"), std::exception);
    EXPECT_THROW(sql("TRUNCATE audit_log"), std::exception);
    EXPECT_THROW(sql("INSERT INTO audit_log SELECT * FROM audit_log WHERE id = 1"), std::exception);
    EXPECT_THROW(sql("UPDATE audit_chain SET last_id = 0"), std::exception);
    EXPECT_EQ(count(), 2);
    EXPECT_FALSE(verify().broken);
}

TEST_F(AuditTrail, ApplicationRoleCanChangeDataButNotTheTrail) {
    sql("SET LOCAL ROLE twindraw_app; INSERT INTO enterprise_type(code, name) VALUES ('9310', '应用角色写入')");
    EXPECT_EQ(count("entity = 'enterprise_type' AND entity_id = '9310'"), 1);
    for (const char* stmt : {"UPDATE audit_log SET address = 'x'", "DELETE FROM audit_log",
                             "INSERT INTO audit_log SELECT * FROM audit_log WHERE id = 1",
                             "UPDATE audit_chain SET last_id = 0", "DELETE FROM audit_pending"}) {
        try {
            sql(std::string("SET LOCAL ROLE twindraw_app; ") + stmt);
            ADD_FAILURE() << "allowed: " << stmt;
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << stmt << ": " << e.what();
        }
    }
    sql("SET LOCAL ROLE twindraw_app; SELECT count(*) FROM audit_log");
}

TEST_F(AuditTrail, ConcurrentWritersKeepOneLinearChain) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([this, t] {
            pg::ActorScope actor({100 + t, 0, 0, ""});
            for (int i = 0; i < 10; ++i)
                registry::create(db.pool(), entity("enterprise-types"),
                                 {{"code", std::to_string(9400 + t * 10 + i)}, {"name", "并发" + std::to_string(t * 10 + i)}});
        });
    for (auto& th : threads) th.join();
    auto result = verify();
    EXPECT_FALSE(result.broken) << result.broken->message;
    EXPECT_EQ(result.rows, 42);
    EXPECT_EQ(count("entity = 'enterprise_type' AND user_id BETWEEN 100 AND 103"), 40);
}

TEST_F(AuditTrail, VerifyCommandExitsZeroWhenIntactAndThreeNamingTheRow) {
    subject_lifecycle();
    auto [rc, out] = run_binary("--database '" + db.url() + "' audit verify");
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("审计链完整：5 条"), std::string::npos) << out;

    tamper("UPDATE audit_log SET address = '10.9.9.9' WHERE id = 2");
    std::tie(rc, out) = run_binary("--database '" + db.url() + "' audit verify");
    EXPECT_EQ(rc, 3) << out;
    EXPECT_NE(out.find("第 2 条（edited）"), std::string::npos) << out;
}

TEST_F(AuditTrail, TruncateIsRecordedAsOneDeletePerRow) {
    sql("INSERT INTO enterprise_type(code, name) VALUES ('9320', '甲类'), ('9321', '乙类')");
    long long types = 0;
    {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        types = tx.exec1("SELECT count(*) FROM enterprise_type")[0].as<long long>();
    }
    sql("TRUNCATE enterprise_type CASCADE");
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'delete'"), types);
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'delete' AND entity_id = '9321'"
                    " AND before ->> 'name' = '乙类' AND after IS NULL"),
              1);
    EXPECT_FALSE(verify().broken);
}

TEST_F(AuditTrail, LargeTransactionIsChainedInOrder) {
    sql("INSERT INTO division(code, name, level, parent_code)"
        " SELECT (500103000 + g)::text, '街道' || g, 4, '500103' FROM generate_series(1, 5000) g");
    auto result = verify();
    EXPECT_FALSE(result.broken) << result.broken->message;
    EXPECT_EQ(result.rows, 5002);
    // Capture order is kept: the ids of the transaction's rows follow the codes inserted.
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_log WHERE id > 2 AND entity_id <> (500103000 + id - 2)::text")[0]
                  .as<long long>(),
              0);
}

// Statement-level capture (0010): one statement changing many rows records each row,
// in order, with one chain append per transaction; a key change records both halves;
// a rolled-back savepoint leaves none of its rows; geometry is recorded as GeoJSON.
TEST_F(AuditTrail, BulkStatementsRecordEveryRowAndTheChainVerifies) {
    long long before = count();
    sql("INSERT INTO enterprise_type(code, name) SELECT (8000 + g)::text, '批量类型' || g FROM generate_series(1, 500) g;"
        "UPDATE enterprise_type SET name = name || '改' WHERE code BETWEEN '8001' AND '8112';"
        "DELETE FROM enterprise_type WHERE code IN ('8207', '8208', '8209')");
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'insert'"), 500);
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'update' AND after->>'name' LIKE '%改'"), 112);
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'delete' AND entity_id IN ('8207', '8208', '8209')"), 3);
    EXPECT_EQ(count(), before + 500 + 112 + 3);
    // Capture order: inserts of 8001..8500 in statement order before any update.
    EXPECT_EQ(count("entity = 'enterprise_type' AND action = 'insert' AND entity_id = '8500' AND id < "
                    "(SELECT min(id) FROM audit_log WHERE action = 'update')"),
              1);
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_pending")[0].as<int>(), 0);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM audit_tx")[0].as<int>(), 0);
    auto result = verify();
    EXPECT_FALSE(result.broken) << result.broken->message;
}

TEST_F(AuditTrail, KeyChangeSavepointAndGeometry) {
    sql("INSERT INTO enterprise_type(code, name) VALUES ('9101', '改键前')");
    long long before = count();
    sql("UPDATE enterprise_type SET code = '9102' WHERE code = '9101'");
    EXPECT_EQ(count("action = 'update' AND entity_id = '9101' AND before->>'name' = '改键前' AND after IS NULL"), 1);
    EXPECT_EQ(count("action = 'update' AND entity_id = '9102' AND before IS NULL AND after->>'name' = '改键前'"), 1);
    EXPECT_EQ(count(), before + 2);

    sql("BEGIN; SAVEPOINT a; INSERT INTO enterprise_type(code, name) VALUES ('9201', '回滚'); ROLLBACK TO SAVEPOINT a;"
        "INSERT INTO enterprise_type(code, name) VALUES ('9202', '保留'); COMMIT");
    EXPECT_EQ(count("entity_id = '9201'"), 0);
    EXPECT_EQ(count("entity_id = '9202' AND action = 'insert'"), 1);

    long long id = subject_lifecycle();
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    auto geo = tx.exec_params1("SELECT after->'geom' FROM audit_log WHERE entity = 'market_subject' AND "
                               "entity_id = $1 AND action = 'insert'",
                               std::to_string(id))[0];
    auto g = nlohmann::json::parse(geo.c_str());
    EXPECT_EQ(g["type"], "Point");
    EXPECT_NEAR(g["coordinates"][0].get<double>(), 106.57, 1e-9);
    EXPECT_NEAR(g["coordinates"][1].get<double>(), 29.55, 1e-9);
    EXPECT_FALSE(verify().broken);
}
