// Data scope in PostgreSQL (issue 3, SYS-8): row-level security keyed by the request's
// actor. Two districts (渝中区, 沙坪坝区) with objects, inspectors and people in each;
// users of one cannot list, read, change, delete, export or import into the other's
// rows through the API, and a bare SELECT in a transaction carrying one district's
// actor returns none of the other's rows even without a WHERE clause. Also the admin
// tiers of the organisation API and the record of refused attempts.
#include "common-pg.hpp"

#include "geo/error.hpp"

#include "server/app.hpp"
#include "server/auth-gate.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-password.hpp"
#include "workflows/uscc.hpp"

#include <filesystem>
#include <set>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::TempDatabase;

namespace {

const char* kPassword = "Twindraw@2026";

struct Session {
    std::string token;
};

class DataScope : public ::testing::Test {
protected:
    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(
            "INSERT INTO division(code, name, level, parent_code) VALUES"
            " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000'),"
            " ('500103001', '七星岗街道', 4, '500103')");
        auto unit = [&](const std::string& name, const std::string& kind, const std::string& code, long long parent) {
            return tx.exec_params1("INSERT INTO authority(name, kind, division_code, parent_id) VALUES ($1, $2, $3, NULLIF($4, 0)) RETURNING id",
                                   name, kind, code, parent)[0].as<long long>();
        };
        city = unit("重庆市市场监督管理局", "market_bureau", "500000", 0);
        yuzhong = unit("重庆市渝中区市场监督管理局", "market_bureau", "500103", city);
        office = unit("重庆市渝中区市场监督管理局七星岗市场监管所", "sub_office", "500103001", yuzhong);
        shapingba = unit("重庆市沙坪坝区市场监督管理局", "market_bureau", "500106", city);
        police = unit("重庆市公安局", "cooperating", "500000", 0);
        auto subject = [&](const std::string& name, const std::string& code, int serial) {
            const std::string u = uscc::make('1', code.substr(0, 6), static_cast<std::uint64_t>(serial));
            uscc_of[name] = u;
            return tx.exec_params1("INSERT INTO market_subject(uscc, name, division_code) VALUES ($1, $2, $3) RETURNING id", u,
                                   name, code)[0].as<long long>();
        };
        yz_subject = subject("渝中火锅店", "500103", 11);
        town_subject = subject("七星岗小面馆", "500103001", 12);
        spb_subject = subject("沙坪坝烧烤店", "500106", 13);
        yz_venue = tx.exec1("INSERT INTO venue(name, division_code) VALUES ('解放碑步行街', '500103') RETURNING id")[0].as<long long>();
        spb_venue = tx.exec1("INSERT INTO venue(name, division_code) VALUES ('三峡广场', '500106') RETURNING id")[0].as<long long>();
        yz_product = tx.exec_params1("INSERT INTO product(licence_no, enterprise_name, uscc, division_code) VALUES ('SC001', '渝中食品', $1, '500103') RETURNING id",
                                     uscc_of["渝中火锅店"])[0].as<long long>();
        spb_product = tx.exec_params1("INSERT INTO product(licence_no, enterprise_name, uscc, division_code) VALUES ('SC002', '沙坪坝食品', $1, '500106') RETURNING id",
                                      uscc_of["沙坪坝烧烤店"])[0].as<long long>();
        auto inspector = [&](const std::string& name, long long unit_id, const std::string& code) {
            return tx.exec_params1("INSERT INTO inspector(name, division_code, authority_id, category) VALUES ($1, $2, $3, 'law_enforcement') RETURNING id",
                                   name, code, unit_id)[0].as<long long>();
        };
        yz_inspector = inspector("渝中执法员", yuzhong, "500103");
        office_inspector = inspector("七星岗执法员", office, "500103001");
        spb_inspector = inspector("沙坪坝执法员", shapingba, "500106");
        police_inspector = inspector("公安协查员", police, "500000");
        tx.commit();
        app = std::make_unique<App>(App{db.pool(), "", (std::filesystem::temp_directory_path() / ("twindraw-scope-" + db.name())).string()});
        imports = std::make_unique<ImportQueue>(db.pool());
        app->imports = imports.get();
        register_all(router, *app);

