// OGC API – Features (Part 1: core, GeoJSON; GIS-4): the collections TwinDraw offers to
// GIS desktop tools — market subjects, patrol points, patrol routes — and their items
// as GeoJSON features, with bbox and limit/offset paging. Queries run in one read
// transaction with the thread's actor, so the caller's data scope (row-level
// security) decides which features exist. Knows no HTTP: links are built by server/.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::ogc {

struct Collection {
    std::string id;     // "market_subjects"
    std::string title;  // Chinese
    std::string description;
    std::string geometry;  // "Point" | "LineString"
};

/// The collections, in a fixed order.
const std::vector<Collection>& collections();

/// The collection with this id; Error(NotFound) otherwise.
const Collection& collection(const std::string& id);

struct ItemsQuery {
    std::optional<std::array<double, 4>> bbox;  // minlon, minlat, maxlon, maxlat (WGS84)
    long long limit = 100;                      // 1..10000
    long long offset = 0;                       // ≥ 0
};

/// Parses the bbox, limit and offset query values (empty: absent); Error(BadRequest)
/// naming the parameter for anything malformed.
ItemsQuery parse_items_query(const std::string& bbox, const std::string& limit, const std::string& offset);

struct Items {
    nlohmann::json features = nlohmann::json::array();  // GeoJSON Feature objects
    long long matched = 0;                              // all features matching bbox
};

/// One page of the collection's features matching q, ordered by id.
Items items(pg::Pool& pool, const Collection& c, const ItemsQuery& q);

/// One feature by id; Error(NotFound) when it does not exist or is out of scope.
nlohmann::json item(pg::Pool& pool, const Collection& c, const std::string& feature_id);

/// The spatial extent [minlon, minlat, maxlon, maxlat] of the visible features, or
/// nullopt when there are none.
std::optional<std::array<double, 4>> extent(pg::Pool& pool, const Collection& c);

}  // namespace twindraw::ogc
