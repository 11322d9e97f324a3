// Navigation for inspectors through dispatch() on a real PostGIS (issue 5): an inspector
// with open jobs (one across the district line, one without a location, one already
// accepted) and a patrol route assigned for today (one point checked in already) gets
// exactly its targets in the order of least travel — checked against brute force over
// PostGIS spheroidal distances — with the total distance; another inspector's targets are
// not visible; bad coordinates are 422; with a road network loaded, pgRouting's road
// distances decide the order.
#include "common-pg.hpp"
#include "square-city.hpp"

#include "server/app.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace twindraw::testing {
namespace {

using nlohmann::json;

class NavigationApi : public ::testing::Test {
protected:
    // 78 inspector 501 of 渝中 (the one under test), 80 inspector 502 of 渝中, 77 a
    // supervisor without an inspector row.
    static constexpr long long kMe = 78, kOther = 80, kSupervisor = 77;
    static constexpr double kStartLon = 106.52, kStartLat = 29.52;

    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kSquareDistricts);
        tx.exec(
            "INSERT INTO authority(id, name, kind, division_code) VALUES"
            " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103');"
            "INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES"
            " (501, '张检查', '500103', 900, 'law_enforcement'), (502, '李检查', '500103', 900, 'law_enforcement');"
            "INSERT INTO app_user(id, account, name, password_hash, phone, inspector_id) VALUES"
            " (77, 'yzsup', '王主管', 'x', '13800000077', NULL), (78, 'yzins', '张检查', 'x', '13800000078', 501),"
            " (80, 'yzother', '李检查', 'x', '13800000080', 502);"
            // Objects: 101..103 mine in 渝中, 104 mine in 渝北 (outside my unit's area),
            // 105 mine without a location, 106 mine but the job is accepted, 107 the other's.
            "INSERT INTO market_subject(id, uscc, name, address, division_code, geom) VALUES"
            " (101, '915001030000000101', '解放碑百货', '民族路1号', '500103', ST_SetSRID(ST_MakePoint(106.58, 29.56), "
            "4326)),"
            " (102, '915001030000000102', '较场口餐馆', '较场口2号', '500103', ST_SetSRID(ST_MakePoint(106.53, 29.58), "
            "4326)),"
            " (103, '915001030000000103', '大坪药房', '大坪3号', '500103', ST_SetSRID(ST_MakePoint(106.51, 29.55), "
            "4326)),"
            " (104, '915001120000000104', '渝北超市', '渝北4号', '500112', ST_SetSRID(ST_MakePoint(106.65, 29.57), "
            "4326)),"
            " (105, '915001030000000105', '无坐标商店', NULL, '500103', NULL),"
            " (106, '915001030000000106', '已审核商店', NULL, '500103', ST_SetSRID(ST_MakePoint(106.55, 29.52), 4326)),"
            " (107, '915001030000000107', '别人的商店', NULL, '500103', ST_SetSRID(ST_MakePoint(106.54, 29.54), 4326));"
            "INSERT INTO draw(id, title, object_kind, importance, params, population_query, rules, strata, "
            "candidate_ids,"
            " object_digest, inspector_pools, inspector_digest, entropy, seed, groups, per_group, result, "
            "drawn_unit_id)"
            " VALUES (1, '测试抽取', 'market_subject', 'general', '{}', '', '[]', '[]', '{}', decode(repeat('00', 32), "
            "'hex'),"
            " '[]', decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'),"
            " 1, 0, '{}', 900);"
            "INSERT INTO inspection_job(id, job_no, draw_id, unit_id, object_kind, object_id, group_no, inspector_ids,"
            " advance_notice, state) VALUES"
            " (1, 'JC1-0001', 1, 900, 'market_subject', 101, 1, '{501}', 'required', 'pending'),"
            " (2, 'JC1-0002', 1, 900, 'market_subject', 102, 1, '{502,501}', 'required', 'draft'),"
            " (3, 'JC1-0003', 1, 900, 'market_subject', 103, 1, '{501}', 'required', 'returned'),"
            " (4, 'JC1-0004', 1, 900, 'market_subject', 104, 1, '{501}', 'required', 'pending'),"
            " (5, 'JC1-0005', 1, 900, 'market_subject', 105, 1, '{501}', 'required', 'pending'),"
            " (6, 'JC1-0006', 1, 900, 'market_subject', 106, 1, '{501}', 'required', 'accepted'),"
            " (7, 'JC1-0007', 1, 900, 'market_subject', 107, 2, '{502}', 'required', 'pending');"
            // Patrol: route 1 (points 11, 12, 13) mine today, 13 checked in today; route 2
            // (point 14) mine but only last year; route 3 (point 15) the other's today.
            "INSERT INTO patrol_point(id, authority_id, name, geom) VALUES"
            " (11, 900, '朝天门', ST_SetSRID(ST_MakePoint(106.59, 29.59), 4326)),"
            " (12, 900, '七星岗', ST_SetSRID(ST_MakePoint(106.56, 29.555), 4326)),"
            " (13, 900, '两路口', ST_SetSRID(ST_MakePoint(106.55, 29.55), 4326)),"
            " (14, 900, '去年点', ST_SetSRID(ST_MakePoint(106.57, 29.51), 4326)),"
            " (15, 900, '他人点', ST_SetSRID(ST_MakePoint(106.52, 29.59), 4326));"
            "INSERT INTO patrol_route(id, authority_id, name) VALUES (1, 900, '渝中一线'), (2, 900, '旧线'), (3, 900, "
            "'他线');"
            "INSERT INTO patrol_route_point(route_id, seq, point_id) VALUES"
            " (1, 1, 11), (1, 2, 12), (1, 3, 13), (2, 1, 14), (2, 2, 12), (3, 1, 15), (3, 2, 11);"
            "INSERT INTO patrol_assignment(route_id, inspector_id, authority_id, date_from, date_to) VALUES"
            " (1, 501, 900, current_date - 1, current_date + 1),"
            " (2, 501, 900, current_date - 400, current_date - 300),"
            " (3, 502, 900, current_date - 1, current_date + 1);"
            "INSERT INTO patrol_checkin(point_id, inspector_id, authority_id, position, distance_m) VALUES"
            " (13, 501, 900, ST_SetSRID(ST_MakePoint(106.55, 29.55), 4326), 0)");
        tx.commit();
        app = std::make_unique<server::App>(server::App{db.pool(), "", ""});
        server::register_all(router, *app);
    }

    server::Response call(long long user, const std::string& target) {
        server::Request req = square_request("GET", target);
        req.principal =
            square_principal(user, 900, user == kSupervisor ? "district" : "self", {"registry.read", "job.submit"});
        return server::dispatch(router, "", req);
    }

    json targets(long long user, double lon = kStartLon, double lat = kStartLat) {
        auto r = call(user, "/api/navigation/my-targets?lat=" + std::to_string(lat) + "&lon=" + std::to_string(lon));
        EXPECT_EQ(r.status, 200) << r.body;
        return json::parse(r.body);
    }

    // PostGIS spheroidal distances (ST_Distance on geography) between start + points.
    std::vector<std::vector<double>> postgis_matrix(const std::vector<std::pair<double, double>>& pts) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        std::vector<std::vector<double>> m(pts.size(), std::vector<double>(pts.size(), 0));
        for (std::size_t i = 0; i < pts.size(); ++i)
            for (std::size_t j = 0; j < pts.size(); ++j)
                if (i != j)
                    m[i][j] = tx.exec_params1(
                                    "SELECT ST_Distance(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography,"
                                    " ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography)",
                                    pts[i].first, pts[i].second, pts[j].first, pts[j].second)[0]
                                  .as<double>();
        return m;
    }

    TempDatabase db;
    std::unique_ptr<server::App> app;
    server::Router router;
};

