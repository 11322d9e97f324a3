#include "geo/pg-migrate.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <set>

namespace twindraw::pg {

namespace {
constexpr long long kMigrationLock = 0x7477696e64726177;  // "twindraw"

void ensure_table(pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
}
}  // namespace

int latest_version() {
    const auto& all = embedded_migrations();
    return all.empty() ? 0 : all.back().version;
}

int current_version(pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists[0].as<bool>()) return 0;
    return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
}

std::vector<int> migrate(pqxx::connection& conn, const std::function<void(const Migration&)>& on_apply) {
    ensure_table(conn);
    {
        pqxx::nontransaction lock(conn);
        lock.exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    }
    struct Unlock {
        pqxx::connection& c;
        ~Unlock() {
            try {
                pqxx::nontransaction tx(c);
                tx.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLock);
            } catch (...) {
            }
        }
    } unlock{conn};

    std::set<int> have;
    {
        pqxx::read_transaction tx(conn);
        for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) have.insert(row[0].as<int>());
    }
    std::set<int> known;
    for (const auto& m : embedded_migrations()) known.insert(m.version);
    for (int v : have)
        if (!known.count(v))
            throw conflict("db_newer", "数据库含有本程序不认识的迁移（版本 " + std::to_string(v) +
                                           "），数据库比程序新，请升级 twindraw");
    // Every known migration that is missing is applied, in order, even one numbered
    // below a version already present (branches that landed out of order).
    std::vector<int> applied;
    for (const auto& m : embedded_migrations()) {
        if (have.count(m.version)) continue;
        pqxx::work tx(conn);
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", m.version, m.name);
        tx.commit();
        applied.push_back(m.version);
        if (on_apply) on_apply(m);
    }
    return applied;
}

}  // namespace twindraw::pg
