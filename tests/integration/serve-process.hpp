// `twindraw serve` as a child process for the tests that drive it with outside clients
// (GDAL's drivers, curl): a free loopback port, the server started on a test database
// and waited for (/healthz), and killed when the test ends, whichever way it ends.
#pragma once

#include <curl/curl.h>
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

/// A loopback port nobody listens on (the kernel's choice).
inline int free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
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

/// `twindraw serve` on database_url at a free port with the extra arguments, its data
/// directory work/data and its output (log lines and access log) in work/serve.log; up()
/// after a wait of at most 10 s for /healthz. stop() or the destructor stops it (SIGTERM)
/// and reaps it.
class ServeProcess {
public:
    ServeProcess(const std::string& database_url, const std::filesystem::path& work,
                 const std::vector<std::string>& extra = {})
        : work_(work) {
        std::filesystem::create_directories(work);
        port_ = free_port();
        base_ = "http://127.0.0.1:" + std::to_string(port_);
        std::vector<std::string> args = {TWINDRAW_BINARY, "--database", database_url, "serve", "--address",
                                         "127.0.0.1", "--port", std::to_string(port_), "--data-dir",
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
        for (int i = 0; i < 100 && !up_; ++i) {
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
    /// http://127.0.0.1:<port>
    const std::string& base() const { return base_; }
    std::string log() const { return read_all(work_ / "serve.log"); }

private:
    std::filesystem::path work_;
    std::string base_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool up_ = false;
};

}  // namespace twindraw::testing
