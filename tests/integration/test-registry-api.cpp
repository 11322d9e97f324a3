// The registry API end to end on a real PostGIS: routing, validation, SQL, the JSON
// error model. Most requests go through dispatch() (the full pipeline minus the
// socket); HttpApi.* go through a real Pistache endpoint on a free port.
#include "common-pg.hpp"
#include "zip-fixtures.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-password.hpp"
#include "workflows/registry-schema.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;

namespace {

class RegistryApi : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000');"
            "INSERT INTO industry(code, name, level, parent_code) VALUES ('H', '住宿和餐饮业', 1, NULL), ('62', '餐饮业', 2, 'H');");
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", data_dir.string()});
        imports = std::make_unique<ImportQueue>(db.pool());
        app->imports = imports.get();
        register_all(router, *app);
    }

    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(data_dir, ec);
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  const std::string& content_type = "application/json") {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = content_type;
        // A system administrator's principal: these tests are about the registry; the
        // access checks have their own (test-auth-api.cpp).
        Principal admin;
        admin.user_id = 1;
        admin.stage = "ok";
        admin.data_scope = "all";
        admin.permissions = {"registry.read", "registry.write", "registry.import"};
        req.principal = admin;
        return dispatch(router, "", req, app->authenticator.get());
    }

    static nlohmann::json parse(const Response& r) { return nlohmann::json::parse(r.body); }

    long long create_authority() {
        auto r = call("POST", "/api/authorities",
                      R"({"name":"重庆市渝中区市场监督管理局","kind":"market_bureau","division_code":"500103"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return parse(r)["id"].get<long long>();
    }

    TempDatabase db;
    std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("twindraw-api-" + db.name());
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

const char* kSubject = R"({"uscc":"914403001922038216","name":"重庆渝中测试餐饮有限公司","division_code":"500103",
    "industry_code":"62","risk_level":3,"credit_level":"B","location":{"lon":106.57,"lat":29.55}})";

}  // namespace

TEST_F(RegistryApi, SubjectLifecycle) {
    auto r = call("POST", "/api/subjects", kSubject);
    ASSERT_EQ(r.status, 201) << r.body;
    auto created = parse(r);
    const std::string id = std::to_string(created["id"].get<long long>());
    EXPECT_EQ(created["division_code_label"], "渝中区");
    EXPECT_EQ(created["industry_code_label"], "餐饮业");
    EXPECT_DOUBLE_EQ(created["location"]["lon"].get<double>(), 106.57);

    r = call("GET", "/api/subjects/" + id);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(parse(r)["uscc"], "914403001922038216");

    r = call("PUT", "/api/subjects/" + id, R"({"division_code":"500106","phone":"023-65000000"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["division_code_label"], "沙坪坝区");
    EXPECT_EQ(parse(r)["name"], "重庆渝中测试餐饮有限公司");  // untouched field kept

    r = call("GET", "/api/subjects?q=%E6%B5%8B%E8%AF%95&division_code=500106&sort=name&order=desc");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["total"], 1);
    r = call("GET", "/api/subjects?division_code=500103");
    EXPECT_EQ(parse(r)["total"], 0);

    r = call("DELETE", "/api/subjects/" + id);
    EXPECT_EQ(r.status, 204);
    r = call("GET", "/api/subjects/" + id);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse(r)["error"]["code"], "not_found");
}

TEST_F(RegistryApi, InvalidUsccIs422WithFieldAndNothingIsStored) {
    auto bad = nlohmann::json::parse(kSubject);
    bad["uscc"] = "914403001922038217";
    auto r = call("POST", "/api/subjects", bad.dump());
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "uscc");
    EXPECT_EQ(parse(r)["error"]["code"], "uscc_check_digit");
    EXPECT_EQ(parse(call("GET", "/api/subjects"))["total"], 0);
}

TEST_F(RegistryApi, ConflictsAndReferencesNameTheirField) {
    ASSERT_EQ(call("POST", "/api/subjects", kSubject).status, 201);
    auto r = call("POST", "/api/subjects", kSubject);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["code"], "duplicate");
    EXPECT_EQ(parse(r)["error"]["field"], "uscc");

    auto other = nlohmann::json::parse(kSubject);
    other["uscc"] = "9144030071526726XG";
    other["division_code"] = "500199";
    r = call("POST", "/api/subjects", other.dump());
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "division_code");

    r = call("DELETE", "/api/divisions/500103");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(parse(r)["error"]["code"], "in_use");
}

