// Data scope holes (issue 12 §1; AUTH-5, SYS-1..3, SYS-8), tried as a dishonest insider
// of another district would: through the organisation tables (moving one's own unit to
// the city's division, re-parenting or editing another district's units), another
// district's draws and recusals, linking an account to another district's inspector,
// another district's import jobs and the city-wide draw settings. Made systematic by two
// enumerations that a new table or route cannot slip past: every table of the schema has
// row-level security or a stated exemption, and every write route of the router is tried
// by a holder of its permission from another district against 渝中区's rows, expecting
// 403/404 and the row unchanged (or the route says why it takes no foreign id).
#include "demo-api.hpp"

#include "geo/pg-context.hpp"
#include "server/import-queue.hpp"
#include "workflows/account-permissions.hpp"
#include "workflows/uscc.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
using twindraw::testing::DemoApiTest;
using twindraw::testing::TempDatabase;
using json = nlohmann::json;

namespace {

// --- Every table: row-level security, or a reason -----------------------------------

// Reference data, base map, machinery and credentials: no unit or district owns a row.
// Each name also carries a `-- no-rls: NAME reason` comment in data/migrations.
const std::map<std::string, std::string> kExempt = {
    {"division", "GB/T 2260 administrative divisions, national reference data"},
    {"draw_log", "the public, append-only, hash-chained draw log: public by design (issue 12 §3), written only by the draw functions"},
    {"enterprise_type", "code table"},
    {"industry", "GB/T 4754 classification, national reference data"},
    {"work_calendar", "national holiday schedule"},
    {"work_calendar_year", "which holiday years are official"},
    {"dict_category", "city-wide dictionaries"},
    {"dict_entry", "city-wide dictionary entries"},
    {"role", "role definitions are city-wide; who holds them (user_identity) has row-level security"},
    {"advance_notice_rule", "city-wide advance-notice rules"},
    {"patrol_setting", "city-wide patrol settings"},
    {"announcement", "city-wide notices published to every user"},
    {"road_edge", "road network, public geography"},
    {"road_vertex", "road network, public geography"},
    {"water_feature", "base map, public geography"},
    {"schema_migrations", "migration bookkeeping, written by `twindraw migrate` only"},
    {"tile_dirty", "tile cache expiry, written by SECURITY DEFINER triggers only"},
    {"audit_chain", "audit machinery, no rights for twindraw_app"},
    {"audit_pending", "audit machinery, no rights for twindraw_app"},
    {"audit_tx", "audit machinery, no rights for twindraw_app"},
    {"notify_outbox", "delivery queue of SECURITY DEFINER functions and the notify worker (owner)"},
    {"session", "found by token hash as the owner before a request has an actor"},
    {"sms_code", "checked by code hash as the owner before a request has an actor"},
};

std::set<std::string> no_rls_comments() {
    std::set<std::string> out;
    const std::regex re("no-rls:\\s*([a-z_][a-z0-9_]*)");
    for (const auto& f : std::filesystem::directory_iterator(std::string(TWINDRAW_SOURCE_DIR) + "/data/migrations")) {
        if (f.path().extension() != ".sql") continue;
        std::ifstream in(f.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1].str());
    }
    return out;
}

TEST(SchemaScope, EveryTableHoldingUnitDataHasRowLevelSecurity) {
    TempDatabase db;
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    // Ordinary and partitioned tables of the schema, without those of extensions (PostGIS's
    // spatial_ref_sys).
    auto rows = tx.exec(
        "SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
        "                     AND d.deptype = 'e')"
        " ORDER BY 1");
    std::map<std::string, bool> tables;
    for (const auto& r : rows) tables[r[0].c_str()] = r[1].as<bool>();
    ASSERT_GT(tables.size(), 60u);
    for (const auto& [name, rls] : tables) {
        if (rls) continue;
        EXPECT_TRUE(kExempt.count(name))
            << "table " << name << " has no row-level security: give it policies (see 0034_scope_holes.sql),"
            << " or, for reference data only, a `-- no-rls: " << name << " reason` comment and an entry in kExempt";
    }
    // The list cannot rot: each name exists and still lacks row-level security.
    for (const auto& [name, why] : kExempt) {
        auto it = tables.find(name);
        ASSERT_NE(it, tables.end()) << name << " is exempt (" << why << ") but no longer exists";
        EXPECT_FALSE(it->second) << name << " has row-level security now: drop it from the exempt list";
    }
    // The migrations say the same as the list: one `-- no-rls:` comment per exempt table.
    std::set<std::string> listed;
    for (const auto& [name, why] : kExempt) listed.insert(name);
    EXPECT_EQ(no_rls_comments(), listed);
    // Every table with row-level security has a policy (else only the owner sees a row).
    auto bare = tx.exec(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relrowsecurity"
        "   AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)");
    for (const auto& r : bare) ADD_FAILURE() << r[0].c_str() << " has row-level security but no policy";
}

// --- The attacks ----------------------------------------------------------------------

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR scan-bytes", 18);
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "signature-bytes";

class ScopeHoles : public DemoApiTest {
protected:
    static void SetUpTestSuite() {
        start_demo_city({.enterprises = 1500, .seed = 23});
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        yuzhong = bureau(tx, "500103");
        jiangbei = bureau(tx, "500105");
        office = tx.exec1("SELECT a.id FROM authority a JOIN app_user u ON u.account = 'yz_office_admin'"
                          " JOIN user_identity i ON i.user_id = u.id AND i.authority_id = a.id")[0]
                     .as<long long>();
        jb_office = tx.exec_params1("SELECT id FROM authority WHERE parent_id = $1 AND kind = 'sub_office' ORDER BY id LIMIT 1",
                                    jiangbei)[0]
                        .as<long long>();
        // The draw pool of 渝中区 (as in test-appeal-api.cpp): inspector1..3 and a fourth,
        // leaders inspector1 and the fourth; a fifth stays eligible for changes.
        const auto four = four_inspectors(tx, yuzhong);
        std::copy(four.begin(), four.end(), inspector);
        inspector[5] = tx.exec_params1(
                             "INSERT INTO inspector(name, division_code, authority_id, category)"
                             " VALUES ('备选执法人员', '500103', $1, 'law_enforcement') RETURNING id",
                             yuzhong)[0]
                           .as<long long>();
        tx.exec_params(
            "UPDATE inspector SET active = (id IN ($2, $3, $4, $5)), is_leader = (id IN ($2, $5)),"
            " qualifications = '{}', specialties = '{}', category = 'law_enforcement' WHERE authority_id = $1",
            yuzhong, inspector[1], inspector[2], inspector[3], inspector[4]);
        item = tx.exec1("SELECT id FROM inspection_item WHERE importance = 'key' ORDER BY id LIMIT 1")[0].as<long long>();
        jb_inspector = tx.exec_params1("SELECT id FROM inspector WHERE authority_id = $1 ORDER BY id LIMIT 1", jiangbei)[0]
                           .as<long long>();
        // A holder of every permission with district scope in 江北区 (and its twin in
        // 渝中区, the control), and 江北区's district admin.
        std::string perms;
        for (const auto& p : accounts::permission_catalogue()) perms += (perms.empty() ? "" : ",") + p.name;
        tx.exec_params("INSERT INTO role(code, name, permissions, data_scope) VALUES"
                       " ('scope_probe', '越权探测', string_to_array($1, ','), 'district')",
                       perms);
        add_user(tx, "jb_probe", jiangbei, "scope_probe");
        add_user(tx, "yz_probe", yuzhong, "scope_probe");
        add_user(tx, "jb_admin", jiangbei, "district_admin");
        // Two more 渝中区 assigners: a person may be party to one open attempt without a
        // task at a time (issue 12 §3), and the matrix needs three such attempts.
        add_user(tx, "yz_assigner2", yuzhong, "task_assigner");
        add_user(tx, "yz_assigner3", yuzhong, "task_assigner");
        tx.commit();
        start_api("scope", [](App& a) {
            a.max_upload_bytes = 256 * 1024;
            imports = new ImportQueue(a.pool);
            a.imports = imports;
        });
    }

    static void TearDownTestSuite() {
        delete imports;
        imports = nullptr;
        stop();
    }

    static std::string id(long long v) { return std::to_string(v); }

    // One row as text, as the owner sees it ("absent" when gone).
    static std::string row(const std::string& table, long long row_id) {
        auto r = sql("SELECT coalesce((SELECT to_jsonb(t)::text FROM " + table + " t WHERE t.id = " + id(row_id) +
                     "), 'absent')");
        return r[0][0].c_str();
    }

    static long long count(const std::string& query) { return sql(query)[0][0].as<long long>(); }

    // A statement as the owner (fixtures only).
    static pqxx::result write(const std::string& query) {
        pqxx::connection c(db->url());
        pqxx::work tx(c);
        auto r = tx.exec(query);
        tx.commit();
        return r;
    }

