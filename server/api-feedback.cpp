// Feedback (SYS-6): any signed-in user submits and follows their own questions;
// administrators list, reply, close and delete, with the 2/5 working-day answer deadline.
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/feedback.hpp"

namespace twindraw::server {

namespace {

feedback::Query feedback_query(const Request& req) {
    feedback::Query q;
    q.keyword = params::query_text(req, "q");
    q.status = params::query_choice(req, "status", {"open", "replied", "closed"});
    q.kind = params::query_choice(req, "kind", {"technical", "business"});
    q.overdue_only = params::query_bool(req, "overdue").value_or(false);
    q.page = params::query_int(req, "page", 1, 1, 1000000);
    q.page_size = params::query_int(req, "page_size", 20, 1, 100);
    return q;
}

}  // namespace

void register_feedback_routes(Router& router, App& app) {
    router.add({"POST", "/api/feedback", "authenticated", "提交问题反馈（技术问题 2 个、业务问题 5 个工作日内答复）", "问题反馈",
                [&app](const Request& req) {
                    return Response::json(201, feedback::submit(app.pool, req.principal->user_id, req.principal->unit_id,
                                                                req.json_body()));
                },
                {}, "application/json"});

    router.add({"GET", "/api/feedback/mine", "authenticated", "我提交的问题反馈", "问题反馈",
                [&app](const Request& req) {
                    auto q = feedback_query(req);
                    q.user_id = req.principal->user_id;
                    return Response::json(200, feedback::list(app.pool, q));
                },
                {"q", "status", "kind", "overdue", "page", "page_size"}});

    router.add({"GET", "/api/feedback", "system.feedback", "问题反馈列表（关键字、状态、类型、超期筛选）", "问题反馈",
                [&app](const Request& req) { return Response::json(200, feedback::list(app.pool, feedback_query(req))); },
                {"q", "status", "kind", "overdue", "page", "page_size"}});

    router.add({"GET", "/api/feedback/{id}", "authenticated", "问题反馈详情（本人或管理员）", "问题反馈",
                [&app](const Request& req) {
                    return Response::json(200, feedback::get(app.pool, params::path_id(req), req.principal->user_id,
                                                             req.principal->has("system.feedback")));
                }});

    router.add({"POST", "/api/feedback/{id}/reply", "system.feedback", "回复问题反馈（通知提交人）", "问题反馈",
                [&app](const Request& req) {
                    return Response::json(200, feedback::reply(app.pool, params::path_id(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"POST", "/api/feedback/{id}/close", "system.feedback", "关闭问题反馈", "问题反馈",
                [&app](const Request& req) {
                    return Response::json(200, feedback::close(app.pool, params::path_id(req)));
                }});

    router.add({"DELETE", "/api/feedback/{id}", "system.feedback", "删除问题反馈", "问题反馈",
                [&app](const Request& req) {
                    feedback::remove(app.pool, params::path_id(req));
                    return Response::no_content();
                }});
}

}  // namespace twindraw::server