        admin = make_user("admin", "system_admin", city);
        yz_admin = make_user("yz_admin", "district_admin", yuzhong);
        spb_admin = make_user("spb_admin", "district_admin", shapingba);
        office_admin = make_user("office_admin", "unit_admin", office);
        yz_person = make_user("yz_person", "inspector", yuzhong, yz_inspector);
        leader = make_user("leader", "leader", city);
    }

    long long make_user(const std::string& account, const std::string& role, long long unit, long long inspector_id = 0) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        long long id = tx.exec_params1(
                             "INSERT INTO app_user(account, name, password_hash, must_change_password, inspector_id)"
                             " VALUES ($1, $1, $2, false, NULLIF($3, 0)) RETURNING id",
                             account, accounts::hash_password(kPassword), inspector_id)[0]
                           .as<long long>();
        tx.exec_params("INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                       " SELECT $1, $2, id, true FROM role WHERE code = $3",
                       id, unit, role);
        tx.commit();
        return id;
    }

    Response call(const std::string& method, const std::string& target, const std::string& body = {},
                  const Session* s = nullptr, const std::string& content_type = "application/json") {
        Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = parse_query(target.substr(q + 1));
        req.body = body;
        req.peer = "192.0.2.10";
        req.headers["content-type"] = content_type;
        if (s) req.headers["authorization"] = "Bearer " + s->token;
        return dispatch(router, "", req, app->authenticator.get());
    }

    Session login(const std::string& account) {
        auto r = call("POST", "/api/auth/login",
                      nlohmann::json({{"account", account}, {"password", kPassword}, {"client", "mobile"}}).dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return {nlohmann::json::parse(r.body).value("token", "")};
    }

    static nlohmann::json parse(const Response& r) { return nlohmann::json::parse(r.body); }

    // The actor a request of this user's (only) identity carries.
    pg::Actor actor_of(long long user) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        auto r = tx.exec_params1(
            "SELECT i.id, i.authority_id, r.data_scope FROM user_identity i JOIN role r ON r.id = i.role_id WHERE i.user_id = $1",
            user);
        return {user, r[0].as<long long>(), r[1].as<long long>(), "192.0.2.10", r[2].as<std::string>(), true};
    }

    // The ids a bare query (no WHERE) returns inside a transaction of this actor.
    std::set<long long> ids_as(const pg::Actor& a, const std::string& table) {
        pg::ActorScope scope(a);
        return pg::with_read(db.pool(), "test", [&](pqxx::read_transaction& tx) {
            std::set<long long> out;
            for (const auto& row : tx.exec("SELECT id FROM " + table)) out.insert(row[0].as<long long>());
            return out;
        });
    }

    long long owner_count(const std::string& query) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1(query)[0].as<long long>();
    }

    TempDatabase db;
    long long city = 0, yuzhong = 0, office = 0, shapingba = 0, police = 0;
    long long yz_subject = 0, town_subject = 0, spb_subject = 0, yz_venue = 0, spb_venue = 0, yz_product = 0,
              spb_product = 0;
    long long yz_inspector = 0, office_inspector = 0, spb_inspector = 0, police_inspector = 0;
    long long admin = 0, yz_admin = 0, spb_admin = 0, office_admin = 0, yz_person = 0, leader = 0;
    std::map<std::string, std::string> uscc_of;
    std::unique_ptr<App> app;
    std::unique_ptr<ImportQueue> imports;
    Router router;
};

using Ids = std::set<long long>;

}  // namespace

