// Errors by SQLSTATE, not by message text (issue 13). On a server whose lc_messages is
// zh_CN.UTF-8 (common in China) PostgreSQL writes its refusals in Chinese; the API must
// answer them exactly as on an English server: a foreign-key refusal, a unique
// violation, a row-level-security refusal, a project trigger's refusal and a check
// violation each keep their status, code and (where there is one) field. The test
// database is set to Chinese messages (ALTER DATABASE … SET lc_messages) before the
// pool opens its connections, as a DBA's postgresql.conf would; the locale comes from
// scripts/deps. Each statement goes through pg::exec (geo/pg.cpp) and the server's own
// error_response, as a route's would.
#include "common-pg.hpp"

#include "geo/error.hpp"

#include "server/http-types.hpp"
#include "workflows/account-password.hpp"

#include <nlohmann/json.hpp>

#include <functional>

using namespace twindraw;
using twindraw::testing::TempDatabase;

namespace {

class ChineseServer : public ::testing::Test {
protected:
    void SetUp() override {
        {
            pqxx::connection c(db.url());
            pqxx::nontransaction tx(c);
            tx.exec("ALTER DATABASE " + pg::quote_ident(db.name()) + " SET lc_messages = 'zh_CN.UTF-8'");
        }
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("INSERT INTO division(code, name, level, parent_code) VALUES"
                " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000'),"
                " ('500103001', '七星岗街道', 4, '500103')");
        auto unit = [&](const std::string& name, const std::string& kind, const std::string& code, long long parent) {
            return tx.exec_params1("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ($1, $2, $3, NULLIF($4, 0)) RETURNING id",
                                   name, kind, code, parent)[0].as<long long>();
        };
        city = unit("重庆市市场监督管理局", "market_bureau", "500000", 0);
        yuzhong = unit("重庆市渝中区市场监督管理局", "market_bureau", "500103", city);
        office = unit("重庆市渝中区市场监督管理局七星岗市场监管所", "sub_office", "500103001", yuzhong);
        shapingba = unit("重庆市沙坪坝区市场监督管理局", "market_bureau", "500106", city);
        yz_admin = tx.exec_params1("INSERT INTO app_user(account, name, password_hash, must_change_password)"
                                   " VALUES ('yz_admin', 'yz_admin', $1, false) RETURNING id",
                                   accounts::hash_password("Twindraw@2026"))[0]
                       .as<long long>();
        yz_identity = tx.exec_params1("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                                      " SELECT $1, $2, id, true FROM role WHERE code = 'district_admin' RETURNING id",
                                      yz_admin, yuzhong)[0]
                          .as<long long>();
        tx.commit();
    }

    // The answer the API gives when sql, run through pg::exec in one transaction (of
    // the 渝中区 district administrator when as_admin), is refused; 200 if it is not.
    server::Response answer(const std::string& sql, const pg::Params& params, bool as_admin = false) {
        std::optional<pg::ActorScope> scope;
        if (as_admin) scope.emplace(pg::Actor{yz_admin, yz_identity, yuzhong, "192.0.2.10", "district", true});
        try {
            pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) { pg::exec(tx, sql, params); });
        } catch (const std::exception& e) {
            last_what = e.what();
            return server::error_response(e);
        }
        return server::Response::json(200, nlohmann::json::object());
    }

    static nlohmann::json error_of(const server::Response& r) { return nlohmann::json::parse(r.body).value("error", nlohmann::json::object()); }

    TempDatabase db;
    long long city = 0, yuzhong = 0, office = 0, shapingba = 0, yz_admin = 0, yz_identity = 0;
    std::string last_what;
};

}  // namespace

TEST_F(ChineseServer, ThePoolsConnectionsHearChinese) {
    // Otherwise the cases below prove nothing.
    auto lc = pg::with_read(db.pool(), "test", [](pqxx::read_transaction& tx) {
        return tx.exec1("SHOW lc_messages")[0].as<std::string>();
    });
    EXPECT_EQ(lc, "zh_CN.UTF-8");
    answer("SELECT 1 / 0", {});
    EXPECT_NE(last_what.find("除以零"), std::string::npos) << last_what;
    // The refusals below, as the server words them on these connections.
    auto words = [&](const std::string& sql) {
        try {
            pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) { tx.exec(sql); });
        } catch (const pqxx::sql_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(words("DELETE FROM division WHERE code = '500103'").find("仍然是从表"), std::string::npos);
    EXPECT_NE(words("INSERT INTO division(code, name, level) VALUES ('500103', '重复', 3)").find("唯一约束"), std::string::npos);
}

TEST_F(ChineseServer, ForeignKeyRefusalsKeepTheirMeaning) {
    // A referenced row cannot go: 409 in_use (authority and the districts name 500103).
    auto r = answer("DELETE FROM division WHERE code = $1", pg::Params().add("500103"));
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(error_of(r).value("code", ""), "in_use") << r.body;
    EXPECT_EQ(error_of(r).value("message", ""), "该记录仍被其他数据引用，不能删除或修改其编码");

    // A reference to nothing: 422 unknown_reference, the constraint as the field.
    r = answer("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ('无此区划的局', 'market_bureau', $1, $2)",
               pg::Params().add("500199").add(city));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_of(r).value("code", ""), "unknown_reference") << r.body;
    EXPECT_EQ(error_of(r).value("field", ""), "authority_division_code_fkey") << r.body;
}

TEST_F(ChineseServer, UniqueViolationNamesItsConstraint) {
    auto r = answer("INSERT INTO division(code, name, level, parent_code) VALUES ($1, '重复的渝中区', 3, '500000')",
                    pg::Params().add("500103"));
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(error_of(r).value("code", ""), "duplicate") << r.body;
    EXPECT_EQ(error_of(r).value("field", ""), "division_pkey") << r.body;
}

TEST_F(ChineseServer, CheckViolationIs422) {
    auto r = answer("INSERT INTO division(code, name, level, parent_code) VALUES ('500199', '第九级', $1, '500000')",
                    pg::Params().add(9));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_of(r).value("code", ""), "invalid_value") << r.body;
}

TEST_F(ChineseServer, RowLevelSecurityRefusalIs403) {
    // A unit under 沙坪坝区 written by 渝中区's administrator: the policy's WITH CHECK.
    auto r = answer("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ('越界的所', 'sub_office', $1, $2)",
                    pg::Params().add("500106").add(shapingba), true);
    EXPECT_EQ(r.status, 403) << r.body << " / " << last_what;
    EXPECT_EQ(error_of(r).value("code", ""), "out_of_scope") << r.body;
    EXPECT_EQ(error_of(r).value("message", ""), "超出本人数据范围：不能写入管辖范围以外的数据");

    // A missing GRANT is our fault, not the user's scope: still a 500.
    r = answer("SELECT rolpassword FROM pg_authid WHERE false", {}, true);
    EXPECT_EQ(r.status, 500) << r.body << " / " << last_what;
}

TEST_F(ChineseServer, ProjectTriggerRefusalIs403) {
    // authority_place_guard (0034, 0041): only a system administrator moves a unit,
    // even one of the administrator's own scope.
    auto r = answer("UPDATE authority SET parent_id = $1 WHERE id = $2", pg::Params().add(city).add(office), true);
    EXPECT_EQ(r.status, 403) << r.body << " / " << last_what;
    EXPECT_EQ(error_of(r).value("code", ""), "out_of_scope") << r.body;
}
