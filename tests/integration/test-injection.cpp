// Injection (issue 3, security tests): SQL metacharacters (' " ; -- %% _ \ NUL), invalid
// UTF-8 and 10,000-character strings in every search and filter parameter of every list
// endpoint the router has, and in every text field of every registry entity (and of
// users and roles), answer 4xx or are stored literally, never 5xx. The endpoints and
// fields come from the router and the registry descriptors, so new ones are covered.
#include "common-pg.hpp"

#include "server/app.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-password.hpp"
#include "workflows/registry-schema.hpp"

#include <filesystem>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;

namespace {

std::vector<std::string> hostile_values() {
    return {"'",
            "\"",
            ";",
            "--",
            "%%",
            "_",
            "\\",
            std::string("a\0b", 3),
            "' OR '1'='1",
            "x'); DROP TABLE market_subject; --",
            "\\' %_ \" ; -- /* */",
            "\xff\xfe",
            std::string(10000, 'x'),
            [] {
                std::string s;
                for (int i = 0; i < 10000; ++i) s += "中";
                return s;
            }()};
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

class Injection : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000');"
            "INSERT INTO industry(code, name, level, parent_code) VALUES ('H', '住宿和餐饮业', 1, NULL), ('62', '餐饮业', 2, 'H');");
        authority = tx.exec1("INSERT INTO authority(name, kind, division_code) VALUES ('重庆市市场监督管理局', 'market_bureau', '500000') RETURNING id")[0].as<long long>();
        admin_id = tx.exec_params1("INSERT INTO app_user(account, name, password_hash, must_change_password) VALUES ('admin', '管理员', $1, false) RETURNING id",
                                   accounts::hash_password("Twindraw@2026"))[0].as<long long>();
        tx.exec_params("INSERT INTO user_identity(user_id, authority_id, role_id, is_default) SELECT $1, $2, id, true FROM role WHERE code = 'system_admin'",
                       admin_id, authority);
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", (std::filesystem::temp_directory_path() / ("twindraw-inj-" + db.name())).string()});
        imports = std::make_unique<ImportQueue>(db.pool());
        app->imports = imports.get();
        register_all(router, *app);
        auto r = call("POST", "/api/auth/login", R"({"account":"admin","password":"Twindraw@2026","client":"mobile"})");
        ASSERT_EQ(r.status, 200) << r.body;
        token = nlohmann::json::parse(r.body)["token"];
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {}) {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.peer = "127.0.0.1";
        req.headers["content-type"] = "application/json";
        if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
        return dispatch(router, "", req, app->authenticator.get());
    }

    // A valid body per registry entity (keys made unique by n).
    nlohmann::json base(const std::string& entity, int n) {
        const std::string s = std::to_string(n);
        if (entity == "divisions") return {{"code", std::to_string(500103100 + n)}, {"name", "街道" + s}, {"level", 4}, {"parent_code", "500103"}};
        if (entity == "authorities") return {{"name", "测试所" + s}, {"kind", "sub_office"}, {"division_code", "500103"}};
        if (entity == "sections") return {{"authority_id", authority}, {"name", "科室" + s}};
        if (entity == "enterprise-types") return {{"code", std::to_string(9300 + n % 600)}, {"name", "类型" + s}};
        if (entity == "industries") return {{"code", std::to_string(63 + n % 30)}, {"name", "大类" + s}, {"level", 2}, {"parent_code", "H"}};
        if (entity == "items")
            return {{"domain", "食品安全"}, {"name", "事项" + s}, {"object_type", "餐饮"}, {"initiating_authority_id", authority}, {"importance", "general"}};
        if (entity == "subjects") return {{"uscc", "914403001922038216"}, {"name", "企业" + s}, {"division_code", "500103"}};
        if (entity == "venues") return {{"name", "场所" + s}, {"division_code", "500103"}};
        if (entity == "products")
            return {{"licence_no", "SC" + s}, {"enterprise_name", "企业" + s}, {"uscc", "914403001922038216"}, {"division_code", "500103"}};
        if (entity == "inspectors")
            return {{"name", "执法员" + s}, {"division_code", "500103"}, {"authority_id", authority}, {"category", "law_enforcement"}};
        ADD_FAILURE() << "no base body for registry entity " << entity << " (add one here)";
        return nlohmann::json::object();
    }

    TempDatabase db;
    long long authority = 0, admin_id = 0;
    std::string token;
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

}  // namespace

TEST_F(Injection, EveryListEndpointsSearchAndFilterParametersNeverAnswer5xx) {
    size_t requests = 0;
    for (const auto& route : router.routes()) {
        if (route.method != "GET") continue;
        std::vector<std::pair<std::string, std::vector<std::string>>> targets;  // path, parameters
        if (route.pattern.find("{entity}") != std::string::npos) {
            if (route.pattern.find("{id}") != std::string::npos) continue;  // a detail, not a list
            for (const auto& e : registry::entities()) {
                std::string p = route.pattern;
                p.replace(p.find("{entity}"), 8, e.name);
                std::vector<std::string> params = {"q", "sort", "order", "page", "page_size"};
                for (const auto& f : e.fields)
                    if (f.filterable) params.push_back(f.name);
                targets.push_back({p, params});
            }
        } else {
            if (route.pattern.find('{') != std::string::npos || route.query_params.empty()) continue;
            targets.push_back({route.pattern, route.query_params});
        }
        for (const auto& [path, params] : targets)
            for (const auto& param : params)
                for (const auto& value : hostile_values()) {
                    auto r = call("GET", path + "?" + param + "=" + url_encode(value));
                    ++requests;
                    EXPECT_LT(r.status, 500) << path << "?" << param << "=" << value.substr(0, 40) << " → " << r.body.substr(0, 200);
                    EXPECT_NE(r.status, 401) << path;
                    EXPECT_NE(r.status, 403) << path;
                }
    }
    EXPECT_GT(requests, 1000u);
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM market_subject")[0].as<int>(), 0);  // still there, still empty
}

