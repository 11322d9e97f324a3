#include "server/http-router.hpp"

#include <gtest/gtest.h>

using namespace twindraw::server;

namespace {
Handler named(std::string name) {
    return [name](const Request&) {
        Response r;
        r.body = name;
        return r;
    };
}
}  // namespace

TEST(Router, LiteralSegmentsWinOverParameters) {
    Router router;
    router.add({"GET", "/api/{entity}/{id}", "registry.read", "", "", named("generic")});
    router.add({"GET", "/api/imports/{id}", "registry.read", "", "", named("imports")});
    router.add({"GET", "/api/{entity}/export.xlsx", "registry.read", "", "", named("export")});

    auto m = router.match("GET", "/api/imports/7");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->handler(Request{}).body, "imports");
    EXPECT_EQ(m.params.at("id"), "7");

    m = router.match("GET", "/api/subjects/export.xlsx");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->handler(Request{}).body, "export");
    EXPECT_EQ(m.params.at("entity"), "subjects");

    m = router.match("GET", "/api/subjects/42");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->handler(Request{}).body, "generic");
    EXPECT_EQ(m.params.at("id"), "42");
}

TEST(Router, WrongMethodIsKnownPathUnknownPathIsNot) {
    Router router;
    router.add({"GET", "/healthz", "public", "", "", named("h")});
    auto m = router.match("POST", "/healthz");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.path_known);
    m = router.match("GET", "/nothing/here");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_FALSE(m.path_known);
}

TEST(Router, SlashesAndSegmentCountMatter) {
    Router router;
    router.add({"GET", "/api/{entity}", "registry.read", "", "", named("list")});
    EXPECT_NE(router.match("GET", "/api/subjects/").route, nullptr);
    EXPECT_EQ(router.match("GET", "/api/subjects/1/2").route, nullptr);
    EXPECT_EQ(router.match("GET", "/api").route, nullptr);
}

TEST(Query, DecodesPercentAndPlus) {
    auto q = parse_query("q=%E9%87%8D%E5%BA%86+%E9%A4%90%E9%A5%AE&page=2&empty=&bad=%zz");
    EXPECT_EQ(q.at("q"), "重庆 餐饮");
    EXPECT_EQ(q.at("page"), "2");
    EXPECT_EQ(q.at("empty"), "");
    EXPECT_EQ(q.at("bad"), "%zz");
    EXPECT_EQ(url_decode("/a%2Fb+c", false), "/a/b+c");
}