// "A handler that forgets a filter still cannot read": bare SELECTs inside a transaction
// carrying the actor return only the actor's rows; the owner (no actor) sees all.
TEST_F(DataScope, BareSelectWithAnActorReturnsOnlyItsScope) {
    const pg::Actor yz = actor_of(yz_admin);
    EXPECT_EQ(ids_as(yz, "market_subject"), (Ids{yz_subject, town_subject}));
    EXPECT_EQ(ids_as(yz, "venue"), (Ids{yz_venue}));
    EXPECT_EQ(ids_as(yz, "product"), (Ids{yz_product}));
    EXPECT_EQ(ids_as(yz, "inspector"), (Ids{yz_inspector, office_inspector, police_inspector}));
    EXPECT_EQ(ids_as(yz, "app_user"), (Ids{yz_admin, office_admin, yz_person}));
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject"), 3);

    const pg::Actor spb = actor_of(spb_admin);
    EXPECT_EQ(ids_as(spb, "market_subject"), (Ids{spb_subject}));
    EXPECT_EQ(ids_as(spb, "inspector"), (Ids{spb_inspector, police_inspector}));
    EXPECT_EQ(ids_as(spb, "app_user"), (Ids{spb_admin}));

    // Unit and below, at a town office: the town's objects, the office's inspectors and people.
    const pg::Actor unit = actor_of(office_admin);
    EXPECT_EQ(ids_as(unit, "market_subject"), (Ids{town_subject}));
    EXPECT_EQ(ids_as(unit, "inspector"), (Ids{office_inspector, police_inspector}));
    EXPECT_EQ(ids_as(unit, "app_user"), (Ids{office_admin}));

    // Self: the unit's objects to look up, but only its own inspector record and account.
    const pg::Actor self = actor_of(yz_person);
    EXPECT_EQ(ids_as(self, "market_subject"), (Ids{yz_subject, town_subject}));
    EXPECT_EQ(ids_as(self, "inspector"), (Ids{yz_inspector}));
    EXPECT_EQ(ids_as(self, "app_user"), (Ids{yz_person}));

    const pg::Actor all = actor_of(leader);
    EXPECT_EQ(ids_as(all, "market_subject").size(), 3u);
    EXPECT_EQ(ids_as(all, "app_user").size(), 6u);

    // No scope at all (a user without identity): nothing scoped, itself only.
    pg::Actor none{yz_admin, 0, 0, "", "", true};
    EXPECT_TRUE(ids_as(none, "market_subject").empty());
    EXPECT_EQ(ids_as(none, "app_user"), (Ids{yz_admin}));

    // Writes to invisible rows touch nothing; moving a row out of the scope is refused.
    {
        pg::ActorScope scope(yz);
        pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) {
            EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(), "twindraw_app");
            EXPECT_EQ(tx.exec("UPDATE market_subject SET name = 'x' WHERE id = " + std::to_string(spb_subject)).affected_rows(), 0u);
            EXPECT_EQ(tx.exec("DELETE FROM market_subject WHERE id = " + std::to_string(spb_subject)).affected_rows(), 0u);
            EXPECT_EQ(tx.exec("DELETE FROM inspector WHERE id = " + std::to_string(spb_inspector)).affected_rows(), 0u);
        });
        EXPECT_THROW(pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) {
                         pg::exec(tx, "UPDATE market_subject SET division_code = '500106' WHERE id = $1",
                                  pg::Params().add(yz_subject));
                     }),
                     Error);
    }
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE name = '沙坪坝烧烤店' AND division_code = '500106'"), 1);
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE division_code = '500103'"), 1);
    // The role stays with the transaction: the pooled connection is the owner again.
    auto lease = db.pool().acquire("test");
    pqxx::read_transaction tx(*lease);
    EXPECT_NE(tx.exec1("SELECT current_user")[0].as<std::string>(), "twindraw_app");
}

