// The hash chain of the audit trail (AUDIT-1): the canonical content of a row, its
// SHA-256, and the walk that checks a whole chain. Rows are written by the database
// (data/migrations/0005_audit.sql); this file rebuilds the same bytes from the stored
// columns, independently of the SQL, so an edit made behind the triggers' back shows.
// The rule is documented for third parties in docs/audit.md.
#pragma once

#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <string>

namespace twindraw::audit {

/// One stored audit_log row as the chain sees it. Hashes are raw 32-byte strings;
/// before/after are the jsonb columns' text output.
struct ChainRow {
    long long id = 0;
    long long at_us = 0;  // microseconds since 1970-01-01T00:00:00Z
    std::optional<long long> user_id, identity_id, unit_id;
    std::optional<std::string> address;
    std::string action, entity, entity_id;
    std::optional<std::string> before, after;
    std::string prev_hash, hash;
};

/// "2026-11-23T18:15:58.479225Z" (UTC, always six fraction digits).
std::string format_utc_micros(long long at_us);

/// The canonical content: the fields id, at, user_id, identity_id, unit_id, address,
/// action, entity, entity_id, before, after in this order, each written as "~" when
/// NULL or as "<UTF-8 byte length in decimal>:<bytes>", with nothing between them.
std::string canonical_content(const ChainRow& row);

/// SHA-256(prev_hash || canonical), 32 raw bytes.
std::string row_hash(const std::string& prev_hash, const std::string& canonical);

/// Lower-case hex of raw bytes.
std::string to_hex(const std::string& bytes);

enum class BreakKind {
    Edited,    // the row's content no longer matches its stored hash
    Deleted,   // rows are missing before this id (or at the end of the chain)
    Inserted,  // the row does not follow its predecessor: inserted out of order, or
               // the predecessor was altered and re-hashed
    Head       // the last row does not match the recorded chain head
};

/// "edited", "deleted", "inserted", "head".
const char* kind_name(BreakKind kind);

struct Break {
    long long id = 0;  // the row named; for a deletion, the first missing id
    BreakKind kind = BreakKind::Edited;
    std::string message;  // Chinese, for people
};

/// Checks rows fed in id order; stops being useful after the first break.
class ChainWalker {
public:
    /// The break this row shows, if any.
    std::optional<Break> next(const ChainRow& row);
    /// After the last row: compares with the chain head (audit_chain).
    std::optional<Break> finish(long long head_id, const std::string& head_hash) const;
    long long rows() const { return rows_; }

private:
    long long expected_id_ = 1;
    std::string prev_hash_ = std::string(32, '\0');
    long long rows_ = 0;
};

struct VerifyResult {
    long long rows = 0;           // rows checked
    std::optional<Break> broken;  // the first break, or none when intact
};

/// Walks audit_log in id order in one repeatable-read snapshot (concurrent appends do
/// not disturb it) and returns the first break. progress, if given, is called with
/// the number of rows checked after each batch.
VerifyResult verify(pqxx::connection& conn, const std::function<void(long long)>& progress = {});

}  // namespace twindraw::audit
