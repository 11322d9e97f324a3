// The tile port (`twindraw serve --tile-port N`, issue 5 benchmark): a small epoll
// HTTP/1.1 listener beside the Pistache server that answers cached map tiles from
// memory and hands everything else it accepts to the ordinary pipeline.
//
// Why: profiling `twindraw serve` under wrk showed Pistache 0.0.5 itself as the ceiling
// (an answer to /healthz, with no session, database or file, reached 0.08 of nginx on
// the cached tiles): its per-request allocations, queues and thread hand-offs. The
// tile port keeps the hit path to parsing, two hash lookups, one stat() and one
// writev() per request.
//
// What it serves: GET and HEAD of /tiles/{layer}/{z}/{x}/{y}.png, and /healthz. A
// request is answered on the event loop only when it is a cache hit the caller may
// see: the session is in the session cache (server/auth-gate.hpp) with stage "ok" and
// the tile route's permission, the expiry check has nothing pending, and the tile is
// in the disk cache under the caller's data-scope key — then 200 (or 304 for a
// matching If-None-Match) with the same ETag, Cache-Control and Content-Type as the
// main port. Every other request on those paths (no or unknown session, missing
// permission, bad tile or filter, a tile still to render, pending expiry) goes through
// dispatch() on a worker thread, exactly as on the main port, so its answer (401, 403,
// 400/404 JSON errors, a fresh render) is the same. Other paths: 404 JSON; methods
// other than GET/HEAD: 405 JSON; request bodies are refused (413), as are
// Transfer-Encoding (501), malformed requests (400) and request heads over 8 KiB (431),
// each as the JSON error and followed by closing the connection. HTTP/1.1 keep-alive
// (HTTP/1.0 with "Connection: keep-alive") and pipelining; idle connections close
// after 60 s.
#pragma once

#include "server/app.hpp"
#include "server/auth-gate.hpp"
#include "server/http-router.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace twindraw::server {

/// The part of the tile cache key that stands for what the viewer may see (see
/// server/api-tiles.cpp). by_status: the objects layer coloured by inspection status
/// (filter by=status), whose jobs a viewer sees also as one of their inspectors.
std::string tile_scope_key(const std::string& layer, const Principal* who, bool by_status = false);

struct TilePortOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port
    int threads = 2;         // event loops (one SO_REUSEPORT listener each)
    int workers = 2;         // threads running dispatch() for what is not a cache hit
    std::string web_dir;
    bool access_log = true;  // JSON lines on standard output, as the main port
};

class TilePort {
public:
    /// app.tiles and a SessionAuthenticator in app.authenticator must be set
    /// (register_all).
    TilePort(const Router& router, App& app, TilePortOptions options);
    ~TilePort();
    void start();
    std::uint16_t port() const;
    void stop();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace twindraw::server
