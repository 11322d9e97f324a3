// Tile arithmetic, request parsing and the WMTS document (GIS-2, GIS-4), without a database.
#include "geo/error.hpp"
#include "server/http-router.hpp"
#include "tiles/tile-grid.hpp"
#include "tiles/tile-service.hpp"
#include "tiles/wmts.hpp"

#include <gtest/gtest.h>

using namespace twindraw;
using namespace twindraw::tiles;

TEST(TileGrid, BoundsOfTheWorldAndOfATile) {
    Box w = tile_bounds(0, 0, 0);
    EXPECT_NEAR(w.minx, -kMercatorOrigin, 1e-6);
    EXPECT_NEAR(w.maxy, kMercatorOrigin, 1e-6);
    Box t = tile_bounds(1, 1, 0);  // top right quarter
    EXPECT_NEAR(t.minx, 0, 1e-6);
    EXPECT_NEAR(t.miny, 0, 1e-6);
    double mx, my, lon, lat;
    lonlat_to_mercator(106.57, 29.55, mx, my);
    mercator_to_lonlat(mx, my, lon, lat);
    EXPECT_NEAR(lon, 106.57, 1e-9);
    EXPECT_NEAR(lat, 29.55, 1e-9);
}

TEST(TileGrid, MetatilesAreEightByEightOrTheWholeLevel) {
    auto m = metatile_of(14, 13117, 6815);
    EXPECT_EQ(m.x0, 13112);
    EXPECT_EQ(m.y0, 6808);
    EXPECT_EQ(m.size, 8);
    auto small = metatile_of(2, 3, 1);
    EXPECT_EQ(small.x0, 0);
    EXPECT_EQ(small.size, 4);
}

TEST(TileGrid, TilesTouchingAPointWithAMargin) {
    // 渝中区解放碑 at z14 is tile 13233/6765 (checked against the slippy-map formula).
    auto r = tiles_touching({106.577, 29.557, 106.577, 29.557}, 14, 0);
    EXPECT_EQ(r.count(), 1);
    EXPECT_EQ(r.x0, int(std::floor((106.577 + 180) / 360 * 16384)));
    EXPECT_EQ(tiles_touching({106.577, 29.557, 106.577, 29.557}, 0, 8).count(), 1);
    // A margin of just over a tile reaches exactly one neighbour on every side.
    EXPECT_EQ(tiles_touching({106.577, 29.557, 106.577, 29.557}, 14, 257).count(), 9);
}

TEST(TileGrid, BadCoordinatesAreBadRequests) {
    EXPECT_EQ(parse_tile("3", "7", "0").x, 7);
    for (auto [z, x, y] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"3", "8", "0"}, {"3", "-1", "0"}, {"21", "0", "0"}, {"a", "0", "0"}, {"3", "0", ""}, {"3", "1e2", "0"},
             {"99999999999", "0", "0"}}) {
        try {
            parse_tile(z, x, y);
            ADD_FAILURE() << z << "/" << x << "/" << y << " accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadRequest);
            EXPECT_EQ(e.code(), "bad_tile");
        }
    }
}

TEST(TileFilters, CanonicalAndValidated) {
    const auto& objects = layer_info("objects");
    auto f = parse_filters(objects, {{"risk", "4,3,4"}, {"division", "500103"}});
    EXPECT_EQ(f.canonical(), "division=500103&risk=3,4");
    EXPECT_EQ(parse_filters(objects, {}).canonical(), "");
    for (const auto& q : std::vector<std::map<std::string, std::string>>{
             {{"risk", "5"}}, {{"risk", "1,,2"}}, {{"division", "5001"}}, {{"division", "50010x"}}, {{"colour", "red"}}}) {
        try {
            parse_filters(objects, q);
            ADD_FAILURE() << q.begin()->first << " accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), "bad_filter");
        }
    }
    EXPECT_THROW(parse_filters(layer_info("base"), {{"risk", "1"}}), Error);
    try {
        layer_info("nope");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::NotFound);
    }
}

TEST(TileRoutes, ParameterWithSuffixMatches) {
    twindraw::server::Router router;
    router.add({"GET", "/tiles/{layer}/{z}/{x}/{y}.png", "public", "", "", nullptr});
    auto m = router.match("GET", "/tiles/base/3/4/5.png");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.params["y"], "5");
    EXPECT_EQ(m.params["layer"], "base");
    EXPECT_FALSE(router.match("GET", "/tiles/base/3/4/5.jpg").route);
    EXPECT_FALSE(router.match("GET", "/tiles/base/3/4/.png").route);
}

TEST(Wmts, CapabilitiesNameEveryLayerAndTheTileMatrixSet) {
    auto xml = wmts_capabilities("http://example.org:8080");
    for (const auto& l : layers()) {
        EXPECT_NE(xml.find("<ows:Identifier>" + l.name + "</ows:Identifier>"), std::string::npos);
        EXPECT_NE(xml.find("http://example.org:8080/tiles/" + l.name + "/{TileMatrix}/{TileCol}/{TileRow}.png"),
                  std::string::npos);
    }
    EXPECT_NE(xml.find("GoogleMapsCompatible"), std::string::npos);
    EXPECT_NE(xml.find("<MatrixWidth>262144</MatrixWidth>"), std::string::npos);  // z18
    EXPECT_EQ(wmts_capabilities("http://a\"<b").find("a\"<b"), std::string::npos);  // escaped
}
