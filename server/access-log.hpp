// The JSON access log of `twindraw serve`: one line per request on standard output
// ({"ts","method","path","status","ms","bytes","peer"[,"port"]}). Lines are formatted
// without a JSON tree and collected in a buffer that is written out when it holds 64 KiB,
// at least every 100 ms by a background thread, and when the log is destroyed — not
// one flushed write per request under a global lock, which profiling showed as a cost
// of every request.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace twindraw::server {

class AccessLog {
public:
    explicit AccessLog(int fd = 1);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    void write(std::string_view method, std::string_view path, int status, double ms, size_t bytes,
               std::string_view peer, const char* listener = nullptr);
    void flush();

private:
    void write_out(std::string& chunk);

    int fd_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    bool stopping_ = false;
    std::thread flusher_;
};

/// Appends s as the body of a JSON string (quotes, backslashes and control characters
/// escaped; invalid UTF-8 bytes replaced by U+FFFD).
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace twindraw::server
