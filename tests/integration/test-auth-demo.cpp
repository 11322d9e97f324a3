// The demo city's accounts (AUTH-1, SYS-8): one per built-in role plus three
// inspectors linked to their inspector rows, every one with the documented initial
// password that must be changed; they survive a replace of the demo city.
#include "common-pg.hpp"
#include "workflows/account-password.hpp"
#include "workflows/demo-city.hpp"
#include "workflows/reference-data.hpp"

#include <gtest/gtest.h>

#include <map>

TEST(AuthDemo, DemoAccountsOnePerRoleWithTheInitialPassword) {
    twindraw::testing::TempDatabase db;
    pqxx::connection c(db.url());
    const std::string src = TWINDRAW_SOURCE_DIR;
    twindraw::reference::load(c, src + "/data/refdata/node_modules", src + "/data");
    for (int run = 0; run < 2; ++run) {
        twindraw::demo::generate(db.pool(), {.enterprises = 50, .seed = 3, .replace = run > 0});
        pqxx::work tx(c);
        auto r = tx.exec(
            "SELECT u.account, r.code, a.name, u.must_change_password, u.password_hash, u.inspector_id IS NOT NULL"
            "  FROM app_user u JOIN user_identity i ON i.user_id = u.id AND i.is_default"
            "  JOIN role r ON r.id = i.role_id JOIN authority a ON a.id = i.authority_id ORDER BY u.account");
        std::map<std::string, std::string> role_of;
        for (const auto& row : r) {
            const std::string account = row[0].as<std::string>();
            role_of[account] = row[1].as<std::string>();
            EXPECT_TRUE(row[3].as<bool>()) << account;
            EXPECT_TRUE(twindraw::accounts::verify_password(row[4].as<std::string>(), "Twindraw@2026")) << account;
            if (account.rfind("inspector", 0) == 0) {
                EXPECT_TRUE(row[5].as<bool>()) << account;
            }
            if (account == "admin") {
                EXPECT_EQ(row[2].as<std::string>(), "重庆市市场监督管理局");
            }
            if (account == "yz_admin") {
                EXPECT_EQ(row[2].as<std::string>(), "重庆市渝中区市场监督管理局");
            }
        }
        EXPECT_EQ(role_of["admin"], "system_admin");
        EXPECT_EQ(role_of["yz_admin"], "district_admin");
        EXPECT_EQ(role_of["yz_office_admin"], "unit_admin");
        EXPECT_EQ(role_of["yz_assigner"], "task_assigner");
        EXPECT_EQ(role_of["yz_reviewer"], "task_reviewer");
        EXPECT_EQ(role_of["yz_head"], "department_head");
        EXPECT_EQ(role_of["leader"], "leader");
        EXPECT_EQ(role_of["inspector1"], "inspector");
        EXPECT_EQ(role_of["inspector3"], "inspector");
        EXPECT_EQ(role_of.size(), 10u);
    }
}
