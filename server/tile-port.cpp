#include "server/tile-port.hpp"

#include "geo/error.hpp"
#include "server/access-log.hpp"
#include "tiles/tile-service.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace twindraw::server {

namespace {

constexpr size_t kMaxHead = 8192;  // request line and headers
constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxBufferedInput = 64 * 1024;  // pipelined requests waiting for a worker
constexpr size_t kMaxPendingOutput = 1 << 20;    // stop reading requests while this much is unsent
constexpr auto kIdle = std::chrono::seconds(60);
constexpr auto kDrain = std::chrono::seconds(2);

using Clock = std::chrono::steady_clock;

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

// "Date: Tue, 01 Dec 2026 19:00:00 GMT\r\n", recomputed once a second per thread.
const std::string& date_line() {
    thread_local std::time_t at = 0;
    thread_local std::string line;
    const std::time_t now = std::time(nullptr);
    if (now != at) {
        at = now;
        std::tm tm{};
        gmtime_r(&now, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        line = buf;
    }
    return line;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool has_token(std::string_view list, std::string_view token) {  // "keep-alive, Upgrade"
    size_t i = 0;
    while (i <= list.size()) {
        size_t j = list.find(',', i);
        if (j == std::string_view::npos) j = list.size();
        std::string_view t = list.substr(i, j - i);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
        if (iequals(t, token)) return true;
        i = j + 1;
    }
    return false;
}

bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// One parsed request head.
struct Head {
    std::string method;
    std::string target;
    bool http11 = true;
    bool keep_alive = true;
    bool has_body = false;
    bool chunked = false;
    std::map<std::string, std::string> headers;  // lower-case names
};

enum class ParseResult { Ok, Incomplete, Bad, TooLarge };

// Parses the head at the start of `in`; `used` receives its length with the final CRLF.
ParseResult parse_head(std::string_view in, Head& h, size_t& used) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return in.size() > kMaxHead ? ParseResult::TooLarge : ParseResult::Incomplete;
    if (end + 4 > kMaxHead) return ParseResult::TooLarge;
    used = end + 4;
    std::string_view head = in.substr(0, end + 2);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    // METHOD SP target SP HTTP/1.x
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > 16) return ParseResult::Bad;
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return ParseResult::Bad;
    std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                     version = line.substr(sp2 + 1);
    for (char c : method)
        if (!is_tchar(c)) return ParseResult::Bad;
    if (target.front() != '/') return ParseResult::Bad;
    for (char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return ParseResult::Bad;
    if (version == "HTTP/1.1")
        h.http11 = true;
    else if (version == "HTTP/1.0")
        h.http11 = false;
    else
        return ParseResult::Bad;
    h.method = method;
    h.target = target;
    size_t pos = eol + 2;
    size_t count = 0;
    std::string connection;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        std::string_view l = head.substr(pos, e - pos);
        pos = e + 2;
        if (l.empty()) continue;
        if (++count > kMaxHeaders) return ParseResult::TooLarge;
        if (l.front() == ' ' || l.front() == '\t') return ParseResult::Bad;  // obsolete line folding
        size_t colon = l.find(':');
        if (colon == std::string_view::npos || colon == 0) return ParseResult::Bad;
        std::string name(l.substr(0, colon));
        for (char& c : name) {
            if (!is_tchar(c)) return ParseResult::Bad;
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::string_view v = l.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        for (char c : v)
            if (c == '\0' || c == '\r' || c == '\n') return ParseResult::Bad;
        if (name == "content-length") {
            if (v.empty() || v.size() > 18) return ParseResult::Bad;
            for (char c : v)
                if (c < '0' || c > '9') return ParseResult::Bad;
            if (std::stoll(std::string(v)) > 0) h.has_body = true;
        } else if (name == "transfer-encoding") {
            h.chunked = true;
        } else if (name == "connection") {
            connection += std::string(v) + ",";
        }
        auto [it, fresh] = h.headers.emplace(std::move(name), std::string(v));
        if (!fresh) {
            if (it->first == "content-length" || it->first == "host" || it->first == "authorization")
                return ParseResult::Bad;
            it->second += ", " + std::string(v);
        }
    }
    h.keep_alive = h.http11 ? !has_token(connection, "close") : has_token(connection, "keep-alive");
    return ParseResult::Ok;
}

std::string head_of(int status, const std::string& content_type, size_t length, bool keep_alive,
                    const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string out;
    out.reserve(256);
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reason(status);
    out += "\r\n";
    if (!content_type.empty() && status != 204) {
        out += "Content-Type: ";
        out += content_type;
        out += "\r\n";
    }
    for (const auto& [k, v] : extra) {
        out += k;
        out += ": ";
        out += v;
        out += "\r\n";
    }
    out += "X-Content-Type-Options: nosniff\r\n";
    if (status != 204 && status != 304) {
        out += "Content-Length: ";
        out += std::to_string(length);
        out += "\r\n";
    }
    out += date_line();
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

struct Conn {
    int fd = -1;
    std::uint64_t id = 0;
    std::string peer;
    std::string in;
    std::string out;           // unsent bytes
    bool busy = false;         // a worker is answering its current request
    bool close_after = false;  // close once `out` is sent
    bool want_write = false;   // EPOLLOUT registered
    bool draining = false;     // answered and shut down for writing: discard input until the peer closes
    Clock::time_point last = Clock::now();
};

struct Job {
    int loop = 0;
    int fd = 0;
    std::uint64_t id = 0;
    Request req;
    bool head = false;
    bool keep_alive = true;
    Clock::time_point started;
};

struct Done {
    int fd = 0;
    std::uint64_t id = 0;
    std::string bytes;
    bool keep_alive = true;
};

}  // namespace

struct TilePort::Impl {
    const Router& router;
    App& app;
    TilePortOptions options;
    const SessionAuthenticator* sessions = nullptr;
    std::string permission;  // of the tile route
    std::unique_ptr<AccessLog> log;
    std::uint16_t bound_port = 0;
    std::atomic<bool> stopping{false};

    struct Loop {
        int listen_fd = -1, epoll_fd = -1, wake_fd = -1;
        std::thread thread;
        std::mutex done_mutex;
        std::vector<Done> done;
        std::unordered_map<int, Conn> conns;
        std::uint64_t next_id = 1;
    };
    std::vector<std::unique_ptr<Loop>> loops;

    std::mutex job_mutex;
    std::condition_variable job_cv;
    std::deque<Job> jobs;
    std::vector<std::thread> workers;

    Impl(const Router& r, App& a, TilePortOptions o) : router(r), app(a), options(std::move(o)) {}

    int open_listener(std::uint16_t port) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error("tile port: socket failed");
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        if (::inet_pton(AF_INET, options.address.c_str(), &addr.sin_addr) != 1) {
            ::close(fd);
            throw std::runtime_error("tile port: bad IPv4 address " + options.address);
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1024) != 0) {
            const std::string err = std::strerror(errno);
            ::close(fd);
            throw std::runtime_error("tile port: cannot listen on " + options.address + ":" + std::to_string(port) +
                                     ": " + err);
        }
        if (port == 0) {
            socklen_t len = sizeof addr;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
            bound_port = ntohs(addr.sin_port);
        }
        return fd;
    }

