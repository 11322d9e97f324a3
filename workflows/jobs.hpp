// Inspection jobs (检查作业) and their results (JOB-1..9, WORK-7): each drawn object of a
// confirmed draw becomes one job of its group; the group's inspectors record form F.1 of
// seed 002 (per item: checked content, finding, qualified; the overall result category
// from the dictionary 检查结果类别; date, place, remarks; advance notice per JOB-8;
// photos and files; the inspected party's signature or the recorded refusal), save
// drafts and submit; a reviewer accepts or returns with an opinion. Every step appends
// to flow_history (entity "job") and runs in one transaction. See docs/jobs.md.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::jobs {

/// Makes one job per drawn object of draw_id (group, the group's inspectors leader
/// first, the task's items or the draw's item, the notice rule), in tx: called by the
/// draw confirmation. Idempotent (a second call adds nothing). Returns the number made.
long long create_for_draw(pqxx::work& tx, long long draw_id);

struct Filter {
    std::optional<long long> task_id;
    std::optional<long long> draw_id;
    std::string state;  // empty: all
    std::string q;      // job number or object name
    long long page = 1;
    long long page_size = 20;
};

/// 我的检查 (JOB-1): the jobs whose group holds the actor's inspector row.
/// {items:[...], total, page, page_size}; empty for a user without an inspector row.
nlohmann::json list_mine(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f);

/// The jobs of the actor's data scope for review (WORK-7); default state submitted.
nlohmann::json list_review(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f);

/// One job (JOB-2, JOB-4, JOB-6): object (F.1 head), items, result, files, history,
/// actions. 404 when neither in its group nor a reviewer of its unit.
nlohmann::json get(pg::Pool& pool, const flow::FlowActor& actor, long long id);

/// Saves the form as a draft (partial body; 422 for malformed fields).
nlohmann::json save(pg::Pool& pool, const flow::FlowActor& actor, long long id, const nlohmann::json& body);

/// Saves the body then submits: 422 errors[] naming every missing field; 409 in a
/// state that cannot submit. Tells the reviewing unit.
nlohmann::json submit(pg::Pool& pool, const flow::FlowActor& actor, long long id, const nlohmann::json& body);

/// Accepts or returns a submitted result with {opinion} (required to return). A return
/// tells the group's inspectors.
nlohmann::json review(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool accept,
                      const nlohmann::json& body);

/// Stores an uploaded photo|file|signature (raw bytes; type by magic bytes: JPEG, PNG,
/// or PDF for files; at most max_bytes → 413; other types → 415) by SHA-256 under
/// data_dir/job-files; a new signature replaces the refusal. Returns the file row.
nlohmann::json add_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long job_id,
                        const std::string& kind, const std::string& filename, const std::string& bytes,
                        size_t max_bytes);

struct File {
    std::string content_type, filename, bytes;
};
/// A file of a job the actor may see.
File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long file_id);

}  // namespace twindraw::jobs
