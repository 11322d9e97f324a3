// A throwaway database per test fixture, in the style of osm2pgsql's common-pg:
// created with a unique name on the server the libpq environment points at
// (pg_virtualenv sets it), migrated with the binary's own migrations, dropped at the
// end unless TWINDRAW_KEEP_TEST_DB is set. No server is a failure, never a skip.
#pragma once

#include "geo/pg-migrate.hpp"
#include "geo/pg.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

/// A PDF's text through poppler's pdftotext, without whitespace (it breaks lines
/// anywhere); tag names the temporary file (one per test database).
inline std::string pdf_text(const std::string& pdf_bytes, const std::string& tag) {
    const auto pdf = std::filesystem::temp_directory_path() / ("twindraw-pdf-" + tag + ".pdf");
    {
        std::ofstream out(pdf, std::ios::binary);
        out << pdf_bytes;
    }
    std::string text;
    if (FILE* p = popen(("pdftotext -enc UTF-8 '" + pdf.string() + "' - 2>&1").c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
        EXPECT_EQ(pclose(p), 0) << text;
    }
    std::filesystem::remove(pdf);
    std::erase_if(text, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\f'; });
    return text;
}

}  // namespace twindraw::testing
