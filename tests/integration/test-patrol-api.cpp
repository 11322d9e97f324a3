// Patrol routes end to end through dispatch() on a real PostGIS (NET-2, NET-3): the
// 422s of the editor (route of one point, self-intersecting area, outside the city),
// permissions, the data scope by unit, the check-in distance refusal, and the progress
// colours of seed 000 §5.6c (completed red, unfinished green).
#include "common-pg.hpp"
#include "square-city.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace twindraw::testing {
namespace {

using nlohmann::json;

class PatrolApi : public ::testing::Test {
protected:
    // 77 supervisor of 渝中 (unit 900), 79 supervisor of 渝北 (unit 901), 78 inspector 501
    // of 渝中, 80 inspector 502 of 渝中 (never assigned).
    static constexpr long long kSupervisor = 77, kInspector = 78, kNorthSupervisor = 79, kOther = 80;

    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kSquareDistricts);
        tx.exec(kSquareBureaus);
        tx.exec(
            "INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES"
            " (501, '张巡查', '500103', 900, 'law_enforcement'), (502, '李未派', '500103', 900, 'law_enforcement');"
            "INSERT INTO app_user(id, account, name, password_hash, phone, inspector_id) VALUES"
            " (77, 'yzsup', '王主管', 'x', '13800000077', NULL), (78, 'yzins', '张巡查', 'x', '13800000078', 501),"
            " (79, 'ybsup', '赵渝北', 'x', '13800000079', NULL), (80, 'yzother', '李未派', 'x', '13800000080', 502)");
        tx.commit();
        app = std::make_unique<server::App>(server::App{db.pool(), "", ""});
        server::register_all(router, *app);
    }

    server::Response call(long long user, const std::string& method, const std::string& target,
                          const json& body = nullptr) {
        server::Request req = square_request(method, target);
        if (!body.is_null()) req.body = body.dump();
        req.headers["content-type"] = "application/json";
        if (user) {
            bool supervisor = user == kSupervisor || user == kNorthSupervisor;
            req.principal =
                square_principal(user, user == kNorthSupervisor ? 901 : 900, supervisor ? "district" : "self",
                                 supervisor ? std::vector<std::string>{"registry.read", "patrol.manage"}
                                            : std::vector<std::string>{"registry.read", "job.submit"});
        }
        return server::dispatch(router, "", req);
    }

    static json parse(const server::Response& r) { return json::parse(r.body); }
    static std::string code(const server::Response& r) { return parse(r)["error"].value("code", ""); }

    long long point(const std::string& name, double lon, double lat, long long user = kSupervisor) {
        auto r = call(user, "POST", "/api/patrol/points", {{"name", name}, {"lon", lon}, {"lat", lat}});
        EXPECT_EQ(r.status, 201) << r.body;
        return parse(r)["id"].get<long long>();
    }

    long long scalar(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        return tx.exec1(sql)[0].as<long long>();
    }

    static std::string today() {
        std::time_t t = std::time(nullptr) + 8 * 3600;  // China Standard Time
        char buf[16];
        std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
        return buf;
    }

    TempDatabase db;
    std::unique_ptr<server::App> app;
    server::Router router;
};

// Metres between two WGS84 positions by the haversine formula (an independent oracle
// for PostGIS's spheroidal distance; they agree within 0.5 % over a few hundred metres).
double haversine(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8, rad = M_PI / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
               std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * r * std::asin(std::sqrt(a));
}

