// Decoder for ECharts 4 map JSON (echarts/map/json/**): a GeoJSON FeatureCollection
// whose rings are compressed when `UTF8Encoding` is true. Each ring is a string; its
// UTF-16 code units, minus 64, are zigzag-encoded deltas (x, y alternating) from the
// ring's entry in `encodeOffsets`; the accumulated integers divided by `UTF8Scale`
// (default 1024) are lon/lat. The coordinates are GCJ-02, as ECharts ships them.
// Pure logic: no file system beyond decode_file, no database.
#pragma once

#include "geo/coord-transform.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twindraw::echarts {

using Ring = std::vector<coord::LonLat>;      // closed: first point == last point
using Polygon = std::vector<Ring>;            // outer ring, then holes
using MultiPolygon = std::vector<Polygon>;

struct Feature {
    std::string id;    // the feature's `id` (an adcode in ECharts' China maps)
    std::string name;  // properties.name
    MultiPolygon geometry;
};

/// The UTF-16 code units of a UTF-8 string (what JavaScript's charCodeAt sees).
/// Throws twindraw::Error (invalid, "echarts_map_invalid") on malformed UTF-8.
std::vector<std::uint16_t> utf16_units(std::string_view utf8);

/// Decodes one compressed ring. offset = the ring's encodeOffsets pair.
Ring decode_ring(std::string_view encoded, std::int64_t offset_x, std::int64_t offset_y, double scale);

/// Decodes a whole map document; uncompressed documents (UTF8Encoding false or
/// absent) are read as plain GeoJSON. Polygon and MultiPolygon features only.
/// Rings with fewer than 4 points (degenerate) are dropped; so are polygons whose
/// outer ring is dropped. Throws twindraw::Error (invalid, "echarts_map_invalid").
std::vector<Feature> decode(const nlohmann::json& doc);

/// Reads and decodes a file. Throws twindraw::Error (not found) if unreadable.
std::vector<Feature> decode_file(const std::string& path);

/// The geometry as WKT "MULTIPOLYGON(((lon lat, ...)))" with 9 decimals.
std::string to_wkt(const MultiPolygon& geometry);

}  // namespace twindraw::echarts
