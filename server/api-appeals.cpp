// Appeals of accepted results (JOB-5, WORK-9) and approved changes of a confirmed draw
// (DRAW-6, DRAW-9, WORK-6) over HTTP. The inspectors file and withdraw appeals with
// job.submit; the named reviewer decides with result.review. Changes are requested with
// draw.run and approved or refused with draw.change.approve; the draw's change list is
// read with draw.read and, approved changes only, publicly next to the draw's public
// verification. See docs/appeals-changes.md.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/appeals.hpp"
#include "workflows/draw-changes.hpp"

#include <regex>

namespace twindraw::server {

namespace {

long long query_num(const Request& req, const char* name, long long fallback, long long max) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return fallback;
    if (!std::regex_match(*v, std::regex("^[0-9]{1,9}$")) || std::stoll(*v) > max)
        throw bad_request(std::string("bad_") + name, std::string("参数 ") + name + " 不正确", name);
    return std::stoll(*v);
}

std::string state_of(const Request& req, const std::string& fallback) {
    std::string s = req.query_value("state").value_or(fallback);
    return s == "all" ? "" : s;
}

}  // namespace

void register_appeal_routes(Router& router, App& app) {
    const std::string tag = "检查结果申诉", json = "application/json";

    router.add({"GET", "/api/jobs/{id}/appeals", "job.submit", "检查作业的申诉与检查结果各版本", tag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          appeals::for_job(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add(
        {"GET", "/api/jobs/{id}/appeal-reviewers", "job.submit",
         "可指定为申诉复核人的人员（有审核检查结果权限且数据范围含本作业单位）", tag, [&app](const Request& req) {
             return Response::json(200, appeals::reviewers(app.pool, params::flow_actor(req), params::path_id(req)));
         }});
    router.add({"POST",
                "/api/jobs/{id}/appeals",
                "job.submit",
                "对审核通过的检查结果提出申诉 {reason, reviewer_id, corrected}",
                tag,
                [&app](const Request& req) {
                    return Response::json(201, appeals::file(app.pool, params::flow_actor(req), params::path_id(req),
                                                             params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/appeals/{id}/files",
                "job.submit",
                "上传申诉附件（PDF、JPEG、PNG），请求体为文件原始内容",
                tag,
                [&app](const Request& req) {
                    return Response::json(
                        201, appeals::add_file(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req),
                                               req.query_value("filename").value_or(""), req.body,
                                               std::min<size_t>(app.max_upload_bytes, 10u * 1024u * 1024u)));
                },
                {"filename"},
                "application/octet-stream",
                10u * 1024u * 1024u});  // the route's own limit, checked before the body is read
    router.add({"POST",
                "/api/appeals/{id}/withdraw",
                "job.submit",
                "撤回待复核的申诉 {opinion?}",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, appeals::withdraw(app.pool, params::flow_actor(req),
                                                                 params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"GET",
                "/api/appeals",
                "result.review",
                "申诉审核：指定本人复核（mine=0 时为数据范围内全部）的申诉",
                tag,
                [&app](const Request& req) {
                    appeals::Filter f;
                    f.state = state_of(req, "pending");
                    f.mine = req.query_value("mine").value_or("1") != "0";
                    f.page = query_num(req, "page", 1, 100000);
                    f.page_size = query_num(req, "page_size", 20, 100);
                    if (f.page < 1) throw bad_request("bad_page", "页码不正确", "page");
                    return Response::json(200, appeals::list(app.pool, params::flow_actor(req), f));
                },
                {"state", "mine", "page", "page_size"}});
    router.add({"GET", "/api/appeals/{id}", "authenticated", "申诉详情（本检查组、指定复核人或数据范围内可见）", tag,
                [&app](const Request& req) {
                    return Response::json(200, appeals::get(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"POST",
                "/api/appeals/{id}/accept",
                "result.review",
                "申诉通过：以更正后的结果替换当前结果（仅指定复核人）{opinion?}",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, appeals::decide(app.pool, params::flow_actor(req), params::path_id(req),
                                                               true, params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/appeals/{id}/reject",
                "result.review",
                "驳回申诉（仅指定复核人）{opinion}",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, appeals::decide(app.pool, params::flow_actor(req), params::path_id(req),
                                                               false, params::body_object(req)));
                },
                {},
                json});
    router.add({"GET", "/api/appeal-files/{id}", "authenticated", "下载申诉附件", tag, [&app](const Request& req) {
                    auto f = appeals::get_file(app.pool, app.data_dir, params::flow_actor(req), params::path_id(req));
                    return Response::download(std::move(f.bytes), f.content_type, f.filename);
                }});

    // --- changes of a confirmed draw (DRAW-6, DRAW-9, WORK-6) ---
    const std::string ctag = "抽取变更";
    router.add({"GET", "/api/draws/{id}/changes", "draw.read", "抽取记录的变更（名单与执法人员）及变更后的检查组", ctag,
                [&app](const Request& req) {
                    const auto a = params::flow_actor(req);
                    return Response::json(200, drawchange::for_draw(app.pool, &a, params::path_id(req), false));
                }});
    router.add({"GET",
                "/api/draws/{id}/change-options",
                "draw.run",
                "变更可选：可替换的执法人员（在岗、具备资格、未回避、不在本次抽取中）与未抽中的候选对象",
                ctag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          drawchange::options(app.pool, params::flow_actor(req), params::path_id(req),
                                                              static_cast<int>(query_num(req, "group_no", 0, 1000)),
                                                              req.query_value("q").value_or(""),
                                                              query_num(req, "old_inspector_id", 0, 999999999)));
                },
                {"group_no", "q", "old_inspector_id"}});
    router.add({"POST",
                "/api/draws/{id}/changes",
                "draw.run",
                "申请变更已确认的抽取：更换执法人员或移出（替补）检查对象，须经部门负责人审批",
                ctag,
                [&app](const Request& req) {
                    return Response::json(201, drawchange::request(app.pool, params::flow_actor(req),
                                                                   params::path_id(req), params::body_object(req)));
                },
                {},
                json});
    router.add({"GET",
                "/api/draw-changes",
                "draw.change.approve",
                "待审批（或按状态）的抽取变更申请，限数据范围",
                ctag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          drawchange::list(app.pool, params::flow_actor(req), state_of(req, "pending"),
                                                           std::max(1LL, query_num(req, "page", 1, 100000)),
                                                           std::max(1LL, query_num(req, "page_size", 20, 100))));
                },
                {"state", "page", "page_size"}});
    router.add({"POST",
                "/api/draw-changes/{id}/approve",
                "draw.change.approve",
                "批准抽取变更（检查作业随之变更）{opinion?}",
                ctag,
                [&app](const Request& req) {
                    return Response::json(
                        200, drawchange::decide(app.pool, params::flow_actor(req), params::path_id(req), true,
                                                params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/draw-changes/{id}/refuse",
                "draw.change.approve",
                "不予批准抽取变更 {opinion}",
                ctag,
                [&app](const Request& req) {
                    return Response::json(
                        200, drawchange::decide(app.pool, params::flow_actor(req), params::path_id(req), false,
                                                params::body_object(req)));
                },
                {},
                json});
    router.add({"GET", "/api/public/draws/{id}/changes", "public", "公开：抽取记录经批准的变更及变更后的检查组", ctag,
                [&app](const Request& req) {
                    return Response::json(200, drawchange::for_draw(app.pool, nullptr, params::path_id(req), true));
                }});
}

}  // namespace twindraw::server
