// The `objects` layer's colouring filters (GIS-2, issue 5): by=risk|status and year,
// their canonical cache-key text, the default year and the 400 bad_filter answers; the
// status colours of the style and legend.
#include "geo/error.hpp"
#include "tiles/tile-render.hpp"
#include "tiles/tile-service.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace twindraw;
using namespace twindraw::tiles;

namespace {

int china_year() {
    const std::time_t t = std::time(nullptr) + 8 * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

}  // namespace

TEST(ObjectsStatusFilters, ByStatusTakesTheYearIntoTheCacheKeyAndRiskIsTheDefault) {
    const auto& objects = layer_info("objects");
    EXPECT_EQ(parse_filters(objects, {{"by", "risk"}}).canonical(), "");
    EXPECT_EQ(parse_filters(objects, {{"by", ""}}).canonical(), "");
    EXPECT_EQ(parse_filters(objects, {{"by", "status"}, {"year", "2025"}, {"risk", "4,3"}}).canonical(),
              "by=status&risk=3,4&year=2025");
    const auto f = parse_filters(objects, {{"by", "status"}});
    EXPECT_EQ(f.by, "status");
    EXPECT_EQ(f.year, china_year());
    EXPECT_EQ(f.canonical(), "by=status&year=" + std::to_string(china_year()));
    EXPECT_EQ(parse_filters(objects, {{"by", "status"}, {"year", ""}}).year, china_year());
}

TEST(ObjectsStatusFilters, BadValuesAreBadFilterWithTheField) {
    const auto& objects = layer_info("objects");
    const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
        {{{"by", "colour"}}, "by"},
        {{{"by", "STATUS"}}, "by"},
        {{{"by", "status"}, {"year", "1999"}}, "year"},
        {{{"by", "status"}, {"year", "20x5"}}, "year"},
        {{{"by", "status"}, {"year", "202"}}, "year"},
        {{{"year", "2025"}}, "year"},  // a year without by=status
        {{{"by", "risk"}, {"year", "2025"}}, "year"},
    };
    for (const auto& [q, field] : bad) {
        try {
            parse_filters(objects, q);
            ADD_FAILURE() << q.begin()->first << "=" << q.begin()->second << " accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadRequest);
            EXPECT_EQ(e.code(), "bad_filter");
            EXPECT_EQ(e.field(), field);
        }
    }
    EXPECT_THROW(parse_filters(layer_info("results"), {{"by", "status"}}), Error);
}

TEST(ObjectsStatusFilters, StatusPaletteHasFourDistinctKindsAndColours) {
    std::set<int> kinds;
    std::set<std::string> colours, codes;
    for (const auto& c : status_palette()) {
        kinds.insert(c.kind);
        colours.insert(c.colour);
        codes.insert(c.code);
    }
    EXPECT_EQ(kinds, (std::set<int>{10, 11, 12, 13}));
    EXPECT_EQ(colours.size(), 4u);
    EXPECT_EQ(codes, (std::set<std::string>{"none", "open", "clean", "problem"}));
    EXPECT_EQ(risk_palette().size(), 4u);
}
