// Navigation for inspectors (issue 5): the acting inspector's targets today — the objects
// of its open inspection jobs and the patrol points of routes assigned to it for today
// not yet checked in — in the visiting order that minimises travel from a start position
// (the phone's GPS), with the total distance, the route geometry and 导航 links to Amap,
// Baidu and Tencent (coordinates converted from WGS84 only in those links). Distances are
// road metres through pgRouting when a road network is loaded (0021_navigation.sql),
// geodesic metres otherwise. One read transaction with the request's actor. See
// docs/navigation.md.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::navigation {

struct Start {
    double lon = 0, lat = 0;
};

/// Parses the query values lat and lon (decimal degrees, WGS84): both required, finite,
/// lat in [-90, 90], lon in [-180, 180]. Throws registry::ValidationError (422) with one
/// error per bad field (code required or bad_coordinate).
Start parse_start(const std::optional<std::string>& lat, const std::optional<std::string>& lon);

/// {start, method: "road_network"|"straight_line", exact, distance_m, geometry (GeoJSON
/// LineString/MultiLineString from the start through the targets in order), targets:
/// [{seq, kind: "job"|"patrol_point", id, name, address, job_no, state, route_names,
/// lon, lat, leg_m, gcj02, bd09, nav: {amap, baidu, tencent}}], visited: patrol points
/// already checked in today, unlocated: jobs whose object has no location}.
/// 403 not_inspector when the account has no inspector row.
nlohmann::json my_targets(pg::Pool& pool, const Start& start);

}  // namespace twindraw::navigation
