// Mapnik rendering of the map styles (GIS-2). Features arrive already queried (one
// query per metatile, by tile-service.cpp through libpqxx, so the request's row-level
// security applies) and are handed to Mapnik as memory datasources. Each thread keeps
// its own mapnik::Map per style (Map objects are not thread-safe). Mapnik stays behind
// this header.
#pragma once

#include "tiles/tile-grid.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace twindraw::tiles {

struct Feature {
    std::string wkb;      // EPSG:3857 WKB (polygons); empty for a point
    double x = 0, y = 0;  // EPSG:3857 point when wkb is empty
    std::string name;
    int kind = 0;         // risk level or 10 + status class (objects), division level (base)
};

struct LayerFeatures {
    std::string layer;  // a Mapnik layer of the style, e.g. "divisions", "labels", "subjects"
    std::vector<Feature> features;
};

/// Pixels rendered (and queried) beyond a metatile's edge so that symbols and labels
/// that cross it are drawn the same on both sides.
constexpr int kBufferPx = 128;

/// Thread CPU time (ns) spent rendering and encoding, added to by render_metatile
/// when given (the benchmark's breakdown, TileService::stats()).
struct RenderTimes {
    long long render_ns = 0;  // Mapnik: datasources and the render of the whole metatile
    long long encode_ns = 0;  // cutting and PNG encoding of its tiles
};

/// The calling thread's CPU time in nanoseconds.
long long thread_cpu_ns();

/// Renders the 8×8 (or smaller) metatile once and cuts it into PNG tiles;
/// result[row][col] is tile (m.x0 + col, m.y0 + row).
std::vector<std::vector<std::string>> render_metatile(const std::string& style, const Metatile& m,
                                                      const std::vector<LayerFeatures>& data,
                                                      RenderTimes* times = nullptr);

/// Renders one image of width×height pixels over an EPSG:3857 area (tests, WMTS).
std::string render_png(const std::string& style, const Box& area, int width, int height,
                       const std::vector<LayerFeatures>& data);

/// A decoded image, pixels as RGBA bytes row by row (for the visual tests).
struct Rgba {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;
};
Rgba decode_png(const std::string& bytes);
std::string encode_png(const Rgba& image);

/// Colours of the `objects` layer (Feature::kind, the legend API): by risk level (kind
/// 1..4) and, with by=status, by inspection status in the year (kind 10 + the subject's
/// class of migration 0031: 10 none 未列入抽查, 11 clean 已检查未发现问题, 12 open
/// 已抽中待检查, 13 problem 已检查发现问题), in legend order.
struct SubjectColour {
    int kind;
    const char* code;
    const char* label;
    const char* colour;
};
const std::vector<SubjectColour>& risk_palette();
const std::vector<SubjectColour>& status_palette();

/// Colours of the `results` layer by result category (dictionary check_result of seed
/// 002, codes 01..10); a feature's kind is the index here plus one, 0 for another code.
struct CategoryColour {
    const char* code;
    const char* colour;
};
const std::vector<CategoryColour>& result_palette();
constexpr const char* kOtherCategoryColour = "#9e9e9e";
/// The kind of a result category code (1..10, 0 when not in the palette).
int result_kind(const std::string& code);

/// Cuts an image (straight alpha) of size×size tiles into tile PNGs like render_metatile;
/// encode_tile_png encodes one image the same way (for images that are not Mapnik's).
/// With `palette` (RGBA bytes, at most 256 colours) the PNGs use it as they are instead
/// of quantising each tile.
std::vector<std::vector<std::string>> cut_metatile(const Rgba& image, int size, const std::string& palette = {});
std::string encode_tile_png(const Rgba& image, const std::string& palette = {});

}  // namespace twindraw::tiles
