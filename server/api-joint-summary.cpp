// The joint summary form (联合检查汇总表) of the jobs of a joint task over HTTP (JOB-3, last
// clause): every department of the task lists and downloads the versions (task.read);
// the lead department uploads (joint.summary.upload). docs/joint-summary.md.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/joint-summary.hpp"

namespace twindraw::server {

void register_joint_summary_routes(Router& router, App& app) {
    const std::string tag = "联合检查汇总";
    router.add({"GET", "/api/tasks/{id}/joint-summaries", "task.read",
                "联合抽查任务各检查作业的联合检查汇总表（当前版本与历史版本、是否可上传）", tag,
                [&app](const Request& req) {
                    return Response::json(
                        200, joint_summary::for_task(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"POST",
                "/api/jobs/{id}/joint-summary",
                "joint.summary.upload",
                "牵头部门上传检查作业的联合检查汇总表（PDF、JPEG、PNG 或 XLSX，请求体为文件原始内容；"
                "汇总日期 summary_date、检查结论 conclusion、汇总情况 summary 为查询参数），再次上传即新增一版",
                tag,
                [&app](const Request& req) {
                    joint_summary::Fields f;
                    f.filename = req.query_value("filename").value_or("");
                    f.summary_date = req.query_value("summary_date").value_or("");
                    f.conclusion = req.query_value("conclusion").value_or("");
                    f.summary = req.query_value("summary").value_or("");
                    return Response::json(
                        201,
                        joint_summary::upload(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req), f,
                                              req.body, std::min<size_t>(app.max_upload_bytes, 20u * 1024u * 1024u)));
                },
                {"filename", "summary_date", "conclusion", "summary"},
                "application/octet-stream",
                20u * 1024u * 1024u});  // the route's own limit, checked before the body is read
    router.add({"GET", "/api/joint-summaries/{id}/file", "task.read", "下载联合检查汇总表文件", tag,
                [&app](const Request& req) {
                    auto f =
                        joint_summary::get_file(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req));
                    return Response::download(std::move(f.bytes), f.content_type, f.filename);
                }});
    // On the job page (我的检查): the group's inspectors read the summary they signed
    // without reading the task pages.
    router.add({"GET", "/api/jobs/{id}/joint-summary", "job.submit",
                "检查作业的联合检查汇总表（联合抽查任务；当前版本与历史版本，检查组成员与任务各部门可见）", tag,
                [&app](const Request& req) {
                    return Response::json(200, joint_summary::for_job(app.pool, params::path_id(req)));
                }});
    router.add({"GET", "/api/joint-summaries/{id}/job-file", "job.submit",
                "从检查作业页下载联合检查汇总表某一版本的文件（须能看到该作业）", tag, [&app](const Request& req) {
                    auto f = joint_summary::get_job_file(app.pool, app.data_dir, params::path_id(req));
                    return Response::download(std::move(f.bytes), f.content_type, f.filename);
                }});
}

}  // namespace twindraw::server
