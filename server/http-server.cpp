#include "server/http-server.hpp"

#include "geo/pg-context.hpp"
#include "server/access-log.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

namespace twindraw::server {

namespace fs = std::filesystem;

namespace {

std::string mime_of(const fs::path& p) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".ico", "image/x-icon"},
        {".woff", "font/woff"}, {".woff2", "font/woff2"}, {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
    auto it = types.find(p.extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

std::optional<Response> static_file(const std::string& web_dir, const std::string& path) {
    if (web_dir.empty()) return std::nullopt;
    std::error_code ec;
    fs::path root = fs::weakly_canonical(fs::path(web_dir), ec);
    if (ec || !fs::is_directory(root)) return std::nullopt;
    for (const auto& seg : split_path(path))
        if (seg == ".." || seg == ".") return std::nullopt;
    fs::path file = fs::weakly_canonical(root / fs::path(path).relative_path(), ec);
    bool is_asset = !ec && fs::is_regular_file(file) &&
                    file.string().compare(0, root.string().size(), root.string()) == 0;
    if (!is_asset) file = root / "index.html";  // client-side route
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream buf;
    buf << in.rdbuf();
    Response r;
    r.body = buf.str();
    r.content_type = mime_of(file);
    // Vite puts content hashes in asset names; index.html must always be fresh.
    bool hashed = is_asset && path.rfind("/assets/", 0) == 0;
    r.headers.emplace_back("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    return r;
}

// Routing, access control and the handler, without the record of refusals.
Response dispatch_checked(const Router& router, const std::string& web_dir, Request& req,
                          const Authenticator* authenticator) {
    try {
        auto m = router.match(req.method, req.path);
        if (m.route) {
            req.params = std::move(m.params);
            const std::string& permission = m.route->permission;
            if (permission != "public") {
                if (!req.principal && authenticator) req.principal = authenticator->authenticate(req);
                if (!req.principal) return error_response(401, "unauthenticated", "请先登录或登录已过期");
                const Principal& who = *req.principal;
                if (who.stage != "ok" && permission != "session")
                    return error_response(403, "password_change_required", "请先修改初始密码");
                const bool safe = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS";
                if (who.via_cookie && !safe) {
                    auto sent = req.header("x-csrf-token");
                    if (!sent || who.csrf_token.empty() || *sent != who.csrf_token)
                        return error_response(403, "csrf", "请求缺少有效的 CSRF 令牌，请刷新页面后重试");
                }
                if (permission != "session" && permission != "authenticated" && !who.has(permission))
                    return error_response(403, "forbidden", "没有执行该操作的权限");
            }
            pg::Actor actor;
            if (req.principal) {
                actor.user_id = req.principal->user_id;
                actor.identity_id = req.principal->identity_id;
                actor.unit_id = req.principal->unit_id;
                actor.data_scope = req.principal->data_scope;
                actor.restricted = true;
            }
            actor.address = req.peer;
            pg::ActorScope scope(std::move(actor));
            return m.route->handler(req);
        }
        if (m.path_known) return error_response(405, "method_not_allowed", "不支持该请求方法");
        bool api = req.path.rfind("/api/", 0) == 0 || req.path == "/api" || req.path.rfind("/ogc", 0) == 0 ||
                   req.path.rfind("/tiles/", 0) == 0 || req.path.rfind("/wmts/", 0) == 0;
        if (!api && (req.method == "GET" || req.method == "HEAD"))
            if (auto r = static_file(web_dir, req.path)) return *r;
        return error_response(404, "not_found", "请求的地址不存在");
    } catch (const std::exception& e) {
        Response r = error_response(e);
        if (r.status >= 500)
            std::cerr << nlohmann::json({{"level", "error"}, {"path", req.path}, {"what", e.what()}}).dump() << std::endl;
        return r;
    }
}

}  // namespace

Response dispatch(const Router& router, const std::string& web_dir, Request& req, const Authenticator* authenticator) {
    Response res = dispatch_checked(router, web_dir, req, authenticator);
    if (authenticator && req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS")
        authenticator->note_write();
    if (res.status == 403 && req.principal && authenticator) {
        try {
            auto body = nlohmann::json::parse(res.body);
            const std::string code = body["error"].value("code", "");
            if (code == "forbidden" || code == "out_of_scope" || code == "role_above_admin")
                authenticator->record_refusal(req, code, body["error"].value("message", ""));
        } catch (const std::exception& e) {
            // The refusal stands; only its record failed.
            std::cerr << nlohmann::json({{"level", "error"}, {"msg", "refusal not recorded"}, {"path", req.path},
                                         {"what", e.what()}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << std::endl;
        }
    }
    return res;
}

namespace {

// Pistache 0.0.5 does not send headers added with addRaw(); a header object with a
// run-time name is serialised like its typed ones.
class NamedHeader : public Pistache::Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
    const char* name() const override { return name_.c_str(); }
    uint64_t hash() const override { return Pistache::Http::Header::detail::hash(name_.c_str()); }
    void write(std::ostream& os) const override { os << value_; }

private:
    std::string name_;
    std::string value_;
};

class PistacheHandler : public Pistache::Http::Handler {
public:
    HTTP_PROTOTYPE(PistacheHandler)

    PistacheHandler(const Router* router, const ServerOptions* options, AccessLog* log)
        : router_(router), options_(options), log_(log) {}

    void onRequest(const Pistache::Http::Request& preq, Pistache::Http::ResponseWriter writer) override {
        const auto started = std::chrono::steady_clock::now();
        Request req;
        req.method = Pistache::Http::methodString(preq.method());
        req.path = url_decode(preq.resource(), false);
        std::string raw_query = preq.query().as_str();
        if (!raw_query.empty() && raw_query[0] == '?') raw_query.erase(0, 1);
        req.query = parse_query(raw_query);
        for (const auto& h : preq.headers().rawList()) {
            std::string name = h.first;
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = h.second.value();
        }
        req.body = preq.body();
        req.peer = preq.address().host();

        Response res = dispatch(*router_, options_->web_dir, req, options_->authenticator);

        for (const auto& [k, v] : res.headers) writer.headers().add(std::make_shared<NamedHeader>(k, v));
        if (!res.content_type.empty())
            writer.headers().add<Pistache::Http::Header::ContentType>(Pistache::Http::Mime::MediaType(res.content_type));
        writer.headers().add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
        auto code = static_cast<Pistache::Http::Code>(res.status);
        const size_t bytes = res.body.size();
        if (req.method == "HEAD")
            writer.send(code);
        else
            writer.send(code, res.body);
        if (log_) {
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            log_->write(req.method, req.path, res.status, ms, bytes, req.peer);
        }
    }

private:
    const Router* router_;
    const ServerOptions* options_;
    AccessLog* log_;
};

}  // namespace

struct HttpServer::Impl {
    const Router& router;
    ServerOptions options;
    std::unique_ptr<Pistache::Http::Endpoint> endpoint;
    std::unique_ptr<AccessLog> log;
};

HttpServer::HttpServer(const Router& router, ServerOptions options)
    : impl_(new Impl{router, std::move(options), nullptr, nullptr}) {
    if (impl_->options.access_log) impl_->log = std::make_unique<AccessLog>();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    Pistache::Address addr(impl_->options.address, Pistache::Port(impl_->options.port));
    impl_->endpoint = std::make_unique<Pistache::Http::Endpoint>(addr);
    auto opts = Pistache::Http::Endpoint::options()
                    .threads(impl_->options.threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    .maxRequestSize(impl_->options.max_request_bytes)
                    .maxResponseSize(512u * 1024u * 1024u)
                    .headerTimeout(std::chrono::seconds(30))
                    .bodyTimeout(std::chrono::seconds(300));
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(std::make_shared<PistacheHandler>(&impl_->router, &impl_->options, impl_->log.get()));
    impl_->endpoint->serveThreaded();
}

std::uint16_t HttpServer::port() const {
    return impl_->endpoint ? static_cast<std::uint16_t>(impl_->endpoint->getPort()) : 0;
}

void HttpServer::stop() {
    if (impl_ && impl_->endpoint) {
        impl_->endpoint->shutdown();
        impl_->endpoint.reset();
    }
    if (impl_ && impl_->log) impl_->log->flush();
}

}  // namespace twindraw::server
