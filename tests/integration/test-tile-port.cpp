// The cached-tile path of `twindraw serve` (issue 5 benchmark; GIS-2, AUTH-4): the tile
// port (server/tile-port.hpp) against a real server process and PostGIS — ETag/304,
// HEAD, keep-alive and pipelining, the JSON errors of malformed requests; the session
// cache (server/auth-gate.hpp) ending a session at once when it is revoked through this
// server and within a second when another process (SQL) revokes it; tile expiry seen at
// once after a change through the API and within a second after a change by SQL
// (LISTEN/NOTIFY, migration 0028).
#include "common-pg.hpp"
#include "serve-process.hpp"
#include "tile-test-api.hpp"

#include "tiles/tile-grid.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sessions.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

using namespace twindraw;
using twindraw::testing::ServeProcess;
using twindraw::testing::TempDatabase;
using twindraw::testing::tile_at;
namespace fs = std::filesystem;

namespace {

const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.49 29.535, 106.60 29.54, 106.595 29.575, 106.50 29.567, 106.49 29.535)))', 4326));
INSERT INTO authority(id, name, kind, division_code) VALUES (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103');
INSERT INTO market_subject(uscc, name, division_code, risk_level, geom)
SELECT '915001030000000' || lpad(i::text, 3, '0'), '测试主体' || i, '500103', 1 + (i % 4),
       ST_SetSRID(ST_MakePoint(106.55 + 0.004 * (i % 5), 29.55 + 0.003 * (i / 5)), 4326)
  FROM generate_series(0, 11) i;
INSERT INTO market_subject(uscc, name, division_code, risk_level, geom)
VALUES ('915001060000000999', '远处主体', '500103', 4, ST_SetSRID(ST_MakePoint(106.40, 29.60), 4326));
)SQL";

std::string tile_url(const tiles::TileId& t) {
    return "/tiles/objects/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".png";
}

struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// Parses responses one after another from raw bytes (Content-Length framing; no body
// for HEAD answers and 304). Returns how many it found.
std::vector<Answer> parse_answers(std::string raw, bool head = false) {
    std::vector<Answer> out;
    while (!raw.empty()) {
        size_t end = raw.find("\r\n\r\n");
        if (end == std::string::npos) break;
        Answer a;
        std::istringstream lines(raw.substr(0, end));
        std::string line;
        std::getline(lines, line);
        if (line.rfind("HTTP/1.1 ", 0) != 0) break;
        a.status = std::stoi(line.substr(9, 3));
        while (std::getline(lines, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            size_t colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = char(std::tolower((unsigned char)c));
            a.headers[name] = line.substr(colon + 2);
        }
        size_t length = a.headers.count("content-length") ? std::stoul(a.headers["content-length"]) : 0;
        if (head || a.status == 304) length = 0;
        if (raw.size() < end + 4 + length) break;
        a.body = raw.substr(end + 4, length);
        raw.erase(0, end + 4 + length);
        out.push_back(std::move(a));
    }
    return out;
}

// Whether raw holds one whole answer (its headers and Content-Length bytes of body; none
// for a HEAD).
bool one_answer(const std::string& raw, bool head) {
    const size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string headers = raw.substr(0, end);
    for (auto& c : headers) c = char(std::tolower((unsigned char)c));
    const size_t at = headers.find("\r\ncontent-length:");
    const size_t length = head || at == std::string::npos ? 0 : std::stoul(headers.substr(at + 17));
    return raw.size() >= end + 4 + length;
}

// Sends raw bytes to 127.0.0.1:port and reads until the server closes (or 5 s pass), or
// with `single` until one whole answer is in (the main port keeps connections open).
std::string talk(int port, const std::string& bytes, bool single = false, bool head = false) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(s);
        return {};
    }
    timeval tv{5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = send(s, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += size_t(n);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, size_t(n));
        if (single && one_answer(out, head)) break;
    }
    close(s);
    return out;
}

Answer get(int port, const std::string& path, const std::string& token, const std::string& extra = {},
           const std::string& method = "GET") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    req += extra + "Connection: close\r\n\r\n";
    auto all = parse_answers(talk(port, req, true, method == "HEAD"), method == "HEAD");
    return all.empty() ? Answer{} : all.front();
}

