// A one-shot HTTP sink on loopback standing in for the SMS gateway: accepts one
// request, keeps it, answers 200. Shared by the login and password-reset tests.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <string>
#include <thread>

namespace twindraw::testing {

class SmsSink {
public:
    SmsSink() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd_, 4), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~SmsSink() {
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sms"; }
    std::string request() {
        if (thread_.joinable()) thread_.join();
        return request_;
    }

private:
    void serve() {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[4096];
        size_t want = 0;
        while (true) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            request_.append(buf, static_cast<size_t>(n));
            auto head_end = request_.find("\r\n\r\n");
            if (head_end == std::string::npos) continue;
            if (want == 0) {
                std::smatch m;
                static const std::regex cl("[Cc]ontent-[Ll]ength: *([0-9]+)");
                std::string head = request_.substr(0, head_end);
                want = head_end + 4 + (std::regex_search(head, m, cl) ? std::stoul(m[1]) : 0);
            }
            if (request_.size() >= want) break;
        }
        const char* ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        ::send(c, ok, std::strlen(ok), 0);
        ::close(c);
    }
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::string request_;
};

}  // namespace twindraw::testing
