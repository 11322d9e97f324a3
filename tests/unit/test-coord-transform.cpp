// GIS-4: WGS84 / GCJ-02 / BD-09 conversions against gcoord 1.0.7 as the oracle.
// The expected values were produced by data/refdata/scripts/coord-oracle.js
// (node, gcoord pinned in data/refdata/package.json) and pasted here verbatim.
#include "geo/coord-transform.hpp"

#include <gtest/gtest.h>

#include <cmath>

using twindraw::coord::LonLat;
namespace coord = twindraw::coord;

namespace {

struct Oracle {
    const char* name;
    double lon, lat;
    double gcj_lon, gcj_lat;          // gcoord WGS84 -> GCJ02 of (lon, lat)
    double bd_lon, bd_lat;            // gcoord GCJ02 -> BD09 of (lon, lat)
    double bd2gcj_lon, bd2gcj_lat;    // gcoord BD09 -> GCJ02 of (lon, lat)
    double gcj2wgs_lon, gcj2wgs_lat;  // gcoord GCJ02 -> WGS84 of (lon, lat)
};

// Output of `node data/refdata/scripts/coord-oracle.js` (gcoord 1.0.7), 10 decimals.
const Oracle kOracle[] = {
    {"渝中区解放碑", 106.577, 29.5573, /*wgs84->gcj02*/ 106.5806878697, 29.5544119430, /*gcj02->bd09*/ 106.5834620786, 29.5635061724, /*bd09->gcj02*/ 106.5705563614, 29.5510220693, /*gcj02->wgs84*/ 106.5733096731, 29.5601833133},
    {"天安门", 116.391275, 39.906217, /*wgs84->gcj02*/ 116.3975160050, 39.9076182082, /*gcj02->bd09*/ 116.3976615077, 39.9125282918, /*bd09->gcj02*/ 116.3848588528, 39.8999731099, /*gcj02->wgs84*/ 116.3850384292, 39.9048196298},
    {"上海人民广场", 121.4737, 31.2304, /*wgs84->gcj02*/ 121.4782230593, 31.2284577376, /*gcj02->bd09*/ 121.4802374034, 31.2363348198, /*bd09->gcj02*/ 121.4671951405, 31.2243420003, /*gcj02->wgs84*/ 121.4691623082, 31.2323292715},
    {"乌鲁木齐", 87.6168, 43.8256, /*wgs84->gcj02*/ 87.6196499495, 43.8268053931, /*gcj02->bd09*/ 87.6232336079, 43.8317762578, /*bd09->gcj02*/ 87.6103974997, 43.8193668213, /*gcj02->wgs84*/ 87.6139528219, 43.8243960406},
    {"三亚", 109.5119, 18.2528, /*wgs84->gcj02*/ 109.5159842948, 18.2510947917, /*gcj02->bd09*/ 109.5184567220, 18.2585352439, /*bd09->gcj02*/ 109.5053405561, 18.2471143261, /*gcj02->wgs84*/ 109.5078039352, 18.2544936169},
    {"城口县", 108.6649, 31.9479, /*wgs84->gcj02*/ 108.6692803003, 31.9456232437, /*gcj02->bd09*/ 108.6715117781, 31.9535902829, /*bd09->gcj02*/ 108.6582870218, 31.9422196909, /*gcj02->wgs84*/ 108.6605307382, 31.9501855387},
    {"东京 (outside)", 139.6917, 35.6895, /*wgs84->gcj02*/ 139.6917000000, 35.6895000000, /*gcj02->bd09*/ 139.6981225263, 35.6958454528, /*bd09->gcj02*/ 139.6852883715, 35.6830926171, /*gcj02->wgs84*/ 139.6917000000, 35.6895000000},
};

// The pasted values carry 10 decimals; closed-form conversions must agree to that.
constexpr double kExact = 2e-10;
// gcoord stops its inverse iteration at 1e-6 degrees; ours goes to 1e-9, so the two
// inverses may differ by up to gcoord's tolerance.
constexpr double kInverse = 2e-6;

}  // namespace