TEST_F(Injection, EveryTextFieldOfEveryEntityIsStoredLiterallyOrRefusedWith4xx) {
    int n = 0;
    // Each base body is valid, so a refusal below is the hostile value's doing.
    for (const auto& e : registry::entities()) {
        auto r = call("POST", "/api/" + e.name, base(e.name, ++n).dump());
        ASSERT_EQ(r.status, 201) << e.name << " " << r.body;
        auto obj = nlohmann::json::parse(r.body);
        std::string key = obj[e.key].is_string() ? obj[e.key].get<std::string>() : obj[e.key].dump();
        ASSERT_EQ(call("DELETE", "/api/" + e.name + "/" + key).status, 204);
    }
    size_t literal = 0, refused = 0;
    for (const auto& e : registry::entities()) {
        for (const auto& f : e.fields) {
            if (f.readonly) continue;
            if (f.type != registry::FieldType::Text && f.type != registry::FieldType::Code &&
                f.type != registry::FieldType::TextArray)
                continue;
            for (const auto& value : hostile_values()) {
                SCOPED_TRACE(e.name + "." + f.name + " = " + value.substr(0, 40));
                nlohmann::json body = base(e.name, ++n);
                nlohmann::json sent = f.type == registry::FieldType::TextArray ? nlohmann::json::array({value}) : nlohmann::json(value);
                // Invalid UTF-8 cannot travel in JSON; send it raw in the body.
                std::string raw;
                if (value == "\xff\xfe") {
                    body[f.name] = "@@";
                    raw = body.dump();
                    raw.replace(raw.find("@@"), 2, value);
                } else {
                    body[f.name] = sent;
                    raw = body.dump();
                }
                auto r = call("POST", "/api/" + e.name, raw);
                ASSERT_LT(r.status, 500) << r.body.substr(0, 300);
                if (r.status == 201) {
                    auto obj = nlohmann::json::parse(r.body);
                    EXPECT_EQ(obj[f.name], sent);
                    std::string key = obj[e.key].is_string() ? obj[e.key].get<std::string>() : obj[e.key].dump();
                    auto got = call("GET", "/api/" + e.name + "/" + key);
                    ASSERT_EQ(got.status, 200);
                    EXPECT_EQ(nlohmann::json::parse(got.body)[f.name], sent);
                    // The same value through an update.
                    r = call("PUT", "/api/" + e.name + "/" + key, raw);
                    EXPECT_LT(r.status, 500) << r.body.substr(0, 300);
                    if (r.status == 200) {
                        EXPECT_EQ(nlohmann::json::parse(r.body)[f.name], sent);
                    }
                    EXPECT_EQ(call("DELETE", "/api/" + e.name + "/" + key).status, 204);
                    ++literal;
                } else {
                    EXPECT_GE(r.status, 400);
                    ++refused;
                }
            }
        }
    }
    EXPECT_GT(literal, 20u);
    EXPECT_GT(refused, 20u);

    // Users and roles.
    const std::string user = "/api/users/" + std::to_string(admin_id);
    for (const char* field : {"name", "phone", "email", "certificate_no"})
        for (const auto& value : hostile_values()) {
            SCOPED_TRACE(std::string("user.") + field + " = " + value.substr(0, 40));
            const bool bad_utf8 = value == "\xff\xfe";
            std::string raw = nlohmann::json({{field, bad_utf8 ? std::string("@@") : value}}).dump();
            if (bad_utf8) raw.replace(raw.find("@@"), 2, value);  // JSON cannot carry it; send it raw
            auto r = call("PUT", user, raw);
            ASSERT_LT(r.status, 500) << r.body.substr(0, 300);
            if (bad_utf8) {
                EXPECT_GE(r.status, 400);
            } else if (r.status == 200) {
                EXPECT_EQ(nlohmann::json::parse(r.body)[field], value);
            }
        }
    for (const auto& value : hostile_values()) {
        SCOPED_TRACE("role = " + value.substr(0, 40));
        auto r = call("POST", "/api/roles",
                      nlohmann::json({{"code", "r" + std::to_string(++n)}, {"name", value.substr(0, 3000)}, {"description", value},
                                      {"data_scope", "unit"}, {"permissions", {"registry.read"}}})
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        ASSERT_LT(r.status, 500) << r.body.substr(0, 300);
        if (r.status == 201 && value != "\xff\xfe") {
            EXPECT_EQ(nlohmann::json::parse(r.body)["description"], value);
        }
        r = call("GET", "/api/users?q=" + url_encode(value));
        EXPECT_LT(r.status, 500);
    }
}
