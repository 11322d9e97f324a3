// The route fuzzer (issue 12 §2): structured random requests to every route of the
// OpenAPI document of a real `twindraw serve` on a throwaway database — random and
// mutated JSON bodies (wrong types, huge numbers, deep nesting, long strings, unicode),
// path parameters (ids, huge, negative, non-numeric), query parameters, headers (Cookie,
// Content-Length, Content-Type garbage), uploads (random bytes, magic bytes followed by
// markup, truncated and bomb ZIPs), anonymous and as a signed-in administrator. It fails
// on any 5xx, a dead or hung server, an error that is not our JSON error body, or
// internal text in a response ("pqxx", "ERROR:", "std::", SQL, ...).
//
// Bounded by TWINDRAW_FUZZ_SECONDS (default 60, what scripts/test runs); by hand, longer:
//   TWINDRAW_FUZZ_SECONDS=1800 pg_virtualenv -t -v 15 build/tests/integration_tests --gtest_filter='FuzzRoutes.*'
// The seed is printed; TWINDRAW_FUZZ_SEED=<seed> replays the same sequence of requests
// (the server's own state may still differ, e.g. ids of rows it creates).
#include "common-pg.hpp"
#include "raw-http.hpp"
#include "serve-process.hpp"
#include "zip-fixtures.hpp"

#include "server/http-router.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sessions.hpp"

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>

using namespace twindraw;
using twindraw::testing::raw_exchange;
using twindraw::testing::RawAnswer;
using twindraw::testing::ServeProcess;
using twindraw::testing::TempDatabase;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

const char* kAdminPassword = "Fuzz#Admin-2026";

// Text that must never reach a client: library names, PostgreSQL's messages, SQL,
// C++ exception texts. The fuzzer never sends these itself, so an echo cannot trip it.
const char* kLeaks[] = {"pqxx", "ERROR:", "DETAIL:", "HINT:", "terminate called", "std::", "Bad lexical cast",
                        "basic_string", "stoull", "stoll", "stod", "json.exception", "SELECT ", "INSERT INTO",
                        "UPDATE ", "DELETE FROM", "syntax error", "violates", "Invalid cookie", "relation \"",
                        "GDAL", "OGR", "what():", "Segmentation"};

struct Operation {
    std::string method, path, body_type;  // body_type: "", "application/json", "application/octet-stream"
    std::vector<std::string> query;
    Json schema;  // the request body's schema when the document gives one (registry entities)
};

class Fuzzer {
public:
    explicit Fuzzer(std::uint64_t seed) : rng_(seed) {}

    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    template <class T>
    const T& one_of(const std::vector<T>& v) { return v[pick(v.size())]; }

    std::string random_bytes(size_t n) {
        std::string s(n, '\0');
        for (auto& c : s) c = static_cast<char>(pick(256));
        return s;
    }

    std::string text() {
        static const std::vector<std::string> pool = {
            "", " ", "a", "测试", "重庆市渝中区", "0", "-1", "1", "true", "null", "2026-12-07", "2026-13-45",
            "2026-02-30T25:61:00Z", "' OR 1=1 --", "\"; DROP TABLE x; --", "%s%n%x", "\\u0000", std::string(1, '\0'),
            "<script>alert(1)</script>", "../../etc/passwd", "915001030000000001", "500103", "500000", "😀😀",
            "\xff\xfe\xfd", "\xe4\xb8", "abc\r\ndef", "NaN", "Infinity", "1e999", "-0", "0x1F", "subjects",
            "market_subject", "draft", "pending", "web", "mobile", "all", "district", "unit"};
        if (chance(0.08)) return std::string(pick(3) == 0 ? 100000 : 1000 + pick(5000), "xA中"[pick(3)]);
        if (chance(0.1)) return random_bytes(pick(40));
        return one_of(pool);
    }

