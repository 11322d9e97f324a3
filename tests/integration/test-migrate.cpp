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

TEST(Migrate, AppliesAMissingMigrationNumberedBelowTheNewest) {
    TempDatabase db;
    pqxx::connection c(db.url());
    const auto& all = pg::embedded_migrations();
    ASSERT_GE(all.size(), 2u);
    const auto& first = all.front();
    {
        // A database where every migration but the oldest is recorded, as when a
        // branch with a lower number lands after a higher one: the schema is emptied
        // so that the oldest can really run again.
        pqxx::work tx(c);
        tx.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
        tx.exec("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())");
        for (size_t i = 1; i < all.size(); ++i)
            tx.exec_params("INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", all[i].version, all[i].name);
        tx.commit();
    }
    auto applied = pg::migrate(c);
    ASSERT_EQ(applied.size(), 1u);
    EXPECT_EQ(applied[0], first.version);
    pqxx::read_transaction tx(c);
    EXPECT_TRUE(tx.exec1("SELECT to_regclass('market_subject') IS NOT NULL")[0].as<bool>());
}
