#include "tiles/tile-grid.hpp"

#include "geo/error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace twindraw::tiles {

Box tile_bounds(int z, int x, int y) {
    const double span = 2 * kMercatorOrigin / double(1LL << z);
    return {-kMercatorOrigin + x * span, kMercatorOrigin - (y + 1) * span, -kMercatorOrigin + (x + 1) * span,
            kMercatorOrigin - y * span};
}

void lonlat_to_mercator(double lon, double lat, double& mx, double& my) {
    lat = std::clamp(lat, -85.05112878, 85.05112878);
    mx = lon * kMercatorOrigin / 180.0;
    my = std::log(std::tan((90.0 + lat) * std::numbers::pi / 360.0)) * kMercatorOrigin / std::numbers::pi;
}

void mercator_to_lonlat(double mx, double my, double& lon, double& lat) {
    lon = mx / kMercatorOrigin * 180.0;
    lat = std::atan(std::exp(my * std::numbers::pi / kMercatorOrigin)) * 360.0 / std::numbers::pi - 90.0;
}

Metatile metatile_of(int z, int x, int y, int meta) {
    const int n = 1 << z;
    const int size = std::min(std::max(meta, 1), n);
    return {z, x / size * size, y / size * size, size};
}

TileRange tiles_touching(const Box& b, int z, double margin_px) {
    double x0, y0, x1, y1;
    lonlat_to_mercator(b.minx, b.miny, x0, y0);
    lonlat_to_mercator(b.maxx, b.maxy, x1, y1);
    const long long n = 1LL << z;
    const double span = 2 * kMercatorOrigin / double(n);
    const double margin = margin_px * span / kTileSize;
    auto col = [&](double mx) {
        return (long long)std::clamp<double>(std::floor((mx + kMercatorOrigin) / span), 0, double(n - 1));
    };
    auto row = [&](double my) {
        return (long long)std::clamp<double>(std::floor((kMercatorOrigin - my) / span), 0, double(n - 1));
    };
    return {int(col(x0 - margin)), int(row(y1 + margin)), int(col(x1 + margin)), int(row(y0 - margin))};
}

namespace {

int parse_int(const std::string& s, int max_exclusive, const std::string& field) {
    if (s.empty() || s.size() > 8 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw bad_request("bad_tile", "瓦片坐标 " + field + " 应为非负整数", field);
    const long long v = std::stoll(s);
    if (v >= max_exclusive) throw bad_request("bad_tile", "瓦片坐标 " + field + " 超出范围", field);
    return int(v);
}

}  // namespace

TileId parse_tile(const std::string& z, const std::string& x, const std::string& y) {
    TileId t;
    t.z = parse_int(z, kMaxZoom + 1, "z");
    const int n = 1 << t.z;
    t.x = parse_int(x, n, "x");
    t.y = parse_int(y, n, "y");
    return t;
}

}  // namespace twindraw::tiles