    std::string key() {
        static const std::vector<std::string> keys = {
            "name", "title", "id", "ids", "reason", "account", "password", "old_password", "new_password", "client",
            "code", "challenge", "items", "division_code", "division_codes", "unit_id", "unit_ids", "task_id",
            "plan_id", "item_id", "object_kind", "strata", "scope", "geometry", "coordinates", "type", "lon", "lat",
            "date", "from", "to", "status", "kind", "comment", "content", "text", "phone", "email", "role", "role_id",
            "permissions", "identity_id", "opinion", "result", "results", "category", "year", "days", "filters",
            "point_ids", "route_ids", "assignees", "inspectors", "groups", "per_group", "ratio", "count", "seed",
            "witness", "note", "department_id", "section_id", "parent_id", "active", "data_scope", "risk",
            "credit", "uscc", "address", "legal_person", "location", "deadline", "objects", "object_ids",
            "inspector_id", "user_id", "job_id", "value", "label", "entries", "holidays", "workdays", "body",
            "subject", "recipients", "publish", "qualified", "findings", "item_results", "signature", "mode",
            "include_subunits", "weights", "channel", "enabled", "url", "description", "sort", "order"};
        return chance(0.05) ? text() : one_of(keys);
    }

    Json value(int depth) {
        switch (pick(depth > 3 ? 7 : 9)) {
        case 0: return nullptr;
        case 1: return chance(0.5);
        case 2: {
            static const std::vector<long long> ints = {0, 1, 2, 3, -1, 42, 100, 500103, 2147483647, -2147483648LL,
                                                        9007199254740993LL, 9223372036854775807LL};
            return chance(0.8) ? Json(one_of(ints)) : Json(static_cast<long long>(rng_()));
        }
        case 3: {
            static const std::vector<double> reals = {0.5, -0.0, 1e308, -1e308, 106.55, 29.55, 181.0, -91.0, 1e-320};
            return one_of(reals);
        }
        case 4: return 18446744073709551615ULL;
        case 5:
        case 6: return text();
        case 7: {
            Json a = Json::array();
            for (size_t i = 0, n = pick(5); i < n; ++i) a.push_back(value(depth + 1));
            return a;
        }
        default: {
            Json o = Json::object();
            for (size_t i = 0, n = pick(6); i < n; ++i) o[key()] = value(depth + 1);
            return o;
        }
        }
    }

    std::string json_body() {
        const size_t mode = pick(100);
        if (mode < 3) return std::string(100000, '[') + std::string(100000, ']');   // 100,000 deep
        if (mode < 5) return std::string(200, '{') ;                                  // unterminated
        if (mode < 8) return "{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}";  // just over the depth
        if (mode < 11) return text();
        if (mode < 14) return value(3).dump(-1, ' ', false, Json::error_handler_t::replace);  // any JSON
        if (mode < 16) return "{\"n\":1e999,\"m\":-1e999}";
        if (mode < 18) return "{\"s\":\"\\ud800\"}";
        Json o = Json::object();
        for (size_t i = 0, n = 1 + pick(8); i < n; ++i) o[key()] = value(1);
        std::string s = o.dump(-1, ' ', false, Json::error_handler_t::replace);
        if (chance(0.05) && s.size() > 2) s.resize(pick(s.size()));  // truncated
        return s;
    }

    // A value for a schema: mostly of its type (strings of its choices or near its
    // length), sometimes of another, so that the handler's own checks are reached.
    Json from_schema(const Json& sc, int depth = 0) {
        if (!sc.is_object() || chance(0.15) || depth > 3) return value(3);
        const std::string type = sc.value("type", "");
        if (sc.contains("x-choices") && !sc["x-choices"].empty() && chance(0.7))
            return sc["x-choices"][pick(sc["x-choices"].size())];
        if (type == "integer") return chance(0.7) ? Json(static_cast<long long>(pick(20))) : value(3);
        if (type == "number") return chance(0.5) ? Json(106.5 + pick(100) / 1000.0) : Json(29.5 + pick(100) / 1000.0);
        if (type == "boolean") return chance(0.5);
        if (type == "array") {
            Json a = Json::array();
            for (size_t i = 0, n = pick(4); i < n; ++i) a.push_back(from_schema(sc.value("items", Json::object()), depth + 1));
            return a;
        }
        if (type == "object") {
            Json o = Json::object();
            const Json properties = sc.value("properties", Json::object());
            for (const auto& [k, v] : properties.items())
                if (chance(0.8)) o[k] = from_schema(v, depth + 1);
            return o;
        }
        if (sc.value("format", "") == "date") return chance(0.7) ? Json("2026-12-0" + std::to_string(1 + pick(9))) : Json(text());
        std::string t = chance(0.5) ? "测试" + std::to_string(pick(1000)) : text();
        if (sc.contains("maxLength") && chance(0.2)) t = std::string(sc["maxLength"].get<size_t>() + 1, 'm');
        return t;
    }

