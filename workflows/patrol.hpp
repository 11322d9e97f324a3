// Patrol routes (NET-2, NET-3; seed 000 §5.6b–c): patrol points, routes (ordered points)
// and areas drawn on the map by supervisors, the assignment of a route to inspectors
// for a date range, the inspectors' GPS check-ins, and the progress of each route
// (completed red, unfinished green). Every function runs in one transaction with the
// thread's actor, so the data scope (row-level security, 0015) applies; rows are owned
// by the actor's unit. Validation failures throw registry::ValidationError (422) naming
// the fields; a row outside the scope is invisible (Error NotFound).
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::patrol {

/// Points (id, name, lon, lat, route_ids), routes (id, name, point_ids, line GeoJSON)
/// and areas (id, name, geometry GeoJSON) of the scope.
nlohmann::json overview(pg::Pool& pool);

/// body: {name, lon, lat}; the point must lie inside a division of the city (422
/// outside_city). Returns the point.
nlohmann::json create_point(pg::Pool& pool, const nlohmann::json& body);
/// body: any of {name, lon, lat} (moving a point moves the routes through it).
nlohmann::json update_point(pg::Pool& pool, long long id, const nlohmann::json& body);
/// 409 point_in_route while a route uses the point.
void delete_point(pg::Pool& pool, long long id);

/// body: {name, point_ids: [≥ 2 distinct visible points]}.
nlohmann::json create_route(pg::Pool& pool, const nlohmann::json& body);
/// body: any of {name, point_ids} (point_ids replaces the order).
nlohmann::json update_route(pg::Pool& pool, long long id, const nlohmann::json& body);
void delete_route(pg::Pool& pool, long long id);

/// Areas whose name contains q (all when empty), each with the number of points inside
/// and of routes crossing it.
nlohmann::json list_areas(pg::Pool& pool, const std::string& q);
/// body: {name, coordinates: [[lon, lat], ...] ≥ 3 vertices, ring closed or not}; 422
/// self_intersecting, too_few_vertices, outside_city.
nlohmann::json create_area(pg::Pool& pool, const nlohmann::json& body);
nlohmann::json update_area(pg::Pool& pool, long long id, const nlohmann::json& body);
void delete_area(pg::Pool& pool, long long id);

/// body: {inspector_ids: [...], date_from, date_to} (YYYY-MM-DD). Returns the route's
/// assignments.
nlohmann::json assign(pg::Pool& pool, long long route_id, const nlohmann::json& body);
nlohmann::json assignments(pg::Pool& pool, long long route_id);

/// The acting inspector checks in: body {point_id, lon, lat, accuracy_m?}. The point
/// must be on a route assigned to the inspector today (422 not_assigned) and the
/// position within the configured radius (patrol_setting checkin_radius_m; 422 too_far
/// with distance_m and max_m). 403 not_inspector when the account has no inspector.
nlohmann::json checkin(pg::Pool& pool, const nlohmann::json& body);

/// The acting inspector's routes assigned on date (YYYY-MM-DD, China time; empty:
/// today) with each point and whether it is checked in that day.
nlohmann::json my_routes(pg::Pool& pool, const std::string& date);

struct ProgressQuery {
    std::string from, to;              // YYYY-MM-DD, inclusive (empty: today)
    std::optional<long long> area_id;  // only routes crossing this area
    std::string status;                // "" | "completed" | "unfinished"
};

/// Throws Error(BadRequest) naming the field for a bad date, range or status.
void validate(const ProgressQuery& q);

/// Per route: points_total, points_done (points checked in inside the range by an
/// inspector assigned to the route on that day), completed, color ("red" when completed,
/// "green" otherwise, seed 000 §5.6c), line GeoJSON, assignees; plus totals.
nlohmann::json progress(pg::Pool& pool, const ProgressQuery& q);

}  // namespace twindraw::patrol
