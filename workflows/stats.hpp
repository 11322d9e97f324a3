// The leaders' view and the portal's year at a glance (issue 5, PORTAL-1, STAT-3): counts
// of plans, tasks, inspections, enterprises and inspectors for a year, per district, per
// department, per item and per day. Every number is an SQL aggregate, read in one
// statement (one snapshot) under the actor's row-level security; what each number counts
// is written down in docs/dashboard.md.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::stats {

struct Query {
    long long year = 0;                      // 2000..2100
    std::optional<long long> department_id;  // the department and its sub-units; none = all
    std::string district;                    // a county code (6 digits) of the scope; "" = all
};

/// The statistics the actor may see (its data scope: units, districts, and the row-level
/// security of jobs and objects). Returns {year, department_id, district, summary,
/// districts[], top_departments[], top_items[], per_day[], departments[]}.
/// Throws registry::ValidationError (422) naming year, department_id or district when the
/// year is outside 2000..2100, the department is unknown or outside the scope, or the
/// district is not a district of the scope.
nlohmann::json overview(pg::Pool& pool, const Query& q);

/// The same numbers for the public portal: the whole city, no department or district
/// filter, run without an actor (so every viewer sees the same counts). Only counts and
/// the names of districts, departments and items. Throws as overview for a bad year.
nlohmann::json public_overview(pg::Pool& pool, long long year);

/// The districts of the actor's scope as a GeoJSON FeatureCollection (WGS84, simplified
/// to about 100 m) with properties code and name, for the choropleth. Districts without a
/// boundary are left out.
nlohmann::json district_map(pg::Pool& pool);

}  // namespace twindraw::stats