TEST_F(RegistryApi, EveryEntityCanBeCreatedReadListedAndDeleted) {
    long long authority = create_authority();
    struct Case {
        std::string entity, body;
    } cases[] = {
        {"divisions", R"({"code":"500103001","name":"七星岗街道","level":4,"parent_code":"500103"})"},
        {"sections", R"({"authority_id":)" + std::to_string(authority) + R"(,"name":"信用监督管理科"})"},
        {"enterprise-types", R"({"code":"9300","name":"个人独资试点"})"},
        {"industries", R"({"code":"63","name":"测试大类","level":2,"parent_code":"H"})"},
        {"items", R"({"domain":"食品安全","name":"餐饮服务食品安全检查","object_type":"餐饮服务提供者","initiating_authority_id":)" +
                      std::to_string(authority) + R"(,"cooperating_authority_ids":[)" + std::to_string(authority) +
                      R"(],"importance":"key","method":"现场检查"})"},
        {"venues", R"({"name":"解放碑步行街","division_code":"500103","usage":"商业街区","in_use_since":"1997-06-01","location":{"lon":106.577,"lat":29.557}})"},
        {"products", R"({"licence_no":"SC10650010300001","product_name":"火锅底料","enterprise_name":"重庆测试食品有限公司","uscc":"914403001922038216","division_code":"500103","issued_on":"2023-01-01","valid_until":"2028-01-01"})"},
        {"inspectors", R"({"name":"张三","phone":"13800000000","division_code":"500103","authority_id":)" +
                           std::to_string(authority) +
                           R"(,"category":"law_enforcement","qualifications":["食品安全","特种设备"],"specialties":["餐饮"]})"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.entity);
        auto r = call("POST", "/api/" + c.entity, c.body);
        ASSERT_EQ(r.status, 201) << r.body;
        auto obj = parse(r);
        const auto* e = registry::find_entity(c.entity);
        std::string key = obj[e->key].is_string() ? obj[e->key].get<std::string>() : obj[e->key].dump();
        EXPECT_EQ(call("GET", "/api/" + c.entity + "/" + key).status, 200);
        auto list = parse(call("GET", "/api/" + c.entity + "?page_size=100"));
        EXPECT_GE(list["total"].get<long long>(), 1);
        EXPECT_EQ(call("GET", "/api/" + c.entity + "/export.xlsx").status, 200);
        if (c.entity == "inspectors") {
            auto f = parse(call("GET", "/api/inspectors?qualifications=%E7%89%B9%E7%A7%8D%E8%AE%BE%E5%A4%87"));
            EXPECT_EQ(f["total"], 1);
            EXPECT_EQ(obj["authority_id_label"], "重庆市渝中区市场监督管理局");
        }
        if (c.entity == "items") {
            EXPECT_EQ(obj["cooperating_authority_ids_label"][0], "重庆市渝中区市场监督管理局");
        }
        EXPECT_EQ(call("DELETE", "/api/" + c.entity + "/" + key).status, 204);
    }
}

