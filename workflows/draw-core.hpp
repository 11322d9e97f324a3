// The verifiable draw (DRAW-1, DRAW-2, DRAW-4, DRAW-5, DRAW-7, VERIFY-1): pure
// functions, no database. A frozen, stratified candidate list has a canonical text
// and a SHA-256 digest; a 256-bit seed is SHA-256(digest ‖ entropy) with entropy from
// the OS CSPRNG; each candidate's key is SHA-256(seed ‖ "<stratum>:<id>"), and a
// stratum takes the k smallest keys. Groups, leaders and members follow the same rule.
// docs/draw-algorithm.md specifies every byte; verify() recomputes a record from it.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twindraw::draw {

using Digest = std::array<unsigned char, 32>;

std::string to_hex(const Digest& d);
/// 64 hex digits (either case) → bytes; Error(Invalid, "bad_hex", …, field) otherwise.
Digest from_hex(std::string_view hex, const std::string& field);

/// One stratum of a candidate list: its label ([A-Za-z0-9_-], 1..32 characters) and
/// the ids of its candidates (positive).
struct Stratum {
    std::string label;
    std::vector<long long> ids;
};

/// True when label is a valid stratum label.
bool valid_label(std::string_view label);

/// Sorts strata by label (bytewise) and ids ascending within each. Throws
/// Error(Invalid, "duplicate_candidate") when an id appears twice in a stratum or, when
/// disjoint (object strata), in two strata; "bad_stratum" for an invalid or repeated
/// label, "bad_candidate" for an id ≤ 0. Inspector pools overlap (leaders are members).
void canonicalise(std::vector<Stratum>& strata, bool disjoint = true);

/// The canonical text of a canonical list: one line "<label>:<id>\n" per candidate,
/// strata in order. Meant for small lists (docs, tests); digest() streams it.
std::string canonical_text(const std::vector<Stratum>& strata);

/// SHA-256 of canonical_text(strata), without building the text. Requires canonical order.
Digest digest(const std::vector<Stratum>& strata);

/// 32 bytes from the OS CSPRNG (libsodium randombytes_buf).
Digest random_entropy();

/// The seed of the object draw: SHA-256(object_digest ‖ entropy), 64 raw bytes hashed.
Digest object_seed(const Digest& object_digest, const Digest& entropy);

/// Format 2 (commit, witness, reveal; DRAW-3, VERIFY-1): the commitment to the
/// server's entropy E published before any randomness is known, SHA-256(E).
Digest entropy_commitment(const Digest& entropy);

/// The witness value W of the 监督人员: 16 to 64 hex digits (64 to 256 bits), either
/// case, surrounding blanks ignored; returns its canonical form (lowercase). Throws
/// Error(Invalid, "bad_witness", …, "witness") otherwise.
std::string canonical_witness(std::string_view text);

/// SHA-256 of the bytes W stands for (the hex digits decoded; W canonical).
Digest witness_hash(const std::string& witness);

/// A beacon value (a public number announced after the commitment, e.g. a lottery
/// draw): 1 to 200 bytes of UTF-8 without control characters, surrounding blanks
/// dropped. Throws Error(Invalid, "bad_beacon", …, "beacon").
std::string canonical_beacon(std::string_view text);

/// The seed of format 2: SHA-256(object_digest ‖ E ‖ SHA-256(W bytes) [‖ SHA-256(beacon UTF-8)]),
/// 96 or 128 raw bytes hashed; the beacon part only when there is a beacon.
Digest object_seed_v2(const Digest& object_digest, const Digest& entropy, const std::string& witness,
                      const std::optional<std::string>& beacon);

/// An object recusal (执法回避) frozen with the inspector pools at the commitment: the
/// inspector may not be drawn when the draw selects the object.
struct Recusal {
    long long inspector = 0;
    long long object = 0;
    auto operator<=>(const Recusal&) const = default;
};

/// The inspector digest (format 2 since the pools are frozen at the commitment): SHA-256
/// of the canonical text of the pools followed by one line "recusal:<inspector>:<object>\n"
/// per recusal in ascending (inspector, object) order. Without recusals it is digest(pools).
/// Requires canonical pools and sorted, distinct recusals.
Digest inspector_digest(const std::vector<Stratum>& pools, const std::vector<Recusal>& recusals);

/// The seed of the inspector draw: SHA-256(seed ‖ inspector_digest).
Digest inspector_seed(const Digest& seed, const Digest& inspector_digest);

/// key = SHA-256(seed ‖ ASCII "<label>:<decimal id>").
Digest draw_key(const Digest& seed, std::string_view label, long long id);

/// The k candidates of ids with the smallest keys under label, ordered by key
/// ascending (keys compared as 32-byte big-endian numbers; equal keys by smaller id).
/// k larger than ids.size() takes them all. Streams with a bounded heap: O(n log k).
std::vector<long long> smallest_k(const Digest& seed, std::string_view label, const std::vector<long long>& ids,
                                  size_t k);

