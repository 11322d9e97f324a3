// Chinese map datums (GIS-4): WGS84 (what we store, CGCS2000 treated as equal),
// GCJ-02 (the obfuscated datum of AMap/Tencent maps and of ECharts' map JSON) and
// BD-09 (Baidu). GCJ-02 is the published Krasovsky-ellipsoid offset; it applies only
// inside a rough bounding box of China and is the identity outside it. The inverse
// has no closed form and is solved by fixed-point iteration.
#pragma once

namespace twindraw::coord {

struct LonLat {
    double lon = 0;
    double lat = 0;
};

/// True inside the bounding box where GCJ-02 differs from WGS84
/// (lon 72.004–137.8347, lat 0.8293–55.8271, the box every implementation uses).
bool in_china_bbox(double lon, double lat);

/// WGS84 → GCJ-02. Identity outside the China bounding box.
LonLat wgs84_to_gcj02(LonLat p);

/// GCJ-02 → WGS84 by iteration: the result w satisfies
/// |wgs84_to_gcj02(w) − p| < 1e-9 degrees in each axis (well under 1e-7).
/// Identity outside the China bounding box.
LonLat gcj02_to_wgs84(LonLat p);

/// GCJ-02 → BD-09 (Baidu's published formula; applies everywhere).
LonLat gcj02_to_bd09(LonLat p);

/// BD-09 → GCJ-02 (Baidu's published approximate inverse, as gcoord and others use).
LonLat bd09_to_gcj02(LonLat p);

/// Convenience compositions.
LonLat wgs84_to_bd09(LonLat p);
LonLat bd09_to_wgs84(LonLat p);

}  // namespace twindraw::coord
