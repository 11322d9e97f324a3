// What the handlers share, and the registration of every route area.
#pragma once

#include "geo/pg.hpp"
#include "server/change-signals.hpp"
#include "server/http-router.hpp"
#include "server/http-server.hpp"
#include "workflows/account-sessions.hpp"

#include <memory>

#include <string>

namespace twindraw::server {

class ImportQueue;

struct AuthSettings {
    accounts::SessionPolicy sessions;
    accounts::LockoutPolicy lockout;
    bool cookie_secure = false;    // add "Secure" to the session cookie (behind HTTPS)
    std::string sms_gateway_url;   // empty: no SMS codes (AUTH-2, AUTH-3)
};

struct App {
    pg::Pool& pool;
    std::string web_dir;        // built front end (web/dist)
    std::string data_dir;       // var/: uploads and other server-side files
    size_t max_upload_bytes = 100u * 1024u * 1024u;
    ImportQueue* imports = nullptr;  // runs uploaded imports in the background
    AuthSettings auth = {};          // sessions, lockout, cookies, SMS gateway
    // Resolves sessions for dispatch(); register_all creates it when null. Pass it to
    // dispatch() and ServerOptions::authenticator.
    std::shared_ptr<Authenticator> authenticator = nullptr;
    // Freshness of the in-process session and tile caches (server/change-signals.hpp);
    // `twindraw serve` feeds it from a ChangeListener.
    std::shared_ptr<ChangeSignals> signals = std::make_shared<ChangeSignals>();
    // The map tiles (register_tile_routes creates it); the tile port serves its cache hits.
    std::shared_ptr<tiles::TileService> tiles = nullptr;
    // The tile port's number when `serve --tile-port` opened one (0: none); set before the
    // main port starts. GET /api/map/tile-base tells the pages to load tiles from it.
    int tile_port = 0;
};

void register_system_routes(Router& router, App& app);
void register_registry_routes(Router& router, App& app);
void register_import_routes(Router& router, App& app);
void register_audit_routes(Router& router, App& app);
void register_auth_routes(Router& router, App& app);
void register_account_routes(Router& router, App& app);
void register_message_routes(Router& router, App& app);
void register_dictionary_routes(Router& router, App& app);
void register_feedback_routes(Router& router, App& app);
void register_password_reset_routes(Router& router, App& app);
void register_flow_routes(Router& router, App& app);
void register_draw_routes(Router& router, App& app);
void register_org_routes(Router& router, App& app);
void register_tile_routes(Router& router, App& app);
void register_job_routes(Router& router, App& app);
void register_task_draw_routes(Router& router, App& app);
void register_patrol_routes(Router& router, App& app);
void register_ogc_routes(Router& router, App& app);
void register_work_routes(Router& router, App& app);
void register_job_print_routes(Router& router, App& app);
void register_stats_routes(Router& router, App& app);
void register_navigation_routes(Router& router, App& app);
void register_appeal_routes(Router& router, App& app);
void register_publication_routes(Router& router, App& app);
void register_task_change_routes(Router& router, App& app);
void register_joint_summary_routes(Router& router, App& app);

/// Registers every route of the application. The router must outlive its use and
/// must not be moved afterwards (the OpenAPI route refers to it).
void register_all(Router& router, App& app);

/// The OpenAPI 3 document of the router's routes; "{entity}" routes are expanded
/// for each registry entity with its schema.
nlohmann::json openapi_document(const Router& router);

}  // namespace twindraw::server
