// `twindraw serve` as a child process for the tests that drive it with outside clients
// (GDAL's drivers, curl): the server started on a test database with `--port 0` (the
// kernel picks a free port while the server binds it: no race with another test or
// process taking a port between a probe and the bind), its port read from its
// "listening" log line, waited for (/healthz), and killed when the test ends, whichever
// way it ends.
#pragma once

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <thread>
#include <utility>

namespace twindraw::testing {

/// The exit code (-1: none) and output (stdout and stderr) of a shell command.
inline std::pair<int, std::string> run_command(const std::string& cmd) {
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    std::string out;
    std::array<char, 512> buf{};
    while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
    int status = p ? pclose(p) : -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// The HTTP status of a GET of url (0 when there is no answer within 2 s).
inline long http_status(const std::string& url) {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/// The bytes of a file (empty when it cannot be read).
inline std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream b;
    b << in.rdbuf();
    return b.str();
}

/// `twindraw serve` on database_url at port 0 with the extra arguments (`--tile-port 0`
/// for a tile port: tile_port() then tells which), its data directory work/data and its
/// output (log lines and access log) in work/serve.log; up() after a wait of at most
/// 30 s for its "listening" line and then /healthz (false at once when it exits first).
/// stop() or the destructor stops it (SIGTERM) and reaps it.
class ServeProcess {
public:
    ServeProcess(const std::string& database_url, const std::filesystem::path& work,
                 const std::vector<std::string>& extra = {})
        : work_(work) {
        std::filesystem::create_directories(work);
        std::vector<std::string> args = {TWINDRAW_BINARY, "--database", database_url, "serve", "--address",
                                         "127.0.0.1", "--port", "0", "--data-dir",
                                         (work / "data").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_ = fork();
        if (pid_ == 0) {
            const std::string log = (work / "serve.log").string();
            freopen(log.c_str(), "w", stderr);
            dup2(fileno(stderr), fileno(stdout));
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(TWINDRAW_BINARY, argv.data());
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (port_ == 0 && std::chrono::steady_clock::now() < deadline && running()) {
            read_listening_line();
            if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (port_ == 0) return;
        base_ = "http://127.0.0.1:" + std::to_string(port_);
        while (!up_ && std::chrono::steady_clock::now() < deadline && running()) {
            up_ = http_status(base_ + "/healthz") == 200;
            if (!up_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    ~ServeProcess() { stop(); }

    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    /// Stops the server (SIGTERM) and waits for it; its output is then complete.
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    bool up() const { return up_; }
    int port() const { return port_; }
    /// The tile port it bound (`--tile-port 0`), 0 when it opened none.
    int tile_port() const { return tile_port_; }
    /// http://127.0.0.1:<port>
    const std::string& base() const { return base_; }
    std::string log() const { return read_all(work_ / "serve.log"); }

private:
    // Whether the child still runs (reaps it when it has exited).
    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        return true;
    }

    // serve's {"msg":"listening","port":…,"tile_port":…} line (server/main.cpp), once written.
    void read_listening_line() {
        std::istringstream lines(log());
        for (std::string line; std::getline(lines, line);) {
            if (line.find("\"listening\"") == std::string::npos) continue;
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || j.value("msg", "") != "listening" || !j.contains("port")) continue;
            port_ = j["port"].get<int>();
            tile_port_ = j.value("tile_port", 0);
            return;
        }
    }

    std::filesystem::path work_;
    std::string base_;
    int port_ = 0, tile_port_ = 0;
    pid_t pid_ = -1;
    bool up_ = false;
};

}  // namespace twindraw::testing
