// The public draw log (issue 12 §3; DRAW-10, AUDIT-1): an append-only, hash-chained
// list of every commitment, witness, reveal, confirmation and abandonment of a draw,
// readable by everyone. Rows are numbered and chained by the database (trigger
// draw_log_chain of data/migrations/0036_draw_commit_witness.sql):
// row_hash = SHA-256(prev_hash ‖ UTF-8 of seq "\n" at_utc "\n" kind "\n" draw_id "\n" body).
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::draw::drawlog {

/// Appends an entry in tx; body is written as canonical JSON (keys sorted, no blanks).
/// Returns {seq, hash}.
nlohmann::json append(pqxx::transaction_base& tx, const std::string& kind, long long draw_id,
                      const nlohmann::json& body);

/// {seq, hash} of the last entry ({0, 64 zeros} for an empty log).
nlohmann::json head(pqxx::transaction_base& tx);

/// Entries oldest first, paged, optionally of one draw: {head, items, total, page, page_size}.
nlohmann::json entries(pg::Pool& pool, long long page, long long page_size, std::optional<long long> draw_id);

/// Recomputes every row_hash and prev_hash link. problems name the first rows that differ.
struct ChainCheck {
    bool ok = true;
    long long rows = 0;
    std::vector<std::string> problems;
};
ChainCheck verify_chain(pg::Pool& pool);

}  // namespace twindraw::draw::drawlog
