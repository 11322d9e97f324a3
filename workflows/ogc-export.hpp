// The OGC API Features collections as GIS files (GIS-4, issue 5): every feature of one
// collection the caller may see (its data scope applies: ogc::items reads in the
// request's transaction) as GeoJSON, GeoPackage or KML. Any geometry type: the features
// go through GDAL's vector translation (ogr2ogr's library form) in /vsimem/, never disk.
#pragma once

#include "workflows/ogc-features.hpp"

#include <string>

namespace twindraw::ogc {

/// The file bytes. format: geojson | gpkg | kml (else Error(BadRequest) bad_format);
/// more than limit features: Error(TooLarge) export_too_large; GDAL failing:
/// Error(Internal) export_failed. The layer is named after the collection id.
std::string export_collection(pg::Pool& pool, const Collection& c, const std::string& format, long long limit);

/// The media type and the download name ("无照经营.gpkg") of a collection's export.
std::string export_media_type(const std::string& format);
std::string export_filename(const Collection& c, const std::string& format);

}  // namespace twindraw::ogc
