// Login, second factor, sessions and the login log (AUTH-1, AUTH-2, AUTH-4..7).
// The client holds a random token; the database keeps its SHA-256 only. Each login
// attempt is written to login_log in the same transaction as its effect; lockout reads
// the same table, so several server processes agree on it.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::accounts {

struct SessionPolicy {
    std::chrono::seconds idle{30 * 60};           // no request for this long ends a session
    std::chrono::seconds absolute{12 * 60 * 60};  // a session never outlives this
    std::chrono::seconds challenge{5 * 60};       // time to answer a second-factor challenge
};

/// AUTH-7: failed attempts (wrong password, unknown account, wrong second-factor code,
/// wrong old password on a password change) are counted per account and per client
/// address (the real client: see server::client_address for proxies), within `window`
/// and, for an account, since its last success. From `account_failures` failures on,
/// the account waits `backoff` after its latest failure, doubled for each further one,
/// up to `backoff_max`; likewise an address from `address_failures` on. Attempts refused
/// while waiting are logged ("locked") but do not lengthen the wait, so nobody can keep
/// another's account shut; one address does not shut the accounts of other addresses.
struct LockoutPolicy {
    int account_failures = 5;
    int address_failures = 20;
    std::chrono::seconds window{24 * 60 * 60};
    std::chrono::seconds backoff{60};
    std::chrono::seconds backoff_max{60 * 60};
};

struct ClientInfo {
    std::string address;
    std::string user_agent;
};

/// What a signed-in request knows about its caller.
struct SessionInfo {
    long long session_id = 0;
    long long user_id = 0;
    long long identity_id = 0;  // 0: the user holds no identity
    long long unit_id = 0;
    std::string kind;   // "cookie" | "bearer"
    std::string stage;  // "ok" | "password_change"
    std::string csrf_token;
    std::string role_code;
    std::string data_scope;  // "" without identity
    std::vector<std::string> permissions;
    double valid_seconds = 0;  // until the session's absolute or idle expiry, as of this lookup
};

struct LoginResult {
    enum class Status { Ok, SecondFactor, BadCredentials, BadCode, Locked, Disabled, Expired };
    Status status = Status::BadCredentials;
    std::string token;  // the session token (Ok) or the challenge (SecondFactor)
    SessionInfo session;
    std::vector<std::string> methods;  // SecondFactor: "totp", "sms"
    long long retry_after_seconds = 0;  // Locked
};

/// Checks account and password. kind: "cookie" or "bearer". sms_available: whether
/// an SMS gateway is configured (adds "sms" to the methods of users with a phone).
LoginResult login(pg::Pool& pool, const std::string& account, const std::string& password, const std::string& kind,
                  const ClientInfo& client, const SessionPolicy& policy, const LockoutPolicy& lockout,
                  bool sms_available = false);

/// Answers a challenge with a TOTP code, or an SMS code sent for it. Five wrong
/// codes end the challenge. Returns Ok with a new session, BadCode or Expired.
LoginResult complete_second_factor(pg::Pool& pool, const std::string& challenge, const std::string& code,
                                   const ClientInfo& client, const SessionPolicy& policy);

/// The user id and phone behind a live challenge, for sending an SMS code; nullopt if
/// the challenge is unknown, used or expired.
struct ChallengeOwner {
    long long user_id = 0;
    std::string phone;
};
std::optional<ChallengeOwner> challenge_owner(pg::Pool& pool, const std::string& challenge);

/// The live session of a token (stage ok or password_change), refreshing its
/// last_seen_at at most once a minute; nullopt if unknown, expired, revoked or the
/// user is disabled.
std::optional<SessionInfo> resolve_session(pg::Pool& pool, const std::string& token);

void logout(pg::Pool& pool, long long session_id);
/// Revokes every live session of the user; returns how many.
long long logout_all(pg::Pool& pool, long long user_id);

/// Makes identity_id (one of the user's own) the session's current identity.
/// Throws Error(NotFound) when it is not the user's.
void switch_identity(pg::Pool& pool, long long session_id, long long user_id, long long identity_id);

/// {user, identity, identities, permissions, csrf_token} for GET /api/auth/me.
nlohmann::json describe_session(pg::Pool& pool, const SessionInfo& s);

/// Changes the user's password after checking the old one and the policy; the session
/// becomes 'ok' and every other session of the user is revoked. A wrong old password
/// counts as a failed login of the account from client (LockoutPolicy).
/// Throws Error(Invalid, "bad_old_password", …, "old_password"), Error(TooMany, "locked")
/// with detail retry_after_seconds while the account or address waits, or the policy's
/// error.
void change_password(pg::Pool& pool, const SessionInfo& s, const std::string& old_password,
                     const std::string& new_password, const ClientInfo& client, const LockoutPolicy& lockout);

struct TotpEnrollment {
    std::string secret;
    std::string otpauth_url;
    std::string qr_svg;
};
/// Stores a new (not yet enabled) TOTP secret for the user.
TotpEnrollment totp_enroll(pg::Pool& pool, long long user_id);
/// Enables TOTP once the user proves the app shows the right code.
/// Throws Error(Invalid, "bad_code", …, "code") or Conflict "no_enrollment".
void totp_confirm(pg::Pool& pool, long long user_id, const std::string& code);

}  // namespace twindraw::accounts
