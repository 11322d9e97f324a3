// Applies data/migrations/NNNN_name.sql (compiled into the binary) in order, each in
// its own transaction, recorded in schema_migrations. Running twice changes nothing;
// a database that already has a version this binary does not know is refused.
#pragma once

#include "geo/pg.hpp"

#include <functional>
#include <string>
#include <vector>

namespace twindraw::pg {

struct Migration {
    int version;
    std::string name;
    std::string sql;
};

/// All migrations known to this binary, ordered by version.
const std::vector<Migration>& embedded_migrations();

/// The newest version this binary knows.
int latest_version();

/// The newest version recorded in the database, or 0 for an empty one.
int current_version(pqxx::connection& conn);

/// Applies every known migration the database lacks, in version order, and returns
/// the versions applied. Throws Error(Conflict, "db_newer") when the database has a
/// migration this binary does not know.
/// Concurrent runs are serialised with an advisory lock.
std::vector<int> migrate(pqxx::connection& conn,
                         const std::function<void(const Migration&)>& on_apply = {});

}  // namespace twindraw::pg