/// How many to draw from a stratum: a ratio in basis points (1/100 of a percent,
/// 500 = 5.00 %) or a count; exactly one is set.
struct Quota {
    std::optional<long long> ratio_bp;
    std::optional<long long> count;
};

/// k for a stratum of `population`: ratio → ceil(population · ratio_bp / 10000);
/// count → min(count, population). With cap_bp set (general items), k may not exceed
/// ceil(population · cap_bp / 10000): Error(Invalid, "above_cap", …, "strata").
/// Error(Invalid, "bad_quota") for a ratio outside 1..10000, a negative count or none/both set.
long long quota_k(long long population, const Quota& quota, std::optional<long long> cap_bp);

struct Group {
    int no = 0;  // 1..N
    long long leader = 0;
    std::vector<long long> members;  // without the leader
    std::vector<long long> objects;
};

/// Objects drawn, grouped: objects sorted by SHA-256(seed ‖ "group:<id>") ascending,
/// the j-th (from 0) goes to group (j mod n) + 1; within a group in that order.
std::vector<std::vector<long long>> assign_objects(const Digest& seed, const std::vector<long long>& objects, int n);

/// Everything a draw record holds that verification needs (the "record" of the docs).
struct Record {
    int format = 1;                         // 1: twindraw-draw/1, 2: twindraw-draw/2 (witnessed)
    std::string object_kind;                // market_subject | venue | product
    std::vector<Stratum> object_strata;     // canonical
    std::map<std::string, Quota> quotas;    // by stratum label; missing → 0 drawn
    std::optional<long long> cap_bp;        // general items: the maximum ratio
    std::vector<Stratum> inspector_strata;  // canonical: "leader" and "member" pools (may be empty)
    // Object recusals of pool members, frozen with the pools at the commitment (sorted,
    // distinct): a person recused from any selected object is left out of both pools at
    // the inspector phase. Empty in format 1 and in format-2 records made before 0039.
    std::vector<Recusal> recusals;
    int groups = 0;                         // N ≥ 1
    int per_group = 0;                      // M inspectors per group, leader included (0: no inspector draw)
    Digest object_digest{};
    Digest inspector_digest{};
    Digest entropy{};
    Digest seed{};
    // Format 2 only: H(E) as committed, the witness value W (canonical), the beacon.
    Digest entropy_commitment{};
    std::string witness;
    std::optional<std::string> beacon;
    // Format 2: where the commitment sits in the public draw log ({commit_seq, ...});
    // carried along, not recomputed by verify().
    nlohmann::json log;
    // The result.
    std::map<std::string, std::vector<long long>> selected;  // per stratum, in key order
    std::vector<Group> result_groups;
    // 所所交叉 (DRAW-4), when asked for: the district office of each selected object and
    // of each pool inspector (absent or 0: none); a group never gets an object of the
    // office one of its people belongs to.
    bool cross_district = false;
    std::map<long long, long long> object_offices;
    std::map<long long, long long> inspector_offices;
};

/// Runs the object phase: computes digest and seed (entropy given; format 2: with the
/// witness and beacon), k per stratum and
/// the selection. Fills object_digest, seed, selected. Throws like quota_k.
/// digest_known: r.object_digest is already the digest of r.object_strata (the reveal of a
/// committed draw reads it from the row); verify() always recomputes it.
void draw_objects(Record& r, bool digest_known = false);

/// The inspector phase, after draw_objects: digest of the (canonical) inspector strata and
/// the recusals (inspector_digest()), without the people recused from a selected object
/// N leaders from "leader", N·(M−1) members from "member" minus the chosen leaders,
/// and the groups. Error(Invalid, "too_few_leaders" | "too_few_inspectors") when a
/// pool is too small; with cross_district, an object goes to the first group from its
/// turn on (j mod N, then the next ones) without a person of its office, and
/// "cross_district_impossible" when no group qualifies.
void draw_inspectors(Record& r);

/// Record ↔ JSON in the published formats "twindraw-draw/1" and "twindraw-draw/2"
/// (docs/draw-algorithm.md); r.format chooses.
nlohmann::json to_json(const Record& r);
/// Throws Error(Invalid, "bad_record", …, field) for a malformed record.
Record from_json(const nlohmann::json& j);

struct Difference {
    std::string field;    // e.g. "object_digest", "selected.R1CA", "groups[2].leader"
    std::string message;  // Chinese
};

struct Verification {
    bool ok = false;
    std::vector<Difference> differences;
};

/// Recomputes everything from the record's inputs (candidates, quotas, cap, entropy,
/// groups) and compares it with the recorded digests, seed and result. A malformed
/// record is a failed verification with one difference naming the field.
Verification verify(const nlohmann::json& record);

}  // namespace twindraw::draw
