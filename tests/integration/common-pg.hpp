// A throwaway database per test fixture, in the style of osm2pgsql's common-pg:
// created with a unique name on the server the libpq environment points at
// (pg_virtualenv sets it), migrated with the binary's own migrations, dropped at the
// end unless TWINDRAW_KEEP_TEST_DB is set. No server is a failure, never a skip.
#pragma once

#include "geo/pg-migrate.hpp"
#include "geo/pg.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

namespace twindraw::testing {

class TempDatabase {
public:
    explicit TempDatabase(bool migrate = true) {
        static std::atomic<int> counter{0};
        name_ = "twindraw_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        try {
            pqxx::connection admin(admin_url());
            pqxx::nontransaction tx(admin);
            tx.exec("DROP DATABASE IF EXISTS " + pg::quote_ident(name_));
            tx.exec("CREATE DATABASE " + pg::quote_ident(name_));
        } catch (const std::exception& e) {
            ADD_FAILURE() << "PostgreSQL is required for integration tests (run them under "
                             "pg_virtualenv, as scripts/test does): "
                          << e.what();
            throw;
        }
        if (migrate) {
            pqxx::connection c(url());
            pg::migrate(c);
        }
    }

    ~TempDatabase() {
        if (std::getenv("TWINDRAW_KEEP_TEST_DB")) return;
        try {
            pqxx::connection admin(admin_url());
            pqxx::nontransaction tx(admin);
            tx.exec("DROP DATABASE IF EXISTS " + pg::quote_ident(name_) + " WITH (FORCE)");
        } catch (...) {
        }
    }

    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;

    const std::string& name() const { return name_; }
    /// A libpq keyword string for this database (other settings from the environment).
    std::string url() const { return "dbname=" + name_; }

    pg::Pool& pool() {
        if (!pool_) pool_ = std::make_unique<pg::Pool>(url(), 4);
        return *pool_;
    }

private:
    static std::string admin_url() { return "dbname=postgres"; }
    std::string name_;
    std::unique_ptr<pg::Pool> pool_;
};

}  // namespace twindraw::testing
