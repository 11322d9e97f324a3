#include "server/http-server.hpp"

#include "geo/pg-context.hpp"
#include "server/access-log.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/http_headers.h>
#include <pistache/peer.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string_view>

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

std::string size_text(size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / 1024 / 1024) + " MB";
    return std::to_string((bytes + 1023) / 1024) + " KB";
}

Response too_large(size_t limit) {
    return error_response(413, "body_too_large", "请求体过大（上限 " + size_text(limit) + "）");
}

// Routing, access control and the handler, without the record of refusals.
Response dispatch_checked(const Router& router, const std::string& web_dir, Request& req,
                          const Authenticator* authenticator, size_t upload_limit) {
    try {
        auto m = router.match(req.method, req.path);
        if (m.route) {
            req.params = std::move(m.params);
            const std::string& permission = m.route->permission;
            // A public route looks at the caller only when the body is over what anyone may
            // send (and still runs without the caller's principal).
            if (permission == "public" && req.body.size() > kAnonymousBodyLimit) {
                bool signed_in = req.principal.has_value();
                if (!signed_in && authenticator) signed_in = authenticator->authenticate(req).has_value();
                if (req.body.size() > body_limit(m.route, signed_in, upload_limit))
                    return too_large(body_limit(m.route, signed_in, upload_limit));
            }
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
                if (req.body.size() > body_limit(m.route, true, upload_limit))
                    return too_large(body_limit(m.route, true, upload_limit));
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
        if (req.body.size() > kAnonymousBodyLimit) return too_large(kAnonymousBodyLimit);
        if (m.path_known) return error_response(405, "method_not_allowed", "不支持该请求方法");
        bool api = req.path.rfind("/api/", 0) == 0 || req.path == "/api" || req.path.rfind("/ogc", 0) == 0 ||
                   req.path.rfind("/tiles/", 0) == 0 || req.path.rfind("/wmts/", 0) == 0;
        if (!api && (req.method == "GET" || req.method == "HEAD"))
            if (auto r = static_file(web_dir, req.path)) return *r;
        return error_response(404, "not_found", "请求的地址不存在");
    } catch (const nlohmann::json::exception& e) {
        // A handler read a member of the body as the wrong type (body.value("reason", "")
        // on {"reason":1}), or one that is missing (at()): the client's fault when it sent
        // a body. JSON_DIAGNOSTICS (CMakeLists.txt) puts the member's path in the message.
        if (!req.body.empty()) {
            const std::string field = json_error_field(e.what());
            const bool type = dynamic_cast<const nlohmann::json::type_error*>(&e) != nullptr;
            std::string message = type ? "字段类型不正确" : "字段缺失或取值不正确";
            if (!field.empty()) message += "：" + field;
            return error_response(400, type ? "bad_type" : "bad_field", message, field);
        }
        std::cerr << nlohmann::json({{"level", "error"}, {"path", req.path}, {"what", e.what()}})
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << std::endl;
        return error_response(500, "internal", "服务器内部错误，请稍后重试");
    } catch (const std::exception& e) {
        Response r = error_response(e);
        if (r.status >= 500)
            std::cerr << nlohmann::json({{"level", "error"}, {"path", req.path}, {"what", e.what()}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << std::endl;
        return r;
    }
}

}  // namespace

Response dispatch(const Router& router, const std::string& web_dir, Request& req, const Authenticator* authenticator,
                  size_t upload_limit) {
    Response res = dispatch_checked(router, web_dir, req, authenticator, upload_limit);
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

// The header carrying the client's Cookie header past Pistache's parser, which throws
// on valid cookies (an empty last value) and answers any exception with a 500 whose body
// is its what() text; see PistacheHandler::check_head.
constexpr const char* kCookieCarrier = "X-Twindraw-Cookie";
// Where the guard keeps its state on a connection (Tcp::Peer data).
constexpr const char* kGuardData = "__twindraw_guard";
// The request line and headers together; more is 431.
constexpr size_t kMaxHeadBytes = 64 * 1024;

std::string lower_ascii(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view v) {
    size_t a = v.find_first_not_of(" \t"), b = v.find_last_not_of(" \t");
    return a == std::string_view::npos ? std::string() : std::string(v.substr(a, b - a + 1));
}

// RFC 6265 cookie-string: name=value pairs separated by ";", a name a token, a value
// without controls, spaces, '"' (unless quoting the whole value), ',', ';' or '\'.
bool valid_cookie_header(std::string_view v) {
    static const std::string separators = "()<>@,;:\\\"/[]?={} \t";
    size_t pos = 0;
    while (pos <= v.size()) {
        size_t semi = v.find(';', pos);
        std::string part = trim(v.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
        if (!part.empty()) {
            size_t eq = part.find('=');
            if (eq == 0 || eq == std::string::npos) return false;
            for (size_t i = 0; i < eq; ++i) {
                unsigned char c = static_cast<unsigned char>(part[i]);
                if (c <= 32 || c >= 127 || separators.find(static_cast<char>(c)) != std::string::npos) return false;
            }
            std::string value = part.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            for (unsigned char c : value)
                if (c <= 32 || c >= 127 || c == '"' || c == ',' || c == ';' || c == '\\') return false;
        }
        if (semi == std::string_view::npos) break;
        pos = semi + 1;
    }
    return true;
}

// The state of the request being received on one connection.
struct HeadGuard {
    std::string head;      // bytes received until the end of the header block
    bool checked = false;  // the head was checked and handed to Pistache's parser
    bool refused = false;  // refused: the rest of what the connection sends is dropped
};

struct Refusal {
    int status = 400;
    std::string code, message, field;
};

// Pistache's Http::Handler with our own input loop in front of its parser (onInput):
// the request line and headers are collected and checked first, so that a request is
// refused before its body is read — Pistache 0.0.5 gives a handler nothing before the
// whole body is in memory. Checked there: the size of the head, Content-Length (digits,
// and not over the route's limit for this caller: body_limit(), where an anonymous
// caller gets the smallest), Transfer-Encoding (refused: no route takes a body of
// unknown length), Cookie (RFC 6265), and each header Pistache parses into a typed
// header. Anything Pistache's parser still throws is a JSON 400, never its what() text.
class PistacheHandler : public Pistache::Http::Handler {
public:
    HTTP_PROTOTYPE(PistacheHandler)

    PistacheHandler(const Router* router, const ServerOptions* options, AccessLog* log)
        : router_(router), options_(options), log_(log) {}

    void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
        auto guard = std::static_pointer_cast<HeadGuard>(peer->tryGetData(kGuardData));
        if (!guard) {
            guard = std::make_shared<HeadGuard>();
            peer->putData(kGuardData, guard);
        }
        if (guard->refused) return;  // the body of a refused request, or what follows it
        if (guard->checked) {
            parse(buffer, len, peer, *guard);
            return;
        }
        const size_t had = guard->head.size();
        guard->head.append(buffer, std::min(len, kMaxHeadBytes + 4 - std::min(had, kMaxHeadBytes + 4)));
        const size_t end = guard->head.find("\r\n\r\n", had >= 3 ? had - 3 : 0);
        if (end == std::string::npos) {
            if (guard->head.size() > kMaxHeadBytes)
                refuse(peer, *guard, {431, "headers_too_large", "请求头过大（上限 64 KB）", ""}, "");
            return;
        }
        // Bytes of this chunk past what the head buffer took (a large first chunk).
        std::string rest = len > guard->head.size() - had ? std::string(buffer + (guard->head.size() - had),
                                                                         len - (guard->head.size() - had))
                                                          : std::string();
        std::string head = guard->head.substr(0, end + 4);
        std::string body_start = guard->head.substr(end + 4) + rest;
        guard->head.clear();
        std::string path;
        if (auto refusal = check_head(head, path)) {
            refuse(peer, *guard, *refusal, path);
            return;
        }
        guard->checked = true;
        head += body_start;
        parse(head.data(), head.size(), peer, *guard);
    }

    void onRequest(const Pistache::Http::Request& preq, Pistache::Http::ResponseWriter writer) override {
        const auto started = std::chrono::steady_clock::now();
        Request req;
        req.method = Pistache::Http::methodString(preq.method());
        req.path = url_decode(preq.resource(), false);
        std::string raw_query = preq.query().as_str();
        if (!raw_query.empty() && raw_query[0] == '?') raw_query.erase(0, 1);
        req.query = parse_query(raw_query);
        for (const auto& h : preq.headers().rawList()) {
            std::string name = lower_ascii(h.first);
            if (name == "cookie") continue;  // never reaches here: check_head renamed it
            if (name == lower_ascii(kCookieCarrier)) {
                std::string& c = req.headers["cookie"];
                c += (c.empty() ? "" : "; ") + h.second.value();
                continue;
            }
            req.headers[name] = h.second.value();
        }
        req.body = preq.body();
        req.peer = client_address(preq.address().host(), req.header("x-forwarded-for"), options_->trusted_proxies);

        Response res = dispatch(*router_, options_->web_dir, req, options_->authenticator, options_->max_request_bytes);

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
    // Pistache's own Http::Handler::onInput (private there), with our answers to its errors.
    void parse(const char* data, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer, HeadGuard& guard) {
        auto parser = getParser(peer);
        auto& request = parser->request;
        bool done = false;
        try {
            if (!parser->feed(data, len)) {
                parser->reset();
                refuse(peer, guard, {413, "body_too_large", "请求体过大", ""}, "");
                return;
            }
            done = parser->parse() == Pistache::Http::Private::State::Done;
        } catch (const std::exception& e) {
            parser->reset();
            std::cerr << nlohmann::json({{"level", "warn"}, {"msg", "unparsable request"}, {"what", e.what()}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << std::endl;
            refuse(peer, guard, {400, "bad_request", "请求格式不正确", ""}, "");
            return;
        }
        if (!done) return;
        Pistache::Http::ResponseWriter response(request.version(), transport(), this, peer);
        request.copyAddress(peer->address());
        auto connection = request.headers().tryGet<Pistache::Http::Header::Connection>();
        response.headers().add<Pistache::Http::Header::Connection>(
            connection ? connection->control() : Pistache::Http::ConnectionControl::Close);
        peer->setIdle(false);
        guard.checked = false;
        try {
            onRequest(request, std::move(response));
        } catch (const std::exception& e) {
            std::cerr << nlohmann::json({{"level", "error"}, {"msg", "request failed"}, {"what", e.what()}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << std::endl;
        }
        parser->reset();
    }

    // Answers a refusal and drops the rest of what the connection sends (the client is
    // told to close it): the refused body is never read into memory.
    void refuse(const std::shared_ptr<Pistache::Tcp::Peer>& peer, HeadGuard& guard, const Refusal& r,
                const std::string& path) {
        guard.refused = true;
        guard.head.clear();
        guard.head.shrink_to_fit();
        getParser(peer)->reset();
        Response res = error_response(r.status, r.code, r.message, r.field);
        Pistache::Http::ResponseWriter writer(Pistache::Http::Version::Http11, transport(), this, peer);
        writer.headers().add<Pistache::Http::Header::Connection>(Pistache::Http::ConnectionControl::Close);
        writer.headers().add<Pistache::Http::Header::ContentType>(Pistache::Http::Mime::MediaType(res.content_type));
        writer.headers().add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
        writer.send(static_cast<Pistache::Http::Code>(r.status), res.body);
        if (log_) log_->write("-", path, r.status, 0, res.body.size(), peer->address().host());
    }

    // The checks on the request line and headers (head ends with the empty line). Renames
    // Cookie to kCookieCarrier in head. path: the request's path, for the log.
    std::optional<Refusal> check_head(std::string& head, std::string& path) const {
        std::string out;
        out.reserve(head.size() + 16);
        size_t pos = 0;
        std::string method, credentials_cookie, authorization;
        std::optional<unsigned long long> content_length;
        bool first = true;
        while (pos < head.size()) {
            size_t eol = head.find("\r\n", pos);
            if (eol == std::string::npos) eol = head.size();
            std::string_view line(head.data() + pos, eol - pos);
            pos = eol + 2;
            if (first) {
                first = false;
                size_t sp = line.find(' ');
                method = std::string(line.substr(0, sp));
                if (sp != std::string_view::npos) {
                    size_t sp2 = line.find(' ', sp + 1);
                    std::string target(line.substr(sp + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp - 1));
                    path = url_decode(target.substr(0, target.find('?')), false);
                }
                out.append(line).append("\r\n");
                continue;
            }
            if (line.empty()) break;
            size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0)
                return Refusal{400, "bad_header", "请求头格式不正确", ""};
            std::string name(line.substr(0, colon));
            const std::string lname = lower_ascii(name);
            std::string value = trim(line.substr(colon + 1));
            if (lname == "content-length") {
                if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
                    return Refusal{400, "bad_content_length", "Content-Length 请求头格式不正确", "Content-Length"};
                unsigned long long n = std::stoull(value);
                if (content_length && *content_length != n)
                    return Refusal{400, "bad_content_length", "Content-Length 请求头重复且不一致", "Content-Length"};
                content_length = n;
            } else if (lname == "transfer-encoding") {
                return Refusal{411, "length_required", "请求须带 Content-Length（不接受分块传输）", "Transfer-Encoding"};
            } else if (lname == "cookie") {
                if (!valid_cookie_header(value)) return Refusal{400, "bad_cookie", "Cookie 请求头格式不正确", "Cookie"};
                credentials_cookie += (credentials_cookie.empty() ? "" : "; ") + value;
                out.append(kCookieCarrier).append(": ").append(value).append("\r\n");
                continue;
            } else if (lname == lower_ascii(kCookieCarrier)) {
                continue;  // only ours: a client's own is dropped
            } else if (Pistache::Http::Header::Registry::instance().isRegistered(name)) {
                try {
                    auto typed = Pistache::Http::Header::Registry::instance().makeHeader(name);
                    typed->parseRaw(value.data(), value.size());
                } catch (const std::exception&) {
                    std::string field = name.substr(0, 60);
                    return Refusal{400, "bad_header", "请求头格式不正确：" + field, field};
                }
            }
            if (lname == "authorization") authorization = value;
            out.append(line).append("\r\n");
        }
        out.append("\r\n");
        head = std::move(out);
        if (content_length) {
            auto m = router_->match(method, path);
            bool signed_in = false;
            const bool has_credentials = !authorization.empty() || !credentials_cookie.empty();
            if (*content_length > kAnonymousBodyLimit && has_credentials && options_->authenticator) {
                Request who;
                who.method = method;
                who.path = path;
                if (!credentials_cookie.empty()) who.headers["cookie"] = credentials_cookie;
                if (!authorization.empty()) who.headers["authorization"] = authorization;
                try {
                    signed_in = options_->authenticator->authenticate(who).has_value();
                } catch (const std::exception&) {
                    signed_in = false;  // the database decides later, within the smallest limit
                }
            }
            const size_t limit = body_limit(m.route, signed_in, options_->max_request_bytes);
            if (*content_length > limit)
                return Refusal{413, "body_too_large", "请求体过大（上限 " + size_text(limit) + "）", ""};
        }
        return std::nullopt;
    }

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
