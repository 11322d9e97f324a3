// The OGC WMTS 1.0.0 GetCapabilities document (RESTful binding) of the tile layers
// (GIS-4): the GoogleMapsCompatible tile matrix set (EPSG:3857, z0..18) and one
// ResourceURL template per layer pointing at /tiles/{layer}/{z}/{x}/{y}.png, so that
// GDAL's WMTS driver and QGIS can open the layers.
#pragma once

#include <string>

namespace twindraw::tiles {

/// base_url: scheme://host[:port] under which /tiles is served, without a trailing slash.
std::string wmts_capabilities(const std::string& base_url);

}  // namespace twindraw::tiles
