#include "server/access-log.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

namespace twindraw::server {

namespace {
constexpr size_t kFlushBytes = 64 * 1024;

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_length(std::string_view s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}
}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            out += esc;
        } else if (c < 0x80) {
            out += char(c);
        } else if (size_t n = utf8_length(s, i); n > 0) {
            out.append(s.substr(i, n));
            i += n - 1;
        } else {
            out += "\xEF\xBF\xBD";
        }
    }
}

AccessLog::AccessLog(int fd) : fd_(fd) {
    buffer_.reserve(kFlushBytes * 2);
    flusher_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, std::chrono::milliseconds(100));
            if (buffer_.empty()) continue;
            std::string chunk;
            chunk.swap(buffer_);
            lock.unlock();
            write_out(chunk);
            lock.lock();
        }
    });
}

AccessLog::~AccessLog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    flusher_.join();
    flush();
}

void AccessLog::write(std::string_view method, std::string_view path, int status, double ms, size_t bytes,
                      std::string_view peer, const char* listener) {
    thread_local std::string line;
    line.clear();
    const long long ts =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    char num[64];
    line += "{\"ts\":";
    line += std::to_string(ts);
    line += ",\"method\":\"";
    append_json_escaped(line, method);
    line += "\",\"path\":\"";
    append_json_escaped(line, path);
    line += "\",\"status\":";
    line += std::to_string(status);
    std::snprintf(num, sizeof num, ",\"ms\":%.3f,\"bytes\":%zu,\"peer\":\"", ms, bytes);
    line += num;
    append_json_escaped(line, peer);
    line += '"';
    if (listener) {
        line += ",\"port\":\"";
        line += listener;
        line += '"';
    }
    line += "}\n";
    std::string chunk;
    {
        std::lock_guard lock(mutex_);
        buffer_ += line;
        if (buffer_.size() < kFlushBytes) return;
        chunk.reserve(kFlushBytes * 2);
        chunk.swap(buffer_);
    }
    write_out(chunk);
}

void AccessLog::flush() {
    std::string chunk;
    {
        std::lock_guard lock(mutex_);
        chunk.swap(buffer_);
    }
    write_out(chunk);
}

void AccessLog::write_out(std::string& chunk) {
    // Chunks are whole lines; two chunks written concurrently may interleave only as
    // whole chunks (one write each unless the descriptor takes it in parts).
    size_t done = 0;
    while (done < chunk.size()) {
        ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // nowhere to log: drop the lines rather than block requests
        done += size_t(n);
    }
    chunk.clear();
}

}  // namespace twindraw::server
