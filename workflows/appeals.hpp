// Appeals of accepted inspection results (申诉, JOB-5, WORK-9): an inspector of the job's
// group files an appeal with a reason, attachments, corrected findings and item results
// and a named reviewer (a user whose role grants result.review and whose data scope holds
// the job's unit); only that reviewer accepts it — the corrected result replaces the
// job's, every version stays in job_result_version — or rejects it with an opinion. The
// filer's group may withdraw it while pending. Every step appends flow history (entities
// "appeal" and "job"), writes the audit trail and tells the other side
// (notify::users). See docs/appeals-changes.md.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"
#include "workflows/flow-states.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace twindraw::appeals {

/// pending 待复核 → accepted 申诉通过 | rejected 申诉驳回 (result.review, the named
/// reviewer) | withdrawn 已撤回 (job.submit, the job's group). Filing needs an accepted
/// job (else 409 with the job's state) and no pending appeal of it (409 appeal_pending).
const std::vector<flow::Transition>& transitions();
const flow::Transition& require_transition(const std::string& action, const std::string& from);
std::string state_label(const std::string& state);

/// The appeals and result versions of a job the actor sees (its group or a reviewer in
/// scope; else 404): {job_id, job_state, can_appeal, appeals:[...], versions:[...]}.
nlohmann::json for_job(pg::Pool& pool, const flow::FlowActor& actor, long long job_id);

/// Who may be named reviewer of the job's appeal: {items:[{id, name, unit_name}]}.
nlohmann::json reviewers(pg::Pool& pool, const flow::FlowActor& actor, long long job_id);

/// Files an appeal {reason, reviewer_id, corrected:{result_category?, qualified?,
/// findings?, remarks?, item_results?}} (omitted fields keep the current value; the
/// result must differ and be complete: 422 errors[] per field). Only the job's group
/// (403 not_group_member). Tells the reviewer.
nlohmann::json file(pg::Pool& pool, const flow::FlowActor& actor, long long job_id, const nlohmann::json& body);

/// One appeal (404 when the actor does not see it), with files, history and actions.
nlohmann::json get(pg::Pool& pool, const flow::FlowActor& actor, long long id);

struct Filter {
    std::string state = "pending";  // empty: all
    bool mine = true;               // only appeals naming the actor as reviewer
    long long page = 1, page_size = 20;
};
/// The appeals for review (WORK-9), newest first: {items, total, page, page_size}.
nlohmann::json list(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f);

/// Accepts or rejects (opinion required to reject) a pending appeal; only its named
/// reviewer (403 not_named_reviewer); 409 with the state otherwise. Accepting writes
/// the corrected result into the job and a new result version. Tells the filer.
nlohmann::json decide(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool accept,
                      const nlohmann::json& body);

/// Withdraws a pending appeal (the job's group).
nlohmann::json withdraw(pg::Pool& pool, const flow::FlowActor& actor, long long id, const nlohmann::json& body);

/// Adds an attachment (PDF, JPEG, PNG by magic bytes; 415, 413, 400 like job files) to a
/// pending appeal of the actor's group, stored by SHA-256 under data_dir/job-files.
nlohmann::json add_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long appeal_id,
                        const std::string& filename, const std::string& bytes, size_t max_bytes);

struct File {
    std::string content_type, filename, bytes;
};
/// An attachment of an appeal the actor sees.
File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long file_id);

/// The appeals matching `where` (an SQL condition on result_appeal a and inspection_job
/// j, parameters in p) that the actor sees under row-level security, newest first, as
/// listed for review (without files and history). For the task and work pages.
nlohmann::json rows_where(pqxx::transaction_base& tx, const flow::FlowActor& actor, const std::string& where,
                          const pg::Params& p);

}  // namespace twindraw::appeals
