// TOTP against the RFC 6238 Appendix B vectors (SHA-1, 8 digits) and base32 against
// RFC 4648 §10.
#include "geo/error.hpp"
#include "workflows/account-totp.hpp"

#include <gtest/gtest.h>

using namespace twindraw::accounts;

TEST(Totp, Rfc6238AppendixBSha1Vectors) {
    const std::string key = "12345678901234567890";
    struct {
        std::int64_t t;
        const char* code;
    } vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                   {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"}};
    for (const auto& v : vectors) EXPECT_EQ(totp(key, v.t, 8), v.code) << "T=" << v.t;
}

TEST(Totp, Rfc4226HotpSixDigitValues) {
    const std::string key = "12345678901234567890";
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (int i = 0; i < 10; ++i) EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(i)), expected[i]) << i;
}

TEST(Totp, MatchAcceptsOneStepEitherSideOnly) {
    const std::string key = "12345678901234567890";
    const std::int64_t now = 1111111111;
    const std::string current = totp(key, now, 6);
    ASSERT_TRUE(totp_match(key, current, now).has_value());
    EXPECT_EQ(*totp_match(key, current, now), now / 30);
    EXPECT_TRUE(totp_match(key, totp(key, now - 30, 6), now).has_value());
    EXPECT_TRUE(totp_match(key, totp(key, now + 30, 6), now).has_value());
    EXPECT_FALSE(totp_match(key, totp(key, now - 90, 6), now).has_value());
    EXPECT_FALSE(totp_match(key, "12345", now).has_value());
    EXPECT_FALSE(totp_match(key, "abcdef", now).has_value());
}

TEST(Totp, Base32Rfc4648Vectors) {
    EXPECT_EQ(base32_encode(""), "");
    EXPECT_EQ(base32_encode("f"), "MY");
    EXPECT_EQ(base32_encode("fo"), "MZXQ");
    EXPECT_EQ(base32_encode("foo"), "MZXW6");
    EXPECT_EQ(base32_encode("foob"), "MZXW6YQ");
    EXPECT_EQ(base32_encode("fooba"), "MZXW6YTB");
    EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
    EXPECT_EQ(base32_decode("MZXW6YTBOI======"), "foobar");
    EXPECT_EQ(base32_decode("mzxw 6ytb oi"), "foobar");
    EXPECT_THROW(base32_decode("MZ1W"), twindraw::Error);
    EXPECT_EQ(base32_encode("12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Totp, NewSecretsAreTwentyRandomBytes) {
    std::string a = new_totp_secret(), b = new_totp_secret();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_EQ(base32_decode(a).size(), 20u);
    EXPECT_NE(a, b);
}

TEST(Totp, OtpauthUrlAndQrSvg) {
    std::string url = otpauth_url("zhang.san@cq", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    EXPECT_EQ(url, "otpauth://totp/TwinDraw:zhang.san%40cq?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                   "&issuer=TwinDraw&algorithm=SHA1&digits=6&period=30");
    std::string svg = qr_svg(url);
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
    EXPECT_NE(svg.find("h1v1h-1z"), std::string::npos);
    EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
}
