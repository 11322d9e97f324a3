// The Pistache endpoint: thread pool, deliberate request-size limits, our router,
// static files from web/dist with a single-page-app fallback, and one JSON access
// log line per request. Nothing of Pistache leaks past this file pair.
#pragma once

#include "server/http-router.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace twindraw::server {

struct ServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: any free port
    int threads = 4;
    size_t max_request_bytes = 110u * 1024u * 1024u;  // uploads; JSON bodies are capped at 1 MB
    std::string web_dir = "web/dist";
    bool access_log = true;
};

/// Runs the full request pipeline without a socket: routing, handler, error model.
Response dispatch(const Router& router, const std::string& web_dir, Request& req);

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