TEST_F(PatrolApi, EditorRefusesBadGeometryWith422) {
    auto outside = call(kSupervisor, "POST", "/api/patrol/points", {{"name", "北京"}, {"lon", 116.4}, {"lat", 39.9}});
    EXPECT_EQ(outside.status, 422);
    EXPECT_EQ(code(outside), "outside_city");
    auto noname = call(kSupervisor, "POST", "/api/patrol/points", {{"lon", 106.55}, {"lat", 29.55}});
    EXPECT_EQ(noname.status, 422);
    EXPECT_EQ(parse(noname)["error"]["errors"][0]["field"], "name");
    auto badlat = call(kSupervisor, "POST", "/api/patrol/points", {{"name", "x"}, {"lon", 106.55}, {"lat", 95}});
    EXPECT_EQ(badlat.status, 422);
    EXPECT_EQ(parse(badlat)["error"]["errors"][0]["field"], "lat");

    long long a = point("解放碑", 106.55, 29.55);
    auto one = call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "单点"}, {"point_ids", {a}}});
    EXPECT_EQ(one.status, 422);
    EXPECT_EQ(code(one), "too_few_points");
    auto twice = call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "重复"}, {"point_ids", {a, a}}});
    EXPECT_EQ(twice.status, 422);
    EXPECT_EQ(code(twice), "too_few_points");

    // A bow tie: the ring crosses itself.
    json bowtie = {{"name", "蝴蝶"},
                   {"coordinates", {{106.51, 29.51}, {106.59, 29.59}, {106.59, 29.51}, {106.51, 29.59}}}};
    auto crossed = call(kSupervisor, "POST", "/api/patrol/areas", bowtie);
    EXPECT_EQ(crossed.status, 422);
    EXPECT_EQ(code(crossed), "self_intersecting");
    json far = {{"name", "出界"}, {"coordinates", {{106.51, 29.51}, {106.59, 29.51}, {106.59, 30.5}}}};
    auto out = call(kSupervisor, "POST", "/api/patrol/areas", far);
    EXPECT_EQ(out.status, 422);
    EXPECT_EQ(code(out), "outside_city");
    json line = {{"name", "两点"}, {"coordinates", {{106.51, 29.51}, {106.59, 29.51}, {106.51, 29.51}}}};
    EXPECT_EQ(code(call(kSupervisor, "POST", "/api/patrol/areas", line)), "too_few_vertices");

    // Nothing of the refused edits was written.
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_route"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_area"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_point"), 1);

    // A good area, found by name with the point inside it.
    json square = {{"name", "解放碑片区"},
                   {"coordinates", {{106.54, 29.54}, {106.56, 29.54}, {106.56, 29.56}, {106.54, 29.56}}}};
    auto ok = call(kSupervisor, "POST", "/api/patrol/areas", square);
    ASSERT_EQ(ok.status, 201) << ok.body;
    auto found = parse(call(kSupervisor, "GET", "/api/patrol/areas?q=%E8%A7%A3%E6%94%BE"));
    ASSERT_EQ(found["total"], 1);
    EXPECT_EQ(found["items"][0]["point_count"], 1);
    EXPECT_EQ(parse(call(kSupervisor, "GET", "/api/patrol/areas?q=none"))["total"], 0);
}

TEST_F(PatrolApi, MovingAPointMovesItsRouteAndDeletingItIsRefusedWhileRouted) {
    long long a = point("A", 106.51, 29.51), b = point("B", 106.52, 29.52);
    auto route = call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "一号线"}, {"point_ids", {a, b}}});
    ASSERT_EQ(route.status, 201) << route.body;
    long long rid = parse(route)["id"];
    auto moved = call(kSupervisor, "PUT", "/api/patrol/points/" + std::to_string(b), {{"lon", 106.53}, {"lat", 29.54}});
    ASSERT_EQ(moved.status, 200) << moved.body;
    auto overview = parse(call(kSupervisor, "GET", "/api/patrol"));
    ASSERT_EQ(overview["routes"].size(), 1u);
    EXPECT_EQ(overview["routes"][0]["line"]["coordinates"][1], json({106.53, 29.54}));
    EXPECT_EQ(overview["routes"][0]["point_ids"], json({a, b}));
    auto outside =
        call(kSupervisor, "PUT", "/api/patrol/points/" + std::to_string(b), {{"lon", 120.0}, {"lat", 29.54}});
    EXPECT_EQ(code(outside), "outside_city");

    auto del = call(kSupervisor, "DELETE", "/api/patrol/points/" + std::to_string(a));
    EXPECT_EQ(del.status, 409);
    EXPECT_EQ(code(del), "point_in_route");
    EXPECT_NE(parse(del)["error"]["message"].get<std::string>().find("一号线"), std::string::npos);
    EXPECT_EQ(call(kSupervisor, "DELETE", "/api/patrol/routes/" + std::to_string(rid)).status, 204);
    EXPECT_EQ(call(kSupervisor, "DELETE", "/api/patrol/points/" + std::to_string(a)).status, 204);
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_point"), 1);
}