TEST_F(DataScope, ApiCannotListReadChangeDeleteOrExportAnotherDistrictsRows) {
    Session yz = login("yz_admin");
    auto list = parse(call("GET", "/api/subjects?page_size=100", {}, &yz));
    EXPECT_EQ(list["total"], 2);
    for (const auto& item : list["items"]) EXPECT_NE(item["name"], "沙坪坝烧烤店");
    EXPECT_EQ(parse(call("GET", "/api/subjects?q=%E6%B2%99%E5%9D%AA%E5%9D%9D", {}, &yz))["total"], 0);  // q=沙坪坝
    EXPECT_EQ(parse(call("GET", "/api/subjects?division_code=500106", {}, &yz))["total"], 0);

    struct Other {
        std::string entity;
        long long id;
        std::string change;
    } others[] = {{"subjects", spb_subject, R"({"name":"改名"})"},
                  {"venues", spb_venue, R"({"name":"改名"})"},
                  {"products", spb_product, R"({"product_name":"改名"})"},
                  {"inspectors", spb_inspector, R"({"name":"改名"})"}};
    for (const auto& o : others) {
        SCOPED_TRACE(o.entity);
        const std::string path = "/api/" + o.entity + "/" + std::to_string(o.id);
        EXPECT_EQ(call("GET", path, {}, &yz).status, 404);
        EXPECT_EQ(call("PUT", path, o.change, &yz).status, 404);
        EXPECT_EQ(call("DELETE", path, {}, &yz).status, 404);
        auto own = parse(call("GET", "/api/" + o.entity + "?page_size=100", {}, &yz));
        for (const auto& item : own["items"]) EXPECT_NE(item["id"], o.id);
        EXPECT_EQ(call("GET", "/api/" + o.entity + "/export.xlsx", {}, &yz).status, 200);
    }
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE name = '沙坪坝烧烤店'"), 1);
    EXPECT_EQ(owner_count("SELECT count(*) FROM venue WHERE name = '三峡广场'"), 1);
    EXPECT_EQ(owner_count("SELECT count(*) FROM inspector WHERE name = '沙坪坝执法员'"), 1);

    // The GIS export carries the district's objects only.
    auto r = call("GET", "/api/objects/export?kind=subjects&format=geojson", {}, &yz);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_NE(r.body.find("渝中火锅店"), std::string::npos);
    EXPECT_EQ(r.body.find("沙坪坝烧烤店"), std::string::npos);
    // The other district sees its own.
    Session spb = login("spb_admin");
    r = call("GET", "/api/objects/export?kind=subjects&format=geojson", {}, &spb);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("渝中火锅店"), std::string::npos);
    EXPECT_NE(r.body.find("沙坪坝烧烤店"), std::string::npos);

    // Creating in, or moving into, the other district is refused (and nothing stored).
    nlohmann::json body = {{"uscc", uscc::make('1', "500106", 99)}, {"name", "越界新增"}, {"division_code", "500106"}};
    r = call("POST", "/api/subjects", body.dump(), &yz);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "out_of_scope");
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE name = '越界新增'"), 0);
    r = call("PUT", "/api/subjects/" + std::to_string(yz_subject), R"({"division_code":"500106"})", &yz);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE division_code = '500106'"), 1);
    r = call("POST", "/api/inspectors",
             nlohmann::json({{"name", "越界执法员"}, {"division_code", "500106"}, {"authority_id", shapingba}, {"category", "law_enforcement"}}).dump(),
             &yz);
    EXPECT_EQ(r.status, 403) << r.body;
    // Inside the scope all works.
    body = {{"uscc", uscc::make('1', "500103", 98)}, {"name", "渝中新增"}, {"division_code", "500103"}};
    EXPECT_EQ(call("POST", "/api/subjects", body.dump(), &yz).status, 201);
    EXPECT_EQ(call("PUT", "/api/subjects/" + std::to_string(yz_subject), R"({"name":"渝中火锅店改名"})", &yz).status, 200);
    EXPECT_EQ(call("DELETE", "/api/venues/" + std::to_string(yz_venue), {}, &yz).status, 204);

    // People: another district's user is out of reach.
    EXPECT_EQ(call("GET", "/api/users/" + std::to_string(spb_admin), {}, &yz).status, 403);
    auto users = parse(call("GET", "/api/users?page_size=100", {}, &yz));
    for (const auto& u : users["items"]) EXPECT_NE(u["account"], "spb_admin");
}

