// The `patrol` tile layer on a real PostGIS (NET-3, GIS-2; seed 000 §5.6c): a route of
// points drawn green while unfinished and red once an assigned inspector has checked in
// at every point that day, the tiles expired by the check-ins (migration 0030) while an
// untouched tile keeps its ETag, the `date` filter and the `from`/`to` range, the viewer's data scope, and 400
// bad_filter for malformed or foreign filters.
#include "common-pg.hpp"
#include "tile-test-api.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"
#include "tiles/tile-service.hpp"

#include <filesystem>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;
namespace fs = std::filesystem;

namespace {

// 渝中 bureau 900 with inspector 501; 大渡口 bureau 910. Route 1 (unit 900): points 1-3
// around 106.55-106.56, 29.55-29.556, assigned to 501 on 2026-06-15. Route 2 far to the
// west (106.40, 29.60), points 4-5, never checked in.
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL), ('500103', '渝中区', 3, '500000', NULL), ('500104', '大渡口区', 3, '500000', NULL);
INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES
 (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),
 (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL);
INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES
 (501, '张巡查', '500103', 900, 'law_enforcement');
INSERT INTO app_user(id, account, name, password_hash, inspector_id) VALUES (77, 'yzsup', '王主管', 'x', NULL);
INSERT INTO patrol_point(id, authority_id, name, geom) VALUES
 (1, 900, '甲', ST_SetSRID(ST_MakePoint(106.550, 29.550), 4326)),
 (2, 900, '乙', ST_SetSRID(ST_MakePoint(106.560, 29.550), 4326)),
 (3, 900, '丙', ST_SetSRID(ST_MakePoint(106.560, 29.556), 4326)),
 (4, 900, '丁', ST_SetSRID(ST_MakePoint(106.400, 29.600), 4326)),
 (5, 900, '戊', ST_SetSRID(ST_MakePoint(106.405, 29.603), 4326));
INSERT INTO patrol_route(id, authority_id, name) VALUES (1, 900, '解放碑路线'), (2, 900, '西线');
INSERT INTO patrol_route_point(route_id, seq, point_id) VALUES (1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 4), (2, 2, 5);
INSERT INTO patrol_assignment(route_id, inspector_id, authority_id, date_from, date_to) VALUES
 (1, 501, 900, '2026-06-15', '2026-06-15'), (2, 501, 900, '2026-06-15', '2026-06-15');
)SQL";

using twindraw::testing::count_pixels;
using twindraw::testing::tile_at;

// Pixels near the layer's green (#2e7d32) and red (#c62828).
long long green_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int r, int g, int b, int a) { return a > 200 && g > r + 50 && g > b + 50; });
}
long long red_pixels(const tiles::Rgba& img) {
    return count_pixels(img, [](int r, int g, int b, int a) { return a > 200 && r > g + 100 && r > b + 100; });
}

class PatrolTiles : public twindraw::testing::TileTestApi {
protected:
    const char* fixture_sql() const override { return kFixture; }

    static std::string url(const tiles::TileId& t, const std::string& query = "date=2026-06-15") {
        return TileTestApi::url("patrol", t, query);
    }

};

}  // namespace

TEST_F(PatrolTiles, RouteTurnsFromGreenToRedWhenEveryPointIsCheckedInAndOnlyItsTilesExpire) {
    const auto route = tile_at(106.555, 29.553, 14);
    const auto far = tile_at(106.402, 29.601, 14);
    ASSERT_NE(route.x, far.x);

    auto before = call(url(route));
    ASSERT_EQ(before.status, 200) << before.body;
    const auto img = tiles::decode_png(before.body);
    EXPECT_GT(green_pixels(img), 100);  // the line and three unchecked points
    EXPECT_EQ(red_pixels(img), 0);
    auto far_before = call(url(far));
    ASSERT_EQ(far_before.status, 200);
    EXPECT_GT(green_pixels(tiles::decode_png(far_before.body)), 50);

    // Two of three points: still unfinished (the checked points turn red, the line stays green).
    sql("INSERT INTO patrol_checkin(point_id, inspector_id, authority_id, at, position, distance_m) VALUES"
        " (1, 501, 900, '2026-06-15 10:00+08', ST_SetSRID(ST_MakePoint(106.550, 29.550), 4326), 3),"
        " (2, 501, 900, '2026-06-15 10:20+08', ST_SetSRID(ST_MakePoint(106.560, 29.550), 4326), 4)");
    EXPECT_GT(count("SELECT count(*) FROM tile_dirty WHERE layer = 'patrol'"), 0);
    auto partial = call(url(route));
    ASSERT_EQ(partial.status, 200);
    EXPECT_NE(etag(partial), etag(before));
    const auto partial_img = tiles::decode_png(partial.body);
    EXPECT_GT(red_pixels(partial_img), 20);
    EXPECT_GT(green_pixels(partial_img), 100);

    // The last point: the route is completed that day and drawn red.
    sql("INSERT INTO patrol_checkin(point_id, inspector_id, authority_id, at, position, distance_m) VALUES"
        " (3, 501, 900, '2026-06-15 10:40+08', ST_SetSRID(ST_MakePoint(106.560, 29.556), 4326), 2)");
    auto after = call(url(route));
    ASSERT_EQ(after.status, 200);
    EXPECT_NE(etag(after), etag(partial));
    const auto after_img = tiles::decode_png(after.body);
    EXPECT_GT(red_pixels(after_img), 100);
    EXPECT_LT(green_pixels(after_img), 5);
    EXPECT_GE(red_pixels(after_img), green_pixels(img) / 2);  // the same line, now red

    // The far route's tile was not touched: same ETag, still green.
    auto far_after = call(url(far));
    EXPECT_EQ(etag(far_after), etag(far_before));
    EXPECT_EQ(far_after.body, far_before.body);

    // Another day: nobody checked in, so the route is unfinished again.
    auto next_day = tiles::decode_png(call(url(route, "date=2026-06-16")).body);
    EXPECT_GT(green_pixels(next_day), 100);
    EXPECT_EQ(red_pixels(next_day), 0);

    // Row-level security: another district sees no patrol at all.
    auto other = call(url(route), "unit", 910);
    ASSERT_EQ(other.status, 200);
    const auto other_img = tiles::decode_png(other.body);
    EXPECT_EQ(green_pixels(other_img) + red_pixels(other_img), 0);

    // Moving a point expires the route's tile too.
    const auto moved_before = etag(call(url(route)));
    sql("UPDATE patrol_point SET geom = ST_SetSRID(ST_MakePoint(106.558, 29.556), 4326) WHERE id = 3");
    EXPECT_NE(etag(call(url(route))), moved_before);
}

