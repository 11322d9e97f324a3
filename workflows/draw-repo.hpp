// The draws in the database (DRAW-1..11, VERIFY-1): the population of a scope minus
// the filter rules, the run in one transaction under a per-library lock, confirmation
// with the draw password, discarding a draft, the record and its export, the attempt
// log, filter rules, recusals and the draw password. The algorithm is draw-core.
#pragma once

#include "geo/pg.hpp"
#include "workflows/draw-core.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::draw {

struct StratumRequest {
    int risk = 0;     // 1..4
    char credit = 0;  // 'A'..'D'
    Quota quota;
    std::string label() const { return "R" + std::to_string(risk) + "C" + std::string(1, credit); }
};

struct InspectorScope {
    std::vector<long long> unit_ids;  // whole bureau / several sub-offices / one sub-office
    bool include_subunits = true;
    std::vector<std::string> qualifications;      // any of them (empty: any)
    std::vector<std::string> specialties;         // any of them (empty: any)
    std::optional<long long> initiating_unit_id;  // joint task: leaders from this department
    bool cross_district = false;                  // 所所交叉: nobody inspects objects of their own district office
    std::vector<std::string> categories;          // personnel categories (empty: every one but 辅助专家)
};

struct DrawRequest {
    std::string title;
    std::optional<long long> task_id;
    std::optional<long long> co_drawer_id;  // a user who may confirm besides the drawer
    std::string object_kind = "market_subject";
    std::vector<std::string> division_codes;         // prefixes of division_code (county 6 digits, town 9)
    std::vector<std::string> industry_codes;         // GB/T 4754 sections (letter) or divisions (2 digits)
    std::vector<std::string> enterprise_type_codes;  // market subjects only
    std::optional<long long> item_id;
    std::vector<StratumRequest> strata;
    int groups = 1;
    int per_group = 2;  // 0: objects only
    InspectorScope inspectors;
    std::optional<std::vector<std::string>> exclusions;  // filter rules chosen (draw-settings.hpp)
    std::optional<int> objects_per_group;                // at most this many objects per group
    nlohmann::json raw;  // the request as sent, kept in the record
};

/// Parses and validates a request body; Error(Invalid, code, message, field).
DrawRequest parse_request(const nlohmann::json& body);

/// Population counts per stratum (all 16), k per requested stratum, the cap, the
/// inspector pool sizes (before recusals by object). Reads only.
nlohmann::json preview(pg::Pool& pool, const DrawRequest& req);

/// Commits a draw (format 2, issue 12 §3): freezes the population, checks what does not
/// depend on the randomness (quotas, cap, pool sizes), draws the server's entropy E and
/// publishes the commitment (population digest, parameters, H(E)) in the public draw log.
/// Nothing is drawn yet (status committed). Returns get(). A refusal is logged in
/// draw_attempt and rethrown.
nlohmann::json run(pg::Pool& pool, const DrawRequest& req);

/// The 监督人员 (the current user; the caller checks draw.witness) enters W (16..64 hex
/// digits). 409 draw_not_committed; 403 witness_is_drawer. Without a required beacon
/// the attempt is revealed in the same transaction (seed, result; status revealed),
/// else it waits in status witnessed.
nlohmann::json witness(pg::Pool& pool, long long id, const std::string& value);

/// The drawer (or co-drawer) enters the beacon of a witnessed attempt; it is revealed.
nlohmann::json reveal(pg::Pool& pool, long long id, const std::string& beacon);

/// Confirms a revealed attempt with the current user's draw password (DRAW-11): only the
/// drawer or the co-drawer (403 not_drawer). Writes the drawn objects and people (only a
/// confirmed draw holds them: 409 object_taken when a confirmed draw took one since).
nlohmann::json confirm(pg::Pool& pool, long long id, const std::string& password);

/// Asks to give up an attempt that is not confirmed (reason required); it takes effect
/// only when another person approves (abandon_decide). Logged in public.
nlohmann::json abandon_request(pg::Pool& pool, long long id, const std::string& reason);

/// Approves or refuses the pending abandonment; the requester, drawer and co-drawer may
/// not (403 self_approval). The caller checks draw.change.approve.
nlohmann::json abandon_decide(pg::Pool& pool, long long id, bool approve, const std::string& opinion);

/// Former "discard": now a request for abandonment.
nlohmann::json discard(pg::Pool& pool, long long id, const std::string& reason);

/// Every attempt of a task or of a plan's tasks, for the public (no selection of an
/// attempt that is not confirmed): {items: [{id, attempt_no, attempt_count, status, times,
/// people, reason, digests}], log_head}.
nlohmann::json public_attempts(pg::Pool& pool, std::optional<long long> task_id, std::optional<long long> plan_id,
                               std::optional<long long> draw_id = std::nullopt);

/// The draw with names of objects and inspectors, groups, digests and seed.
nlohmann::json get(pg::Pool& pool, long long id);

/// The draw log (DRAW-10): draws newest first, filtered by status and task.
nlohmann::json list(pg::Pool& pool, long long page, long long page_size, const std::string& status,
                    std::optional<long long> task_id);

/// Every attempt, refused ones included, newest first.
nlohmann::json attempts(pg::Pool& pool, long long page, long long page_size, std::optional<long long> draw_id);

/// The published record (format twindraw-draw/1 or /2) with a "meta" block (id, title,
/// status, task, times, scope in words, rules) that verification ignores. Whole once
/// confirmed (for_public = false: also when revealed); otherwise only the commitment
/// ({commitment_only: true, strata populations, object_digest, entropy_commitment, log}).
nlohmann::json record(pg::Pool& pool, long long id, bool for_public = false);

/// Recomputes the stored record (the public page): {id, title, status, verification}.
nlohmann::json public_verification(pg::Pool& pool, long long id);

/// Appends an attempt row in its own transaction (used for refusals).
void log_attempt(pg::Pool& pool, const std::string& action, std::optional<long long> draw_id,
                 std::optional<long long> task_id, const std::string& outcome, const std::string& code,
                 const std::string& message, const nlohmann::json& params);

// --- administration -------------------------------------------------------------
nlohmann::json list_rules(pg::Pool& pool);
/// {enabled?, days?}; a locked rule cannot be disabled (409 rule_locked).
nlohmann::json update_rule(pg::Pool& pool, const std::string& code, const nlohmann::json& body);

nlohmann::json list_recusals(pg::Pool& pool, std::optional<long long> inspector_id);
/// {inspector_id, object_kind?, object_id?, reason, valid_from?, valid_until?}
nlohmann::json add_recusal(pg::Pool& pool, const nlohmann::json& body);
void delete_recusal(pg::Pool& pool, long long id);

/// Sets the current user's draw password after checking their login password.
void set_draw_password(pg::Pool& pool, const std::string& login_password, const std::string& draw_password);
bool has_draw_password(pg::Pool& pool);

// --- scans of the signed record (DRAW-8) ------------------------------------------
/// Stores bytes under data_dir/draw-scans/<sha256> and records them. Types: PDF, JPEG,
/// PNG (checked by magic bytes, 415 otherwise), at most max_bytes (413).
nlohmann::json add_scan(pg::Pool& pool, const std::string& data_dir, long long draw_id, const std::string& filename,
                        const std::string& bytes, size_t max_bytes);
/// {content_type, filename, bytes} of a scan.
struct ScanFile {
    std::string content_type, filename, bytes;
};
ScanFile get_scan(pg::Pool& pool, const std::string& data_dir, long long scan_id);

}  // namespace twindraw::draw