TEST_F(PatrolApi, PermissionsAndDataScopeByUnit) {
    EXPECT_EQ(call(0, "GET", "/api/patrol").status, 401);
    auto by_inspector =
        call(kInspector, "POST", "/api/patrol/points", {{"name", "x"}, {"lon", 106.55}, {"lat", 29.55}});
    EXPECT_EQ(by_inspector.status, 403);
    EXPECT_EQ(
        call(kSupervisor, "POST", "/api/patrol/checkins", {{"point_id", 1}, {"lon", 106.5}, {"lat", 29.5}}).status,
        403);  // job.submit is the inspectors'

    long long a = point("A", 106.51, 29.51), b = point("B", 106.52, 29.52);
    long long north = point("北", 106.65, 29.55, kNorthSupervisor);
    EXPECT_EQ(scalar("SELECT authority_id FROM patrol_point WHERE id = " + std::to_string(north)), 901);
    auto mine = parse(call(kNorthSupervisor, "GET", "/api/patrol"));
    ASSERT_EQ(mine["points"].size(), 1u);
    EXPECT_EQ(mine["points"][0]["id"], north);
    EXPECT_EQ(call(kNorthSupervisor, "PUT", "/api/patrol/points/" + std::to_string(a), {{"name", "改"}}).status, 404);
    EXPECT_EQ(call(kNorthSupervisor, "DELETE", "/api/patrol/points/" + std::to_string(a)).status, 404);
    auto foreign = call(kNorthSupervisor, "POST", "/api/patrol/routes", {{"name", "跨区"}, {"point_ids", {a, north}}});
    EXPECT_EQ(foreign.status, 422);
    EXPECT_EQ(code(foreign), "unknown_point");
    auto route = call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "渝中线"}, {"point_ids", {a, b}}});
    long long rid = parse(route)["id"];
    // 渝北 cannot assign 渝中's route nor assign 渝中's route to itself.
    EXPECT_EQ(call(kNorthSupervisor, "POST", "/api/patrol/routes/" + std::to_string(rid) + "/assignments",
                   {{"inspector_ids", {501}}, {"date_from", today()}, {"date_to", today()}})
                  .status,
              404);
    // The inspector sees only routes assigned to it.
    EXPECT_EQ(parse(call(kInspector, "GET", "/api/patrol/my"))["routes"].size(), 0u);
    ASSERT_EQ(call(kSupervisor, "POST", "/api/patrol/routes/" + std::to_string(rid) + "/assignments",
                   {{"inspector_ids", {501}}, {"date_from", today()}, {"date_to", today()}})
                  .status,
              201);
    auto my = parse(call(kInspector, "GET", "/api/patrol/my"));
    ASSERT_EQ(my["routes"].size(), 1u);
    EXPECT_EQ(my["routes"][0]["points"].size(), 2u);
    EXPECT_EQ(parse(call(kOther, "GET", "/api/patrol/my"))["routes"].size(), 0u);

    auto bad_dates = call(kSupervisor, "POST", "/api/patrol/routes/" + std::to_string(rid) + "/assignments",
                          {{"inspector_ids", {501}}, {"date_from", "2026-05-02"}, {"date_to", "2026-05-01"}});
    EXPECT_EQ(bad_dates.status, 422);
    EXPECT_EQ(code(bad_dates), "bad_range");
    auto nobody = call(kSupervisor, "POST", "/api/patrol/routes/" + std::to_string(rid) + "/assignments",
                       {{"inspector_ids", {999}}, {"date_from", today()}, {"date_to", today()}});
    EXPECT_EQ(code(nobody), "unknown_inspector");
}

TEST_F(PatrolApi, CheckInFartherThanTheRadiusIsRefusedWithTheDistance) {
    long long a = point("A", 106.51, 29.51), b = point("B", 106.52, 29.52);
    long long rid =
        parse(call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "线"}, {"point_ids", {a, b}}}))["id"];
    call(kSupervisor, "POST", "/api/patrol/routes/" + std::to_string(rid) + "/assignments",
         {{"inspector_ids", {501}}, {"date_from", today()}, {"date_to", today()}});

    // 0.004° of latitude north of A: about 443 m.
    auto far = call(kInspector, "POST", "/api/patrol/checkins", {{"point_id", a}, {"lon", 106.51}, {"lat", 29.514}});
    ASSERT_EQ(far.status, 422) << far.body;
    EXPECT_EQ(code(far), "too_far");
    double expected = haversine(106.51, 29.51, 106.51, 29.514);
    double reported = std::stod(parse(far)["error"]["distance_m"].get<std::string>());
    EXPECT_NEAR(reported, expected, expected * 0.005);
    EXPECT_EQ(parse(far)["error"]["max_m"], "200");
    EXPECT_NE(parse(far)["error"]["message"].get<std::string>().find(
                  parse(far)["error"]["distance_m"].get<std::string>() + " 米"),
              std::string::npos);
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_checkin"), 0);

    // The radius is data: widened to 500 m the same position is accepted.
    {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec("UPDATE patrol_setting SET value = '500' WHERE key = 'checkin_radius_m'");
        tx.commit();
    }
    auto wide = call(kInspector, "POST", "/api/patrol/checkins", {{"point_id", a}, {"lon", 106.51}, {"lat", 29.514}});
    EXPECT_EQ(wide.status, 201) << wide.body;

    // 0.001° (≈ 111 m) is within; another inspector is not assigned; a supervisor has no inspector.
    auto near = call(kInspector, "POST", "/api/patrol/checkins", {{"point_id", b}, {"lon", 106.52}, {"lat", 29.521}});
    ASSERT_EQ(near.status, 201) << near.body;
    EXPECT_NEAR(parse(near)["distance_m"].get<double>(), haversine(106.52, 29.52, 106.52, 29.521), 1.0);
    auto other = call(kOther, "POST", "/api/patrol/checkins", {{"point_id", b}, {"lon", 106.52}, {"lat", 29.52}});
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(code(other), "not_assigned");
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_checkin WHERE inspector_id = 501"), 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM patrol_checkin"), 2);
}