    static long long user_id(const std::string& account) {
        return count("SELECT id FROM app_user WHERE account = '" + account + "'");
    }

    static void expect_refused(const Response& r, const std::string& what) {
        EXPECT_TRUE(r.status == 403 || r.status == 404) << what << ": " << r.status << " " << r.body;
    }

    static std::string draw_body(const std::string& title) {
        return yuzhong_draw_body(title, item, yuzhong, "\"ratio\":20");
    }

    static inline ImportQueue* imports = nullptr;
    static inline long long yuzhong = 0, jiangbei = 0, office = 0, jb_office = 0, item = 0, jb_inspector = 0;
    static inline long long inspector[6] = {};
};

TEST_F(ScopeHoles, OrganisationCannotBeMovedOrEditedAcrossDistricts) {
    const std::string own = row("authority", office), jb = row("authority", jiangbei), jbo = row("authority", jb_office);
    // A sub-office's unit admin (registry.write) widens its own scope by moving its unit to
    // the city's division code, or takes another district's unit under its own.
    auto r = call("yz_office_admin", "PUT", "/api/authorities/" + id(office), json{{"division_code", "500000"}});
    expect_refused(r, "own unit to the city's division");
    r = call("yz_office_admin", "PUT", "/api/authorities/" + id(jiangbei), json{{"parent_id", office}});
    expect_refused(r, "re-parent another district's bureau");
    r = call("yz_office_admin", "PUT", "/api/authorities/" + id(jb_office), json{{"name", "被改名的所"}});
    expect_refused(r, "rename another district's unit");
    r = call("yz_office_admin", "DELETE", "/api/authorities/" + id(jb_office));
    expect_refused(r, "delete another district's unit");
    r = call("yz_office_admin", "POST", "/api/authorities",
             json{{"name", "江北区某新所"}, {"kind", "sub_office"}, {"division_code", "500105"}, {"parent_id", jiangbei}});
    expect_refused(r, "create a unit in another district");
    EXPECT_EQ(row("authority", office), own);
    EXPECT_EQ(row("authority", jiangbei), jb);
    EXPECT_EQ(row("authority", jb_office), jbo);
    EXPECT_EQ(count("SELECT count(*) FROM authority WHERE name = '江北区某新所'"), 0);
    // The same through the organisation routes, as 江北区's district admin (system.org).
    r = call("jb_admin", "PUT", "/api/org/units/" + id(office), json{{"name", "被改名的所"}});
    expect_refused(r, "org: rename another district's unit");
    r = call("jb_admin", "PUT", "/api/org/units/" + id(jiangbei), json{{"division_code", "500000"}});
    expect_refused(r, "org: own bureau to the city's division");
    r = call("jb_admin", "PUT", "/api/org/units/" + id(jb_office), json{{"division_code", "500000"}});
    refused(r, 403, "system_admin_only");
    EXPECT_EQ(row("authority", office), own);
    EXPECT_EQ(row("authority", jiangbei), jb);
    EXPECT_EQ(row("authority", jb_office), jbo);

    // Moving a unit inside one's own district is a system administrator's action too.
    const std::string town = sql("SELECT code FROM division WHERE parent_code = '500103' AND code <> "
                                 "(SELECT division_code FROM authority WHERE id = " + id(office) + ") ORDER BY code LIMIT 1")[0][0]
                                 .c_str();
    r = call("yz_admin", "PUT", "/api/org/units/" + id(office), json{{"division_code", town}});
    refused(r, 403, "system_admin_only");
    r = call("yz_admin", "PUT", "/api/authorities/" + id(office), json{{"parent_id", nullptr}});
    refused(r, 403, "system_admin_only");
    EXPECT_EQ(row("authority", office), own);
    ok(call("yz_admin", "PUT", "/api/org/units/" + id(office), json{{"phone", "023-63000000"}}));  // still its unit

    // The system administrator moves it, and the trail records who did.
    const long long before = count("SELECT coalesce(max(id), 0) FROM audit_log");
    ok(call("admin", "PUT", "/api/org/units/" + id(office), json{{"division_code", town}}));
    auto audit = sql("SELECT user_id, before->>'division_code', after->>'division_code' FROM audit_log"
                     " WHERE entity = 'authority' AND entity_id = '" + id(office) + "' AND action = 'update' AND id > " +
                     id(before));
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<long long>(), user_id("admin"));
    EXPECT_EQ(std::string(audit[0][2].c_str()), town);
    EXPECT_NE(std::string(audit[0][1].c_str()), town);

    // Sections and inspection items of another district.
    const long long jb_section =
        write("INSERT INTO section(authority_id, name) VALUES (" + id(jiangbei) + ", '江北测试科') RETURNING id")[0][0]
            .as<long long>();
    const long long jb_item = write("INSERT INTO inspection_item(domain, name, object_type, initiating_authority_id)"
                                    " VALUES ('食品安全', '江北区自定事项', '餐饮服务单位', " + id(jiangbei) + ") RETURNING id")[0][0]
                                  .as<long long>();
    const std::string sec = row("section", jb_section), itm = row("inspection_item", jb_item);
    expect_refused(call("yz_admin", "PUT", "/api/sections/" + id(jb_section), json{{"name", "改名科"}}), "section");
    expect_refused(call("yz_admin", "DELETE", "/api/sections/" + id(jb_section)), "delete section");
    expect_refused(call("yz_admin", "PUT", "/api/items/" + id(jb_item), json{{"name", "改名事项"}}), "item");
    expect_refused(call("yz_admin", "DELETE", "/api/items/" + id(jb_item)), "delete item");
    expect_refused(call("yz_admin", "POST", "/api/items",
                        json{{"domain", "食品安全"}, {"name", "冒名事项"}, {"object_type", "餐饮服务单位"},
                             {"importance", "general"}, {"initiating_authority_id", jiangbei}}),
                   "item in another district's name");
    EXPECT_EQ(row("section", jb_section), sec);
    EXPECT_EQ(row("inspection_item", jb_item), itm);
    EXPECT_EQ(count("SELECT count(*) FROM inspection_item WHERE name = '冒名事项'"), 0);
}

TEST_F(ScopeHoles, DrawsAndRecusalsOfAnotherDistrict) {
    const long long draft = new_draw(draw_body("渝中区越权测试（草稿）"));
    set_draw_password("yz_assigner");
    set_draw_password("jb_admin");
    const std::string d = "/api/draws/" + id(draft);
    const std::string before = row("draw", draft);
    // Reading it, its record and its attempts.
    for (const std::string& path : {d, d + "/record.json", d + "/record.pdf"})
        expect_refused(call("jb_admin", "GET", path), path);
    auto list = ok(call("jb_admin", "GET", "/api/draws?page_size=100"));
    for (const auto& it : list["items"]) EXPECT_NE(it["id"].get<long long>(), draft);
    // Confirming with its own draw password, discarding, attaching a scan.
    expect_refused(call("jb_admin", "POST", d + "/confirm", json{{"password", kDrawPassword}}), "confirm");
    expect_refused(call("jb_admin", "POST", d + "/discard", json{{"reason", "越权作废"}}), "discard");
    expect_refused(raw("POST", d + "/scans?filename=scan.png", kPng, token("jb_admin"), "application/octet-stream"),
                   "scan");
    EXPECT_EQ(row("draw", draft), before);
    EXPECT_EQ(count("SELECT count(*) FROM draw_scan WHERE draw_id = " + id(draft)), 0);
    EXPECT_EQ(count("SELECT count(*) FROM draw_object WHERE draw_id = " + id(draft) + " AND NOT open"), 0);

    // Recusals: 渝中区's are neither listed, deleted nor added to by 江北区.
    auto made = ok(call("yz_admin", "POST", "/api/draw-recusals",
                        json{{"inspector_id", inspector[4]}, {"reason", "与辖区企业存在利害关系"}}),
                   201);
    const long long recusal = made["id"].get<long long>();
    auto seen = ok(call("jb_admin", "GET", "/api/draw-recusals"));
    for (const auto& it : seen["items"]) EXPECT_NE(it["id"].get<long long>(), recusal);
    expect_refused(call("jb_admin", "DELETE", "/api/draw-recusals/" + id(recusal)), "delete recusal");
    expect_refused(call("jb_admin", "POST", "/api/draw-recusals",
                        json{{"inspector_id", inspector[2]}, {"reason", "越权回避，使其不能被抽中"}}),
                   "add recusal");
    EXPECT_EQ(count("SELECT count(*) FROM inspector_recusal WHERE id = " + id(recusal)), 1);
    EXPECT_EQ(count("SELECT count(*) FROM inspector_recusal WHERE inspector_id = " + id(inspector[2])), 0);
    // The owners still can.
    ok(call("yz_assigner", "GET", d));
    ok(call("yz_assigner", "POST", d + "/confirm", json{{"password", kDrawPassword}}));
    ok(call("yz_admin", "DELETE", "/api/draw-recusals/" + id(recusal)), 204);
}