std::string key(const json& t) {
    return t["kind"].get<std::string>() + ":" + std::to_string(t["id"].get<long long>());
}

double path(const std::vector<std::vector<double>>& m, const std::vector<std::size_t>& order) {
    double total = 0;
    std::size_t at = 0;
    for (std::size_t i : order) total += m[at][i], at = i;
    return total;
}

TEST_F(NavigationApi, MyTargetsInShortestOrder) {
    const json r = targets(kMe);
    EXPECT_EQ(r["method"], "straight_line");
    EXPECT_EQ(r["exact"], true);

    // Exactly my open located jobs and today's unvisited patrol points.
    std::set<std::string> got;
    for (const auto& t : r["targets"]) got.insert(key(t));
    EXPECT_EQ(got, (std::set<std::string>{"job:1", "job:2", "job:3", "job:4", "patrol_point:11", "patrol_point:12"}));
    ASSERT_EQ(r["unlocated"].size(), 1u);
    EXPECT_EQ(r["unlocated"][0]["id"], 5);
    ASSERT_EQ(r["visited"].size(), 1u);
    EXPECT_EQ(r["visited"][0]["id"], 13);

    // The job across the district line carries its object's name and place.
    for (const auto& t : r["targets"])
        if (key(t) == "job:4") {
            EXPECT_EQ(t["name"], "渝北超市");
            EXPECT_EQ(t["job_no"], "JC1-0004");
        }

    // Independent computation: PostGIS distances, brute force over every order.
    std::vector<std::pair<double, double>> pts{{kStartLon, kStartLat}};
    for (const auto& t : r["targets"]) pts.emplace_back(t["lon"].get<double>(), t["lat"].get<double>());
    const auto m = postgis_matrix(pts);
    std::vector<std::size_t> perm(pts.size() - 1);
    std::iota(perm.begin(), perm.end(), 1);
    const std::vector<std::size_t> returned = perm;  // the API's order is the listed order
    double best = path(m, perm);
    while (std::next_permutation(perm.begin(), perm.end())) best = std::min(best, path(m, perm));
    EXPECT_NEAR(r["distance_m"].get<double>(), best, 0.05);
    EXPECT_NEAR(path(m, returned), best, 0.05);

    // Sequence numbers, legs and the route line follow the order.
    double legs = 0;
    for (std::size_t k = 0; k < r["targets"].size(); ++k) {
        const auto& t = r["targets"][k];
        EXPECT_EQ(t["seq"], k + 1);
        EXPECT_NEAR(t["leg_m"].get<double>(), m[k][k + 1], 0.05);
        legs += t["leg_m"].get<double>();
        EXPECT_EQ(r["geometry"]["coordinates"][k + 1][0], t["lon"]);
        EXPECT_EQ(r["geometry"]["coordinates"][k + 1][1], t["lat"]);
        // 导航 links carry the GCJ-02 / BD-09 coordinates, never the stored WGS84 ones.
        const std::string amap = t["nav"]["amap"];
        EXPECT_NE(amap.find("to=" + std::to_string(t["gcj02"]["lon"].get<double>()).substr(0, 9)), std::string::npos)
            << amap;
        EXPECT_EQ(amap.find("to=" + std::to_string(t["lon"].get<double>()).substr(0, 9)), std::string::npos);
        EXPECT_NE(std::string(t["nav"]["baidu"]).find("coord_type=bd09ll"), std::string::npos);
    }
    EXPECT_NEAR(legs, r["distance_m"].get<double>(), 1e-6);
    EXPECT_EQ(r["geometry"]["type"], "LineString");
    EXPECT_EQ(r["geometry"]["coordinates"][0], json::array({kStartLon, kStartLat}));

    // A different start changes the order's first stop to the nearest reasonable one.
    const json north = targets(kMe, 106.595, 29.595);
    EXPECT_EQ(key(north["targets"][0]), "patrol_point:11");
}

