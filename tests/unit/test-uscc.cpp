// BASE-1: the unified social credit code (GB 32100-2015). Published codes of real
// companies (from their business licences / annual reports), each re-checked by hand
// with the GB 32100 weights 3^i mod 31 and the GB 11714 organisation-code check digit.
#include "workflows/uscc.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace uscc = twindraw::uscc;

namespace {
const char* const kPublished[] = {
    "914403001922038216",  // 华为技术有限公司
    "9144030071526726XG",  // 深圳市腾讯计算机系统有限公司
    "91330100799655058B",  // 阿里巴巴（中国）有限公司
    "91110000802100433B",  // 中国石油化工股份有限公司
    "911100001000044477",  // 中国工商银行股份有限公司
};
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
}  // namespace

TEST(Uscc, PublishedCodesAreValid) {
    for (const char* code : kPublished) {
        EXPECT_TRUE(uscc::valid(code)) << code;
        // Positions 9–17 are a GB 11714 organisation code with its own check digit.
        EXPECT_EQ(uscc::org_check_char(std::string_view(code).substr(8, 8)), code[16]) << code;
    }
}

TEST(Uscc, AnyChangedCharacterFails) {
    for (const char* published : kPublished) {
        const std::string code = published;
        for (size_t i = 0; i < code.size(); ++i) {
            for (char c : kAlphabet) {
                if (c == code[i]) continue;
                std::string changed = code;
                changed[i] = c;
                // A single substitution always changes the weighted sum mod 31 (31 is
                // prime and no weight is 0 mod 31), so the check character catches it.
                EXPECT_EQ(uscc::check(changed), uscc::Problem::CheckDigit) << changed;
            }
        }
    }
}

TEST(Uscc, SwappedNeighboursFail) {
    const std::string code = "914403001922038216";
    for (size_t i = 0; i + 1 < 17; ++i) {
        if (code[i] == code[i + 1]) continue;
        std::string swapped = code;
        std::swap(swapped[i], swapped[i + 1]);
        EXPECT_FALSE(uscc::valid(swapped)) << swapped;
    }
}

TEST(Uscc, ProblemsAreNamed) {
    EXPECT_EQ(uscc::check("91440300192203821"), uscc::Problem::Length);
    EXPECT_EQ(uscc::check("9144030019220382166"), uscc::Problem::Length);
    EXPECT_EQ(uscc::check("91440300192203821I"), uscc::Problem::Character);  // I is excluded
    EXPECT_EQ(uscc::check("9144030071526726xg"), uscc::Problem::Character);
    EXPECT_TRUE(uscc::valid(uscc::normalise(" 9144030071526726xg ")));
}

TEST(Uscc, MadeCodesValidateAndAreDistinct) {
    std::set<std::string> seen;
    for (char type : {'1', '2', '3'}) {
        for (std::uint64_t serial : {0ull, 1ull, 42ull, 12345678ull, 99999999ull}) {
            const std::string code = uscc::make(type, "500103", serial);
            EXPECT_TRUE(uscc::valid(code)) << code;
            EXPECT_EQ(code.substr(0, 8), std::string("9") + type + "500103");
            EXPECT_EQ(uscc::org_check_char(code.substr(8, 8)), code[16]);
            EXPECT_TRUE(seen.insert(code).second) << code;
        }
    }
}
