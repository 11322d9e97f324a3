// The session authenticator dispatch() consults (AUTH-4, AUTH-7): the td_session
// cookie (pages) or an Authorization: Bearer token (the phone app), looked up hashed
// in the session table. Also the cookie headers the auth routes send.
#pragma once

#include "geo/pg.hpp"
#include "server/change-signals.hpp"
#include "server/http-server.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace twindraw::server {

inline constexpr const char* kSessionCookie = "td_session";

/// How long a resolved session is reused without asking PostgreSQL again (never beyond
/// the session's own idle or absolute expiry). Changes that revoke or alter a session
/// invalidate the cache sooner: see change-signals.hpp.
inline constexpr std::chrono::seconds kSessionCacheTtl{5};

/// Session cache: while `signals` is listening (server/change-listener.hpp), a token
/// resolved in PostgreSQL is kept in memory for up to kSessionCacheTtl and for the
/// current ChangeSignals::auth_epoch() only — any change of sessions, users,
/// identities or roles (this process's own writes at once, other processes' by
/// NOTIFY) ends every entry. Unknown tokens are never cached. Without signals, or
/// while not listening, every request asks PostgreSQL.
class SessionAuthenticator : public Authenticator {
public:
    explicit SessionAuthenticator(pg::Pool& pool, std::shared_ptr<ChangeSignals> signals = nullptr)
        : pool_(pool), signals_(std::move(signals)) {}
    std::optional<Principal> authenticate(const Request& req) const override;
    /// The principal of a session token (via_cookie false), from the cache when fresh;
    /// null when the token is not a live session.
    std::shared_ptr<const Principal> resolve(const std::string& token) const;
    /// Only the cache: the principal if the token's entry is fresh, else null (the
    /// caller then goes the ordinary way, which asks PostgreSQL).
    std::shared_ptr<const Principal> cached(const std::string& token) const;
    /// Inserts the refused attempt into access_refusal as the caller (audit-chained).
    void record_refusal(const Request& req, const std::string& code, const std::string& message) const override;
    void note_write() const override {
        if (signals_) signals_->local_write();
    }

private:
    struct Entry {
        std::shared_ptr<const Principal> who;
        std::uint64_t epoch = 0;
        std::chrono::steady_clock::time_point until;
    };
    static constexpr size_t kMaxEntries = 100000;

    pg::Pool& pool_;
    std::shared_ptr<ChangeSignals> signals_;
    mutable std::shared_mutex mutex_;
    mutable std::unordered_map<std::string, Entry> cache_;
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
