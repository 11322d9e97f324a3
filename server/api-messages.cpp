// My messages, unread counts per unit, and announcements (HOME-1, SYS-5).
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/announcements.hpp"
#include "workflows/messages.hpp"

namespace twindraw::server {

namespace {

announcements::Query announcement_query(const Request& req, bool manage) {
    announcements::Query q;
    q.keyword = params::query_text(req, "q");
    if (manage) q.status = params::query_choice(req, "status", {"draft", "published", "withdrawn"});
    q.page = params::query_int(req, "page", 1, 1, 1000000);
    q.page_size = params::query_int(req, "page_size", 20, 1, 100);
    return q;
}

}  // namespace

void register_message_routes(Router& router, App& app) {
    router.add({"GET", "/api/messages", "authenticated", "我的消息（分页；未读、类别、单位筛选）", "消息",
                [&app](const Request& req) {
                    messages::Filter f;
                    f.unread_only = params::query_bool(req, "unread").value_or(false);
                    f.category = params::query_text(req, "category");
                    f.unit_id = params::query_int(req, "unit_id", 0, 0, 1LL << 62);
                    f.page = params::query_int(req, "page", 1, 1, 1000000);
                    f.page_size = params::query_int(req, "page_size", 20, 1, 100);
                    return Response::json(200, messages::list_mine(app.pool, req.principal->user_id, f));
                },
                {"unread", "category", "unit_id", "page", "page_size"}});

    router.add({"GET", "/api/messages/unread", "authenticated", "未读消息数：合计、个人、按所在单位", "消息",
                [&app](const Request& req) {
                    Response res = Response::json(200, messages::unread_counts(app.pool, req.principal->user_id));
                    res.headers.emplace_back("Cache-Control", "no-store");
                    return res;
                }});

    router.add({"GET", "/api/messages/categories", "authenticated", "消息类别", "消息", [](const Request&) {
                    nlohmann::json items = nlohmann::json::array();
                    for (const auto& [code, label] : messages::categories()) items.push_back({{"code", code}, {"label", label}});
                    return Response::json(200, {{"items", items}});
                }});

    router.add({"POST", "/api/messages/{id}/read", "authenticated", "标记一条消息为已读", "消息",
                [&app](const Request& req) {
                    messages::mark_read(app.pool, req.principal->user_id, params::path_id(req));
                    return Response::no_content();
                }});

    router.add({"POST", "/api/messages/read-all", "authenticated", "全部标记为已读（可限定单位 unit_id）", "消息",
                [&app](const Request& req) {
                    long long unit = params::query_int(req, "unit_id", 0, 0, 1LL << 62);
                    return Response::json(200, {{"marked", messages::mark_all_read(app.pool, req.principal->user_id, unit)}});
                },
                {"unit_id"}});

    router.add({"POST", "/api/messages", "system.announce", "向用户或单位发送系统消息", "消息",
                [&app](const Request& req) {
                    return Response::json(201, messages::send_from_request(app.pool, req.json_body()));
                },
                {}, "application/json"});

    router.add({"GET", "/api/announcements", "authenticated", "已发布的系统公告（置顶优先、最新在前，关键字）", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::list_published(app.pool, announcement_query(req, false)));
                },
                {"q", "page", "page_size"}});

    router.add({"GET", "/api/announcements/manage", "system.announce", "公告管理列表（全部状态，关键字、状态筛选）", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::list_all(app.pool, announcement_query(req, true)));
                },
                {"q", "status", "page", "page_size"}});

    router.add({"GET", "/api/announcements/{id}", "authenticated", "公告详情（管理员可看草稿与已撤回）", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::get(app.pool, params::path_id(req),
                                                                  req.principal->has("system.announce")));
                }});

    router.add({"POST", "/api/announcements", "system.announce", "新增公告（草稿，或 publish=true 立即发布）", "公告",
                [&app](const Request& req) {
                    return Response::json(201, announcements::create(app.pool, req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/announcements/{id}", "system.announce", "编辑公告标题、内容、置顶", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::update(app.pool, params::path_id(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"POST", "/api/announcements/{id}/publish", "system.announce", "发布公告", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::publish(app.pool, params::path_id(req)));
                }});

    router.add({"POST", "/api/announcements/{id}/withdraw", "system.announce", "撤回已发布的公告", "公告",
                [&app](const Request& req) {
                    return Response::json(200, announcements::withdraw(app.pool, params::path_id(req)));
                }});

    router.add({"DELETE", "/api/announcements/{id}", "system.announce", "删除公告", "公告", [&app](const Request& req) {
                    announcements::remove(app.pool, params::path_id(req));
                    return Response::no_content();
                }});
}

}  // namespace twindraw::server
