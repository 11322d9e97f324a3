// A draw is one transaction (DRAW-7): `twindraw serve` killed with SIGKILL in the middle
// of a draw over a large population leaves no draw, no drawn object, no drawn inspector;
// the restarted server draws again and the record verifies.
#include "draw-fixture.hpp"

#include "workflows/draw-core.hpp"

#include <curl/curl.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <thread>

extern char** environ;

using namespace twindraw;
using nlohmann::json;
using twindraw::testing::TempDatabase;

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

long http(const std::string& method, const std::string& url, std::string* body, const std::string& post = {},
          const std::string& bearer = {}, long timeout = 120) {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!bearer.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + bearer).c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    if (method == "POST") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post.size()));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return status;
}

// `twindraw serve --port 0` on the test database; the port is read from its log line.
class Server {
public:
    explicit Server(const std::string& database) {
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        std::vector<std::string> args = {TWINDRAW_BINARY, "--database", database,    "serve",
                                         "--port",        "0",          "--threads", "2",
                                         "--pool-size",   "4",          "--web-dir", "/nonexistent"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, TWINDRAW_BINARY, &fa, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("spawn");
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        // Read lines until "listening" (the server prints it once ready).
        std::string buf;
        char c;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline && read(fds[0], &c, 1) == 1) {
            if (c != '\n') {
                buf += c;
                continue;
            }
            auto line = json::parse(buf, nullptr, false);
            buf.clear();
            if (line.is_object() && line.value("msg", "") == "listening") {
                port_ = line["port"].get<int>();
                break;
            }
        }
        // Keep draining stderr so the server never blocks on a full pipe.
        drain_ = std::thread([fd = fds[0]] {
            char b[4096];
            while (read(fd, b, sizeof b) > 0) {
            }
            close(fd);
        });
        if (!port_) throw std::runtime_error("server did not start");
    }
    ~Server() {
        kill9();
        if (drain_.joinable()) drain_.join();
    }
    void kill9() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            waitpid(pid_, &st, 0);
            pid_ = -1;
        }
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::thread drain_;
};

std::string login(const Server& s) {
    std::string body;
    long st = http("POST", s.url("/api/auth/login"), &body,
                   R"({"account":"drawer","password":"Login@2026pw","client":"mobile"})");
    EXPECT_EQ(st, 200) << body;
    return json::parse(body)["token"].get<std::string>();
}

}  // namespace

TEST(DrawKill, KillNineDuringADrawLeavesNoPartialRows) {
    TempDatabase db;
    constexpr long long kPopulation = 400000;
    twindraw::testing::load_draw_city(db.url(), kPopulation);
    // A draw over the whole population: 16 strata × 25,000 candidates, 1 % each.
    std::string strata;
    for (int r = 1; r <= 4; ++r)
        for (char c : std::string("ABCD"))
            strata += std::string(strata.empty() ? "" : ",") + "{\"risk\":" + std::to_string(r) + ",\"credit\":\"" + c +
                      "\",\"ratio\":1}";
    const std::string body = R"({"title":"大总体","item_id":2,"strata":[)" + strata +
                             R"(],"groups":3,"per_group":2,"inspectors":{"unit_ids":[900]}})";

    // Hold the draw at its last statement: a test transaction locks the attempt log, so
    // the server's commitment has written its draw row and its public log entry and
    // waits before committing. Then the server dies.
    pqxx::connection holder(db.url());
    pqxx::work hold(holder);
    hold.exec("LOCK TABLE draw_attempt IN EXCLUSIVE MODE");
    {
        Server server(db.url());
        const std::string token = login(server);
        std::thread client([&] {
            std::string ignored;
            http("POST", server.url("/api/draws"), &ignored, body, token, 300);
        });
        // Wait until the draw's transaction is blocked on the lock after its inserts.
        pqxx::connection watch(db.url());
        bool waiting = false;
        for (int i = 0; i < 3000 && !waiting; ++i) {
            pqxx::nontransaction q(watch);
            waiting = q.exec(
                           "SELECT 1 FROM pg_stat_activity WHERE application_name = 'twindraw:draw'"
                           " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO draw_attempt%'")
                          .size() == 1;
            if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ASSERT_TRUE(waiting) << "the draw never reached its last statement";
        server.kill9();
        client.join();
        // The backend, blocked on the lock, notices the dead client only when it runs
        // again: release the lock, then it finds its connection gone and rolls back.
        hold.commit();
        for (int i = 0; i < 300; ++i) {
            pqxx::nontransaction q(watch);
            if (q.exec("SELECT 1 FROM pg_stat_activity WHERE application_name = 'twindraw:draw'").empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    auto count = [&](const std::string& table) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1("SELECT count(*) FROM " + table)[0].as<long long>();
    };
    EXPECT_EQ(count("draw"), 0);
    EXPECT_EQ(count("draw_object"), 0);
    EXPECT_EQ(count("draw_inspector"), 0);
    EXPECT_EQ(count("audit_log WHERE entity = 'draw'"), 0);
    EXPECT_EQ(count("draw_log"), 0) << "no commitment published for a draw that did not happen";

    // Restarted, the server commits to the same population completely (format 2: the
    // result comes with the witness, tested in DrawApi).
    Server again(db.url());
    const std::string token = login(again);
    std::string out;
    ASSERT_EQ(http("POST", again.url("/api/draws"), &out, body, token, 300), 201) << out;
    const long long id = json::parse(out)["id"].get<long long>();
    EXPECT_EQ(json::parse(out)["drawn_total"], 16 * 250);
    EXPECT_EQ(count("draw"), 1);
    EXPECT_EQ(count("draw_object"), 0) << "an unconfirmed attempt holds nothing";
    EXPECT_EQ(count("draw_log"), 1);
    std::string rec;
    ASSERT_EQ(http("GET", again.url("/api/public/draws/" + std::to_string(id)), &rec), 200);
    auto pub = json::parse(rec);
    EXPECT_EQ(pub["record"]["commitment_only"], true) << rec.substr(0, 500);
    long long population = 0;
    for (const auto& s : pub["record"]["strata"]) population += s["population"].get<long long>();
    EXPECT_EQ(population, kPopulation);
}
