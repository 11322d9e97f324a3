// GIS-1: decoding ECharts 4 compressed map JSON. The encoded ring below was produced by
// data/refdata/scripts/echarts-encode.js and its expected coordinates are what
// ECharts 4.9.0's own parseGeoJson decodes from it. The deltas are chosen so that the
// string holds 1-, 2- and 3-byte UTF-8 characters (code units 124…2064).
#include "geo/echarts-geo.hpp"

#include "geo/error.hpp"

#include <gtest/gtest.h>

namespace echarts = twindraw::echarts;

namespace {
// "|{Ĉ@@ࠏćࠐ" — UTF-8 bytes 7c 7b c4 88 40 40 e0 a0 8f c4 87 e0 a0 90.
const std::string kEncoded = "\x7c\x7b\xc4\x88\x40\x40\xe0\xa0\x8f\xc4\x87\xe0\xa0\x90";

nlohmann::json sample_doc() {
    return {
        {"type", "FeatureCollection"},
        {"UTF8Encoding", true},
        {"features",
         {{{"id", "500103"},
           {"type", "Feature"},
           {"properties", {{"name", "渝中区"}}},
           {"geometry", {{"type", "Polygon"}, {"coordinates", {kEncoded}}, {"encodeOffsets", {{109100, 30300}}}}}}}}};
}
}  // namespace

TEST(EchartsGeo, Utf16UnitsOfMixedUtf8) {
    const auto units = echarts::utf16_units(kEncoded);
    const std::vector<std::uint16_t> expected = {124, 123, 264, 64, 64, 2063, 263, 2064};
    EXPECT_EQ(units, expected);
    // A 4-byte character becomes a surrogate pair, as JavaScript's charCodeAt sees it.
    EXPECT_EQ(echarts::utf16_units("\xf0\x9f\x98\x80"), (std::vector<std::uint16_t>{0xD83D, 0xDE00}));
    EXPECT_THROW(echarts::utf16_units("\xc4"), twindraw::Error);
    EXPECT_THROW(echarts::utf16_units("\x80"), twindraw::Error);
}

TEST(EchartsGeo, DecodesHandEncodedPolygon) {
    const auto features = echarts::decode(sample_doc());
    ASSERT_EQ(features.size(), 1u);
    EXPECT_EQ(features[0].id, "500103");
    EXPECT_EQ(features[0].name, "渝中区");
    ASSERT_EQ(features[0].geometry.size(), 1u);
    ASSERT_EQ(features[0].geometry[0].size(), 1u);
    const auto& ring = features[0].geometry[0][0];
    // ECharts 4.9.0 parseGeoJson output for the same input:
    const double expected[4][2] = {{106.572265625, 29.560546875},
                                   {106.669921875, 29.560546875},
                                   {106.669921875, 28.583984375},
                                   {106.572265625, 29.560546875}};
    ASSERT_EQ(ring.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_DOUBLE_EQ(ring[i].lon, expected[i][0]) << i;
        EXPECT_DOUBLE_EQ(ring[i].lat, expected[i][1]) << i;
    }
    EXPECT_EQ(echarts::to_wkt(features[0].geometry),
              "MULTIPOLYGON(((106.572265625 29.560546875,106.669921875 29.560546875,"
              "106.669921875 28.583984375,106.572265625 29.560546875)))");
}

TEST(EchartsGeo, HonoursUtf8ScaleAndMultiPolygon) {
    nlohmann::json doc = sample_doc();
    doc["UTF8Scale"] = 2048;
    auto& g = doc["features"][0]["geometry"];
    g["type"] = "MultiPolygon";
    g["coordinates"] = {{kEncoded}, {kEncoded}};
    g["encodeOffsets"] = {{{109100, 30300}}, {{0, 0}}};
    const auto features = echarts::decode(doc);
    ASSERT_EQ(features[0].geometry.size(), 2u);
    EXPECT_DOUBLE_EQ(features[0].geometry[0][0][0].lon, 109130.0 / 2048);
    EXPECT_DOUBLE_EQ(features[0].geometry[0][0][2].lat, 29270.0 / 2048);
    // Second polygon: same deltas from offset (0, 0).
    EXPECT_DOUBLE_EQ(features[0].geometry[1][0][0].lon, 30.0 / 2048);
    EXPECT_DOUBLE_EQ(features[0].geometry[1][0][0].lat, -30.0 / 2048);
}

TEST(EchartsGeo, ClosesOpenRingsAndDropsDegenerateOnes) {
    nlohmann::json doc = {{"type", "FeatureCollection"},
                          {"features",
                           {{{"id", 7},
                             {"properties", {{"name", "x"}}},
                             {"geometry",
                              {{"type", "MultiPolygon"},
                               {"coordinates",
                                {{{{0, 0}, {1, 0}, {1, 1}}},             // open triangle: closed
                                 {{{5, 5}, {6, 5}, {5, 5}}}}}}}}}}};  // 2 distinct points: dropped
    const auto features = echarts::decode(doc);
    ASSERT_EQ(features.size(), 1u);
    EXPECT_EQ(features[0].id, "7");
    ASSERT_EQ(features[0].geometry.size(), 1u);
    EXPECT_EQ(features[0].geometry[0][0].size(), 4u);
    EXPECT_EQ(echarts::to_wkt({}), "MULTIPOLYGON EMPTY");
}

TEST(EchartsGeo, RejectsMalformedInput) {
    EXPECT_THROW(echarts::decode(nlohmann::json::object()), twindraw::Error);
    nlohmann::json odd = sample_doc();
    odd["features"][0]["geometry"]["coordinates"] = {"ABC"};  // odd length
    EXPECT_THROW(echarts::decode(odd), twindraw::Error);
    nlohmann::json no_offsets = sample_doc();
    no_offsets["features"][0]["geometry"].erase("encodeOffsets");
    EXPECT_THROW(echarts::decode(no_offsets), twindraw::Error);
    nlohmann::json point = sample_doc();
    point["features"][0]["geometry"]["type"] = "Point";
    EXPECT_THROW(echarts::decode(point), twindraw::Error);
    EXPECT_THROW(echarts::decode_file("/nonexistent/map.json"), twindraw::Error);
}
