// GET /healthz, GET /readyz, GET /api/openapi.json.
#include "geo/pg-migrate.hpp"
#include "server/app.hpp"
#include "server/auth-gate.hpp"

namespace twindraw::server {

void register_system_routes(Router& router, App& app) {
    router.add({"GET", "/healthz", "public", "进程存活检查", "系统",
                [](const Request&) { return Response::json(200, {{"status", "ok"}}); }});

    router.add({"GET", "/readyz", "public", "就绪检查：数据库可连接且迁移为最新", "系统", [&app](const Request&) {
                    int have = 0;
                    try {
                        auto lease = app.pool.acquire("readyz", std::chrono::seconds(2));
                        have = pg::current_version(*lease);
                    } catch (const std::exception&) {
                        return error_response(503, "db_unavailable", "数据库无法连接");
                    }
                    if (have != pg::latest_version())
                        return Response::json(503, {{"error",
                                                     {{"code", "migrations_pending"},
                                                      {"message", "数据库结构版本与程序不一致，请运行 twindraw migrate"},
                                                      {"database_version", have},
                                                      {"binary_version", pg::latest_version()}}}});
                    return Response::json(200, {{"status", "ready"}, {"schema_version", have}});
                }});

    router.add({"GET", "/api/openapi.json", "public", "本接口的 OpenAPI 3 描述", "系统",
                [&router](const Request&) { return Response::json(200, openapi_document(router)); }});
}

// Declared here rather than in app.hpp, which every server file includes.
void register_unlicensed_routes(Router& router, App& app);

void register_all(Router& router, App& app) {
    if (!app.authenticator) app.authenticator = std::make_shared<SessionAuthenticator>(app.pool, app.signals);
    register_auth_routes(router, app);
    register_account_routes(router, app);
    register_system_routes(router, app);
    register_import_routes(router, app);
    register_audit_routes(router, app);
    register_registry_routes(router, app);
    register_message_routes(router, app);
    register_dictionary_routes(router, app);
    register_feedback_routes(router, app);
    register_password_reset_routes(router, app);
    register_flow_routes(router, app);
    register_draw_routes(router, app);
    register_org_routes(router, app);
    register_tile_routes(router, app);
    register_job_routes(router, app);
    register_task_draw_routes(router, app);
    register_patrol_routes(router, app);
    register_ogc_routes(router, app);
    register_work_routes(router, app);
    register_job_print_routes(router, app);
    register_stats_routes(router, app);
    register_navigation_routes(router, app);
    register_appeal_routes(router, app);
    register_publication_routes(router, app);
    register_joint_summary_routes(router, app);
    register_unlicensed_routes(router, app);
    register_task_change_routes(router, app);
}

}  // namespace twindraw::server