TEST_F(PatrolApi, ProgressIsGreenUntilEveryPointIsCheckedInThenRed) {
    long long a = point("A", 106.51, 29.51), b = point("B", 106.52, 29.52), c = point("C", 106.58, 29.58),
              d = point("D", 106.59, 29.59);
    long long r1 =
        parse(call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "一号线"}, {"point_ids", {a, b}}}))["id"];
    long long r2 =
        parse(call(kSupervisor, "POST", "/api/patrol/routes", {{"name", "二号线"}, {"point_ids", {c, d}}}))["id"];
    for (long long r : {r1, r2})
        ASSERT_EQ(call(kSupervisor, "POST", "/api/patrol/routes/" + std::to_string(r) + "/assignments",
                       {{"inspector_ids", {501}}, {"date_from", today()}, {"date_to", today()}})
                      .status,
                  201);
    auto progress = [&](const std::string& query) {
        auto r = call(kSupervisor, "GET", "/api/patrol/progress" + query);
        EXPECT_EQ(r.status, 200) << r.body;
        return parse(r);
    };
    auto p0 = progress("");
    ASSERT_EQ(p0["items"].size(), 2u);
    for (const auto& it : p0["items"]) {
        EXPECT_EQ(it["color"], "green");
        EXPECT_EQ(it["points_done"], 0);
    }

    ASSERT_EQ(
        call(kInspector, "POST", "/api/patrol/checkins", {{"point_id", a}, {"lon", 106.51}, {"lat", 29.51}}).status,
        201);
    auto p1 = progress("");
    EXPECT_EQ(p1["items"][0]["points_done"], 1);
    EXPECT_EQ(p1["items"][0]["color"], "green");
    ASSERT_EQ(
        call(kInspector, "POST", "/api/patrol/checkins", {{"point_id", b}, {"lon", 106.5201}, {"lat", 29.52}}).status,
        201);
    auto p2 = progress("?from=" + today() + "&to=" + today());
    EXPECT_EQ(p2["items"][0]["id"], r1);
    EXPECT_EQ(p2["items"][0]["completed"], true);
    EXPECT_EQ(p2["items"][0]["color"], "red");
    EXPECT_EQ(p2["items"][1]["color"], "green");
    EXPECT_EQ(p2["completed"], 1);
    EXPECT_EQ(p2["unfinished"], 1);

    // The inspector's own view agrees.
    auto my = parse(call(kInspector, "GET", "/api/patrol/my"));
    EXPECT_EQ(my["routes"][0]["color"], "red");
    EXPECT_EQ(my["routes"][1]["color"], "green");

    // Filters: completion, an area around route 2 only, a past range without check-ins.
    auto done = progress("?status=completed");
    ASSERT_EQ(done["items"].size(), 1u);
    EXPECT_EQ(done["items"][0]["id"], r1);
    json square = {{"name", "东北片区"},
                   {"coordinates", {{106.57, 29.57}, {106.595, 29.57}, {106.595, 29.595}, {106.57, 29.595}}}};
    long long area = parse(call(kSupervisor, "POST", "/api/patrol/areas", square))["id"];
    auto in_area = progress("?area_id=" + std::to_string(area));
    ASSERT_EQ(in_area["items"].size(), 1u);
    EXPECT_EQ(in_area["items"][0]["id"], r2);
    auto past = progress("?from=2020-01-01&to=2020-01-31");
    EXPECT_EQ(past["items"][0]["color"], "green");
    EXPECT_EQ(call(kSupervisor, "GET", "/api/patrol/progress?status=maybe").status, 400);
    EXPECT_EQ(call(kSupervisor, "GET", "/api/patrol/progress?from=2020-13-01").status, 400);
    // 渝北 sees none of it.
    EXPECT_EQ(parse(call(kNorthSupervisor, "GET", "/api/patrol/progress"))["items"].size(), 0u);
}

TEST_F(PatrolApi, BuiltInSupervisorRolesHoldPatrolManage) {
    EXPECT_EQ(scalar("SELECT count(*) FROM role WHERE 'patrol.manage' = ANY (permissions)"
                     " AND code IN ('system_admin', 'district_admin', 'task_assigner')"),
              3);
    EXPECT_EQ(scalar("SELECT count(*) FROM role WHERE 'patrol.manage' = ANY (permissions) AND code = 'inspector'"), 0);
}

}  // namespace
}  // namespace twindraw::testing