    std::string upload(const std::string& zip_bomb) {
        static const std::string png = "\x89PNG\r\n\x1a\n";
        switch (pick(9)) {
        case 0: return random_bytes(pick(5000));
        case 1: return png + "<html><script>alert(1)</script></html>";
        case 2: return png + random_bytes(pick(3000));
        case 3: return std::string("\xff\xd8\xff\xe0", 4) + random_bytes(pick(3000));
        case 4: return "%PDF-1.4\n" + random_bytes(pick(3000));
        case 5: return zip_bomb;
        case 6: return zip_bomb.substr(0, pick(zip_bomb.size()));  // truncated ZIP
        case 7: return "name,uscc\n测试," + text() + "\n";
        default: return "";
        }
    }

    std::string path_value(const std::string& name) {
        static const std::vector<std::string> ids = {"1", "2", "3", "5", "0", "-1", "99999999999999999999", "abc",
                                                     "1.5", "%00", "%2e%2e", "%E4%B8%AD", "1e5", "%20%31",
                                                     "9223372036854775807", "18446744073709551616", "null"};
        if (name == "entity" && chance(0.7)) return one_of(entities_);
        if ((name == "z" || name == "x" || name == "y") && chance(0.5)) return std::to_string(pick(20));
        if (name == "year" && chance(0.5)) return one_of(std::vector<std::string>{"2026", "1899", "99999", "20x6"});
        if (chance(0.05)) return std::string(2000, '7');
        return one_of(ids);
    }

    std::string query_value(const std::string& name) {
        static const std::vector<std::string> vals = {"", "1", "0", "-1", "20", "200", "201", "99999999999", "abc",
                                                      "true", "false", "1e999", "asc", "desc", "2026-12-07",
                                                      "2026-99-99", "%FF", "%E6%B5%8B", "subjects", "geojson",
                                                      "gpkg", "kml", "xlsx", "500103", "1,2,3,4",
                                                      "106.5,29.5,106.6,29.6", "1e999,0,0,0", "-181,-91,181,91",
                                                      "1,2,3", "%7B%7D", "%7B%22a%22%3A1%7D"};
        if (name == "mapping" && chance(0.5))
            return chance(0.5) ? std::string(80, '[') : "%7B%22a%22%3A%7B%7D%7D";
        if (chance(0.03)) return std::string(5000, 'q');
        return one_of(vals);
    }

    std::vector<std::string> entities_ = {"subjects"};

private:
    std::mt19937_64 rng_;
};