// A JSON request to the main (Pistache) port through libcurl.
int main_port_call(int port, const std::string& method, const std::string& path, const std::string& token,
                   const std::string& body = {}) {
    CURL* c = curl_easy_init();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_slist* h = nullptr;
    h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (!body.empty() || method == "POST") curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return int(code);
}

class TilePort : public ::testing::Test {
protected:
    void SetUp() override {
        {
            pqxx::connection c(db.url());
            pqxx::work tx(c);
            tx.exec(kFixture);
            tx.exec_params(
                "INSERT INTO app_user(id, account, name, password_hash, must_change_password)"
                " VALUES (77, 'gis', 'GIS', $1, false)",
                accounts::hash_password("Twindraw@2026"));
            tx.exec(
                "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                " SELECT 77, 900, id, true FROM role WHERE code = 'system_admin'");
            tx.commit();
        }
        // Both ports 0: the kernel picks them as serve binds them, serve logs them.
        serve = std::make_unique<ServeProcess>(db.url(), work, std::vector<std::string>{"--tile-port", "0", "--web-dir", ""});
        ASSERT_TRUE(serve->up()) << serve->log();
        port = serve->port();
        tile_port = serve->tile_port();
        ASSERT_GT(tile_port, 0) << serve->log();
        bool up = false;
        for (int i = 0; i < 100 && !up; ++i) {
            up = get(tile_port, "/healthz", "").status == 200;
            if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ASSERT_TRUE(up) << serve->log();
    }

    void TearDown() override {
        serve.reset();
        std::error_code ec;
        fs::remove_all(work, ec);
    }

    std::string login() {
        auto r = accounts::login(db.pool(), "gis", "Twindraw@2026", "bearer", {"127.0.0.1", "gtest"}, {}, {});
        EXPECT_EQ(r.status, accounts::LoginResult::Status::Ok);
        return r.token;
    }

    void sql(const std::string& statement) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(statement);
        tx.commit();
    }

    // Milliseconds until `done()` holds, polling every 10 ms. After `limit_ms` the test
    // fails here and kTimedOut is returned: larger than any bound a caller compares with,
    // so that `EXPECT_LT(until(...), 1000)` cannot pass on a timeout (it did when this
    // returned -1).
    static constexpr long long kTimedOut = std::numeric_limits<long long>::max();
    template <class F>
    static long long until(F done, const std::string& what, long long limit_ms = 10000) {
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
            if (done()) return ms;
            if (ms > limit_ms) {
                ADD_FAILURE() << "timed out after " << limit_ms << " ms waiting until " << what;
                return kTimedOut;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    TempDatabase db;
    fs::path work = fs::temp_directory_path() / ("twindraw-tileport-" + db.name());
    std::unique_ptr<ServeProcess> serve;
    int port = 0, tile_port = 0;
};

}  // namespace

TEST_F(TilePort, ServesCachedTilesWithETagHeadAnd304LikeTheMainPort) {
    const std::string token = login();
    const std::string t = tile_url(tile_at(106.55, 29.55, 14));
    // First request: not cached yet, rendered through the ordinary pipeline.
    auto first = get(tile_port, t, token);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.header("content-type"), "image/png");
    EXPECT_EQ(first.body.substr(1, 3), "PNG");
    const std::string etag = first.header("etag");
    ASSERT_EQ(etag.size(), 34u);
    EXPECT_EQ(first.header("cache-control"), "private, no-cache");
    // A cache hit: the same bytes and ETag as the main port.
    auto hit = get(tile_port, t, token);
    EXPECT_EQ(hit.status, 200);
    EXPECT_EQ(hit.header("etag"), etag);
    EXPECT_EQ(hit.body, first.body);
    EXPECT_EQ(hit.header("x-content-type-options"), "nosniff");
    EXPECT_FALSE(hit.header("date").empty());
    auto not_modified = get(tile_port, t, token, "If-None-Match: " + etag + "\r\n");
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_EQ(not_modified.header("etag"), etag);
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(get(tile_port, t, token, "If-None-Match: \"other\"\r\n").status, 200);
    auto head = get(tile_port, t, token, {}, "HEAD");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), std::to_string(first.body.size()));
    EXPECT_TRUE(head.body.empty());
    // HEAD of a tile not cached yet goes through the pipeline and still has no body.
    auto head_miss =
        talk(tile_port, "HEAD " + tile_url(tile_at(106.40, 29.60, 16)) + " HTTP/1.1\r\nAuthorization: Bearer " + token +
                            "\r\nConnection: close\r\n\r\n");
    auto parsed = parse_answers(head_miss, true);
    ASSERT_EQ(parsed.size(), 1u) << head_miss;
    EXPECT_EQ(parsed[0].status, 200);
    EXPECT_NE(parsed[0].header("content-length"), "0");
    EXPECT_EQ(head_miss.size(), head_miss.find("\r\n\r\n") + 4) << "a HEAD answer carries no body";

    // Keep-alive with pipelining: three requests in one write, three answers in order.
    const std::string t2 = tile_url(tile_at(106.40, 29.60, 14));
    const std::string auth = "Authorization: Bearer " + token + "\r\n";
    auto raw = talk(tile_port, "GET " + t + " HTTP/1.1\r\n" + auth + "\r\nGET " + t2 + " HTTP/1.1\r\n" + auth +
                                   "\r\nGET /tiles/objects/14/1/2.png?risk=9 HTTP/1.1\r\n" + auth +
                                   "Connection: close\r\n\r\n");
    auto three = parse_answers(raw);
    ASSERT_EQ(three.size(), 3u) << raw.substr(0, 400);
    EXPECT_EQ(three[0].header("etag"), etag);
    EXPECT_EQ(three[1].status, 200);
    EXPECT_NE(three[1].header("etag"), etag);
    EXPECT_EQ(three[2].status, 400);  // errors come from the ordinary pipeline, as JSON
    EXPECT_NE(three[2].body.find("\"bad_filter\""), std::string::npos) << three[2].body;

    // Authorisation as on the main port.
    EXPECT_EQ(get(tile_port, t, "").status, 401);
    EXPECT_EQ(get(tile_port, t, "not-a-session").status, 401);
    EXPECT_EQ(get(tile_port, "/tiles/nolayer/14/1/2.png", token).status, 404);
    EXPECT_EQ(get(tile_port, "/tiles/objects/99/1/2.png", token).status, 400);

    // What the tile port does not take: JSON errors, and the connection closes after them.
    auto other = get(tile_port, "/api/auth/me", token);
    EXPECT_EQ(other.status, 404);
    EXPECT_NE(other.body.find("\"not_found\""), std::string::npos);
    auto post = get(tile_port, t, token, {}, "POST");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD");
    auto bad = parse_answers(talk(tile_port, "GARBAGE\r\n\r\n"));
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_EQ(bad[0].status, 400);
    EXPECT_NE(bad[0].body.find("\"bad_request\""), std::string::npos);
    auto big =
        parse_answers(talk(tile_port, "GET " + t + " HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"));
    ASSERT_EQ(big.size(), 1u);
    EXPECT_EQ(big[0].status, 431);
    auto body = parse_answers(talk(tile_port, "GET " + t + " HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"));
    ASSERT_EQ(body.size(), 1u);
    EXPECT_EQ(body[0].status, 413);
    auto chunked =
        parse_answers(talk(tile_port, "GET " + t + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    ASSERT_EQ(chunked.size(), 1u);
    EXPECT_EQ(chunked[0].status, 501);
    auto version = parse_answers(talk(tile_port, "GET " + t + " HTTP/2.0\r\n\r\n"));
    ASSERT_EQ(version.size(), 1u);
    EXPECT_EQ(version[0].status, 400);
    // HTTP/1.0 without keep-alive: answered, then closed (talk() returns on close).
    auto old = parse_answers(talk(tile_port, "GET " + t + " HTTP/1.0\r\n" + auth + "\r\n"));
    ASSERT_EQ(old.size(), 1u);
    EXPECT_EQ(old[0].status, 200);
    EXPECT_EQ(old[0].header("connection"), "close");

    // Every answer is in the access log, marked as the tile port's.
    serve->stop();
    const std::string log = serve->log();
    EXPECT_NE(log.find("\"status\":304,"), std::string::npos) << log.substr(0, 500);
    EXPECT_NE(log.find("\"port\":\"tile\""), std::string::npos);
}

TEST_F(TilePort, ARevokedSessionStopsAtOnceHereAndWithinASecondFromAnotherProcess) {
    const std::string t = tile_url(tile_at(106.55, 29.55, 14));
    // Logout through this server: the very next tile request is refused, on both ports.
    std::string token = login();
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    ASSERT_EQ(get(tile_port, t, token).status, 200);  // now from the session cache
    ASSERT_EQ(main_port_call(port, "POST", "/api/auth/logout", token), 204);
    EXPECT_EQ(get(tile_port, t, token).status, 401);
    EXPECT_EQ(main_port_call(port, "GET", t, token), 401);

    // Disabled by another process (SQL): refused within a second (NOTIFY), well before
    // the cache's 5 s lifetime would end it.
    token = login();
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    sql("UPDATE app_user SET active = false WHERE id = 77");
    const long long ms = until([&] { return get(tile_port, t, token).status == 401; }, "a disabled user is refused");
    EXPECT_LT(ms, 1000) << "refused only after " << ms << " ms";
    sql("UPDATE app_user SET active = true WHERE id = 77");

    // Revoked by SQL, and a role losing the tile permission: the same.
    token = login();
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    sql("UPDATE session SET revoked_at = now() WHERE user_id = 77");
    EXPECT_LT(until([&] { return get(tile_port, t, token).status == 401; }, "a revoked session is refused"), 1000);
    token = login();
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    ASSERT_EQ(get(tile_port, t, token).status, 200);
    sql("UPDATE role SET permissions = array_remove(permissions, 'registry.read') WHERE code = 'system_admin'");
    EXPECT_LT(until([&] { return get(tile_port, t, token).status == 403; }, "a role without registry.read is refused"),
              1000);
}

TEST_F(TilePort, TileExpiryIsSeenAtOnceAfterAnApiChangeAndWithinASecondAfterSql) {
    const std::string token = login();
    const std::string here = tile_url(tile_at(106.55, 29.55, 14)), far = tile_url(tile_at(106.40, 29.60, 14));
    const std::string here_etag = get(tile_port, here, token).header("etag"),
                      far_etag = get(tile_port, far, token).header("etag");
    ASSERT_EQ(get(tile_port, here, token).header("etag"), here_etag);  // cached
    long long id = 0;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        id = tx.exec1("SELECT id FROM market_subject WHERE uscc = '915001030000000000'")[0].as<long long>();
    }
    // Moved through the main port's API: the next tile request already sees it.
    ASSERT_EQ(main_port_call(port, "PUT", "/api/subjects/" + std::to_string(id), token,
                             R"({"location":{"lon":106.58,"lat":29.55}})"),
              200);
    auto moved = get(tile_port, here, token);
    ASSERT_EQ(moved.status, 200);
    EXPECT_NE(moved.header("etag"), here_etag);
    EXPECT_EQ(get(tile_port, far, token).header("etag"), far_etag);  // untouched tile kept

    // Moved back by SQL from another connection: seen within a second.
    const std::string moved_etag = moved.header("etag");
    ASSERT_EQ(get(tile_port, here, token).header("etag"), moved_etag);
    sql("UPDATE market_subject SET geom = ST_SetSRID(ST_MakePoint(106.55, 29.55), 4326) WHERE id = " +
        std::to_string(id));
    const long long ms =
        until([&] { return get(tile_port, here, token).header("etag") != moved_etag; }, "the tile moved back by SQL expires");
    EXPECT_LT(ms, 1000) << "the old tile was served for " << ms << " ms";
    EXPECT_EQ(get(tile_port, here, token).header("etag"), here_etag);  // the same picture as at first
    EXPECT_EQ(get(tile_port, far, token).header("etag"), far_etag);
}

// The pages learn the tile port from the main port (GET /api/map/tile-base): the page's host
// with the tile port; none for a page that came over HTTPS (the tile port has no TLS); a
// host with other characters than a host name's is not echoed back; no session → 401.
TEST_F(TilePort, TheMainPortNamesTheTilePortToThePages) {
    const std::string token = login();
    ASSERT_NE(until([&] { return get(port, "/healthz", "").status == 200; }, "the main port answers /healthz"), kTimedOut);
    auto r = get(port, "/api/map/tile-base", token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["base"], "http://127.0.0.1:" + std::to_string(tile_port));
    EXPECT_EQ(j["tile_port"], tile_port);
    j = nlohmann::json::parse(get(port, "/api/map/tile-base", token, "X-Forwarded-Proto: https\r\n").body);
    EXPECT_EQ(j["base"], "");
    EXPECT_EQ(get(port, "/api/map/tile-base", "").status, 401);
}
