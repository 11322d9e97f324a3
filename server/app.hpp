// What the handlers share, and the registration of every route area.
#pragma once

#include "geo/pg.hpp"
#include "server/http-router.hpp"

#include <string>

namespace twindraw::server {

class ImportQueue;

struct App {
    pg::Pool& pool;
    std::string web_dir;        // built front end (web/dist)
    std::string data_dir;       // var/: uploads and other server-side files
    size_t max_upload_bytes = 100u * 1024u * 1024u;
    ImportQueue* imports = nullptr;  // runs uploaded imports in the background
};

void register_system_routes(Router& router, App& app);
void register_registry_routes(Router& router, App& app);
void register_import_routes(Router& router, App& app);
void register_audit_routes(Router& router, App& app);

/// Registers every route of the application. The router must outlive its use and
/// must not be moved afterwards (the OpenAPI route refers to it).
void register_all(Router& router, App& app);

/// The OpenAPI 3 document of the router's routes; "{entity}" routes are expanded
/// for each registry entity with its schema.
nlohmann::json openapi_document(const Router& router);

}  // namespace twindraw::server
