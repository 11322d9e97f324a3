// The audit API (AUDIT-1) through dispatch() on a real PostGIS: changes made over HTTP
// by an authenticated principal are listed with who, unit and address, filtered, shown
// with before/after and exported; malformed filters answer 400 naming the field.
#include "common-pg.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"

#include <filesystem>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;

namespace {

class AuditApi : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000');"
            "INSERT INTO authority(id, name, kind, division_code) VALUES"
            " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103');"
            "INSERT INTO app_user(id, account, name, password_hash) VALUES (77, 'zhangsan', '张三', 'x')");
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
                  std::vector<std::string> permissions = {"audit.read", "registry.read", "registry.write"}) {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = "application/json";
        req.peer = "192.0.2.8";
        Principal p;
        p.user_id = 77;
        p.identity_id = 78;
        p.unit_id = 900;
        p.stage = "ok";
        p.data_scope = "all";
        p.permissions = std::move(permissions);
        req.principal = p;
        return dispatch(router, "", req);
    }

    static nlohmann::json parse(const Response& r) { return nlohmann::json::parse(r.body); }

    TempDatabase db;
    std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("twindraw-audit-" + db.name());
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

const char* kSubject = R"({"uscc":"914403001922038216","name":"重庆渝中测试餐饮有限公司","division_code":"500103",
    "risk_level":3,"credit_level":"B","location":{"lon":106.57,"lat":29.55}})";

}  // namespace

TEST_F(AuditApi, ChangesOverHttpAreListedWithTheirActorAndDetail) {
    auto r = call("POST", "/api/subjects", kSubject);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    ASSERT_EQ(call("PUT", "/api/subjects/" + id, R"({"phone":"023-65000000"})").status, 200);

    r = call("GET", "/api/audit?entity=market_subject&entity_id=" + id);
    ASSERT_EQ(r.status, 200) << r.body;
    auto list = parse(r);
    ASSERT_EQ(list["total"], 2);
    const auto& top = list["items"][0];  // newest first
    EXPECT_EQ(top["action"], "update");
    EXPECT_EQ(top["user_id"], 77);
    EXPECT_EQ(top["user_name"], "张三");
    EXPECT_EQ(top["identity_id"], 78);
    EXPECT_EQ(top["unit_id"], 900);
    EXPECT_EQ(top["unit_name"], "重庆市渝中区市场监督管理局");
    EXPECT_EQ(top["address"], "192.0.2.8");
    EXPECT_EQ(top["entity_label"], "市场主体");
    EXPECT_EQ(list["items"][1]["action"], "insert");

    r = call("GET", "/api/audit/" + std::to_string(top["id"].get<long long>()));
    ASSERT_EQ(r.status, 200) << r.body;
    auto detail = parse(r);
    EXPECT_TRUE(detail["before"]["phone"].is_null());
    EXPECT_EQ(detail["after"]["phone"], "023-65000000");
    EXPECT_EQ(detail["changed"], nlohmann::json::array({"phone"}));
    EXPECT_EQ(detail["hash"].get<std::string>().size(), 64u);

    EXPECT_EQ(call("GET", "/api/audit/999999").status, 404);
}

TEST_F(AuditApi, FiltersNarrowTheList) {
    ASSERT_EQ(call("POST", "/api/subjects", kSubject).status, 201);
    auto total = [&](const std::string& q) {
        auto r = call("GET", "/api/audit?" + q);
        EXPECT_EQ(r.status, 200) << q << ": " << r.body;
        return parse(r)["total"].get<long long>();
    };
    long long all = total("");
    EXPECT_GE(all, 5);  // the fixture's rows (no actor) and the subject's
    EXPECT_EQ(total("user_id=77"), 1);
    EXPECT_EQ(total("user_id=76"), 0);
    EXPECT_EQ(total("action=insert&entity=division"), 2);
    EXPECT_EQ(total("action=delete"), 0);
    EXPECT_EQ(total("from=2000-01-01&to=2999-12-31"), all);
    EXPECT_EQ(total("to=2000-01-01"), 0);
    auto r = call("GET", "/api/audit?page=2&page_size=2");
    EXPECT_EQ(parse(r)["items"].size(), 2u);
    EXPECT_EQ(parse(r)["page"], 2);
}

TEST_F(AuditApi, MalformedFiltersAre400NamingTheField) {
    struct Case {
        std::string query, field;
    } cases[] = {{"from=2026-02-30", "from"}, {"to=yesterday", "to"},       {"action=drop", "action"},
                 {"user_id=1;DROP", "user_id"}, {"page_size=1000", "page_size"}, {"from=2026-02-02&to=2026-02-01", "from"}};
    for (const auto& c : cases) {
        auto r = call("GET", "/api/audit?" + c.query);
        EXPECT_EQ(r.status, 400) << c.query << ": " << r.body;
        EXPECT_EQ(parse(r)["error"]["field"], c.field) << c.query;
    }
    EXPECT_EQ(call("GET", "/api/audit/abc").status, 400);
    // A quote in a text filter is a value, not SQL.
    auto r = call("GET", "/api/audit?entity=market_subject'%20OR%20'1'='1");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(parse(r)["total"], 0);
}

TEST_F(AuditApi, ExportIsAnXlsxOfTheFilteredRows) {
    ASSERT_EQ(call("POST", "/api/subjects", kSubject).status, 201);
    auto r = call("GET", "/api/audit/export.xlsx?entity=market_subject");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.content_type.find("spreadsheetml"), std::string::npos);
    EXPECT_EQ(r.body.substr(0, 2), "PK");
    EXPECT_EQ(call("GET", "/api/audit/export.xlsx?from=bad").status, 400);
}

TEST_F(AuditApi, NeedsTheAuditPermission) {
    EXPECT_EQ(call("GET", "/api/audit", {}, {"registry.read"}).status, 403);
    EXPECT_EQ(call("GET", "/api/audit/1", {}, {"registry.read"}).status, 403);
    EXPECT_EQ(call("GET", "/api/audit/export.xlsx", {}, {"registry.read"}).status, 403);
    auto r = call("GET", "/api/audit/entities");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("市场主体"), std::string::npos);
}