TEST_F(DataScope, ImportsRunAsTheImportingUser) {
    Session yz = login("yz_admin");
    const std::string csv = "统一社会信用代码,企业名称,所属区县,经度,纬度\n" + uscc::make('1', "500103", 71) +
                            ",渝中导入,500103,106.57,29.55\n" + uscc::make('1', "500106", 72) +
                            ",沙坪坝导入,500106,106.45,29.56\n" + uscc_of["沙坪坝烧烤店"] + ",改成渝中,500103,106.57,29.55\n";
    auto r = call("POST", "/api/imports?kind=subjects&filename=roster.csv", csv, &yz, "text/csv");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    nlohmann::json job;
    for (int i = 0; i < 600; ++i) {
        job = parse(call("GET", "/api/imports/" + id, {}, &yz));
        if (job["status"] == "done" || job["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // The third row claims 渝中 for a 沙坪坝 subject: the upsert would take over a row
    // of another district, which row-level security refuses for the whole import.
    ASSERT_EQ(job["status"], "failed") << job.dump();
    EXPECT_EQ(job["error_code"], "out_of_scope") << job.dump();
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE name IN ('渝中导入', '改成渝中')"), 0);

    const std::string fair = "统一社会信用代码,企业名称,所属区县,经度,纬度\n" + uscc::make('1', "500103", 71) +
                             ",渝中导入,500103,106.57,29.55\n" + uscc::make('1', "500106", 72) + ",沙坪坝导入,500106,106.45,29.56\n";
    r = call("POST", "/api/imports?kind=subjects&filename=roster.csv", fair, &yz, "text/csv");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id2 = std::to_string(parse(r)["id"].get<long long>());
    for (int i = 0; i < 600; ++i) {
        job = parse(call("GET", "/api/imports/" + id2, {}, &yz));
        if (job["status"] == "done" || job["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(job["status"], "done") << job.dump();
    EXPECT_EQ(job["inserted"], 1);
    EXPECT_EQ(job["rejected"], 1);
    ASSERT_EQ(job["errors"].size(), 1u);
    EXPECT_EQ(job["errors"][0]["code"], "out_of_scope");
    EXPECT_EQ(job["errors"][0]["row_no"], 3);
    EXPECT_EQ(owner_count("SELECT count(*) FROM market_subject WHERE name = '沙坪坝导入'"), 0);
    // The import's changes carry the importing user in the audit trail.
    EXPECT_EQ(owner_count("SELECT count(*) FROM audit_log WHERE entity = 'market_subject' AND action = 'insert' AND user_id = " +
                          std::to_string(yz_admin)),
              1);
}

// SYS-8: organisation changes only below one's tier; refusals answer 403 and are kept
// in access_refusal, chained into the audit trail.
TEST_F(DataScope, OrgAdminTiersAndRefusalsAreRecorded) {
    Session a = login("admin"), yz = login("yz_admin"), unit = login("office_admin");
    auto unit_body = [&](const std::string& name, const std::string& code, long long parent) {
        return nlohmann::json({{"name", name}, {"kind", "sub_office"}, {"division_code", code}, {"parent_id", parent}}).dump();
    };
    auto r = call("POST", "/api/org/units", unit_body("渝中区市场监督管理局解放碑市场监管所", "500103", yuzhong), &yz);
    ASSERT_EQ(r.status, 201) << r.body;
    const long long created = parse(r)["id"];
    EXPECT_EQ(call("PUT", "/api/org/units/" + std::to_string(created), R"({"phone":"023-63800000"})", &yz).status, 200);

    const long long before = owner_count("SELECT count(*) FROM access_refusal");
    r = call("POST", "/api/org/units", unit_body("沙坪坝区越界所", "500106", shapingba), &yz);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "out_of_scope");
    r = call("PUT", "/api/org/units/" + std::to_string(yuzhong), R"({"phone":"023-1"})", &yz);  // its own tier
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r)["error"]["code"], "role_above_admin");
    EXPECT_EQ(call("PUT", "/api/org/units/" + std::to_string(city), R"({"phone":"023-2"})", &yz).status, 403);
    EXPECT_EQ(call("DELETE", "/api/org/units/" + std::to_string(shapingba), {}, &yz).status, 403);
    r = call("POST", "/api/org/sections", nlohmann::json({{"authority_id", shapingba}, {"name", "越界科"}}).dump(), &yz);
    EXPECT_EQ(r.status, 403);
    r = call("POST", "/api/org/sections", nlohmann::json({{"authority_id", yuzhong}, {"name", "综合科"}}).dump(), &yz);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(owner_count("SELECT count(*) FROM authority WHERE name = '沙坪坝区越界所'"), 0);
    EXPECT_EQ(owner_count("SELECT count(*) FROM section WHERE name = '越界科'"), 0);
    EXPECT_EQ(owner_count("SELECT count(*) FROM authority WHERE phone IN ('023-1', '023-2')"), 0);

    // A unit admin has no system.org: 403 forbidden for the org API and the org tree, but
    // the user form's unit list works.
    EXPECT_EQ(call("POST", "/api/org/sections", nlohmann::json({{"authority_id", office}, {"name", "科"}}).dump(), &unit).status, 403);
    EXPECT_EQ(call("GET", "/api/org-tree", {}, &unit).status, 403);
    r = call("GET", "/api/users/units", {}, &unit);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("七星岗"), std::string::npos);
    EXPECT_EQ(r.body.find("沙坪坝"), std::string::npos);
    // Users above the tier.
    r = call("POST", "/api/users",
             nlohmann::json({{"account", "spb_new"}, {"name", "越界"}, {"password", "Jiefangbei#2026"},
                             {"identities", {{{"unit_id", shapingba}, {"role_code", "inspector"}}}}})
                 .dump(),
             &yz);
    EXPECT_EQ(r.status, 403);

    EXPECT_EQ(owner_count("SELECT count(*) FROM access_refusal") - before, 8);
    EXPECT_EQ(owner_count("SELECT count(*) FROM access_refusal WHERE user_id = " + std::to_string(yz_admin) +
                          " AND unit_id = " + std::to_string(yuzhong) + " AND address = '192.0.2.10'"
                          " AND code IN ('out_of_scope', 'role_above_admin')"),
              6);
    EXPECT_EQ(owner_count("SELECT count(*) FROM access_refusal WHERE user_id = " + std::to_string(office_admin) +
                          " AND code = 'forbidden' AND path = '/api/org-tree'"),
              1);
    // Each refusal is in the tamper-evident trail with its author.
    EXPECT_EQ(owner_count("SELECT count(*) FROM audit_log WHERE entity = 'access_refusal' AND user_id = " +
                          std::to_string(yz_admin)),
              6);
    // The application role cannot erase them.
    {
        pg::ActorScope scope(actor_of(yz_admin));
        EXPECT_ANY_THROW(pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) { tx.exec("DELETE FROM access_refusal"); }));
    }
    // The system administrator may do all of it.
    EXPECT_EQ(call("PUT", "/api/org/units/" + std::to_string(shapingba), R"({"phone":"023-65000000"})", &a).status, 200);
    EXPECT_EQ(call("DELETE", "/api/org/units/" + std::to_string(created), {}, &a).status, 204);
}

