#include "common-pg.hpp"

#include "geo/error.hpp"

using twindraw::testing::TempDatabase;
namespace pg = twindraw::pg;

TEST(Migrate, AppliesAllThenNothingTheSecondTime) {
    TempDatabase db(false);
    pqxx::connection c(db.url());
    auto first = pg::migrate(c);
    EXPECT_EQ(static_cast<int>(first.size()), static_cast<int>(pg::embedded_migrations().size()));
    EXPECT_EQ(pg::current_version(c), pg::latest_version());
    auto second = pg::migrate(c);
    EXPECT_TRUE(second.empty());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>(),
              static_cast<int>(pg::embedded_migrations().size()));
    EXPECT_TRUE(tx.exec1("SELECT to_regclass('market_subject') IS NOT NULL")[0].as<bool>());
}

TEST(Migrate, RefusesADatabaseNewerThanTheBinary) {
    TempDatabase db;
    pqxx::connection c(db.url());
    {
        pqxx::work tx(c);
        tx.exec_params("INSERT INTO schema_migrations(version, name) VALUES ($1, 'from_the_future')",
                       pg::latest_version() + 1);
        tx.commit();
    }
    try {
        pg::migrate(c);
        FAIL() << "a newer database must be refused";
    } catch (const twindraw::Error& e) {
        EXPECT_EQ(e.code(), "db_newer");
    }
}