std::string percent_path(const std::string& s) {
    // Path values are sent as they are unless they hold bytes a request line cannot.
    std::string out;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (c <= 32 || c >= 127 || c == '?' || c == '#' || c == '/') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

TEST(FuzzRoutes, NoRequestAnswers5xxLeaksInternalsOrStopsTheServer) {
    const char* seconds_env = std::getenv("TWINDRAW_FUZZ_SECONDS");
    const double seconds = seconds_env ? std::atof(seconds_env) : 60.0;
    const char* seed_env = std::getenv("TWINDRAW_FUZZ_SEED");
    const std::uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
    std::cout << "fuzz: seed " << seed << " (replay with TWINDRAW_FUZZ_SEED=" << seed << "), " << seconds << " s"
              << std::endl;

    TempDatabase db;
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL),
 ('500103', '渝中区', 3, '500000', ST_GeomFromText('MULTIPOLYGON(((106.49 29.535, 106.60 29.54, 106.595 29.575, 106.50 29.567, 106.49 29.535)))', 4326));
INSERT INTO authority(id, name, kind, division_code) VALUES (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103');
INSERT INTO market_subject(uscc, name, division_code, risk_level, geom)
SELECT '915001030000000' || lpad(i::text, 3, '0'), '测试主体' || i, '500103', 1 + (i % 4),
       ST_SetSRID(ST_MakePoint(106.55 + 0.004 * (i % 5), 29.55 + 0.003 * (i / 5)), 4326)
  FROM generate_series(0, 11) i;
INSERT INTO role(code, name, description, permissions, data_scope, builtin)
SELECT 'fuzz_all', '模糊测试', '每一项权限', array_agg(DISTINCT p ORDER BY p), 'all', false
  FROM role, unnest(permissions) p;
)SQL");
        // An id no fuzzed path parameter names, so the administrator cannot delete itself.
        tx.exec_params("INSERT INTO app_user(id, account, name, password_hash, must_change_password)"
                       " VALUES (987654, 'fuzzroot', '模糊测试管理员', $1, false)",
                       accounts::hash_password(kAdminPassword));
        tx.exec("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                " SELECT 987654, 900, id, true FROM role WHERE code = 'fuzz_all'");
        tx.commit();
    }
    const fs::path work = fs::temp_directory_path() / ("twindraw-fuzz-" + db.name());
    // Loopback is the trusted proxy, so that each fuzzed request can come from its own
    // client address (X-Forwarded-For): the fuzzer's failed logins must not lock out
    // the administrator's address.
    ServeProcess serve(db.url(), work, {"--web-dir", "", "--trusted-proxies", "127.0.0.1"});
    ASSERT_TRUE(serve.up()) << serve.log();

    auto admin_token = [&] {
        auto r = accounts::login(db.pool(), "fuzzroot", kAdminPassword, "bearer", {"192.0.2.1", "fuzz"}, {}, {});
        return r.status == accounts::LoginResult::Status::Ok ? r.token : std::string();
    };
    std::string token = admin_token();
    ASSERT_FALSE(token.empty());

    auto get = [&](const std::string& target) {
        return raw_exchange(serve.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                                              "\r\nConnection: close\r\n\r\n");
    };
    RawAnswer doc = get("/api/openapi.json");
    ASSERT_EQ(doc.status, 200) << doc.body.substr(0, 300);
    const Json openapi = Json::parse(doc.body);

    Fuzzer f(seed);
    {
        RawAnswer meta = get("/api/meta/entities");
        if (meta.status == 200)
            for (const auto& e : Json::parse(meta.body)["entities"]) f.entities_.push_back(e["name"]);
    }
    std::vector<Operation> ops;
    std::set<std::string> paths;
    for (const auto& [path, item] : openapi["paths"].items()) {
        // The registry's {entity} routes come once per entity; one pattern is enough.
        for (const auto& [method, op] : item.items()) {
            Operation o;
            o.method = method;
            for (auto& c : o.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            o.path = path;
            for (const auto& p : op.value("parameters", Json::array()))
                if (p.value("in", "") == "query") o.query.push_back(p.value("name", ""));
            if (op.contains("requestBody"))
                for (const auto& [type, content] : op["requestBody"]["content"].items()) {
                    o.body_type = type;
                    const std::string ref = content.value("schema", Json::object()).value("$ref", "");
                    const std::string prefix = "#/components/schemas/";
                    if (ref.rfind(prefix, 0) == 0) o.schema = openapi["components"]["schemas"].value(ref.substr(prefix.size()), Json());
                }
            ops.push_back(o);
            paths.insert(path);
        }
    }
    ASSERT_GT(ops.size(), 100u) << "the OpenAPI document lists too few routes";
    const std::string bomb = twindraw::testing::zip_bomb("a.shp", 20u * 1024 * 1024);

    long long tried = 0, answered_4xx = 0;
    std::vector<std::string> failures;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    size_t next_op = 0;
    while (std::chrono::steady_clock::now() < until && failures.size() < 10) {
        // Every route in turn, then at random.
        const Operation& op = next_op < ops.size() ? ops[next_op++] : f.one_of(ops);
        std::string target;
        for (const auto& seg : twindraw::server::split_path(op.path)) {
            target += "/";
            if (seg.front() == '{') {
                size_t close = seg.find('}');
                target += percent_path(f.path_value(seg.substr(1, close - 1))) + seg.substr(close + 1);
            } else {
                target += seg;
            }
        }
        std::string query;
        for (const auto& q : op.query)
            if (f.chance(0.5)) query += (query.empty() ? "?" : "&") + q + "=" + f.query_value(q);
        if (f.chance(0.1)) query += (query.empty() ? "?" : "&") + f.key() + "=" + f.query_value("x");
        std::string body, type;
        if (op.body_type == "application/octet-stream") {
            body = f.upload(bomb);
            type = f.chance(0.8) ? "application/octet-stream" : "image/png";
            if (op.path == "/api/imports" && f.chance(0.5))
                query += std::string(query.empty() ? "?" : "&") + "filename=" + f.one_of(std::vector<std::string>{"a.xlsx", "a.zip", "a.csv", "a.geojson", "a.gpkg"});
        } else if (op.schema.is_object() && f.chance(0.7)) {
            body = f.from_schema(op.schema).dump(-1, ' ', false, Json::error_handler_t::replace);
            type = "application/json";
        } else if (!op.body_type.empty() || (op.method != "GET" && f.chance(0.5))) {
            body = f.json_body();
            type = "application/json";
        }
        if (f.chance(0.07)) type = f.one_of(std::vector<std::string>{"text/plain", "", "application/json; charset=gbk",
                                                                      "multipart/form-data; boundary=x", "\x01\x02",
                                                                      "application/x-www-form-urlencoded", "*/*;;;"});
        const bool as_admin = f.chance(0.8);
        std::string req = op.method + " " + target + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        req += "X-Forwarded-For: 198.51.100." + std::to_string(f.pick(250) + 1) + "\r\n";
        if (as_admin) req += "Authorization: Bearer " + token + "\r\n";
        if (!type.empty()) req += "Content-Type: " + type + "\r\n";
        if (f.chance(0.06))
            req += "Cookie: " + f.one_of(std::vector<std::string>{"a", "td_session=", "td_session", "=;=;", "td_session=x; b",
                                                                  "td_session=" + std::string(500, 'z'), ";;;", "a=\"b",
                                                                  "td_session=\xff\xfe", "a=1;b=2; td_session=abc"}) + "\r\n";
        if (f.chance(0.04))
            req += "X-CSRF-Token: " + f.text().substr(0, 100) + "\r\n";
        if (f.chance(0.02)) req += "Accept: " + f.text().substr(0, 50) + "\r\n";
        std::string length = std::to_string(body.size());
        if (f.chance(0.05))
            length = f.one_of(std::vector<std::string>{"-1", "abc", "99999999999999999999", "1e3", " " + length + " ",
                                                        "0x10", "18446744073709551615", "12, 13", ""});
        req += "Content-Length: " + length + "\r\n";
        if (f.chance(0.03)) req += "Content-Length: " + std::to_string(body.size() + 1) + "\r\n";  // a second one
        req += "\r\n" + body;
        const RawAnswer a = raw_exchange(serve.port(), req, std::chrono::seconds(30));
        ++tried;
        auto fail = [&](const std::string& why) {
            failures.push_back(why + " — " + op.method + " " + target + query.substr(0, 200) + " (" + op.path +
                               "), body " + std::to_string(body.size()) + " bytes: " + body.substr(0, 120) +
                               " → " + std::to_string(a.status) + " " + a.body.substr(0, 300));
        };
        if (a.status == 0) {
            // Answered nothing: a dead server, or a request so broken there is no answer.
            if (twindraw::testing::http_status(serve.base() + "/healthz") != 200) {
                fail("the server stopped answering");
                break;
            }
            if (!a.timed_out) continue;
            fail("no answer within 30 s");
            continue;
        }
        // 503 for a service this server is configured without (no SMS gateway) is its
        // deliberate answer, not a failure; any other 5xx is.
        if (a.status >= 500 && !(a.status == 503 && a.body.find("\"sms_unavailable\"") != std::string::npos))
            fail("5xx");
        if (a.status >= 400) {
            ++answered_4xx;
            auto j = Json::parse(a.body, nullptr, false);
            if (j.is_discarded() || !j.contains("error") || !j["error"].contains("code") || !j["error"].contains("message"))
                fail("an error without our JSON body");
            for (const char* leak : kLeaks)
                if (a.body.find(leak) != std::string::npos) fail(std::string("internal text \"") + leak + "\"");
        }
        // The administrator's token may have been revoked by a fuzzed logout: sign in again.
        if (a.status == 401 && as_admin && (tried % 5 == 0 || op.path.find("logout") != std::string::npos)) {
            std::string t = admin_token();
            if (!t.empty()) token = t;
        }
    }
    serve.stop();
    std::cout << "fuzz: " << tried << " requests tried, " << paths.size() << " routes (" << ops.size()
              << " operations), " << answered_4xx << " refused with 4xx, seed " << seed << std::endl;
    for (const auto& fl : failures) ADD_FAILURE() << fl;
    std::error_code ec;
    if (failures.empty()) fs::remove_all(work, ec);
}
