// Water and roads on the `base` tile layer (issue 5, GIS-2; migration 0033): a river area
// drawn in water blue, roads drawn from z11 (not at z10), and the expiry of exactly the
// tiles a road or water change touches, while rebuilding the road topology expires nothing.
#include "common-pg.hpp"
#include "tile-test-api.hpp"

#include "tiles/tile-render.hpp"
#include "tiles/tile-service.hpp"

using namespace twindraw;

namespace {

// 渝中区 as a square; a river band along 29.555–29.560; a road along 29.540.
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000',
  ST_Multi(ST_MakeEnvelope(106.45, 29.50, 106.65, 29.62, 4326)));
INSERT INTO water_feature(name, kind, geom) VALUES
 ('嘉陵江', 'river', ST_MakeEnvelope(106.50, 29.555, 106.60, 29.560, 4326));
INSERT INTO road_edge(name, geom) VALUES
 ('解放碑大道', ST_GeomFromText('LINESTRING(106.52 29.540, 106.58 29.540)', 4326));
)SQL";

using twindraw::testing::count_pixels;
using twindraw::testing::tile_at;

// Pixels of the water colour (#a9cce3) and of a road's white centre.
long long water_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int r, int g, int b, int) {
        return std::abs(r - 169) < 10 && std::abs(g - 204) < 10 && std::abs(b - 227) < 10;
    });
}
long long white_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int r, int g, int b, int a) { return r > 250 && g > 250 && b > 250 && a > 250; });
}

class BasemapTiles : public twindraw::testing::TileTestApi {
protected:
    const char* fixture_sql() const override { return kFixture; }
    tiles::Rgba get(const tiles::TileId& t) {
        auto r = call(url("base", t));
        EXPECT_EQ(r.status, 200) << r.body;
        return tiles::decode_png(r.body);
    }
};

}  // namespace

TEST_F(BasemapTiles, WaterIsBlueAndRoadsShowFromZoom11) {
    const auto river = get(tile_at(106.55, 29.5575, 15));
    EXPECT_GT(water_pixels(river), 20000);  // the band is about 60 % of the tile

    const auto road = get(tile_at(106.55, 29.540, 15));
    EXPECT_GT(white_pixels(road), 3 * 256);  // a 5 px white line (anti-aliased edges) across the tile
    EXPECT_EQ(water_pixels(road), 0);

    const auto road_z11 = get(tile_at(106.55, 29.540, 11));
    EXPECT_GT(white_pixels(road_z11), 60);  // 2 px over ~6 km: ~45 px long at z11
    // No roads below z11: without the road the z10 tile is the same image.
    const auto z10 = tile_at(106.55, 29.540, 10);
    const auto with_road = call(url("base", z10));
    sql("DELETE FROM road_edge");
    const auto without_road = call(url("base", z10));
    EXPECT_EQ(without_road.body, with_road.body);
    EXPECT_NE(get(tile_at(106.55, 29.540, 11)).pixels, road_z11.pixels);  // while z11 changes

    const auto far = get(tile_at(106.47, 29.60, 15));  // inside 渝中区, no water, no road
    EXPECT_EQ(water_pixels(far) + white_pixels(far), 0);
}

TEST_F(BasemapTiles, ARoadOrWaterChangeExpiresExactlyItsTiles) {
    const auto road_tile = tile_at(106.55, 29.540, 15);
    const auto river_tile = tile_at(106.55, 29.5575, 15);
    const auto far_tile = tile_at(106.47, 29.60, 15);
    const auto road_before = call(url("base", road_tile));
    const auto river_before = call(url("base", river_tile));
    const auto far_before = call(url("base", far_tile));

    // Rebuilding the road topology rewrites every edge's source/target/cost: nothing expires.
    sql("DELETE FROM tile_dirty");
    sql("SELECT road_network_build()");
    EXPECT_EQ(count("SELECT count(*) FROM tile_dirty"), 0);

    // Moving the road 2 km south: its old tile is redrawn without it.
    sql("UPDATE road_edge SET geom = ST_Translate(geom, 0, -0.02)");
    EXPECT_GT(count("SELECT count(*) FROM tile_dirty WHERE layer = 'base'"), 0);
    const auto road_after = call(url("base", road_tile));
    EXPECT_NE(etag(road_after), etag(road_before));
    EXPECT_LT(white_pixels(tiles::decode_png(road_after.body)), 50);

    // Deleting the river: its tile loses the water.
    sql("DELETE FROM water_feature");
    const auto river_after = call(url("base", river_tile));
    EXPECT_NE(etag(river_after), etag(river_before));
    EXPECT_EQ(water_pixels(tiles::decode_png(river_after.body)), 0);

    // The far tile was touched by neither change.
    const auto far_after = call(url("base", far_tile));
    EXPECT_EQ(etag(far_after), etag(far_before));
}
