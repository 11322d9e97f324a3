// Argon2id hashing and the password policy (AUTH-1).
#include "geo/error.hpp"
#include "workflows/account-password.hpp"

#include <gtest/gtest.h>

using namespace twindraw;
using namespace twindraw::accounts;

TEST(Password, HashIsArgon2idAndVerifies) {
    std::string h = hash_password("Twindraw@2026");
    EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
    EXPECT_TRUE(verify_password(h, "Twindraw@2026"));
    EXPECT_FALSE(verify_password(h, "Twindraw@2027"));
    EXPECT_FALSE(verify_password(h, ""));
    EXPECT_FALSE(verify_password("not a hash", "Twindraw@2026"));
    EXPECT_FALSE(verify_password("", "Twindraw@2026"));
    // Salted: the same password hashes differently each time.
    EXPECT_NE(hash_password("Twindraw@2026"), h);
}

namespace {
std::string policy_error(const std::string& account, const std::string& pw, const std::string& old = {}) {
    try {
        check_password_policy(account, pw, old);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Invalid);
        EXPECT_EQ(e.code(), "weak_password");
        EXPECT_EQ(e.field(), "new_password");
        return e.message();
    }
    return {};
}
}  // namespace

TEST(Password, PolicyNamesTheRuleBroken) {
    EXPECT_EQ(policy_error("zhangsan", "Good#Pass2026"), "");
    EXPECT_EQ(policy_error("zhangsan", "kiwDEF1234"), "");  // three classes are enough
    EXPECT_NE(policy_error("zhangsan", "Ab1#short").find("至少 10 位"), std::string::npos);
    EXPECT_NE(policy_error("zhangsan", "abcdefghij12").find("至少三类"), std::string::npos);
    EXPECT_NE(policy_error("zhangsan", "ABCDEFGHIJ").find("至少三类"), std::string::npos);
    EXPECT_NE(policy_error("zhangsan", "ZhangSan#2026").find("账号名"), std::string::npos);
    EXPECT_NE(policy_error("zhangsan", "Good#Pass2026", "Good#Pass2026").find("原密码"), std::string::npos);
    EXPECT_NE(policy_error("zhangsan", std::string(129, 'a') + "A1").find("过长"), std::string::npos);
    // Ten characters, not ten bytes: 中文 counts once per character.
    EXPECT_NE(policy_error("zhangsan", "中文密码Aa1").find("至少 10 位"), std::string::npos);
}

// Issue 12 §5: classes are not enough; a common word, pinyin name or keyboard walk with
// digits or symbols around it is refused, whatever its case or leetspeak.
TEST(Password, CommonPasswordsAreRefusedThoughTheyHaveThreeClasses) {
    for (const char* pw : {"Password12", "Aa12345678", "Qwer123456", "P@ssw0rd!2026", "Passw0rd2026",
                           "Zhangwei1988", "WoAiNi520520", "Admin@12345", "1qaz2WSX!@", "Huawei@2026", "Abc123456!"}) {
        EXPECT_TRUE(is_common_password(pw)) << pw;
        EXPECT_NE(policy_error("someone", pw).find("过于常见"), std::string::npos) << pw;
    }
    for (const char* pw : {"Twindraw@2026", "Good#Pass2026", "Jiefangbei#2026", "New#Passw0rd2", "Bw6#joint-Pine"})
        EXPECT_FALSE(is_common_password(pw)) << pw;
}

TEST(Password, RandomTokensAreLongAndDistinct) {
    std::string a = random_token(), b = random_token();
    EXPECT_EQ(a.size(), 43u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    EXPECT_EQ(sha256("abc").size(), 32u);
}
