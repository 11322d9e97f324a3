// The joint summary form (联合检查汇总表) of the jobs of a joint task (JOB-3, last clause):
// uploaded by the lead (initiating) department once the job's result is submitted or
// accepted, kept in versions, read by every department of the task. Schema:
// data/migrations/0025_joint_summary.sql; docs/joint-summary.md.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::joint_summary {

/// The fields of an upload besides the file (query parameters of the raw-body upload).
struct Fields {
    std::string filename;      // default 联合检查汇总表
    std::string summary_date;  // YYYY-MM-DD, required, not in the future
    std::string conclusion;    // 1–200 characters, required
    std::string summary;       // at most 2000 characters
};

/// The content type of an accepted summary file from its first bytes: PDF, JPEG, PNG or
/// XLSX (a ZIP holding xl/workbook.xml); empty when none of them.
std::string sniff_type(const std::string& bytes);

/// The summaries of a task's jobs as a department of the task sees them: {task_id,
/// task_name, joint, lead {id, name}, departments [{id, name, role}], is_lead,
/// can_upload, counts {jobs, ready, with_summary}, jobs [{job_id, job_no, object_name,
/// state, state_label, ready, current, versions [...]}]}. A single-department task
/// answers joint=false and no jobs. 404 when the actor does not see the task.
nlohmann::json for_task(pg::Pool& pool, const flow::FlowActor& actor, long long task_id);

/// Uploads a new version of the summary of job_id. 400 empty, 413 over max_bytes, 415
/// not PDF/JPEG/PNG/XLSX, 422 per field, 404 job not seen, 409 not_joint_task or
/// job_not_ready (with the state), 403 not_lead_department. Tells the cooperating
/// departments (message, e-mail, SMS). Returns the version.
nlohmann::json upload(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long job_id,
                      const Fields& fields, const std::string& bytes, size_t max_bytes);

struct File {
    std::string content_type, filename, bytes;
};
/// The file of one version the actor may see (404 otherwise).
File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long summary_id);

/// The summary of one job as the job page shows it to whoever sees the job (its group's
/// inspectors included): {job_id, task_id, joint, state, state_label, ready (joint and
/// the result submitted or accepted), lead {id, name} (joint only), current, versions
/// [...] newest first}. 404 when the actor does not see the job.
nlohmann::json for_job(pg::Pool& pool, long long job_id);

/// The file of version summary_id for whoever sees both the version and its job (the job
/// page's download; 404 otherwise).
File get_job_file(pg::Pool& pool, const std::string& data_dir, long long summary_id);

}  // namespace twindraw::joint_summary
