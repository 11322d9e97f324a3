// The session authenticator dispatch() consults (AUTH-4, AUTH-7): the td_session
// cookie (pages) or an Authorization: Bearer token (the phone app), looked up hashed
// in the session table. Also the cookie headers the auth routes send.
#pragma once

#include "geo/pg.hpp"
#include "server/http-server.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace twindraw::server {

inline constexpr const char* kSessionCookie = "td_session";

class SessionAuthenticator : public Authenticator {
public:
    explicit SessionAuthenticator(pg::Pool& pool) : pool_(pool) {}
    std::optional<Principal> authenticate(const Request& req) const override;
    /// Inserts the refused attempt into access_refusal as the caller (audit-chained).
    void record_refusal(const Request& req, const std::string& code, const std::string& message) const override;

private:
    pg::Pool& pool_;
};

/// The session token a request carries and whether it came in the cookie.
struct Credential {
    std::string token;
    bool via_cookie = false;
};
std::optional<Credential> request_credential(const Request& req);

/// "td_session=<token>; HttpOnly; SameSite=Strict; Path=/[; Secure]" (a session cookie:
/// the browser drops it on exit; the server enforces idle and absolute expiry).
std::string session_cookie(const std::string& token, bool secure);
/// A Set-Cookie value that deletes the session cookie.
std::string cleared_session_cookie(bool secure);

}  // namespace twindraw::server