TEST_F(NavigationApi, OtherInspectorsTargetsAreNotVisible) {
    const json r = targets(kOther);
    std::set<std::string> got;
    for (const auto& t : r["targets"]) got.insert(key(t));
    EXPECT_EQ(got, (std::set<std::string>{"job:2", "job:7", "patrol_point:15", "patrol_point:11"}));
    EXPECT_TRUE(r["visited"].empty());
    EXPECT_TRUE(r["unlocated"].empty());

    auto sup = call(kSupervisor, "/api/navigation/my-targets?lat=29.5&lon=106.5");
    EXPECT_EQ(sup.status, 403);
    EXPECT_EQ(json::parse(sup.body)["error"]["code"], "not_inspector");
}

TEST_F(NavigationApi, BadCoordinatesAre422) {
    for (const std::string q : {"lat=abc&lon=106.5", "lat=95&lon=106.5", "lat=29.5&lon=-181", "lat=29.5",
                                "lat=nan&lon=106.5", "lat=29.5&lon=106.5x", "lat=&lon="}) {
        auto r = call(kMe, "/api/navigation/my-targets?" + q);
        EXPECT_EQ(r.status, 422) << q << " " << r.body;
        const json e = json::parse(r.body)["error"];
        EXPECT_TRUE(e["code"] == "bad_coordinate" || e["code"] == "required") << r.body;
        EXPECT_FALSE(e["errors"].empty());
    }
    auto both = json::parse(call(kMe, "/api/navigation/my-targets?lat=x&lon=y").body)["error"]["errors"];
    EXPECT_EQ(both.size(), 2u);
}

