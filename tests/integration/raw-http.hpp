// One HTTP/1.1 exchange over a plain socket with bytes exactly as given (malformed
// headers, lying Content-Length, bodies the server should refuse before reading), for
// the tests and the route fuzzer that must get past what curl would correct.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

namespace twindraw::testing {

struct RawAnswer {
    int status = 0;  // 0: no answer (refused, reset or timed out)
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool timed_out = false;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// Sends request to 127.0.0.1:port and reads one answer (its Content-Length framing;
/// Pistache keeps the connection open). Sending stops early when the server has
/// answered already (a refusal before the body), like a client that reads while it
/// writes. timeout: for the whole exchange.
inline RawAnswer raw_exchange(int port, const std::string& request,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    RawAnswer a;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(s);
        return a;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t sent = 0;
    std::string in;
    size_t head_end = std::string::npos, need = std::string::npos;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            a.timed_out = true;
            break;
        }
        pollfd p{s, static_cast<short>(POLLIN | (sent < request.size() ? POLLOUT : 0)), 0};
        if (poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200))) < 0) break;
        if (p.revents & POLLIN) {
            char buf[65536];
            ssize_t n = recv(s, buf, sizeof buf, 0);
            if (n <= 0) break;
            in.append(buf, static_cast<size_t>(n));
            if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
                size_t pos = in.find("\r\n");
                if (in.rfind("HTTP/1.", 0) == 0 && in.size() > 12) a.status = std::atoi(in.c_str() + 9);
                while (pos < head_end) {
                    size_t eol = in.find("\r\n", pos + 2);
                    std::string line = in.substr(pos + 2, eol - pos - 2);
                    size_t colon = line.find(':');
                    if (colon != std::string::npos) {
                        std::string name = line.substr(0, colon);
                        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                        std::string value = line.substr(colon + 1);
                        value.erase(0, value.find_first_not_of(' '));
                        a.headers[name] = value;
                    }
                    pos = eol;
                }
                need = head_end + 4 + static_cast<size_t>(std::atoll(a.header("content-length").c_str()));
            }
            if (need != std::string::npos && in.size() >= need) break;
            continue;
        }
        if (p.revents & (POLLERR | POLLHUP)) break;
        if ((p.revents & POLLOUT) && sent < request.size()) {
            ssize_t n = send(s, request.data() + sent, std::min<size_t>(request.size() - sent, 65536), MSG_NOSIGNAL);
            // The server stopped reading: stop sending and see what it answered.
            sent = n <= 0 ? request.size() : sent + static_cast<size_t>(n);
        }
    }
    close(s);
    if (head_end != std::string::npos) a.body = in.substr(head_end + 4, need == std::string::npos ? std::string::npos : need - head_end - 4);
    return a;
}

}  // namespace twindraw::testing
