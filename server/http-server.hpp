// The Pistache endpoint: thread pool, deliberate request-size limits, our router,
// static files from web/dist with a single-page-app fallback, and one JSON access
// log line per request. Nothing of Pistache leaks past this file pair.
#pragma once

#include "server/http-router.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::server {

/// Finds the caller of a request from its credentials (session cookie or bearer
/// token); nullopt when there are none or they are not valid any more.
class Authenticator {
public:
    virtual ~Authenticator() = default;
    virtual std::optional<Principal> authenticate(const Request& req) const = 0;
    /// Called after a signed-in request was refused with 403 for lacking a permission
    /// or acting outside its scope or tier (codes forbidden, out_of_scope,
    /// role_above_admin), to keep a record of the attempt (SYS-8).
    virtual void record_refusal(const Request&, const std::string& /*code*/, const std::string& /*message*/) const {}
    /// Called by dispatch() after every request with a method other than GET, HEAD and
    /// OPTIONS, before its response is sent: whatever it committed must be seen by the
    /// next request (cached sessions and tiles; see server/change-signals.hpp).
    virtual void note_write() const {}
};

/// The endpoint's largest request (uploads); each route has its own, smaller limit
/// (body_limit() in http-router.hpp).
inline constexpr size_t kDefaultUploadLimit = 110u * 1024u * 1024u;

struct ServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: any free port
    int threads = 4;
    size_t max_request_bytes = kDefaultUploadLimit;  // uploads; see body_limit() for the per-route limits
    std::string web_dir = "web/dist";
    bool access_log = true;
    const Authenticator* authenticator = nullptr;  // see dispatch()
    /// Addresses of reverse proxies (nginx) whose X-Forwarded-For is believed
    /// (TWINDRAW_TRUSTED_PROXIES): a request from one of them counts as coming from the
    /// client it names (client_address()); from anyone else the header is ignored.
    std::vector<std::string> trusted_proxies;
};

/// Runs the full request pipeline without a socket: routing, access control, handler,
/// error model. Access control: a route whose permission is "public" is open; any
/// other needs req.principal, which the authenticator fills from the request's
/// credentials (without an authenticator only a principal set by the caller counts):
/// none → 401 "unauthenticated"; a session that must first change its password may
/// only use "session" routes → 403 "password_change_required"; a cookie session's
/// non-GET request without the matching X-CSRF-Token → 403 "csrf"; a permission the
/// principal lacks ("authenticated" and "session" need none) → 403 "forbidden". The
/// handler runs inside a restricted pg::ActorScope of the principal (its data scope,
/// row-level security as twindraw_app) and the peer address; without a principal
/// (public routes) the actor carries the address only. Refusals (403 forbidden,
/// out_of_scope, role_above_admin) of a signed-in caller go to
/// Authenticator::record_refusal. A body over the route's limit (body_limit(): the
/// smallest for a caller without a valid session) is 413 "body_too_large"; a JSON
/// value of the wrong type or shape read by a handler is 400 naming the field.
Response dispatch(const Router& router, const std::string& web_dir, Request& req,
                  const Authenticator* authenticator = nullptr, size_t upload_limit = kDefaultUploadLimit);

class HttpServer {
public:
    HttpServer(const Router& router, ServerOptions options);
    ~HttpServer();
    /// Binds and serves in background threads; returns once listening.
    void start();
    /// The port actually bound (useful with port 0).
    std::uint16_t port() const;
    /// Stops accepting, finishes in-flight requests and joins the threads.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace twindraw::server