TEST(CoordTransform, Wgs84ToGcj02MatchesGcoord) {
    for (const auto& o : kOracle) {
        const LonLat g = coord::wgs84_to_gcj02({o.lon, o.lat});
        EXPECT_NEAR(g.lon, o.gcj_lon, kExact) << o.name;
        EXPECT_NEAR(g.lat, o.gcj_lat, kExact) << o.name;
    }
}

TEST(CoordTransform, Gcj02ToBd09MatchesGcoord) {
    for (const auto& o : kOracle) {
        const LonLat b = coord::gcj02_to_bd09({o.lon, o.lat});
        EXPECT_NEAR(b.lon, o.bd_lon, kExact) << o.name;
        EXPECT_NEAR(b.lat, o.bd_lat, kExact) << o.name;
    }
}

TEST(CoordTransform, Bd09ToGcj02MatchesGcoord) {
    for (const auto& o : kOracle) {
        const LonLat g = coord::bd09_to_gcj02({o.lon, o.lat});
        EXPECT_NEAR(g.lon, o.bd2gcj_lon, kExact) << o.name;
        EXPECT_NEAR(g.lat, o.bd2gcj_lat, kExact) << o.name;
    }
}

TEST(CoordTransform, Gcj02ToWgs84MatchesGcoord) {
    for (const auto& o : kOracle) {
        const LonLat w = coord::gcj02_to_wgs84({o.lon, o.lat});
        EXPECT_NEAR(w.lon, o.gcj2wgs_lon, kInverse) << o.name;
        EXPECT_NEAR(w.lat, o.gcj2wgs_lat, kInverse) << o.name;
    }
}

TEST(CoordTransform, InverseRoundTripsBelow1e7) {
    // A grid over China (and the Chongqing area densely): forward(inverse(p)) == p.
    for (double lon = 73.0; lon <= 135.0; lon += 0.731) {
        for (double lat = 18.0; lat <= 53.0; lat += 0.577) {
            const LonLat w = coord::gcj02_to_wgs84({lon, lat});
            const LonLat back = coord::wgs84_to_gcj02(w);
            ASSERT_NEAR(back.lon, lon, 1e-7) << lon << "," << lat;
            ASSERT_NEAR(back.lat, lat, 1e-7) << lon << "," << lat;
            // The offset itself is a few hundred metres, never zero inside China.
            EXPECT_GT(std::hypot(w.lon - lon, w.lat - lat), 1e-4);
        }
    }
}

TEST(CoordTransform, IdentityOutsideChina) {
    for (LonLat p : {LonLat{139.6917, 35.6895}, LonLat{-74.006, 40.7128}, LonLat{2.3522, 48.8566},
                     LonLat{100.0, 0.5}, LonLat{140.0, 30.0}}) {
        EXPECT_FALSE(coord::in_china_bbox(p.lon, p.lat));
        const LonLat g = coord::wgs84_to_gcj02(p);
        EXPECT_EQ(g.lon, p.lon);
        EXPECT_EQ(g.lat, p.lat);
        const LonLat w = coord::gcj02_to_wgs84(p);
        EXPECT_EQ(w.lon, p.lon);
        EXPECT_EQ(w.lat, p.lat);
    }
    EXPECT_TRUE(coord::in_china_bbox(106.5, 29.5));
}

TEST(CoordTransform, Bd09RoundTripIsClose) {
    // Baidu's inverse is itself approximate; the round trip stays within ~1e-6 deg.
    for (double lon = 100.0; lon <= 125.0; lon += 1.3) {
        for (double lat = 20.0; lat <= 45.0; lat += 1.1) {
            const LonLat w = coord::bd09_to_wgs84(coord::wgs84_to_bd09({lon, lat}));
            EXPECT_NEAR(w.lon, lon, 2e-5);
            EXPECT_NEAR(w.lat, lat, 2e-5);
        }
    }
}
