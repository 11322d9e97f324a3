#include "workflows/account-password.hpp"

#include "geo/error.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>

namespace twindraw::accounts {

namespace {

void ensure_sodium() {
    static const int ok = sodium_init();
    if (ok < 0) throw Error(Error::Kind::Internal, "sodium_init", "libsodium 初始化失败");
}

// INTERACTIVE limits (2 passes, 64 MiB): about 0.1 s per login on the target machine.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::string hash_password(const std::string& password) {
    ensure_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOps, kMem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw Error(Error::Kind::Internal, "pwhash", "密码散列失败（内存不足）");
    return out;
}

bool verify_password(const std::string& encoded_hash, const std::string& password) {
    ensure_sodium();
    if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

void burn_verification_time(const std::string& password) {
    static const std::string dummy = hash_password("TwinDraw-dummy-password-1");
    (void)verify_password(dummy, password);
}

void check_password_policy(const std::string& account, const std::string& password, const std::string& old_password) {
    const char* field = "new_password";
    // Characters, not bytes: a Chinese character counts once.
    size_t chars = 0;
    for (unsigned char c : password)
        if ((c & 0xC0) != 0x80) ++chars;
    if (chars < 10) throw invalid("weak_password", "密码长度至少 10 位", field);
    if (password.size() > 128) throw invalid("weak_password", "密码过长（最多 128 字节）", field);
    bool lo = false, up = false, dig = false, other = false;
    for (unsigned char c : password) {
        if (std::islower(c)) lo = true;
        else if (std::isupper(c)) up = true;
        else if (std::isdigit(c)) dig = true;
        else other = true;
    }
    if (lo + up + dig + other < 3)
        throw invalid("weak_password", "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类", field);
    if (!account.empty() && lower(password).find(lower(account)) != std::string::npos)
        throw invalid("weak_password", "密码不能包含账号名", field);
    if (!old_password.empty() && password == old_password)
        throw invalid("weak_password", "新密码不能与原密码相同", field);
}

std::string random_token() {
    ensure_sodium();
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

std::string sha256(const std::string& text) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
    return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

}  // namespace twindraw::accounts