TEST_F(NavigationApi, NoTargetsIsAnEmptyRoute) {
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec(
        "UPDATE inspection_job SET state = 'submitted' WHERE 501 = ANY (inspector_ids);"
        "DELETE FROM patrol_assignment WHERE inspector_id = 501");
    tx.commit();
    const json r = targets(kMe);
    EXPECT_TRUE(r["targets"].empty());
    EXPECT_EQ(r["distance_m"], 0.0);
    EXPECT_TRUE(r["geometry"].is_null());
}

TEST_F(NavigationApi, RoadNetworkDecidesTheOrderWithPgRouting) {
    pqxx::connection c(db.url());
    {
        pqxx::work tx(c);
        const bool routing =
            tx.exec1("SELECT count(*) FROM pg_extension WHERE extname = 'pgrouting'")[0].as<int>() == 1;
        ASSERT_TRUE(routing) << "pgRouting (postgresql-15-pgrouting, scripts/deps) must be installed";
        // Only two targets: job 1 at (106.58, 29.56) and patrol point 11 at (106.59, 29.59).
        tx.exec(
            "UPDATE inspection_job SET state = 'accepted' WHERE id IN (2, 3, 4);"
            "DELETE FROM patrol_route_point WHERE route_id = 1 AND point_id = 12");
        // Roads: from the start (106.52, 29.52) one road goes north-east straight to
        // point 11 (106.59, 29.59) and on to job 1 (106.58, 29.56); job 1 is nearer in a
        // straight line but by road only reachable through point 11.
        tx.exec(
            "INSERT INTO road_edge(name, geom) VALUES"
            " ('主干道', ST_GeomFromText('LINESTRING(106.52 29.52, 106.59 29.59)', 4326)),"
            " ('支路', ST_GeomFromText('LINESTRING(106.59 29.59, 106.58 29.56)', 4326));"
            "SELECT road_network_build()");
        tx.commit();
    }
    const json r = targets(kMe);
    EXPECT_EQ(r["method"], "road_network");
    ASSERT_EQ(r["targets"].size(), 2u);
    EXPECT_EQ(key(r["targets"][0]), "patrol_point:11");
    EXPECT_EQ(key(r["targets"][1]), "job:1");
    // Independent: the two road lengths on the spheroid (the points lie on the vertices).
    pqxx::work tx(c);
    const double road = tx.exec1("SELECT sum(ST_Length(geom::geography)) FROM road_edge")[0].as<double>();
    EXPECT_NEAR(r["distance_m"].get<double>(), road, 0.5);
    EXPECT_EQ(r["geometry"]["type"], "MultiLineString");
    ASSERT_EQ(r["geometry"]["coordinates"].size(), 2u);

    // A start 17 km from the nearest road vertex is outside the network: straight lines.
    EXPECT_EQ(targets(kMe, 106.40, 29.40)["method"], "straight_line");

    // Straight lines would have gone to job 1 first.
    tx.exec("DELETE FROM road_edge");
    tx.commit();
    const json s = targets(kMe);
    EXPECT_EQ(s["method"], "straight_line");
    EXPECT_EQ(key(s["targets"][0]), "job:1");
}

}  // namespace
}  // namespace twindraw::testing