// The patrol page's date range (from..to) with the progress list's rule: a route whose
// points were checked in over two days is completed in a range covering both days, and
// unfinished on each day alone; a one-day range is the same tile as `date`.
TEST_F(PatrolTiles, DateRangeCompletesARouteCheckedInOverSeveralDays) {
    sql("UPDATE patrol_assignment SET date_to = '2026-06-16' WHERE route_id = 1");
    sql("INSERT INTO patrol_checkin(point_id, inspector_id, authority_id, at, position, distance_m) VALUES"
        " (1, 501, 900, '2026-06-15 10:00+08', ST_SetSRID(ST_MakePoint(106.550, 29.550), 4326), 3),"
        " (2, 501, 900, '2026-06-15 10:20+08', ST_SetSRID(ST_MakePoint(106.560, 29.550), 4326), 4),"
        " (3, 501, 900, '2026-06-16 09:10+08', ST_SetSRID(ST_MakePoint(106.560, 29.556), 4326), 2)");
    const auto route = tile_at(106.555, 29.553, 14);
    for (const char* day : {"date=2026-06-15", "date=2026-06-16"}) {
        const auto img = tiles::decode_png(call(url(route, day)).body);
        EXPECT_GT(green_pixels(img), 100) << day;  // the line is unfinished on either day
    }
    EXPECT_GT(red_pixels(tiles::decode_png(call(url(route, "date=2026-06-15")).body)), 10);  // points 1, 2
    auto both = call(url(route, "from=2026-06-15&to=2026-06-16"));
    ASSERT_EQ(both.status, 200) << both.body;
    const auto both_img = tiles::decode_png(both.body);
    EXPECT_GT(red_pixels(both_img), 100);
    EXPECT_LT(green_pixels(both_img), 5);

    // A check-in outside the assignment does not count: the range 06-16..06-17 is unfinished.
    const auto later = tiles::decode_png(call(url(route, "from=2026-06-16&to=2026-06-17")).body);
    EXPECT_GT(green_pixels(later), 100);

    // One day as a range is the same cache entry as `date`.
    auto single = call(url(route, "date=2026-06-15"));
    auto as_range = call(url(route, "from=2026-06-15&to=2026-06-15"));
    EXPECT_EQ(etag(as_range), etag(single));
    EXPECT_EQ(as_range.body, single.body);
}

TEST_F(PatrolTiles, BadFiltersAreJson400s) {
    for (const auto& bad : {"/tiles/patrol/3/6/3.png?date=2026-13-01", "/tiles/patrol/3/6/3.png?date=2026-02-30",
                            "/tiles/patrol/3/6/3.png?date=20260615", "/tiles/patrol/3/6/3.png?year=2026",
                            "/tiles/patrol/3/6/3.png?risk=1", "/tiles/patrol/3/6/3.png?from=2026-06-15",
                            "/tiles/patrol/3/6/3.png?to=2026-06-15",
                            "/tiles/patrol/3/6/3.png?date=2026-06-15&from=2026-06-15&to=2026-06-16",
                            "/tiles/patrol/3/6/3.png?from=2026-06-16&to=2026-06-15",
                            "/tiles/patrol/3/6/3.png?from=2026-01-01&to=2027-01-02",
                            "/tiles/patrol/3/6/3.png?from=2026-06-15&to=2026-06-31"}) {
        auto r = call(bad);
        ASSERT_EQ(r.status, 400) << bad << " " << r.body;
        EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"].get<std::string>(), "bad_filter") << bad;
        EXPECT_FALSE(nlohmann::json::parse(r.body)["error"]["message"].get<std::string>().empty());
    }
    EXPECT_EQ(call("/tiles/patrol/3/6/3.png?date=2026-06-15").status, 200);
    EXPECT_EQ(call("/tiles/patrol/3/6/3.png").status, 200);  // today
    EXPECT_EQ(call("/tiles/patrol/3/6/3.png?from=2026-01-01&to=2026-12-31").status, 200);
    EXPECT_EQ(call("/tiles/objects/3/6/3.png?from=2026-01-01&to=2026-12-31").status, 400);  // patrol only
}
