#include "workflows/account-password.hpp"

#include "geo/error.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_set>

namespace twindraw::accounts {

std::string_view common_password_list();  // generated from data/common-passwords.txt (CMakeLists.txt)

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

bool is_edge(unsigned char c) { return !std::isalpha(c); }

// The stripped base of a password: lower case, without digits and symbols at either end.
std::string base_of(const std::string& password) {
    std::string s = lower(password);
    size_t a = 0, b = s.size();
    while (a < b && is_edge(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && is_edge(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}

const std::unordered_set<std::string_view>& common_bases() {
    static const std::unordered_set<std::string_view> set = [] {
        std::unordered_set<std::string_view> out;
        std::string_view text = common_password_list();
        size_t pos = 0;
        while (pos < text.size()) {
            size_t eol = text.find('\n', pos);
            if (eol == std::string_view::npos) eol = text.size();
            std::string_view line = text.substr(pos, eol - pos);
            if (!line.empty() && line.front() != '#') out.insert(line);
            pos = eol + 1;
        }
        return out;
    }();
    return set;
}

}  // namespace

bool is_common_password(const std::string& password) {
    const auto& bases = common_bases();
    const std::string low = lower(password);
    if (bases.count(low)) return true;
    // Leetspeak undone inside the word ('1' read both ways), then the ends stripped.
    for (char one : {'i', 'l'}) {
        std::string plain;
        for (char c : low) {
            switch (c) {
            case '@': case '4': plain += 'a'; break;
            case '0': plain += 'o'; break;
            case '1': case '!': plain += one; break;
            case '3': plain += 'e'; break;
            case '$': case '5': plain += 's'; break;
            case '7': plain += 't'; break;
            default: plain += c;
            }
        }
        // Only the inside of the word is read as leetspeak; its ends are stripped as typed.
        std::string stripped = base_of(low);
        size_t at = low.find(stripped);
        std::string inner = stripped.empty() ? std::string() : plain.substr(at, stripped.size());
        // Keyboard walks keep their digits ("1qaz2wsx"): only symbols stripped.
        size_t a = 0, b = low.size();
        while (a < b && !std::isalnum(static_cast<unsigned char>(low[a]))) ++a;
        while (b > a && !std::isalnum(static_cast<unsigned char>(low[b - 1]))) --b;
        for (const std::string& candidate : {base_of(password), inner, base_of(plain), low.substr(a, b - a)})
            if (!candidate.empty() && bases.count(candidate)) return true;
    }
    return false;
}

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
    if (is_common_password(password))
        throw invalid("weak_password", "密码过于常见（常用单词、拼音姓名或键盘序列加数字），请换一个", field);
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
