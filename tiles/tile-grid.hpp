// Web Mercator (EPSG:3857) XYZ tile arithmetic: tile bounds, metatiles, and the tiles a
// WGS84 box touches at a zoom. Pure functions, no Mapnik, no database.
#pragma once

#include <string>

namespace twindraw::tiles {

constexpr int kTileSize = 256;
constexpr int kMetaSize = 8;   // metatiles of 8×8 tiles
constexpr int kMaxZoom = 20;
constexpr double kMercatorOrigin = 20037508.342789244;  // half the world width in metres

struct Box {
    double minx = 0, miny = 0, maxx = 0, maxy = 0;
};

struct TileId {
    int z = 0, x = 0, y = 0;
};

/// The EPSG:3857 bounds of one XYZ tile (y = 0 at the top).
Box tile_bounds(int z, int x, int y);

/// Longitude/latitude (WGS84) to EPSG:3857 metres; latitudes are clamped to ±85.0511.
void lonlat_to_mercator(double lon, double lat, double& mx, double& my);

/// EPSG:3857 metres to longitude/latitude (WGS84).
void mercator_to_lonlat(double mx, double my, double& lon, double& lat);

/// The first tile of the metatile that holds (x, y) and the metatile's width in tiles
/// (meta, or 2^z when the whole zoom level is smaller).
struct Metatile {
    int z = 0, x0 = 0, y0 = 0, size = 1;
};
Metatile metatile_of(int z, int x, int y, int meta = kMetaSize);

/// The inclusive tile range that a WGS84 box, widened by margin_px pixels on every
/// side, touches at zoom z.
struct TileRange {
    int x0 = 0, y0 = 0, x1 = -1, y1 = -1;
    long long count() const { return x1 < x0 || y1 < y0 ? 0 : (long long)(x1 - x0 + 1) * (y1 - y0 + 1); }
};
TileRange tiles_touching(const Box& wgs84, int z, double margin_px);

/// Parses the z, x and y path segments ("12", "3421", "1712"); Error(BadRequest,
/// "bad_tile") unless they are decimal integers with 0 <= x, y < 2^z and z <= kMaxZoom.
TileId parse_tile(const std::string& z, const std::string& x, const std::string& y);

}  // namespace twindraw::tiles
