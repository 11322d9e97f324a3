// A small SMTP server on loopback for the notification tests: speaks the real protocol
// (greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT)
// to any number of sequential clients and keeps every message it accepted. In refusing
// mode it greets with 554 and closes, as a mail server that will not serve.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace twindraw::testing {

class SmtpSink {
public:
    struct Mail {
        std::string from;
        std::vector<std::string> to;
        std::string data;  // headers and body as received, dot-unstuffed, without the final "."
    };

    explicit SmtpSink(bool refuse = false) : refuse_(refuse) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd_, 8), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~SmtpSink() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    std::vector<Mail> mails() {
        std::lock_guard lock(mutex_);
        return mails_;
    }
    int connections() const { return connections_; }

private:
    static void say(int c, const std::string& line) {
        const std::string s = line + "\r\n";
        (void)::send(c, s.data(), s.size(), MSG_NOSIGNAL);
    }
    // One line (CRLF stripped), or false when the client went away.
    static bool read_line(int c, std::string& buf, std::string& line) {
        for (;;) {
            auto p = buf.find("\r\n");
            if (p != std::string::npos) {
                line = buf.substr(0, p);
                buf.erase(0, p + 2);
                return true;
            }
            pollfd pfd{c, POLLIN, 0};
            if (::poll(&pfd, 1, 5000) <= 0) return false;
            char tmp[4096];
            ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
            if (n <= 0) return false;
            buf.append(tmp, static_cast<size_t>(n));
        }
    }
    static std::string arg(const std::string& line) {
        auto a = line.find('<'), b = line.find('>');
        return a == std::string::npos || b == std::string::npos || b < a ? "" : line.substr(a + 1, b - a - 1);
    }
    void serve() {
        while (!stop_) {
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, 100) <= 0) continue;
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) continue;
            ++connections_;
            if (refuse_) {
                say(c, "554 5.3.2 twindraw test server refuses service");
                ::close(c);
                continue;
            }
            session(c);
            ::close(c);
        }
    }
    void session(int c) {
        say(c, "220 sink.test ESMTP twindraw-test");
        std::string buf, line;
        Mail m;
        while (read_line(c, buf, line)) {
            std::string verb = line.substr(0, 4);
            for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            if (verb == "EHLO") {
                say(c, "250-sink.test");
                say(c, "250 8BITMIME");
            } else if (verb == "HELO") {
                say(c, "250 sink.test");
            } else if (verb == "MAIL") {
                m = Mail{arg(line), {}, {}};
                say(c, "250 2.1.0 OK");
            } else if (verb == "RCPT") {
                m.to.push_back(arg(line));
                say(c, "250 2.1.5 OK");
            } else if (verb == "DATA") {
                if (m.to.empty()) {
                    say(c, "503 5.5.1 no recipients");
                    continue;
                }
                say(c, "354 end with <CRLF>.<CRLF>");
                std::string data;
                bool done = false;
                while (read_line(c, buf, line)) {
                    if (line == ".") {
                        done = true;
                        break;
                    }
                    data += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
                }
                if (!done) return;
                m.data = data;
                {
                    std::lock_guard lock(mutex_);
                    mails_.push_back(m);
                }
                say(c, "250 2.0.0 queued");
            } else if (verb == "RSET") {
                m = Mail{};
                say(c, "250 OK");
            } else if (verb == "NOOP") {
                say(c, "250 OK");
            } else if (verb == "QUIT") {
                say(c, "221 bye");
                return;
            } else {
                say(c, "502 5.5.2 command not implemented");
            }
        }
    }

    bool refuse_;
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::mutex mutex_;
    std::vector<Mail> mails_;
    std::thread thread_;
};

}  // namespace twindraw::testing
