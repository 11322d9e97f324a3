#include "workflows/account-totp.hpp"

#include "geo/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <sodium.h>

#include <memory>
#include <sstream>

namespace twindraw::accounts {

namespace {
const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string uri_escape(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}
}  // namespace

std::string base32_encode(const std::string& bytes) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
    return out;
}

std::string base32_decode(const std::string& text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char ch : text) {
        if (ch == ' ' || ch == '=' || ch == '-') continue;
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= '2' && c <= '7') v = c - '2' + 26;
        else throw bad_request("bad_base32", "密钥不是有效的 Base32 编码");
        buffer = (buffer << 5) | static_cast<unsigned>(v);
        bits += 5;
        if (bits >= 8) {
            out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
            bits -= 8;
        }
    }
    return out;
}

std::string hotp(const std::string& key, std::uint64_t counter, int digits) {
    unsigned char msg[8];
    for (int i = 7; i >= 0; --i) {
        msg[i] = static_cast<unsigned char>(counter & 0xFF);
        counter >>= 8;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, md, &len) || len < 20)
        throw Error(Error::Kind::Internal, "hmac", "HMAC 计算失败");
    int offset = md[len - 1] & 0x0F;
    std::uint32_t bin = (static_cast<std::uint32_t>(md[offset] & 0x7F) << 24) |
                        (static_cast<std::uint32_t>(md[offset + 1]) << 16) |
                        (static_cast<std::uint32_t>(md[offset + 2]) << 8) | md[offset + 3];
    std::uint32_t mod = 1;
    for (int i = 0; i < digits; ++i) mod *= 10;
    std::string s = std::to_string(bin % mod);
    return std::string(static_cast<size_t>(digits) - s.size(), '0') + s;
}

std::string totp(const std::string& key, std::int64_t unix_time, int digits, int step) {
    return hotp(key, static_cast<std::uint64_t>(unix_time / step), digits);
}

std::optional<std::int64_t> totp_match(const std::string& key, const std::string& code, std::int64_t unix_time,
                                       int window, int step) {
    if (code.size() != 6) return std::nullopt;
    const std::int64_t now_step = unix_time / step;
    std::optional<std::int64_t> found;
    for (std::int64_t s = now_step - window; s <= now_step + window; ++s) {
        std::string expect = hotp(key, static_cast<std::uint64_t>(s), 6);
        if (CRYPTO_memcmp(expect.data(), code.data(), 6) == 0 && !found) found = s;
    }
    return found;
}

std::string new_totp_secret() {
    if (sodium_init() < 0) throw Error(Error::Kind::Internal, "sodium_init", "libsodium 初始化失败");
    std::string raw(20, '\0');
    randombytes_buf(raw.data(), raw.size());
    return base32_encode(raw);
}

std::string otpauth_url(const std::string& account, const std::string& secret_base32) {
    return "otpauth://totp/TwinDraw:" + uri_escape(account) + "?secret=" + secret_base32 +
           "&issuer=TwinDraw&algorithm=SHA1&digits=6&period=30";
}

std::string qr_svg(const std::string& text) {
    std::unique_ptr<QRcode, void (*)(QRcode*)> qr(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                  QRcode_free);
    if (!qr) throw Error(Error::Kind::Internal, "qrencode", "二维码生成失败");
    const int n = qr->width, quiet = 4, size = n + 2 * quiet;
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << size << ' ' << size
        << "\" width=\"" << size * 6 << "\" height=\"" << size * 6 << "\" shape-rendering=\"crispEdges\">"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            if (qr->data[y * n + x] & 1) svg << 'M' << x + quiet << ' ' << y + quiet << "h1v1h-1z";
    svg << "\"/></svg>";
    return svg.str();
}

}  // namespace twindraw::accounts
