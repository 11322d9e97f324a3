// The heat kernel without a database (STAT-3, GIS-2): cell windows reach beyond the
// pixels drawn, renders of adjacent windows agree exactly with one render of their
// union, and the normalisation is fixed per zoom (what lies elsewhere does not change a
// pixel).
#include "tiles/heat-render.hpp"
#include "tiles/tile-service.hpp"

#include <gtest/gtest.h>

using namespace twindraw::tiles;

namespace {

// A cluster of cells around global pixel (px, py) at zoom z, with counts 1..5.
std::vector<heat::Cell> cluster(int z, long long px, long long py) {
    std::vector<heat::Cell> cells;
    const int c = heat::cell_px(z);
    for (int i = 0; i < 60; ++i) cells.push_back({px / c + (i % 9) - 4, py / c + (i / 9) - 3, double(1 + i % 5)});
    return cells;
}

}  // namespace

TEST(HeatRender, ZoomBandsAndMargins) {
    EXPECT_EQ(heat::level_for_zoom(12), 10);
    EXPECT_EQ(heat::cell_px(12), 4);
    EXPECT_EQ(heat::level_for_zoom(18), 14);
    EXPECT_EQ(heat::cell_px(18), 16);
    EXPECT_EQ(heat::level_for_zoom(0), 0);
    EXPECT_GE(heat::sigma_px(18), 1.5 * 16);
    // The margin covers the kernel (3 sigma) and the interpolation.
    for (int z = 0; z <= 20; ++z) EXPECT_GE(heat::margin_px(z), 3 * heat::sigma_px(z) + heat::cell_px(z)) << z;
    EXPECT_DOUBLE_EQ(heat::full_scale(12), 200);
    EXPECT_DOUBLE_EQ(heat::full_scale(11), 800);
    EXPECT_DOUBLE_EQ(heat::full_scale(18), 4);
}

TEST(HeatRender, TheCellWindowReachesTheKernelRadiusBeyondThePixels) {
    const int z = 14;
    const long long px0 = 13232LL * 256, py0 = 6768LL * 256;
    const auto w = heat::cell_window(z, px0, py0, 256, 256);
    EXPECT_EQ(w.level, 12);
    EXPECT_EQ(w.cx0, px0 / 4 - 1 - heat::radius_cells(z));
    EXPECT_EQ(w.cx1, (px0 + 255) / 4 + 1 + heat::radius_cells(z));
    // Blocks of 128 cells cover the window.
    const auto blocks = heat::blocks(w);
    EXPECT_FALSE(blocks.empty());
    for (long long cx : {w.cx0, w.cx1})
        for (long long cy : {w.cy0, w.cy1})
            EXPECT_NE(std::find(blocks.begin(), blocks.end(), ((cx >> 7) << 32) | (cy >> 7)), blocks.end());
}

TEST(HeatRender, AdjacentWindowsAgreeExactlyWithOneRenderOfTheirUnion) {
    for (int z : {3, 12, 15, 18}) {
        // The cluster sits on the corner where the four windows meet.
        const long long x0 = (1LL << z) * 256 / 2 - 256, y0 = (1LL << z) * 256 / 2 - 256;
        const auto cells = cluster(z, x0 + 256, y0 + 256);
        const Rgba whole = heat::render(z, x0, y0, 512, 512, cells);
        long long opaque = 0, differing = 0;
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
                const Rgba part = heat::render(z, x0 + dx * 256, y0 + dy * 256, 256, 256, cells);
                for (int row = 0; row < 256; ++row)
                    for (int col = 0; col < 256; ++col)
                        for (int ch = 0; ch < 4; ++ch) {
                            const auto a = part.pixels[(size_t(row) * 256 + col) * 4 + ch];
                            const auto b = whole.pixels[(size_t(dy * 256 + row) * 512 + dx * 256 + col) * 4 + ch];
                            differing += std::abs(int(a) - int(b)) > 1;
                            opaque += ch == 3 && a > 0;
                        }
            }
        EXPECT_GT(opaque, 1000) << "z" << z;
        EXPECT_EQ(differing, 0) << "z" << z;
    }
}

TEST(HeatRender, NormalisationIsFixedPerZoomNotPerTile) {
    const int z = 13;
    const long long x0 = 6616LL * 256, y0 = 3384LL * 256;
    auto cells = cluster(z, x0 + 128, y0 + 128);
    for (auto& c : cells) c.value /= 20;  // below full colour, so that more shows as more
    const Rgba alone = heat::render(z, x0, y0, 256, 256, cells);
    // A much denser cluster far away (outside the window) changes nothing here.
    auto more = cells;
    for (int i = 0; i < 100; ++i) more.push_back({(x0 + 5000) / 4 + i % 10, (y0 + 5000) / 4 + i / 10, 1e6});
    EXPECT_EQ(heat::render(z, x0, y0, 256, 256, more).pixels, alone.pixels);
    // Twice the counts: a stronger colour (alpha rises with density), not the same picture.
    auto doubled = cells;
    for (auto& c : doubled) c.value *= 2;
    const Rgba stronger = heat::render(z, x0, y0, 256, 256, doubled);
    const size_t centre = (size_t(128) * 256 + 128) * 4 + 3;
    EXPECT_GT(stronger.pixels[centre], alone.pixels[centre]);
    // Nothing drawn far from every cell.
    EXPECT_EQ(alone.pixels[3], 0);
}

TEST(HeatRender, APointBeyondTheTileEdgeWithinTheMarginShows) {
    const int z = 14;
    const long long x0 = 13232LL * 256, y0 = 6768LL * 256;
    // One cell 20 px left of the tile: its kernel reaches into the tile.
    const std::vector<heat::Cell> cells = {{(x0 - 20) / 4, (y0 + 128) / 4, 5}};
    const Rgba img = heat::render(z, x0, y0, 256, 256, cells);
    EXPECT_GT(img.pixels[(size_t(128) * 256 + 0) * 4 + 3], 0);
    EXPECT_EQ(img.pixels[(size_t(128) * 256 + 200) * 4 + 3], 0);
}

TEST(HeatFilters, ResultsAndHeatFiltersAreCanonicalAndValidated) {
    auto f = parse_filters(layer_info("results"),
                           {{"year", "2026"}, {"category", "08,07,08"}, {"department", "12"}, {"task", "5"}});
    EXPECT_EQ(f.canonical(), "category=07,08&department=12&task=5&year=2026");
    auto h = parse_filters(layer_info("heat"), {{"what", "problems"}, {"year", "2025"}});
    EXPECT_EQ(h.canonical(), "what=problems&year=2025");
    // The default content has one cache key.
    EXPECT_EQ(parse_filters(layer_info("heat"), {{"what", "inspections"}}).canonical(), "");
    EXPECT_EQ(parse_filters(layer_info("objects"), {{"risk", "4,3"}, {"division", "500103"}}).canonical(),
              "division=500103&risk=3,4");
}