    void start() {
        sessions = dynamic_cast<const SessionAuthenticator*>(app.authenticator.get());
        if (!app.tiles || !sessions) throw std::runtime_error("tile port: register_all() first");
        auto m = router.match("GET", "/tiles/base/0/0/0.png");
        if (!m.route) throw std::runtime_error("tile port: no tile route");
        permission = m.route->permission;
        if (options.access_log) log = std::make_unique<AccessLog>();
        bound_port = options.port;
        const int threads = std::max(1, options.threads);
        for (int i = 0; i < threads; ++i) {
            auto loop = std::make_unique<Loop>();
            loop->listen_fd = open_listener(bound_port);
            loop->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
            loop->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = loop->listen_fd;
            ::epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->listen_fd, &ev);
            ev.data.fd = loop->wake_fd;
            ::epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev);
            loops.push_back(std::move(loop));
        }
        for (int i = 0; i < std::max(1, options.workers); ++i) workers.emplace_back([this] { work(); });
        for (int i = 0; i < threads; ++i) loops[size_t(i)]->thread = std::thread([this, i] { run(i); });
    }

    void stop() {
        if (stopping.exchange(true)) return;
        for (auto& l : loops) {
            std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(l->wake_fd, &one, sizeof one);
        }
        for (auto& l : loops)
            if (l->thread.joinable()) l->thread.join();
        job_cv.notify_all();
        for (auto& w : workers) w.join();
        workers.clear();
        for (auto& l : loops) {
            for (auto& [fd, c] : l->conns) ::close(fd);
            l->conns.clear();
            ::close(l->listen_fd);
            ::close(l->epoll_fd);
            ::close(l->wake_fd);
        }
        loops.clear();
        if (log) log->flush();
    }

    // ---- workers: dispatch() for everything that is not a cache hit -------------------
    void work() {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(job_mutex);
                job_cv.wait(lock, [this] { return stopping.load() || !jobs.empty(); });
                if (jobs.empty()) return;
                job = std::move(jobs.front());
                jobs.pop_front();
            }
            Response res = dispatch(router, options.web_dir, job.req, app.authenticator.get());
            Done d;
            d.fd = job.fd;
            d.id = job.id;
            d.keep_alive = job.keep_alive;
            d.bytes = head_of(res.status, res.content_type, res.body.size(), job.keep_alive, res.headers);
            if (!job.head && res.status != 204 && res.status != 304) d.bytes += res.body;
            if (log)
                log_request(job.head ? "HEAD" : job.req.method, job.req.path, res.status, job.started, res.body.size(),
                            job.req.peer);
            Loop& l = *loops[size_t(job.loop)];
            {
                std::lock_guard lock(l.done_mutex);
                l.done.push_back(std::move(d));
            }
            std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(l.wake_fd, &one, sizeof one);
        }
    }

    void log_request(std::string_view method, std::string_view path, int status, Clock::time_point started,
                     size_t bytes, std::string_view peer) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        log->write(method, path, status, ms, bytes, peer, "tile");
    }

    // ---- event loop -------------------------------------------------------------------
    void run(int index) {
        Loop& l = *loops[size_t(index)];
        epoll_event events[256];
        auto last_sweep = Clock::now();
        while (!stopping.load()) {
            int n = ::epoll_wait(l.epoll_fd, events, 256, 1000);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == l.listen_fd) {
                    accept_all(l);
                } else if (fd == l.wake_fd) {
                    std::uint64_t v;
                    [[maybe_unused]] auto r = ::read(l.wake_fd, &v, sizeof v);
                    complete(l, index);
                } else {
                    auto it = l.conns.find(fd);
                    if (it == l.conns.end()) continue;
                    Conn& c = it->second;
                    bool alive = true;
                    if (events[i].events & (EPOLLERR | EPOLLHUP)) alive = false;
                    if (alive && (events[i].events & EPOLLOUT)) {
                        alive = flush(l, c);
                        if (alive && c.out.empty()) alive = process(l, c, index);  // resume after back-pressure
                    }
                    if (alive && (events[i].events & (EPOLLIN | EPOLLRDHUP))) alive = read_some(l, c, index);
                    if (!alive) close_conn(l, fd);
                }
            }
            const auto now = Clock::now();
            if (now - last_sweep > std::chrono::seconds(1)) {
                last_sweep = now;
                std::vector<int> idle;
                for (auto& [fd, c] : l.conns)
                    if (!c.busy && now - c.last > (c.draining ? kDrain : kIdle)) idle.push_back(fd);
                for (int fd : idle) close_conn(l, fd);
            }
        }
    }

    void accept_all(Loop& l) {
        for (;;) {
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            int fd = ::accept4(l.listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                // Out of descriptors: the listener stays readable, so pause instead of spinning.
                if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
                return;  // EAGAIN: all accepted
            }
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            Conn c;
            c.fd = fd;
            c.id = l.next_id++;
            char ip[INET_ADDRSTRLEN] = {0};
            ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
            c.peer = ip;
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.fd = fd;
            if (::epoll_ctl(l.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
                ::close(fd);
                continue;
            }
            l.conns[fd] = std::move(c);
        }
    }

    void close_conn(Loop& l, int fd) {
        ::epoll_ctl(l.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        l.conns.erase(fd);
    }

    void set_write_interest(Loop& l, Conn& c, bool on) {
        if (c.want_write == on) return;
        c.want_write = on;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
        ev.data.fd = c.fd;
        ::epoll_ctl(l.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    }

    // Sends a head and body (not copied unless the socket takes only part of them).
    bool send(Loop& l, Conn& c, const std::string& head, std::string_view body) {
        if (!c.out.empty()) {
            c.out += head;
            c.out.append(body);
            return flush(l, c);
        }
        iovec iov[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(body.data()), body.size()}};
        const size_t total = head.size() + body.size();
        ssize_t n;
        do n = ::writev(c.fd, iov, body.empty() ? 1 : 2);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
        const size_t sent = n < 0 ? 0 : size_t(n);
        if (sent < total) {
            if (sent < head.size()) {
                c.out.append(head, sent);
                c.out.append(body);
            } else {
                c.out.append(body.substr(sent - head.size()));
            }
            set_write_interest(l, c, true);
        }
        return true;
    }

    bool flush(Loop& l, Conn& c) {
        while (!c.out.empty()) {
            ssize_t n = ::write(c.fd, c.out.data(), c.out.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_write_interest(l, c, true);
                return true;
            }
            if (n <= 0) return false;
            c.out.erase(0, size_t(n));
        }
        set_write_interest(l, c, false);
        return after_send(c);
    }

    // Once the last answer of a closing connection is sent: shut down our side and read
    // (and drop) what the client still sends until it closes, so that unread input
    // does not turn the close into a reset that could destroy the answer in flight.
    bool after_send(Conn& c) {
        if (c.close_after && c.out.empty() && !c.draining) {
            ::shutdown(c.fd, SHUT_WR);
            c.draining = true;
            c.in.clear();
            c.last = Clock::now();
        }
        return true;
    }

    bool read_some(Loop& l, Conn& c, int index) {
        char buf[16384];
        for (;;) {
            ssize_t n = ::read(c.fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) return false;  // closed by the peer, or an error
            if (c.draining) continue;
            c.in.append(buf, size_t(n));
            if (c.in.size() > kMaxBufferedInput) {
                // A client that keeps sending while its answers wait (for a worker, or for
                // it to read them) is cut off rather than buffered without bound.
                if (c.busy || c.close_after || c.out.size() >= kMaxPendingOutput) return false;
                break;  // process what is there; a head over 8 KiB is refused below
            }
            if (size_t(n) < sizeof buf) break;
        }
        return process(l, c, index);
    }

    // Answers the complete requests in c.in, in order; stops at one handed to a worker.
    bool process(Loop& l, Conn& c, int index) {
        while (!c.busy && !c.close_after && !c.in.empty() && c.out.size() < kMaxPendingOutput) {
            Head h;
            size_t used = 0;
            const auto started = Clock::now();
            switch (parse_head(c.in, h, used)) {
                case ParseResult::Incomplete:
                    return true;
                case ParseResult::Bad:
                    return refuse(l, c, 400, "bad_request", "请求格式错误", started);
                case ParseResult::TooLarge:
                    return refuse(l, c, 431, "header_too_large", "请求头过大", started);
                case ParseResult::Ok:
                    break;
            }
            c.in.erase(0, used);
            c.last = started;
            if (h.chunked) return refuse(l, c, 501, "transfer_encoding", "瓦片端口不接受分块传输的请求体", started);
            if (h.has_body) return refuse(l, c, 413, "body_not_accepted", "瓦片端口不接受请求体", started);
            if (!handle(l, c, h, index, started)) return false;
        }
        return true;
    }

    bool refuse(Loop& l, Conn& c, int status, const char* code, const char* message, Clock::time_point started) {
        Response r = error_response(status, code, message);
        c.close_after = true;
        c.in.clear();
        if (log) log_request("-", "-", status, started, r.body.size(), c.peer);
        if (!send(l, c, head_of(status, r.content_type, r.body.size(), false, r.headers), r.body)) return false;
        return after_send(c);
    }

    bool answer(Loop& l, Conn& c, const Head& h, const Response& r, const std::string& path,
                Clock::time_point started) {
        const bool head_only = h.method == "HEAD";
        if (!h.keep_alive) c.close_after = true;
        if (log) log_request(h.method, path, r.status, started, r.body.size(), c.peer);
        if (!send(l, c, head_of(r.status, r.content_type, r.body.size(), h.keep_alive, r.headers),
                  head_only ? std::string_view() : std::string_view(r.body)))
            return false;
        return after_send(c);
    }

    bool handle(Loop& l, Conn& c, Head& h, int index, Clock::time_point started) {
        const size_t q = h.target.find('?');
        const std::string raw_path = h.target.substr(0, q);
        const std::string path = url_decode(raw_path, false);
        const bool tiles = path.rfind("/tiles/", 0) == 0;
        if (!tiles && path != "/healthz")
            return answer(l, c, h, error_response(404, "not_found", "瓦片端口只提供 /tiles/ 地图瓦片"), path, started);
        if (h.method != "GET" && h.method != "HEAD") {
            Response r = error_response(405, "method_not_allowed", "不支持该请求方法");
            r.headers.emplace_back("Allow", "GET, HEAD");
            return answer(l, c, h, r, path, started);
        }
        Request req;
        req.method = h.method;
        req.path = path;
        if (q != std::string::npos) req.query = parse_query(h.target.substr(q + 1));
        req.headers = std::move(h.headers);
        req.peer = c.peer;
        if (tiles && raw_path.find('%') == std::string::npos)
            if (auto hit = cache_hit(req)) {
                const bool head_only = h.method == "HEAD";
                if (!h.keep_alive) c.close_after = true;
                std::vector<std::pair<std::string, std::string>> extra = {{"ETag", hit->etag},
                                                                          {"Cache-Control", "private, no-cache"}};
                const auto inm = req.headers.find("if-none-match");
                const int status = inm != req.headers.end() && inm->second == hit->etag ? 304 : 200;
                if (log) log_request(h.method, path, status, started, status == 200 ? hit->png.size() : 0, c.peer);
                if (!send(l, c, head_of(status, "image/png", hit->png.size(), h.keep_alive, extra),
                          status == 200 && !head_only ? std::string_view(hit->png) : std::string_view()))
                    return false;
                return after_send(c);
            }
        // The ordinary pipeline, on a worker.
        c.busy = true;
        Job job;
        job.loop = index;
        job.fd = c.fd;
        job.id = c.id;
        job.req = std::move(req);
        job.head = h.method == "HEAD";
        // HEAD is answered as GET without the body (the main port's routes are GET).
        if (job.head) job.req.method = "GET";
        job.keep_alive = h.keep_alive;
        job.started = started;
        {
            std::lock_guard lock(job_mutex);
            jobs.push_back(std::move(job));
        }
        job_cv.notify_one();
        return true;
    }

    // The tile if this request is a cache hit its caller may see; null otherwise.
    std::shared_ptr<const tiles::CachedTile> cache_hit(const Request& req) {
        auto cred = request_credential(req);
        if (!cred) return nullptr;
        auto who = sessions->cached(cred->token);
        if (!who || who->stage != "ok" ||
            (permission != "session" && permission != "authenticated" && permission != "public" &&
             !who->has(permission)))
            return nullptr;
        if (app.tiles->expiry_pending()) return nullptr;
        // /tiles/{layer}/{z}/{x}/{y}.png
        const auto segs = split_path(req.path);
        if (segs.size() != 5) return nullptr;
        const std::string& last = segs[4];
        if (last.size() <= 4 || last.compare(last.size() - 4, 4, ".png") != 0) return nullptr;
        try {
            const auto& info = tiles::layer_info(segs[1]);
            const auto tile = tiles::parse_tile(segs[2], segs[3], last.substr(0, last.size() - 4));
            const auto filters = tiles::parse_filters(info, req.query);
            return app.tiles->lookup(info.name, tile, filters, tile_scope_key(info.name, who.get(), filters.by == "status"));
        } catch (const std::exception&) {
            return nullptr;  // the ordinary pipeline gives the error
        }
    }

    void complete(Loop& l, int index) {
        std::vector<Done> done;
        {
            std::lock_guard lock(l.done_mutex);
            done.swap(l.done);
        }
        for (auto& d : done) {
            auto it = l.conns.find(d.fd);
            if (it == l.conns.end() || it->second.id != d.id) continue;  // closed meanwhile
            Conn& c = it->second;
            c.busy = false;
            c.last = Clock::now();
            if (!d.keep_alive) c.close_after = true;
            bool alive = send(l, c, d.bytes, {}) && after_send(c);
            if (alive) alive = process(l, c, index);
            if (!alive) close_conn(l, d.fd);
        }
    }
};

TilePort::TilePort(const Router& router, App& app, TilePortOptions options)
    : impl_(std::make_unique<Impl>(router, app, std::move(options))) {}

TilePort::~TilePort() {
    stop();
}

void TilePort::start() {
    impl_->start();
}

std::uint16_t TilePort::port() const {
    return impl_->bound_port;
}

void TilePort::stop() {
    if (impl_) impl_->stop();
}

}  // namespace twindraw::server