// The audit trail is scoped like the data it records: a district admin reads the records
// of changes made from its district's units, not another district's; scope 'all' reads both.
TEST_F(DataScope, AuditTrailIsReadOnlyWithinTheScope) {
    const pg::Actor yz = actor_of(yz_admin);
    const pg::Actor spb = actor_of(spb_admin);
    auto rename = [&](const pg::Actor& a, long long id, const char* name) {
        pg::ActorScope scope(a);
        pg::with_transaction(db.pool(), "test", [&](pqxx::work& tx) {
            EXPECT_EQ(pg::exec(tx, "UPDATE market_subject SET name = $2 WHERE id = $1",
                               pg::Params().add(id).add(std::string(name)))
                          .affected_rows(),
                      1u);
        });
    };
    rename(yz, yz_subject, "渝中审计范围测试");
    rename(spb, spb_subject, "沙坪坝审计范围测试");
    auto updated_as = [&](const pg::Actor& a) {
        pg::ActorScope scope(a);
        return pg::with_read(db.pool(), "test", [&](pqxx::read_transaction& tx) {
            Ids out;
            for (const auto& row : tx.exec("SELECT entity_id FROM audit_log WHERE entity = 'market_subject' AND "
                                           "action = 'update' AND after->>'name' LIKE '%审计范围测试'"))
                out.insert(std::stoll(row[0].c_str()));
            return out;
        });
    };
    EXPECT_EQ(updated_as(yz), (Ids{yz_subject}));
    EXPECT_EQ(updated_as(spb), (Ids{spb_subject}));
    EXPECT_EQ(updated_as(actor_of(leader)), (Ids{yz_subject, spb_subject}));
    EXPECT_EQ(owner_count("SELECT count(*) FROM audit_log WHERE entity = 'market_subject' AND action = 'update' "
                          "AND after->>'name' LIKE '%审计范围测试'"),
              2);
}
