// Passwords (AUTH-1): Argon2id hashes through libsodium's crypto_pwhash_str, and the
// password policy with its Chinese messages.
#pragma once

#include <string>

namespace twindraw::accounts {

/// The encoded Argon2id hash of password ("$argon2id$v=19$m=...").
/// Throws Error(Internal) when libsodium cannot allocate its memory.
std::string hash_password(const std::string& password);

/// True when password matches the encoded hash; false for a malformed hash too.
bool verify_password(const std::string& encoded_hash, const std::string& password);

/// Spends about the time of one verification, for unknown accounts, so that the
/// answer time does not tell whether an account exists.
void burn_verification_time(const std::string& password);

/// The policy: at least 10 characters (at most 128 bytes), at least three of the four
/// classes (lower case, upper case, digits, other), not a common password
/// (is_common_password), not containing the account name, not equal to the previous
/// password. Throws Error(Invalid, "weak_password", …, "new_password") naming the
/// first rule broken.
void check_password_policy(const std::string& account, const std::string& password,
                           const std::string& old_password = {});

/// Whether password is a common one dressed up: lower-cased, with digits and symbols
/// stripped from both ends and leetspeak undone (@→a, 0→o, 1→i or l, 3→e, $ and 5→s,
/// 7→t), it is in data/common-passwords.txt (compiled in). "Password12", "Aa12345678",
/// "Qwer123456", "P@ssw0rd!2026" and "Zhangwei1988" are.
bool is_common_password(const std::string& password);

/// 32 random bytes as unpadded base64url (43 characters), from the OS CSPRNG.
std::string random_token();

/// SHA-256 of text, raw 32 bytes.
std::string sha256(const std::string& text);

}  // namespace twindraw::accounts
