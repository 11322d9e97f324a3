// Inspection jobs and the review of their results over HTTP (JOB-1..9, WORK-7). The
// inspectors' routes (我的检查) need job.submit and act on their own group's jobs; the
// reviewers' routes (结果审核) need result.review and act inside their data scope.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/jobs.hpp"

#include <regex>

namespace twindraw::server {

namespace {

jobs::Filter filter_of(const Request& req, const std::string& default_state) {
    jobs::Filter f;
    f.task_id = params::query_positive(req, "task_id");
    f.draw_id = params::query_positive(req, "draw_id");
    f.state = req.query_value("state").value_or(default_state);
    if (f.state == "all") f.state.clear();
    f.q = req.query_value("q").value_or("");
    f.page = params::query_positive(req, "page").value_or(1);
    f.page_size = params::query_positive(req, "page_size").value_or(20);
    return f;
}

Response file_response(App& app, const Request& req) {
    auto f = jobs::get_file(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req));
    return Response::download(std::move(f.bytes), f.content_type, f.filename);
}

}  // namespace

void register_job_routes(Router& router, App& app) {
    const std::string mine = "检查作业", results = "结果审核", json = "application/json";
    const std::vector<std::string> list_q = {"task_id", "draw_id", "state", "q", "page", "page_size"};

    // --- the inspectors: 我的检查 (JOB-1..3, JOB-6..8) ---
    router.add({"GET", "/api/jobs/mine", "job.submit",
                "我的检查：本人所在检查组的检查作业（按任务、状态筛选，按编号或对象名称搜索）", mine,
                [&app](const Request& req) {
                    return Response::json(200, jobs::list_mine(app.pool, params::flow_actor(req), filter_of(req, "")));
                },
                list_q});
    router.add({"GET", "/api/jobs/{id}", "job.submit", "检查作业详情（检查情况记录表 F.1、附件、流转记录）", mine,
                [&app](const Request& req) {
                    return Response::json(200, jobs::get(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"PUT",
                "/api/jobs/{id}",
                "job.submit",
                "保存检查结果草稿",
                mine,
                [&app](const Request& req) {
                    return Response::json(200, jobs::save(app.pool, params::flow_actor(req), params::path_id(req),
                                                          params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/jobs/{id}/submit",
                "job.submit",
                "提交检查结果（可同时带上表单字段）",
                mine,
                [&app](const Request& req) {
                    return Response::json(200, jobs::submit(app.pool, params::flow_actor(req), params::path_id(req),
                                                            params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/jobs/{id}/files",
                "job.submit",
                "上传现场照片（kind=photo）、附件（file）或被检查对象签字（signature），请求体为文件原始内容",
                mine,
                [&app](const Request& req) {
                    return Response::json(
                        201, jobs::add_file(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req),
                                            req.query_value("kind").value_or("photo"),
                                            req.query_value("filename").value_or(""), req.body,
                                            std::min<size_t>(app.max_upload_bytes, 10u * 1024u * 1024u)));
                },
                {"kind", "filename"},
                "application/octet-stream",
                10u * 1024u * 1024u});  // the route's own limit, checked before the body is read
    router.add({"GET", "/api/job-files/{id}", "job.submit", "下载检查作业的照片、附件或签字", mine,
                [&app](const Request& req) { return file_response(app, req); }});

    // --- the reviewers: 结果审核 (WORK-7) ---
    router.add({"GET", "/api/results", "result.review", "待审核（或按状态筛选）的检查结果，限本人数据范围", results,
                [&app](const Request& req) {
                    return Response::json(
                        200, jobs::list_review(app.pool, params::flow_actor(req), filter_of(req, "submitted")));
                },
                list_q});
    router.add({"GET", "/api/results/{id}", "result.review", "检查结果详情", results, [&app](const Request& req) {
                    return Response::json(200, jobs::get(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"POST",
                "/api/results/{id}/accept",
                "result.review",
                "审核通过检查结果 {opinion?}",
                results,
                [&app](const Request& req) {
                    return Response::json(200, jobs::review(app.pool, params::flow_actor(req), params::path_id(req),
                                                            true, params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/results/{id}/return",
                "result.review",
                "退回检查结果 {opinion}（退回原因必填）",
                results,
                [&app](const Request& req) {
                    return Response::json(200, jobs::review(app.pool, params::flow_actor(req), params::path_id(req),
                                                            false, params::body_object(req)));
                },
                {},
                json});
    router.add({"GET", "/api/result-files/{id}", "result.review", "下载检查结果的照片、附件或签字", results,
                [&app](const Request& req) { return file_response(app, req); }});
}

}  // namespace twindraw::server
