#include "geo/division-code.hpp"

#include <gtest/gtest.h>

using namespace twindraw::division;

TEST(DivisionCode, LevelsFromTheCodeItself) {
    auto p = parse("500000");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->level, 1);
    EXPECT_EQ(parent(*p), "");

    auto city = parse("510100");  // 成都市
    ASSERT_TRUE(city);
    EXPECT_EQ(city->level, 2);
    EXPECT_EQ(parent(*city), "510000");

    auto county = parse("500103");  // 渝中区
    ASSERT_TRUE(county);
    EXPECT_EQ(county->level, 3);
    EXPECT_EQ(county->province, "500000");
    EXPECT_EQ(parent(*county), "500100");
    EXPECT_TRUE(is_pseudo_prefecture(parent(*county).substr(0, 4)));

    auto town = parse("500103001");  // 七星岗街道
    ASSERT_TRUE(town);
    EXPECT_EQ(town->level, 4);
    EXPECT_EQ(parent(*town), "500103");
}

TEST(DivisionCode, ShortFormsArePadded) {
    EXPECT_EQ(parse("50")->code, "500000");
    EXPECT_EQ(parse("5101")->code, "510100");
    EXPECT_EQ(parse(" 500103 ")->code, "500103");
}

TEST(DivisionCode, MalformedCodesAreRefused) {
    for (const char* bad : {"", "5", "500", "50010", "5001030", "50A103", "000000", "500003", "500103000",
                            "500100001", "5001031234"})
        EXPECT_FALSE(parse(bad)) << bad;
}

TEST(DivisionCode, PseudoPrefectures) {
    EXPECT_TRUE(is_pseudo_prefecture("5001"));   // 重庆 市辖区
    EXPECT_TRUE(is_pseudo_prefecture("5002"));   // 重庆 县
    EXPECT_TRUE(is_pseudo_prefecture("1101"));   // 北京 市辖区
    EXPECT_TRUE(is_pseudo_prefecture("4290"));   // 湖北 省直辖县级行政区划
    EXPECT_FALSE(is_pseudo_prefecture("5101"));  // 成都
    EXPECT_FALSE(is_pseudo_prefecture("4201"));  // 武汉
}
