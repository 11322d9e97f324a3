// Export of the object library as GIS files (GIS-4, BASE-1): market subjects (and
// venues, products) with their points, as GeoJSON, GeoPackage or KML that QGIS or
// ArcGIS opens directly. Attribute names are the Chinese field labels of
// registry-schema (统一社会信用代码, 行政相对人名称, ...), values UTF-8; coordinates
// WGS84. Rows are read through a cursor, so a large library is not held twice.
#pragma once

#include "geo/pg.hpp"

#include <optional>
#include <string>

namespace twindraw::exporting {

/// The file bytes. kind: subjects | venues | products. format: geojson | gpkg | kml.
/// division_code: only objects in that division or any division below it (a province
/// code gives the whole province). Objects without a location are written without
/// geometry (GeoJSON, GPKG) or as placemarks without a point (KML).
/// Throws Error(BadRequest) "bad_kind" / "bad_format", Error(NotFound) for an unknown
/// division code.
std::string export_objects(pg::Pool& pool, const std::string& kind, const std::string& format,
                           const std::optional<std::string>& division_code);

/// "市场主体-500103.geojson" style download name (UTF-8).
std::string export_filename(const std::string& kind, const std::string& format,
                            const std::optional<std::string>& division_code);

}  // namespace twindraw::exporting