TEST_F(RegistryApi, HostileInputIsRefusedOrStoredLiterallyNeverA500) {
    const std::string hostile = "'; DROP TABLE market_subject; -- %_\\";
    auto body = nlohmann::json::parse(kSubject);
    body["name"] = hostile;
    auto r = call("POST", "/api/subjects", body.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(parse(r)["name"], hostile);

    for (std::string q : {"%27%3B+DROP+TABLE+market_subject%3B--", "%25", "_", "%5C", "%00"}) {
        r = call("GET", "/api/subjects?q=" + q);
        EXPECT_LT(r.status, 500) << q << " " << r.body;
    }
    // A literal % matches only names that contain one.
    EXPECT_EQ(parse(call("GET", "/api/subjects?q=%25_"))["total"], 1);
    EXPECT_EQ(parse(call("GET", "/api/subjects?q=%25x"))["total"], 0);

    std::string long_text(100000, 'x');
    body["name"] = long_text;
    body["uscc"] = "9144030071526726XG";
    EXPECT_EQ(call("POST", "/api/subjects", body.dump()).status, 422);
    EXPECT_EQ(call("GET", "/api/subjects?q=" + long_text).status, 400);
    EXPECT_EQ(call("GET", "/api/subjects?sort=name%3B+DROP").status, 400);
    EXPECT_EQ(call("GET", "/api/subjects?risk_level=1+OR+1%3D1").status, 400);
    EXPECT_EQ(call("GET", "/api/subjects?no_such_field=1").status, 400);
    EXPECT_EQ(call("GET", "/api/subjects?page=0").status, 400);
    EXPECT_EQ(call("GET", "/api/subjects?page_size=100000").status, 400);
    EXPECT_EQ(call("GET", "/api/subjects/1%20OR%201=1").status, 400);
    EXPECT_EQ(call("GET", "/api/nothing").status, 404);
    EXPECT_EQ(call("POST", "/api/subjects", "{broken").status, 400);
    EXPECT_EQ(call("POST", "/api/subjects", R"({"name":{"$gt":""}})").status, 422);

    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM market_subject")[0].as<int>(), 1);
}

TEST_F(RegistryApi, OpenApiDescribesEveryRegisteredRoute) {
    auto doc = parse(call("GET", "/api/openapi.json"));
    EXPECT_EQ(doc["openapi"], "3.0.3");
    size_t checked = 0;
    for (const auto& route : router.routes()) {
        std::string method = route.method;
        for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::vector<std::string> paths;
        if (route.pattern.find("{entity}") == std::string::npos) {
            paths.push_back(route.pattern);
        } else {
            for (const auto& e : registry::entities()) {
                std::string p = route.pattern;
                p.replace(p.find("{entity}"), 8, e.name);
                paths.push_back(p);
            }
        }
        for (const auto& p : paths) {
            ASSERT_TRUE(doc["paths"].contains(p)) << p;
            ASSERT_TRUE(doc["paths"][p].contains(method)) << route.method << " " << p;
            EXPECT_FALSE(doc["paths"][p][method]["x-permission"].get<std::string>().empty()) << p;
            ++checked;
        }
        EXPECT_FALSE(route.permission.empty()) << route.pattern;
    }
    EXPECT_GT(checked, 50u);
    EXPECT_TRUE(doc["components"]["schemas"]["subjects"]["properties"].contains("uscc"));
}

TEST_F(RegistryApi, MetadataDescribesTheForms) {
    auto meta = parse(call("GET", "/api/meta/entities"));
    std::set<std::string> names;
    for (const auto& e : meta["entities"]) names.insert(e["name"].get<std::string>());
    for (const char* n : {"divisions", "authorities", "sections", "enterprise-types", "industries", "items", "subjects",
                          "venues", "products", "inspectors"})
        EXPECT_TRUE(names.count(n)) << n;
}

TEST_F(RegistryApi, UploadedCsvIsImportedInTheBackground) {
    const std::string csv =
        "统一社会信用代码,企业名称,经度,纬度,所属区县\n"
        "914403001922038216,渝中导入一号,106.57,29.55,500103\n"
        "914403001922038217,校验位错误,106.57,29.55,500103\n";
    auto r = call("POST", "/api/imports?kind=subjects&filename=roster.csv", csv, "text/csv");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    nlohmann::json job;
    for (int i = 0; i < 600; ++i) {  // bounded: at most one minute
        job = parse(call("GET", "/api/imports/" + id));
        if (job["status"] == "done" || job["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(job["status"], "done") << job.dump();
    EXPECT_EQ(job["inserted"], 1);
    EXPECT_EQ(job["rejected"], 1);
    ASSERT_EQ(job["errors"].size(), 1u);
    EXPECT_EQ(job["errors"][0]["row_no"], 3);
    EXPECT_EQ(job["errors"][0]["field"], "uscc");
    r = call("GET", "/api/imports/" + id + "/report.xlsx");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.substr(0, 2), "PK");  // a zip container, as XLSX is

    EXPECT_EQ(call("POST", "/api/imports?filename=x.png", "\x89PNG", "image/png").status, 415);
}

// Issue 12 §2: a ZIP-based upload is bounded when it arrives, before a job is queued or
// GDAL sees it; a real workbook still imports.
TEST_F(RegistryApi, AZipBombUploadIsRefusedAtOnceAndARealWorkbookStillImports) {
    const std::string bomb = twindraw::testing::zip_bomb("xl/sharedStrings.xml", 50u * 1024 * 1024);
    ASSERT_LT(bomb.size(), 200u * 1024);
    auto r = call("POST", "/api/imports?kind=subjects&filename=roster.xlsx", bomb, "application/octet-stream");
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "zip_ratio");
    EXPECT_EQ(parse(call("GET", "/api/imports"))["items"].size(), 0u) << "no job was queued";

    char tmpl[] = "/tmp/twindraw-xlsx-XXXXXX";
    const std::filesystem::path dir = ::mkdtemp(tmpl);
    {
        std::ofstream csv(dir / "roster.csv");
        csv << "统一社会信用代码,企业名称,经度,纬度,所属区县\n914403001922038216,渝中表格一号,106.57,29.55,500103\n";
    }
    ASSERT_EQ(std::system(("ogr2ogr -f XLSX " + (dir / "roster.xlsx").string() + " " + (dir / "roster.csv").string() +
                           " > /dev/null 2>&1").c_str()),
              0);
    std::ifstream in(dir / "roster.xlsx", std::ios::binary);
    const std::string xlsx((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove_all(dir);
    r = call("POST", "/api/imports?kind=subjects&filename=roster.xlsx", xlsx, "application/octet-stream");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    nlohmann::json job;
    for (int i = 0; i < 600; ++i) {  // bounded: at most one minute
        job = parse(call("GET", "/api/imports/" + id));
        if (job["status"] == "done" || job["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(job["status"], "done") << job.dump();
    EXPECT_EQ(job["inserted"], 1);
}

// ---- through a real socket ---------------------------------------------------------

namespace {
size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

long http(const std::string& url, std::string* body, const std::string& post = {}, bool is_post = false,
          const std::string& bearer = {}) {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_slist* headers = nullptr;
    if (!bearer.empty()) {
        headers = curl_slist_append(headers, ("Authorization: Bearer " + bearer).c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (is_post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post.size()));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return status;
}
}  // namespace

TEST_F(RegistryApi, HttpEndpointServesHealthReadinessLimitsAndStops) {
    ServerOptions opt;
    opt.port = 0;
    opt.threads = 2;
    opt.max_request_bytes = 4 * 1024 * 1024;
    opt.access_log = false;
    opt.authenticator = app->authenticator.get();
    // A real account and a bearer session, so the socket path runs the access checks.
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("INSERT INTO authority(name, kind, division_code) VALUES ('重庆市市场监督管理局', 'market_bureau', '500000')");
        tx.exec_params("INSERT INTO app_user(account, name, password_hash, must_change_password) VALUES ('admin', '管理员', $1, false)",
                       accounts::hash_password("Twindraw@2026"));
        tx.exec("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                " SELECT u.id, a.id, r.id, true FROM app_user u, authority a, role r WHERE r.code = 'system_admin'");
        tx.commit();
    }
    Request login;
    login.method = "POST";
    login.path = "/api/auth/login";
    login.body = R"({"account":"admin","password":"Twindraw@2026","client":"mobile"})";
    login.headers["content-type"] = "application/json";
    auto logged_in = dispatch(router, "", login, app->authenticator.get());
    ASSERT_EQ(logged_in.status, 200) << logged_in.body;
    const std::string token = nlohmann::json::parse(logged_in.body)["token"];
    HttpServer server(router, opt);
    server.start();
    ASSERT_NE(server.port(), 0);
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

    std::string body;
    ASSERT_EQ(http(base + "/healthz", &body), 200);
    EXPECT_EQ(nlohmann::json::parse(body)["status"], "ok");
    body.clear();
    ASSERT_EQ(http(base + "/readyz", &body), 200) << body;
    body.clear();
    EXPECT_EQ(http(base + "/api/subjects", &body), 401) << body;  // no session over the socket either
    body.clear();
    ASSERT_EQ(http(base + "/api/subjects?q=%E9%87%8D%E5%BA%86", &body, {}, false, token), 200) << body;
    EXPECT_EQ(nlohmann::json::parse(body)["total"], 0);

    // Bigger than a JSON body may be but within the endpoint's limit: our JSON 413.
    body.clear();
    std::string big = "{\"name\":\"" + std::string(1024 * 1024 + 10, 'x') + "\"}";
    EXPECT_EQ(http(base + "/api/subjects", &body, big, true, token), 413);
    EXPECT_EQ(nlohmann::json::parse(body)["error"]["code"], "body_too_large");
    // Beyond the endpoint's own limit Pistache refuses it before any handler runs.
    body.clear();
    std::string huge(opt.max_request_bytes + 1024, 'x');
    EXPECT_EQ(http(base + "/api/subjects", &body, huge, true), 413);
    server.stop();
    body.clear();
    EXPECT_EQ(http(base + "/healthz", &body), 0);  // nothing listens any more
}

TEST(Readiness, ReportsPendingMigrations) {
    TempDatabase db(false);
    App app{db.pool(), "", ""};
    Router router;
    register_system_routes(router, app);
    Request req;
    req.method = "GET";
    req.path = "/readyz";
    auto r = dispatch(router, "", req);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "migrations_pending");
}