TEST_F(ScopeHoles, InspectorLinkStaysInsideTheScope) {
    const auto body = [&](const std::string& account, long long inspector_id) {
        return json{{"account", account},
                    {"name", "越权关联"},
                    {"password", "Qz7#kLm2@pX9"},
                    {"inspector_id", inspector_id},
                    {"identities", json::array({json{{"unit_id", jiangbei},
                                                     {"role_id", count("SELECT id FROM role WHERE code = 'inspector'")},
                                                     {"is_default", true}}})}};
    };
    // 江北区's admin links a new account to 渝中区's inspector1: refused, nothing written.
    auto r = call("jb_admin", "POST", "/api/users", body("jb_link1", inspector[1]));
    expect_refused(r, "link a new account to another district's inspector");
    EXPECT_EQ(count("SELECT count(*) FROM app_user WHERE account = 'jb_link1'"), 0);
    // Its own inspector is fine; re-linking that account to 渝中区's inspector is not.
    auto made = ok(call("jb_admin", "POST", "/api/users", body("jb_link2", jb_inspector)), 201);
    const long long u = made["id"].get<long long>();
    const std::string before = row("app_user", u);
    r = call("jb_admin", "PUT", "/api/users/" + id(u), json{{"inspector_id", inspector[4]}});
    expect_refused(r, "re-link to another district's inspector");
    EXPECT_EQ(row("app_user", u), before);
}

long long as_account(const std::string& url, const std::string& account, const std::string& statement,
                     bool commit = false);

