#include "geo/coord-transform.hpp"

#include <cmath>
#include <numbers>

namespace twindraw::coord {

namespace {

constexpr double pi = std::numbers::pi;
// Krasovsky 1940 ellipsoid: semi-major axis and first eccentricity squared.
constexpr double krasovsky_a = 6378245.0;
constexpr double krasovsky_ee = 0.00669342162296594323;
constexpr double baidu_factor = pi * 3000.0 / 180.0;

double transform_lat(double x, double y) {
    double ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
    ret += (20.0 * std::sin(6.0 * x * pi) + 20.0 * std::sin(2.0 * x * pi)) * 2.0 / 3.0;
    ret += (20.0 * std::sin(y * pi) + 40.0 * std::sin(y / 3.0 * pi)) * 2.0 / 3.0;
    ret += (160.0 * std::sin(y / 12.0 * pi) + 320.0 * std::sin(y * pi / 30.0)) * 2.0 / 3.0;
    return ret;
}

double transform_lon(double x, double y) {
    double ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
    ret += (20.0 * std::sin(6.0 * x * pi) + 20.0 * std::sin(2.0 * x * pi)) * 2.0 / 3.0;
    ret += (20.0 * std::sin(x * pi) + 40.0 * std::sin(x / 3.0 * pi)) * 2.0 / 3.0;
    ret += (150.0 * std::sin(x / 12.0 * pi) + 300.0 * std::sin(x / 30.0 * pi)) * 2.0 / 3.0;
    return ret;
}

LonLat offset(double lon, double lat) {
    double dlon = transform_lon(lon - 105.0, lat - 35.0);
    double dlat = transform_lat(lon - 105.0, lat - 35.0);
    const double rad_lat = lat / 180.0 * pi;
    double magic = std::sin(rad_lat);
    magic = 1.0 - krasovsky_ee * magic * magic;
    const double sqrt_magic = std::sqrt(magic);
    dlon = dlon * 180.0 / (krasovsky_a / sqrt_magic * std::cos(rad_lat) * pi);
    dlat = dlat * 180.0 / (krasovsky_a * (1.0 - krasovsky_ee) / (magic * sqrt_magic) * pi);
    return {dlon, dlat};
}

}  // namespace

bool in_china_bbox(double lon, double lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

LonLat wgs84_to_gcj02(LonLat p) {
    if (!in_china_bbox(p.lon, p.lat)) return p;
    const LonLat d = offset(p.lon, p.lat);
    return {p.lon + d.lon, p.lat + d.lat};
}

LonLat gcj02_to_wgs84(LonLat p) {
    if (!in_china_bbox(p.lon, p.lat)) return p;
    // The offset varies slowly (its derivative is ~1e-3), so the fixed-point iteration
    // w ← w − (f(w) − p) gains about three digits per step; 3–4 steps reach 1e-9.
    LonLat w = p;
    for (int i = 0; i < 30; ++i) {
        const LonLat g = wgs84_to_gcj02(w);
        const double dx = g.lon - p.lon;
        const double dy = g.lat - p.lat;
        if (std::abs(dx) < 1e-9 && std::abs(dy) < 1e-9) break;
        w.lon -= dx;
        w.lat -= dy;
    }
    return w;
}

LonLat gcj02_to_bd09(LonLat p) {
    const double z = std::sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * std::sin(p.lat * baidu_factor);
    const double theta = std::atan2(p.lat, p.lon) + 0.000003 * std::cos(p.lon * baidu_factor);
    return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

LonLat bd09_to_gcj02(LonLat p) {
    const double x = p.lon - 0.0065;
    const double y = p.lat - 0.006;
    const double z = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * baidu_factor);
    const double theta = std::atan2(y, x) - 0.000003 * std::cos(x * baidu_factor);
    return {z * std::cos(theta), z * std::sin(theta)};
}

LonLat wgs84_to_bd09(LonLat p) { return gcj02_to_bd09(wgs84_to_gcj02(p)); }

LonLat bd09_to_wgs84(LonLat p) { return gcj02_to_wgs84(bd09_to_gcj02(p)); }

}  // namespace twindraw::coord
