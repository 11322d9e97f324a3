// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1), base32
// secrets, the otpauth:// URL authenticator apps read, and its QR code as SVG (AUTH-2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace twindraw::accounts {

/// RFC 4648 base32 without padding (upper case); decoding ignores spaces, '=' and case.
/// decode throws Error(BadRequest, "bad_base32") on other characters.
std::string base32_encode(const std::string& bytes);
std::string base32_decode(const std::string& text);

/// HOTP value of key at counter, with `digits` digits (6..8), zero-padded.
std::string hotp(const std::string& key, std::uint64_t counter, int digits = 6);

/// TOTP value at unix time t: HOTP at floor(t / step).
std::string totp(const std::string& key, std::int64_t unix_time, int digits = 6, int step = 30);

/// The time step whose 6-digit code equals `code` within ±window steps of unix_time,
/// or nullopt. Comparison is in constant time per candidate.
std::optional<std::int64_t> totp_match(const std::string& key, const std::string& code, std::int64_t unix_time,
                                       int window = 1, int step = 30);

/// A new 20-byte secret, base32-encoded (32 characters).
std::string new_totp_secret();

/// otpauth://totp/TwinDraw:<account>?secret=…&issuer=TwinDraw&algorithm=SHA1&digits=6&period=30
std::string otpauth_url(const std::string& account, const std::string& secret_base32);

/// The QR code of text as a standalone SVG document (error correction M).
std::string qr_svg(const std::string& text);

}  // namespace twindraw::accounts