TEST_F(ScopeHoles, ImportJobsAreTheImportersOwn) {
    // One row of 渝中区 and one of 沙坪坝区 (a row error: outside the importer's scope).
    const std::string csv = "统一社会信用代码,企业名称,所属区县,经度,纬度\n" + uscc::make('1', "500103", 91) +
                            ",渝中导入,500103,106.57,29.55\n" + uscc::make('1', "500106", 92) +
                            ",沙坪坝导入,500106,106.45,29.56\n";
    auto r = raw("POST", "/api/imports?kind=subjects&filename=yz-roster.csv", csv, token("yz_admin"), "text/csv");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string job = std::to_string(parse(r)["id"].get<long long>());
    for (int i = 0; i < 200; ++i) {
        auto s = ok(call("yz_admin", "GET", "/api/imports/" + job));
        if (s["status"] == "done" || s["status"] == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto mine = ok(call("yz_admin", "GET", "/api/imports/" + job));
    EXPECT_FALSE(mine["errors"].empty()) << mine.dump();
    // 江北区's importer sees neither the job, its row errors nor its report.
    auto list = ok(call("jb_admin", "GET", "/api/imports"));
    for (const auto& it : list["items"]) EXPECT_NE(std::to_string(it["id"].get<long long>()), job);
    expect_refused(call("jb_admin", "GET", "/api/imports/" + job), "job");
    expect_refused(call("jb_admin", "GET", "/api/imports/" + job + "/report.xlsx"), "report");
    // In the database too (0042): the row errors follow their job's policy, for reading
    // and for writing, though the importer writes them in bulk.
    const std::string errors = "SELECT count(*) FROM import_error WHERE import_id = " + job;
    EXPECT_GT(as_account(db->url(), "yz_admin", errors), 0);
    EXPECT_EQ(as_account(db->url(), "jb_admin", errors), 0);
    EXPECT_EQ(as_account(db->url(), "jb_admin",
                         "INSERT INTO import_error(import_id, row_no, field, code, message) VALUES (" + job +
                             ", 9, 'name', 'forged', '伪造的错误')"),
              -1);
}

TEST_F(ScopeHoles, DrawSettingsAreCityWide) {
    const std::string before = sql("SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'")[0][0].c_str();
    const std::string rules = sql("SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY code) FROM draw_filter_rule r")[0][0].c_str();
    refused(call("yz_admin", "PUT", "/api/draw-rules", json{{"code", "general_max_ratio_bp"}, {"value", 9999}}), 403,
            "city_admin_only");
    refused(call("yz_admin", "PUT", "/api/draw-rules", json{{"code", "inspected_this_year"}, {"enabled", false}}), 403,
            "city_admin_only");
    EXPECT_EQ(std::string(sql("SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'")[0][0].c_str()), before);
    EXPECT_EQ(std::string(sql("SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY code) FROM draw_filter_rule r")[0][0].c_str()),
              rules);
    ok(call("admin", "PUT", "/api/draw-rules", json{{"code", "general_max_ratio_bp"}, {"value", 600}}));
    EXPECT_EQ(std::string(sql("SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'")[0][0].c_str()), "600");
}

// --- Plans, tasks, history, completions, messages, feedback: in the database ---------
// Row-level security of 0038_flow_rls.sql, tried through SQL as the server runs it: the
// role twindraw_app with the account's identity, unit and data scope in the transaction
// (pg::apply_actor), so no handler filter stands between the statement and the rows.

struct Identity {
    long long user = 0, identity = 0, unit = 0;
    std::string scope;
};

Identity identity_of(const std::string& url, const std::string& account) {
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params1(
        "SELECT u.id, i.id, i.authority_id, r.data_scope FROM app_user u JOIN user_identity i ON i.user_id = u.id"
        " JOIN role r ON r.id = i.role_id WHERE u.account = $1 ORDER BY i.is_default DESC, i.id LIMIT 1",
        account);
    return {r[0].as<long long>(), r[1].as<long long>(), r[2].as<long long>(), r[3].as<std::string>()};
}

// One statement as account: the first column of its first row for a query, the rows it
// changed for a write, -1 when the database refused it. Kept only when commit is set.
long long as_account(const std::string& url, const std::string& account, const std::string& statement,
                     bool commit) {
    const Identity who = identity_of(url, account);
    pg::ActorScope actor(pg::Actor(who.user, who.identity, who.unit, "test", who.scope, true));
    pqxx::connection c(url);
    pqxx::work tx(c);
    pg::apply_actor(tx);
    try {
        auto r = tx.exec(statement);
        const long long out = r.columns() > 0 && !r.empty() ? r[0][0].as<long long>() : (long long)r.affected_rows();
        if (commit) tx.commit();
        return out;
    } catch (const pqxx::sql_error&) {
        return -1;
    }
}

TEST_F(ScopeHoles, PlansTasksHistoryAndCompletionsAreScopedInTheDatabase) {
    // 渝中区's rows, made by its own people: a draft and a distributed plan, a received
    // task (its executing unit 渝中区), their flow history and (as the owner) a completion.
    const json plan = {{"year", 2026}, {"name", "库内范围测试计划"}, {"plan_type", "single"}, {"item_ids", {item}},
                       {"object_scope", "渝中区食品经营者"}, {"start_date", "2026-03-01"}, {"end_date", "2026-11-30"}};
    const long long draft = ok(call("yz_assigner", "POST", "/api/plans", plan), 201)["id"];
    json p2 = plan;
    p2["name"] = "库内范围测试计划（已下发）";
    const long long dist = distributed_plan(p2);
    const json body = {{"plan_id", dist}, {"name", "库内范围测试任务"}, {"task_type", "single"}, {"item_ids", {item}},
                       {"start_date", "2026-04-01"}, {"end_date", "2026-06-30"},
                       {"draw_params", json::parse(R"({
                            "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                                        "strata": [{"ratio": 3}]},
                            "inspectors": {"scope": "bureau"},
                            "groups": {"count": 1, "inspectors_per_group": 2}})")}};
    const long long task = task_in_state(body, "received");
    const long long completion = write("INSERT INTO task_completion(task_id, jobs, completed_at, completed_on) VALUES (" +
                                       id(task) + ", 1, now(), current_date) RETURNING id")[0][0]
                                     .as<long long>();
    const std::string url = db->url(), plans = "(" + id(draft) + "," + id(dist) + ")";
    const std::string history = "SELECT count(*) FROM flow_history WHERE (entity = 'plan' AND entity_id IN " + plans +
                                ") OR (entity IN ('task', 'task_unit') AND entity_id = " + id(task) + ")";
    const std::string units = "SELECT count(*) FROM task_unit WHERE task_id = " + id(task);
    ASSERT_GE(count(history), 5);
    ASSERT_EQ(count(units), 1);

    // The owner scope reads each of them.
    EXPECT_EQ(as_account(url, "yz_assigner", "SELECT count(*) FROM annual_plan WHERE id IN " + plans), 2);
    EXPECT_EQ(as_account(url, "yz_assigner", "SELECT count(*) FROM inspection_task WHERE id = " + id(task)), 1);
    EXPECT_EQ(as_account(url, "yz_assigner", units), 1);
    EXPECT_EQ(as_account(url, "yz_assigner", history), count(history));
    EXPECT_EQ(as_account(url, "yz_assigner", "SELECT count(*) FROM task_completion WHERE id = " + id(completion)), 1);
    // ... and changes its own (rolled back).
    EXPECT_EQ(as_account(url, "yz_assigner", "UPDATE annual_plan SET remark = '本区修改' WHERE id = " + id(draft)), 1);
    EXPECT_EQ(as_account(url, "yz_assigner", "UPDATE inspection_task SET description = '本区修改' WHERE id = " + id(task)), 1);

    // 江北区's district administrator (and the holder of every permission there) sees none.
    for (const std::string who : {"jb_admin", "jb_probe"}) {
        EXPECT_EQ(as_account(url, who, "SELECT count(*) FROM annual_plan WHERE id IN " + plans), 0) << who;
        EXPECT_EQ(as_account(url, who, "SELECT count(*) FROM inspection_task WHERE id = " + id(task)), 0) << who;
        EXPECT_EQ(as_account(url, who, units), 0) << who;
        EXPECT_EQ(as_account(url, who, history), 0) << who;
        EXPECT_EQ(as_account(url, who, "SELECT count(*) FROM task_completion WHERE id = " + id(completion)), 0) << who;
    }

    // ... and changes none of them, kept or not.
    const std::string before = row("annual_plan", draft) + row("annual_plan", dist) + row("inspection_task", task) +
                               sql("SELECT string_agg(to_jsonb(u)::text, ',') FROM task_unit u WHERE task_id = " +
                                   id(task))[0][0].c_str();
    const long long rows_before = count(history);
    const std::string jb = id(jiangbei);
    for (const std::string& st : {
             "UPDATE annual_plan SET name = '越权改名' WHERE id IN " + plans,
             "UPDATE annual_plan SET initiating_authority_id = " + jb + " WHERE id IN " + plans,
             "DELETE FROM annual_plan WHERE id = " + id(draft),
             "UPDATE inspection_task SET name = '越权改名' WHERE id = " + id(task),
             "UPDATE inspection_task SET initiating_authority_id = " + jb + " WHERE id = " + id(task),
             "DELETE FROM inspection_task WHERE id = " + id(task),
             "UPDATE task_unit SET state = 'waiting', received_by = NULL WHERE task_id = " + id(task),
             "DELETE FROM task_unit WHERE task_id = " + id(task),
             "UPDATE flow_history SET opinion = '篡改' WHERE entity = 'task' AND entity_id = " + id(task),
             "DELETE FROM flow_history WHERE entity = 'task' AND entity_id = " + id(task)})
        EXPECT_LE(as_account(url, "jb_admin", st, true), 0) << st;
    // Writing new rows in 渝中区's name or about its task is refused outright.
    for (const std::string& st : {
             "INSERT INTO annual_plan(year, name, plan_type, initiating_authority_id, object_scope, start_date, end_date)"
             " VALUES (2026, '冒名计划', 'single', " + id(yuzhong) + ", '冒名', '2026-01-01', '2026-12-31')",
             "INSERT INTO inspection_task(plan_id, name, task_type, initiating_authority_id, start_date, end_date)"
             " VALUES (" + id(dist) + ", '冒名任务', 'single', " + id(yuzhong) + ", '2026-04-01', '2026-04-30')",
             "INSERT INTO task_unit(task_id, authority_id, unit_role) VALUES (" + id(task) + ", " + jb + ", 'executing')",
             "INSERT INTO flow_history(entity, entity_id, action, user_id, unit_id) VALUES ('task', " + id(task) +
                 ", 'approve', " + id(user_id("jb_admin")) + ", " + jb + ")",
             "INSERT INTO flow_history(entity, entity_id, action, user_id, unit_id) VALUES ('plan', " + id(dist) +
                 ", 'recall', " + id(user_id("jb_admin")) + ", " + jb + ")"})
        EXPECT_EQ(as_account(url, "jb_admin", st, true), -1) << st;
    EXPECT_EQ(row("annual_plan", draft) + row("annual_plan", dist) + row("inspection_task", task) +
                  sql("SELECT string_agg(to_jsonb(u)::text, ',') FROM task_unit u WHERE task_id = " + id(task))[0][0].c_str(),
              before);
    EXPECT_EQ(count(history), rows_before);
    EXPECT_EQ(count("SELECT count(*) FROM annual_plan WHERE name = '冒名计划'") +
                  count("SELECT count(*) FROM inspection_task WHERE name = '冒名任务'"),
              0);
}

TEST_F(ScopeHoles, ReadersOfAPlanOrTaskWhoDidNotInitiateItChangeNothingButTheirOwnPart) {
    // A plan distributed to 渝中区's bureau and its sub-office, and an approved task with
    // the sub-office as executing unit: the sub-office's admin reads both (the handlers'
    // visible()) and may lock them, but changes only its own receiving and the columns an
    // executing unit records (trigger flow_initiator_guard).
    const json plan = {{"year", 2026}, {"name", "执行单位测试计划"}, {"plan_type", "single"}, {"item_ids", {item}},
                       {"object_scope", "渝中区食品经营者"}, {"start_date", "2026-03-01"}, {"end_date", "2026-11-30"}};
    const long long p = ok(call("yz_assigner", "POST", "/api/plans", plan), 201)["id"];
    ok(call("yz_assigner", "POST", "/api/plans/" + id(p) + "/distribute", json{{"unit_ids", {yuzhong, office}}}));
    const json body = {{"plan_id", p}, {"name", "执行单位测试任务"}, {"task_type", "single"}, {"item_ids", {item}},
                       {"executing_unit_ids", {office}}, {"start_date", "2026-04-01"}, {"end_date", "2026-06-30"},
                       {"draw_params", json::parse(R"({
                            "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                                        "strata": [{"ratio": 3}]},
                            "inspectors": {"scope": "bureau"},
                            "groups": {"count": 1, "inspectors_per_group": 2}})")}};
    const long long task = task_in_state(body, "approved");
    const std::string url = db->url(), t = id(task), reader = "yz_office_admin";
    EXPECT_EQ(as_account(url, reader, "SELECT count(*) FROM annual_plan WHERE id = " + id(p)), 1);
    EXPECT_EQ(as_account(url, reader, "SELECT count(*) FROM inspection_task WHERE id = " + t), 1);
    EXPECT_EQ(as_account(url, reader, "SELECT count(*) FROM task_unit WHERE task_id = " + t), 2);
    const std::string before = row("annual_plan", p) + row("inspection_task", task);
    EXPECT_EQ(as_account(url, reader, "UPDATE annual_plan SET name = '执行单位改名' WHERE id = " + id(p), true), -1);
    EXPECT_EQ(as_account(url, reader, "UPDATE inspection_task SET name = '执行单位改名' WHERE id = " + t, true), -1);
    EXPECT_EQ(as_account(url, reader, "UPDATE inspection_task SET end_date = '2026-12-31' WHERE id = " + t, true), -1);
    EXPECT_EQ(as_account(url, reader, "UPDATE inspection_task SET initiating_authority_id = " + id(office) +
                                          " WHERE id = " + t, true),
              -1);
    EXPECT_EQ(as_account(url, reader, "DELETE FROM inspection_task WHERE id = " + t, true), 0);
    EXPECT_EQ(as_account(url, reader, "DELETE FROM task_unit WHERE task_id = " + t, true), 0);
    EXPECT_EQ(as_account(url, reader, "UPDATE task_unit SET state = 'received' WHERE task_id = " + t +
                                          " AND authority_id = " + id(yuzhong), true),
              0);
    EXPECT_EQ(row("annual_plan", p) + row("inspection_task", task), before);
    // Its own part (rolled back): the time a draw was recorded, its own receiving.
    EXPECT_EQ(as_account(url, reader, "UPDATE inspection_task SET drawn_at = now() WHERE id = " + t), 1);
    EXPECT_EQ(as_account(url, reader, "UPDATE task_unit SET state = 'received' WHERE task_id = " + t +
                                          " AND authority_id = " + id(office)),
              1);
}

TEST_F(ScopeHoles, MessagesAndFeedbackAreScopedInTheDatabase) {
    // A message to 渝中区 (the unit) and one to yz_assigner, read by yz_assigner; its feedback.
    const long long sender = user_id("yz_admin"), yz_user = user_id("yz_assigner"), jb_user = user_id("jb_admin");
    const long long to_unit = write("INSERT INTO message(category, title, sender_id) VALUES ('system', '渝中区内部通知', " +
                                    id(sender) + ") RETURNING id")[0][0]
                                  .as<long long>();
    const long long to_user = write("INSERT INTO message(category, title, sender_id) VALUES ('system', '给渝中区个人', " +
                                    id(sender) + ") RETURNING id")[0][0]
                                  .as<long long>();
    write("INSERT INTO message_recipient(message_id, unit_id) VALUES (" + id(to_unit) + ", " + id(yuzhong) + ");"
          "INSERT INTO message_recipient(message_id, user_id) VALUES (" + id(to_user) + ", " + id(yz_user) + ");"
          "INSERT INTO message_read(message_id, user_id) VALUES (" + id(to_user) + ", " + id(yz_user) + ")");
    const long long fb = ok(call("yz_assigner", "POST", "/api/feedback",
                                 json{{"kind", "business"}, {"title", "渝中区的问题"}, {"content", "库内范围测试"}}),
                            201)["id"];
    const std::string url = db->url(), msgs = "(" + id(to_unit) + "," + id(to_user) + ")";
    const std::string messages = "SELECT count(*) FROM message WHERE id IN " + msgs;
    const std::string recipients = "SELECT count(*) FROM message_recipient WHERE message_id IN " + msgs;
    const std::string marks = "SELECT count(*) FROM message_read WHERE message_id IN " + msgs;
    const std::string feedback = "SELECT count(*) FROM feedback WHERE id = " + id(fb);

    // The addressees read them; the sender its messages; the submitter its feedback.
    EXPECT_EQ(as_account(url, "yz_assigner", messages), 2);
    EXPECT_EQ(as_account(url, "yz_assigner", recipients), 2);
    EXPECT_EQ(as_account(url, "yz_assigner", marks), 1);
    EXPECT_EQ(as_account(url, "yz_assigner", feedback), 1);
    EXPECT_EQ(as_account(url, "yz_admin", messages), 2);
    EXPECT_EQ(as_account(url, "admin", feedback), 1);     // scope all
    EXPECT_EQ(as_account(url, "jb_probe", feedback), 1);  // system.feedback, whatever the scope

    // 江北区 sees none of them (jb_probe holds system.feedback: feedback goes to the
    // platform's operators, whoever they are, so only jb_admin is tried there).
    for (const std::string who : {"jb_admin", "jb_probe"}) {
        EXPECT_EQ(as_account(url, who, messages), 0) << who;
        EXPECT_EQ(as_account(url, who, recipients), 0) << who;
        EXPECT_EQ(as_account(url, who, marks), 0) << who;
    }
    EXPECT_EQ(as_account(url, "jb_admin", feedback), 0);

    // Nor does it change them, read them for 渝中区's people, or address itself into them.
    auto state = [&] {
        return sql("SELECT (SELECT string_agg(to_jsonb(m)::text, ',' ORDER BY id) FROM message m WHERE id IN " + msgs +
                   ") || (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY id) FROM message_recipient r WHERE message_id IN " +
                   msgs + ") || (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY message_id) FROM message_read r"
                   " WHERE message_id IN " + msgs + ") || (SELECT to_jsonb(f)::text FROM feedback f WHERE id = " + id(fb) + ")")[0][0]
            .c_str();
    };
    const std::string before = state();
    for (const std::string& st : {
             "UPDATE message SET title = '篡改' WHERE id IN " + msgs,
             "DELETE FROM message WHERE id IN " + msgs,
             "UPDATE message_recipient SET unit_id = " + id(jiangbei) + " WHERE message_id = " + id(to_unit),
             "DELETE FROM message_recipient WHERE message_id IN " + msgs,
             "DELETE FROM message_read WHERE message_id IN " + msgs,
             "UPDATE feedback SET status = 'closed' WHERE id = " + id(fb),
             "DELETE FROM feedback WHERE id = " + id(fb)})
        EXPECT_LE(as_account(url, "jb_admin", st, true), 0) << st;
    for (const std::string& st : {
             "INSERT INTO message_recipient(message_id, user_id) VALUES (" + id(to_unit) + ", " + id(jb_user) + ")",
             "INSERT INTO message_read(message_id, user_id) VALUES (" + id(to_unit) + ", " + id(yz_user) + ")",
             "INSERT INTO message_read(message_id, user_id) VALUES (" + id(to_unit) + ", " + id(jb_user) + ")",
             "INSERT INTO message(category, title, sender_id) VALUES ('system', '冒名消息', " + id(sender) + ")",
             "INSERT INTO feedback(user_id, unit_id, kind, title, content, due_date) VALUES (" + id(yz_user) + ", " +
                 id(yuzhong) + ", 'business', '冒名反馈', '冒名', current_date)"})
        EXPECT_EQ(as_account(url, "jb_admin", st, true), -1) << st;
    EXPECT_EQ(state(), before);
    EXPECT_EQ(count("SELECT count(*) FROM message WHERE title = '冒名消息'") +
                  count("SELECT count(*) FROM feedback WHERE title = '冒名反馈'"),
              0);
}

// --- Every write route, tried from another district ---------------------------------

// Write routes that take no id of a unit's or district's row, and why.
const std::map<std::string, std::string> kNoForeignId = {
    {"POST /api/auth/login", "public: signs in"},
    {"POST /api/auth/second-factor", "public: the caller's own challenge"},
    {"POST /api/auth/sms/send", "public: the caller's own challenge"},
    {"POST /api/auth/reset/send", "public: password reset by account"},
    {"POST /api/auth/reset", "public: password reset by code"},
    {"POST /api/auth/logout", "the caller's own session"},
    {"POST /api/auth/logout-all", "the caller's own sessions"},
    {"POST /api/auth/switch", "switches among the caller's own identities"},
    {"POST /api/auth/password", "the caller's own password"},
    {"POST /api/auth/totp/enroll", "the caller's own second factor"},
    {"POST /api/auth/totp/confirm", "the caller's own second factor"},
    {"PUT /api/draws-password", "the caller's own draw password"},
    {"POST /api/feedback", "files feedback as the caller"},
    {"POST /api/feedback/{id}/reply", "feedback goes to the platform operators (system.feedback), not to a unit"},
    {"POST /api/feedback/{id}/close", "feedback goes to the platform operators (system.feedback), not to a unit"},
    {"DELETE /api/feedback/{id}", "feedback goes to the platform operators (system.feedback), not to a unit"},
    {"POST /api/messages/{id}/read", "the caller's own read mark"},
    {"POST /api/messages/read-all", "the caller's own read marks"},
    {"POST /api/messages", "city-wide notices: recipients in any unit by design (system.announce)"},
    {"POST /api/announcements", "city-wide announcements (reference data)"},
    {"PUT /api/announcements/{id}", "city-wide announcements (reference data)"},
    {"POST /api/announcements/{id}/publish", "city-wide announcements (reference data)"},
    {"POST /api/announcements/{id}/withdraw", "city-wide announcements (reference data)"},
    {"DELETE /api/announcements/{id}", "city-wide announcements (reference data)"},
    {"POST /api/dict/categories", "city-wide dictionaries (reference data)"},
    {"PUT /api/dict/categories/{id}", "city-wide dictionaries (reference data)"},
    {"DELETE /api/dict/categories/{id}", "city-wide dictionaries (reference data)"},
    {"POST /api/dict/entries", "city-wide dictionaries (reference data)"},
    {"PUT /api/dict/entries/{id}", "city-wide dictionaries (reference data)"},
    {"DELETE /api/dict/entries/{id}", "city-wide dictionaries (reference data)"},
    {"PUT /api/calendar/{year}", "national holiday calendar (reference data)"},
    {"DELETE /api/calendar/{year}", "national holiday calendar (reference data)"},
    {"POST /api/roles", "role definitions are city-wide (system.roles)"},
    {"PUT /api/roles/{id}", "role definitions are city-wide (system.roles)"},
    {"DELETE /api/roles/{id}", "role definitions are city-wide (system.roles)"},
    {"POST /api/imports", "rows outside the importer's scope become row errors (DataScope.ImportsRunAsTheImportingUser)"},
    {"POST /api/draws/preview", "the population is read under the drawer's row-level security"},
    {"POST /api/draws", "the population is read under the drawer's row-level security"},
    {"POST /api/plans", "made as the caller's unit; naming cooperating or target units is its purpose"},
    {"POST /api/tasks", "made as the caller's unit under one of its visible plans"},
    {"POST /api/patrol/points", "made in the caller's unit"},
    {"POST /api/patrol/routes", "made in the caller's unit"},
    {"POST /api/patrol/areas", "made in the caller's unit"},
    {"POST /api/patrol/checkins", "checks in the caller's own inspector"},
    {"POST /api/unlicensed", "recorded in the caller's unit"},
    {"POST /api/publication/publish", "publishes from the caller's visible accepted results"},
};

struct Attempt {
    std::string path;
    std::string body;     // sent as it is
    std::string state;    // SQL (as the owner) whose answer must not change
    std::string type = "application/json";
};

TEST_F(ScopeHoles, EveryWriteRouteRefusesAnotherDistrictsRows) {
    // 渝中区's rows, made by its own people.
    set_draw_password("yz_assigner");
    set_draw_password("jb_probe");
    const long long conf = new_draw(yuzhong_draw_body("矩阵测试（确认）", item, yuzhong, "\"ratio\":50"));
    confirm_draw(conf);
    const long long draft = new_draw(draw_body("矩阵测试（草稿）"));
    // Format 2 (issue 12 §3): an attempt only committed (no witness yet), and one whose
    // abandonment 渝中区's assigner requested (pending another person's approval).
    const long long committed = ok(call("yz_assigner2", "POST", "/api/draws", draw_body("矩阵测试（承诺）")), 201)["id"];
    const long long pending = new_draw(draw_body("矩阵测试（申请放弃）"), "yz_assigner3");
    ok(call("yz_assigner", "POST", "/api/draws/" + id(pending) + "/abandon", json{{"reason", "矩阵测试放弃"}}));
    auto jobs = sql("SELECT id FROM inspection_job WHERE draw_id = " + id(conf) + " ORDER BY id");
    ASSERT_GE(jobs.size(), 2u);
    const long long job = jobs[0][0].as<long long>(), job2 = jobs[1][0].as<long long>();
    const long long yz_head = user_id("yz_head"), yz_user = user_id("yz_assigner");
    const json plan = {{"year", 2026}, {"name", "矩阵测试计划"}, {"plan_type", "single"}, {"item_ids", {item}},
                       {"object_scope", "渝中区食品经营者"}, {"start_date", "2026-03-01"}, {"end_date", "2026-11-30"}};
    const long long plan_draft = ok(call("yz_assigner", "POST", "/api/plans", plan), 201)["id"];
    json plan2 = plan;
    plan2["name"] = "矩阵测试计划（已下发）";
    const long long plan_dist = distributed_plan(plan2);
    const json task = {{"plan_id", plan_dist}, {"name", "矩阵测试任务"}, {"task_type", "single"}, {"item_ids", {item}},
                       {"start_date", "2026-04-01"}, {"end_date", "2026-06-30"}, {"description", "按年度计划开展"},
                       {"draw_params", json::parse(R"({
                            "objects": {"object_type": "market_subject", "division_codes": ["500103"],
                                        "strata": [{"ratio": 3}]},
                            "inspectors": {"scope": "bureau"},
                            "groups": {"count": 1, "inspectors_per_group": 2}})")}};
    const long long task_created = task_in_state(task, "created");
    json t2 = task;
    t2["name"] = "矩阵测试任务（已提交）";
    const long long task_submitted = task_in_state(t2, "submitted");
    t2["name"] = "矩阵测试任务（已接收）";
    const long long task_received = task_in_state(t2, "received");
    const long long subject = count("SELECT id FROM market_subject WHERE division_code LIKE '500103%' ORDER BY id LIMIT 1");
    const long long venue = write("INSERT INTO venue(name, division_code) VALUES ('渝中区矩阵场所', '500103') RETURNING id")[0][0]
                                .as<long long>();
    const std::string uscc_p = uscc::make('1', "500103", 93);
    const long long product =
        write("INSERT INTO product(licence_no, enterprise_name, uscc, division_code) VALUES ('SC-MATRIX-1', '渝中区矩阵厂', '" +
              uscc_p + "', '500103') RETURNING id")[0][0]
            .as<long long>();
    const long long section = count("SELECT id FROM section WHERE authority_id = " + id(yuzhong) + " ORDER BY id LIMIT 1");
    const long long yz_item =
        write("INSERT INTO inspection_item(domain, name, object_type, initiating_authority_id) VALUES ('食品安全',"
              " '渝中区矩阵事项', '餐饮服务单位', " + id(yuzhong) + ") RETURNING id")[0][0]
            .as<long long>();
    const long long recusal = write("INSERT INTO inspector_recusal(inspector_id, reason) VALUES (" + id(inspector[4]) +
                                    ", '矩阵测试回避') RETURNING id")[0][0]
                                  .as<long long>();
    const long long appeal =
        write("INSERT INTO result_appeal(job_id, unit_id, reason, corrected, reviewer_id, filed_by) VALUES (" + id(job2) +
              ", " + id(yuzhong) + ", '矩阵测试申诉', '{}', " + id(yz_head) + ", " + id(yz_user) + ") RETURNING id")[0][0]
            .as<long long>();
    const long long change =
        write("INSERT INTO draw_change(draw_id, unit_id, kind, reason_code, reason, group_no, old_inspector_id,"
              " new_inspector_id, requested_by) VALUES (" + id(conf) + ", " + id(yuzhong) + ", 'inspector', 'health',"
              " '矩阵测试变更', 1, " + id(inspector[1]) + ", " + id(inspector[5]) + ", " + id(yz_user) + ") RETURNING id")[0][0]
            .as<long long>();
    // job2 is an accepted and published result (as the owner: the review flow has its
    // own tests).
    write("UPDATE inspection_job SET state = 'accepted', inspected_on = current_date WHERE id = " + id(job2));
    const long long publication =
        write("INSERT INTO result_publication(job_id, unit_id, draw_id, completed_on, deadline, deadline_provisional, late,"
              " published_on, job_no, object_kind, enterprise_name, task_name) SELECT id, unit_id, draw_id, current_date,"
              " current_date + 20, false, false, current_date, job_no, object_kind, '矩阵测试企业', '矩阵测试' FROM"
              " inspection_job WHERE id = " + id(job2) + " RETURNING id")[0][0]
            .as<long long>();
    write("INSERT INTO result_version(publication_id, version, result_category, result_category_label, qualified,"
          " findings) VALUES (" + id(publication) + ", 1, '01', '未发现问题', true, '未发现问题')");
    const long long correction =
        write("INSERT INTO result_correction(publication_id, unit_id, from_version, reason, result_category, requested_by)"
              " VALUES (" + id(publication) + ", " + id(yuzhong) + ", 1, '矩阵测试更正', '01', " + id(yz_user) + ") RETURNING id")[0][0]
            .as<long long>();
    const long long point = write("INSERT INTO patrol_point(authority_id, name, geom) VALUES (" + id(yuzhong) +
                                  ", '矩阵巡查点', ST_SetSRID(ST_MakePoint(106.57, 29.55), 4326)) RETURNING id")[0][0]
                                .as<long long>();
    const long long route = write("INSERT INTO patrol_route(authority_id, name) VALUES (" + id(yuzhong) +
                                  ", '矩阵巡查路线') RETURNING id")[0][0]
                                .as<long long>();
    const long long area = write("INSERT INTO patrol_area(authority_id, name, geom) VALUES (" + id(yuzhong) +
                                 ", '矩阵巡查区域', ST_GeomFromText('POLYGON((106.57 29.55, 106.58 29.55, 106.58 29.56,"
                                 " 106.57 29.56, 106.57 29.55))', 4326)) RETURNING id")[0][0]
                               .as<long long>();
    const long long unlicensed =
        write("INSERT INTO unlicensed_business(authority_id, division_code, geom, name, address, business, operator_name)"
              " VALUES (" + id(yuzhong) + ", '500103', ST_SetSRID(ST_MakePoint(106.57, 29.55), 4326), '矩阵无证店',"
              " '解放碑某街1号', '餐饮', '张三') RETURNING id")[0][0]
            .as<long long>();

    const auto r_ = [&](const std::string& table, long long v) {
        return "SELECT coalesce((SELECT to_jsonb(t)::text FROM " + table + " t WHERE t.id = " + id(v) + "), 'absent')";
    };
    const auto job_state = [&](long long j) {
        return r_("inspection_job", j) + " || (SELECT count(*) FROM job_file WHERE job_id = " + id(j) +
               ")::text || (SELECT count(*) FROM result_appeal WHERE job_id = " + id(j) + ")::text";
    };
    const auto draw_state = [&](long long d) {
        return r_("draw", d) + " || (SELECT count(*) FROM draw_scan WHERE draw_id = " + id(d) +
               ")::text || (SELECT count(*) FROM draw_change WHERE draw_id = " + id(d) + ")::text";
    };
    const std::string role_inspector = id(count("SELECT id FROM role WHERE code = 'inspector'"));
    const std::string ident = "{\"identities\":[{\"unit_id\":" + id(yuzhong) + ",\"role_id\":" + role_inspector +
                              ",\"is_default\":true}]}";
    const std::string in_jiangbei = "{\"identities\":[{\"unit_id\":" + id(jiangbei) + ",\"role_id\":" + role_inspector +
                                    ",\"is_default\":true}]}";
    const std::string task_sql = [&](long long t) { return r_("inspection_task", t); }(task_received);

    std::map<std::string, std::vector<Attempt>> cases;
    // The registry: one row of 渝中区 per entity that belongs to a unit or district.
    const std::vector<std::tuple<std::string, std::string, long long, std::string>> entities = {
        {"subjects", "market_subject", subject, R"({"name":"改名企业"})"},
        {"venues", "venue", venue, R"({"name":"改名场所"})"},
        {"products", "product", product, R"({"product_name":"改名产品"})"},
        {"inspectors", "inspector", inspector[4], R"({"name":"改名人员"})"},
        {"authorities", "authority", office, R"({"name":"改名单位"})"},
        {"sections", "section", section, R"({"name":"改名科室"})"},
        {"items", "inspection_item", yz_item, R"({"name":"改名事项"})"},
    };
    for (const auto& [name, table, row_id, body] : entities) {
        cases["PUT /api/{entity}/{id}"].push_back({"/api/" + name + "/" + id(row_id), body, r_(table, row_id)});
        cases["DELETE /api/{entity}/{id}"].push_back({"/api/" + name + "/" + id(row_id), "", r_(table, row_id)});
    }
    const std::string n = "SELECT count(*)::text FROM ";
    cases["POST /api/{entity}"] = {
        {"/api/inspectors", "{\"name\":\"冒名人员\",\"division_code\":\"500103\",\"authority_id\":" + id(yuzhong) +
                                ",\"category\":\"law_enforcement\"}",
         n + "inspector WHERE name = '冒名人员'"},
        {"/api/subjects", "{\"uscc\":\"" + uscc::make('1', "500103", 94) +
                              "\",\"name\":\"冒名企业\",\"division_code\":\"500103\"}",
         n + "market_subject WHERE name = '冒名企业'"},
        {"/api/authorities", "{\"name\":\"冒名所\",\"kind\":\"sub_office\",\"division_code\":\"500103\",\"parent_id\":" +
                                 id(yuzhong) + "}",
         n + "authority WHERE name = '冒名所'"},
        {"/api/sections", "{\"name\":\"冒名科\",\"authority_id\":" + id(yuzhong) + "}", n + "section WHERE name = '冒名科'"},
        {"/api/items", "{\"domain\":\"食品安全\",\"name\":\"冒名事项\",\"object_type\":\"餐饮服务单位\",\"importance\":\"general\",\"initiating_authority_id\":" +
                           id(yuzhong) + "}",
         n + "inspection_item WHERE name = '冒名事项'"}};
    cases["POST /api/org/units"] = {{"/api/org/units",
                                     "{\"name\":\"冒名所2\",\"kind\":\"sub_office\",\"division_code\":\"500103\",\"parent_id\":" +
                                         id(yuzhong) + "}",
                                     n + "authority WHERE name = '冒名所2'"}};
    cases["PUT /api/org/units/{id}"] = {{"/api/org/units/" + id(office), R"({"name":"改名单位"})", r_("authority", office)}};
    cases["DELETE /api/org/units/{id}"] = {{"/api/org/units/" + id(office), "", r_("authority", office)}};
    cases["POST /api/org/sections"] = {
        {"/api/org/sections", "{\"name\":\"冒名科2\",\"authority_id\":" + id(yuzhong) + "}", n + "section WHERE name = '冒名科2'"}};
    cases["PUT /api/org/sections/{id}"] = {{"/api/org/sections/" + id(section), R"({"name":"改名科室"})", r_("section", section)}};
    cases["DELETE /api/org/sections/{id}"] = {{"/api/org/sections/" + id(section), "", r_("section", section)}};
    // People.
    cases["POST /api/users"] = {{"/api/users",
                                 "{\"account\":\"jb_into_yz\",\"name\":\"越权用户\",\"password\":\"Qz7#kLm2@pX9\"," +
                                     ident.substr(1),
                                 n + "app_user WHERE account = 'jb_into_yz'"},
                                {"/api/users",
                                 "{\"account\":\"jb_link_yz\",\"name\":\"越权关联\",\"password\":\"Qz7#kLm2@pX9\",\"inspector_id\":" +
                                     id(inspector[1]) + "," + in_jiangbei.substr(1),
                                 n + "app_user WHERE account = 'jb_link_yz'"}};
    cases["PUT /api/users/{id}"] = {{"/api/users/" + id(yz_user), R"({"name":"改名用户"})", r_("app_user", yz_user)}};
    cases["PUT /api/users/{id}/identities"] = {
        {"/api/users/" + id(yz_user) + "/identities", in_jiangbei,
         "SELECT string_agg(authority_id::text, ',' ORDER BY id) FROM user_identity WHERE user_id = " + id(yz_user)}};
    cases["POST /api/users/{id}/reset-password"] = {
        {"/api/users/" + id(yz_user) + "/reset-password", R"({"password":"Qz7#kLm2@pX9"})", r_("app_user", yz_user)}};
    // Draws, changes, recusals, rules.
    const std::string d = "/api/draws/" + id(draft);
    cases["POST /api/draws/{id}/confirm"] = {{d + "/confirm", json{{"password", kDrawPassword}}.dump(), draw_state(draft)}};
    cases["POST /api/draws/{id}/discard"] = {{d + "/discard", R"({"reason":"越权作废"})", draw_state(draft)}};
    const std::string dc = "/api/draws/" + id(committed), dp = "/api/draws/" + id(pending);
    cases["POST /api/draws/{id}/witness"] = {
        {dc + "/witness", R"({"witness":"0123456789abcdef0123456789abcdef"})", draw_state(committed)}};
    cases["POST /api/draws/{id}/reveal"] = {{dc + "/reveal", R"({"beacon":"2026-12-07 福利彩票 123"})", draw_state(committed)}};
    cases["POST /api/draws/{id}/abandon"] = {{d + "/abandon", R"({"reason":"越权放弃"})", draw_state(draft)}};
    cases["POST /api/draws/{id}/abandon/approve"] = {{dp + "/abandon/approve", R"({"opinion":"同意"})", draw_state(pending)}};
    cases["POST /api/draws/{id}/abandon/refuse"] = {{dp + "/abandon/refuse", R"({"opinion":"不同意"})", draw_state(pending)}};
    cases["POST /api/draws/{id}/scans"] = {{d + "/scans?filename=scan.png", kPng, draw_state(draft), "application/octet-stream"}};
    cases["POST /api/draws/{id}/changes"] = {
        {"/api/draws/" + id(conf) + "/changes",
         json{{"kind", "inspector"}, {"reason_code", "health"}, {"reason", "越权变更"},
              {"old_inspector_id", inspector[1]}, {"new_inspector_id", inspector[5]}}
             .dump(),
         draw_state(conf)}};
    cases["POST /api/draw-changes/{id}/approve"] = {
        {"/api/draw-changes/" + id(change) + "/approve", R"({"opinion":"同意"})", r_("draw_change", change)}};
    cases["POST /api/draw-changes/{id}/refuse"] = {
        {"/api/draw-changes/" + id(change) + "/refuse", R"({"opinion":"不同意"})", r_("draw_change", change)}};
    cases["POST /api/draw-recusals"] = {
        {"/api/draw-recusals", json{{"inspector_id", inspector[2]}, {"reason", "越权回避"}}.dump(),
         n + "inspector_recusal WHERE inspector_id = " + id(inspector[2])}};
    cases["DELETE /api/draw-recusals/{id}"] = {{"/api/draw-recusals/" + id(recusal), "", r_("inspector_recusal", recusal)}};
    cases["PUT /api/draw-rules"] = {{"/api/draw-rules", R"({"code":"general_max_ratio_bp","value":9999})",
                                     "SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'"}};
    // Plans, tasks, works.
    const std::string pl = "/api/plans/";
    cases["PUT /api/plans/{id}"] = {{pl + id(plan_draft), R"({"name":"改名计划"})", r_("annual_plan", plan_draft)}};
    cases["DELETE /api/plans/{id}"] = {{pl + id(plan_draft), "", r_("annual_plan", plan_draft)}};
    cases["POST /api/plans/{id}/distribute"] = {{pl + id(plan_draft) + "/distribute", "{}", r_("annual_plan", plan_draft)}};
    cases["POST /api/plans/{id}/recall"] = {{pl + id(plan_dist) + "/recall", "{}", r_("annual_plan", plan_dist)}};
    const std::string tk = "/api/tasks/";
    cases["PUT /api/tasks/{id}"] = {{tk + id(task_created), R"({"name":"改名任务"})", r_("inspection_task", task_created)}};
    cases["DELETE /api/tasks/{id}"] = {{tk + id(task_created), "", r_("inspection_task", task_created)}};
    cases["POST /api/tasks/{id}/submit"] = {{tk + id(task_created) + "/submit", "{}", r_("inspection_task", task_created)}};
    cases["POST /api/tasks/{id}/approve"] = {
        {tk + id(task_submitted) + "/approve", R"({"opinion":"同意"})", r_("inspection_task", task_submitted)}};
    cases["POST /api/tasks/{id}/return"] = {
        {tk + id(task_submitted) + "/return", R"({"opinion":"退回"})", r_("inspection_task", task_submitted)}};
    cases["POST /api/tasks/{id}/urge"] = {{tk + id(task_submitted) + "/urge", "{}", r_("inspection_task", task_submitted)}};
    cases["POST /api/tasks/{id}/receive"] = {
        {tk + id(task_received) + "/receive", "{}",
         "SELECT string_agg(to_jsonb(u)::text, ',' ORDER BY authority_id) FROM task_unit u WHERE task_id = " + id(task_received)}};
    cases["POST /api/tasks/{id}/draw/preview"] = {{tk + id(task_received) + "/draw/preview", "{}", task_sql}};
    cases["POST /api/tasks/{id}/draw"] = {
        {tk + id(task_received) + "/draw", "{}", task_sql + " || (SELECT count(*) FROM draw WHERE task_id = " + id(task_received) + ")::text"}};
    cases["POST /api/works/{task}/{unit}/urge"] = {
        {"/api/works/" + id(task_received) + "/" + id(yuzhong) + "/urge", "{}", task_sql}};
    // Jobs, results, appeals, publication.
    const std::string jb = "/api/jobs/" + id(job);
    cases["PUT /api/jobs/{id}"] = {{jb, R"({"place":"越权修改"})", job_state(job)}};
    cases["POST /api/jobs/{id}/submit"] = {{jb + "/submit", R"({"result_category":"01","qualified":true})", job_state(job)}};
    cases["POST /api/jobs/{id}/files"] = {{jb + "/files?kind=photo", kJpeg, job_state(job), "application/octet-stream"}};
    cases["POST /api/jobs/{id}/joint-summary"] = {
        {jb + "/joint-summary?filename=summary.pdf&summary_date=2026-03-03&conclusion=ok", "%PDF-1.4 joint", job_state(job) + " || (SELECT count(*) FROM joint_summary)::text",
         "application/octet-stream"}};
    cases["POST /api/results/{id}/accept"] = {{"/api/results/" + id(job) + "/accept", "{}", job_state(job)}};
    cases["POST /api/results/{id}/return"] = {{"/api/results/" + id(job) + "/return", R"({"opinion":"退回"})", job_state(job)}};
    cases["POST /api/jobs/{id}/appeals"] = {
        {"/api/jobs/" + id(job2) + "/appeals",
         json{{"reason", "越权申诉"}, {"reviewer_id", user_id("jb_probe")}, {"corrected", json::object()}}.dump(),
         job_state(job2)}};
    const std::string ap = "/api/appeals/" + id(appeal);
    const std::string appeal_state =
        r_("result_appeal", appeal) + " || (SELECT count(*) FROM appeal_file WHERE appeal_id = " + id(appeal) + ")::text";
    cases["POST /api/appeals/{id}/files"] = {{ap + "/files?filename=a.png", kPng, appeal_state, "application/octet-stream"}};
    cases["POST /api/appeals/{id}/withdraw"] = {{ap + "/withdraw", "{}", appeal_state}};
    cases["POST /api/appeals/{id}/accept"] = {{ap + "/accept", R"({"opinion":"同意"})", appeal_state}};
    cases["POST /api/appeals/{id}/reject"] = {{ap + "/reject", R"({"opinion":"驳回"})", appeal_state}};
    cases["POST /api/publication/results/{id}/corrections"] = {
        {"/api/publication/results/" + id(job2) + "/corrections",
         R"({"reason":"越权更正","result_category":"07","qualified":false,"findings":"越权"})",
         r_("result_publication", publication) + " || (SELECT count(*) FROM result_correction WHERE publication_id = " +
             id(publication) + ")::text"}};
    cases["POST /api/publication/corrections/{id}/approve"] = {
        {"/api/publication/corrections/" + id(correction) + "/approve", R"({"opinion":"同意"})", r_("result_correction", correction)}};
    cases["POST /api/publication/corrections/{id}/refuse"] = {
        {"/api/publication/corrections/" + id(correction) + "/refuse", R"({"opinion":"不同意"})", r_("result_correction", correction)}};
    // Patrol and unlicensed businesses.
    cases["PUT /api/patrol/points/{id}"] = {
        {"/api/patrol/points/" + id(point), R"({"name":"改名点","lon":106.571,"lat":29.551})", r_("patrol_point", point)}};
    cases["DELETE /api/patrol/points/{id}"] = {{"/api/patrol/points/" + id(point), "", r_("patrol_point", point)}};
    cases["PUT /api/patrol/routes/{id}"] = {
        {"/api/patrol/routes/" + id(route), "{\"name\":\"改名路线\",\"point_ids\":[" + id(point) + "," + id(point) + "]}",
         r_("patrol_route", route)}};
    cases["DELETE /api/patrol/routes/{id}"] = {{"/api/patrol/routes/" + id(route), "", r_("patrol_route", route)}};
    cases["POST /api/patrol/routes/{id}/assignments"] = {
        {"/api/patrol/routes/" + id(route) + "/assignments",
         "{\"inspector_ids\":[" + id(inspector[1]) + "],\"start_date\":\"2026-05-01\",\"end_date\":\"2026-05-31\"}",
         n + "patrol_assignment WHERE route_id = " + id(route)}};
    cases["PUT /api/patrol/areas/{id}"] = {{"/api/patrol/areas/" + id(area), R"({"name":"改名区域"})", r_("patrol_area", area)}};
    cases["DELETE /api/patrol/areas/{id}"] = {{"/api/patrol/areas/" + id(area), "", r_("patrol_area", area)}};
    cases["POST /api/unlicensed/{id}/status"] = {
        {"/api/unlicensed/" + id(unlicensed) + "/status", R"({"status":"handling","note":"越权处理"})",
         r_("unlicensed_business", unlicensed)}};
    cases["POST /api/unlicensed/{id}/photos"] = {
        {"/api/unlicensed/" + id(unlicensed) + "/photos?filename=p.jpg", kJpeg,
         r_("unlicensed_business", unlicensed) + " || (SELECT count(*) FROM unlicensed_business_file)::text",
         "application/octet-stream"}};

    // Every write route of the router has a case or a reason; the case runs as the holder
    // of every permission in 江北区 and changes nothing.
    std::set<std::string> seen;
    for (const auto& route : router->routes()) {
        if (route.method == "GET" || route.method == "HEAD") continue;
        const std::string key = route.method + " " + route.pattern;
        seen.insert(key);
        if (kNoForeignId.count(key)) {
            EXPECT_FALSE(cases.count(key)) << key << " has both a case and a reason";
            continue;
        }
        auto it = cases.find(key);
        if (it == cases.end()) {
            ADD_FAILURE() << "write route " << key << " has no cross-district case: add one to "
                          << "ScopeHoles.EveryWriteRouteRefusesAnotherDistrictsRows, or a reason to kNoForeignId";
            continue;
        }
        for (const auto& a : it->second) {
            const std::string before = sql(a.state)[0][0].c_str();
            auto r = raw(route.method, a.path, a.body, token("jb_probe"), a.type);
            EXPECT_TRUE(r.status == 403 || r.status == 404) << key << " " << a.path << ": " << r.status << " " << r.body;
            EXPECT_EQ(std::string(sql(a.state)[0][0].c_str()), before) << key << " " << a.path << " changed a row";
        }
    }
    // Control: the same attempts by the same role in 渝中区 find their row (no 404), so a
    // refusal above is the scope's, not a wrong path or a missing fixture. Deletions are
    // left out (they would remove rows later controls use); business refusals (403 for a
    // reviewer not named, 409 for a state, 422 for a body) are fine here.
    const std::set<std::string> no_control = {
        // Only a joint task's job takes a summary, and this fixture draws no joint task:
        // JointSummaryApi.OnlyTheLeadDepartmentUploadsAndOutsidersSeeNothing tries outsiders.
        "POST /api/jobs/{id}/joint-summary"};
    for (const auto& [key, list] : cases) {
        if (key.rfind("DELETE ", 0) == 0 || no_control.count(key)) continue;
        const std::string method = key.substr(0, key.find(' '));
        for (const auto& a : list) {
            auto r = raw(method, a.path, a.body, token("yz_probe"), a.type);
            EXPECT_NE(r.status, 404) << "control " << key << " " << a.path << ": " << r.body;
        }
    }
    for (const auto& [key, why] : kNoForeignId) EXPECT_TRUE(seen.count(key)) << key << " is no longer a route";
    for (const auto& [key, list] : cases) EXPECT_TRUE(seen.count(key)) << key << " is no longer a route";
}

}  // namespace
