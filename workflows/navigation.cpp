#include "workflows/navigation.hpp"

#include "geo/error.hpp"
#include "geo/nav-links.hpp"
#include "geo/visit-order.hpp"
#include "workflows/registry-repo.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace twindraw::navigation {

namespace {

using nlohmann::json;

// Above this many targets the 2-opt/Or-opt passes (O(n³) each) are skipped and the
// nearest-neighbour order is used as it is.
constexpr std::size_t kImproveLimit = 200;

// A node farther than this from every road vertex is outside the loaded road network:
// the order then uses straight lines rather than a long straight "access leg".
constexpr double kMaxAccessM = 3000;

struct Target {
    std::string kind;  // job | patrol_point
    long long id = 0;
    std::string name, address, job_no, state;
    json route_names = json::array();
    coord::LonLat at;
};

std::optional<double> number(const std::optional<std::string>& s) {
    if (!s || s->empty() || s->size() > 40) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(s->c_str(), &end);
    if (end != s->c_str() + s->size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string fixed(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9f", v);
    return buf;
}

// The road distances between the nodes (start first) through pgRouting, each node
// joined to its nearest road vertex by a straight access leg; nullopt when pgRouting or
// a road network is missing or some pair is not connected.
struct RoadNet {
    route::Matrix m;
    std::vector<long long> vertex;  // nearest road vertex per node
    std::vector<double> access;     // metres from the node to that vertex
    std::string edges_sql;          // the edges query given to pgRouting
};

std::optional<RoadNet> road_network(pqxx::transaction_base& tx, const std::vector<coord::LonLat>& nodes) {
    auto ready = pg::exec(tx,
                          "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')"
                          " AND EXISTS (SELECT 1 FROM road_edge WHERE source IS NOT NULL)");
    if (!ready[0][0].as<bool>()) return std::nullopt;
    RoadNet r;
    std::string lons = "{", lats = "{";
    double minx = 180, miny = 90, maxx = -180, maxy = -90;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        lons += (i ? "," : "") + fixed(nodes[i].lon);
        lats += (i ? "," : "") + fixed(nodes[i].lat);
        minx = std::min(minx, nodes[i].lon), maxx = std::max(maxx, nodes[i].lon);
        miny = std::min(miny, nodes[i].lat), maxy = std::max(maxy, nodes[i].lat);
    }
    lons += "}", lats += "}";
    auto snapped = pg::exec(tx,
                            "SELECT n.i, v.id, ST_Distance(v.geom::geography, n.p::geography)"
                            " FROM (SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS p"
                            "        FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, i)) n"
                            " CROSS JOIN LATERAL (SELECT id, geom FROM road_vertex ORDER BY geom <-> n.p LIMIT 1) v"
                            " ORDER BY n.i",
                            pg::Params().add(lons).add(lats));
    if (snapped.size() != nodes.size()) return std::nullopt;
    for (const auto& row : snapped) {
        r.vertex.push_back(row[1].as<long long>());
        r.access.push_back(row[2].as<double>());
        if (r.access.back() > kMaxAccessM) return std::nullopt;
    }
    // The edges near the targets (0.05° ≈ 5 km around their box): the numbers are ours,
    // formatted from doubles, not request text.
    r.edges_sql =
        "SELECT id, source, target, cost, reverse_cost FROM road_edge WHERE source IS NOT NULL"
        " AND geom && ST_Expand(ST_MakeEnvelope(" +
        fixed(minx) + "," + fixed(miny) + "," + fixed(maxx) + "," + fixed(maxy) + ", 4326), 0.05)";
    std::string vids = "{";
    for (std::size_t i = 0; i < r.vertex.size(); ++i) vids += (i ? "," : "") + std::to_string(r.vertex[i]);
    vids += "}";
    std::map<std::pair<long long, long long>, double> cost;
    for (const auto& row : pg::exec(tx,
                                    "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCostMatrix($1,"
                                    " (SELECT array_agg(DISTINCT v) FROM unnest($2::bigint[]) v), directed => true)",
                                    pg::Params().add(r.edges_sql).add(vids)))
        cost[{row[0].as<long long>(), row[1].as<long long>()}] = row[2].as<double>();
    const std::size_t n = nodes.size();
    r.m.assign(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            if (i == j) continue;
            double via = 0;
            if (r.vertex[i] != r.vertex[j]) {
                auto it = cost.find({r.vertex[i], r.vertex[j]});
                if (it == cost.end()) return std::nullopt;  // not connected: fall back to straight lines
                via = it->second;
            }
            r.m[i][j] = r.access[i] + via + r.access[j];
        }
    }
    return r;
}

// The road path between two nodes as a GeoJSON LineString text: access leg, the edges in
// travel order, access leg.
std::string road_leg(pqxx::transaction_base& tx, const RoadNet& r, std::size_t a, std::size_t b,
                     const std::vector<coord::LonLat>& nodes) {
    return pg::exec(tx,
                    "WITH path AS (SELECT d.seq, CASE WHEN d.node = e.source THEN e.geom ELSE ST_Reverse(e.geom) END"
                    "  AS g FROM pgr_dijkstra($1, $2::bigint, $3::bigint, directed => true) d"
                    "  JOIN road_edge e ON e.id = d.edge WHERE d.edge > 0),"
                    " parts AS (SELECT 0 AS seq, ST_MakeLine(ST_SetSRID(ST_MakePoint($4::float8, $5::float8), 4326),"
                    "   (SELECT geom FROM road_vertex WHERE id = $2::bigint)) AS g"
                    "  UNION ALL SELECT seq, g FROM path"
                    "  UNION ALL SELECT 1000000000, ST_MakeLine((SELECT geom FROM road_vertex WHERE id = $3::bigint),"
                    "   ST_SetSRID(ST_MakePoint($6::float8, $7::float8), 4326)))"
                    " SELECT ST_AsGeoJSON(ST_MakeLine(g ORDER BY seq), 7) FROM parts",
                    pg::Params()
                        .add(r.edges_sql)
                        .add(r.vertex[a])
                        .add(r.vertex[b])
                        .add(nodes[a].lon)
                        .add(nodes[a].lat)
                        .add(nodes[b].lon)
                        .add(nodes[b].lat))[0][0]
        .c_str();
}

json lonlat(coord::LonLat p) {
    return {{"lon", p.lon}, {"lat", p.lat}};
}

}  // namespace

Start parse_start(const std::optional<std::string>& lat, const std::optional<std::string>& lon) {
    std::vector<registry::FieldError> errors;
    auto check = [&](const std::optional<std::string>& s, const char* field, const char* label, double limit) {
        if (!s || s->empty()) {
            errors.push_back({field, "required", std::string("请提供起点") + label});
            return 0.0;
        }
        auto v = number(s);
        if (!v || std::fabs(*v) > limit) {
            errors.push_back({field, "bad_coordinate",
                              std::string(label) + "应为 -" + std::to_string(int(limit)) + " 到 " +
                                  std::to_string(int(limit)) + " 之间的十进制度数"});
            return 0.0;
        }
        return *v;
    };
    Start s;
    s.lat = check(lat, "lat", "纬度", 90);
    s.lon = check(lon, "lon", "经度", 180);
    if (!errors.empty()) throw registry::ValidationError(errors);
    return s;
}

json my_targets(pg::Pool& pool, const Start& start) {
    return pg::with_read(pool, "navigation", [&](pqxx::read_transaction& tx) {
        auto me = pg::exec(tx, "SELECT twindraw_own_inspector()")[0][0];
        if (me.is_null()) throw forbidden("not_inspector", "当前账号未关联执法人员，没有检查目标");

        std::vector<Target> targets;
        json unlocated = json::array(), visited = json::array();
        for (const auto& r : pg::exec(tx, "SELECT * FROM navigation_my_jobs()")) {
            Target t;
            t.kind = "job";
            t.id = r["job_id"].as<long long>();
            t.job_no = r["job_no"].c_str();
            t.state = r["state"].c_str();
            t.name = r["name"].is_null() ? "" : r["name"].c_str();
            t.address = r["address"].is_null() ? "" : r["address"].c_str();
            if (r["lon"].is_null()) {
                unlocated.push_back({{"kind", "job"}, {"id", t.id}, {"job_no", t.job_no}, {"name", t.name}});
                continue;
            }
            t.at = {r["lon"].as<double>(), r["lat"].as<double>()};
            targets.push_back(std::move(t));
        }
        // Patrol points of the routes assigned for today (China time), once each even when
        // on two routes; those checked in today are done and left out of the order.
        for (const auto& r :
             pg::exec(tx,
                      "SELECT p.id, p.name, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,"
                      " json_agg(DISTINCT r.name)::text AS routes,"
                      " (SELECT max(c.at)::text FROM patrol_checkin c WHERE c.point_id = p.id"
                      "   AND c.inspector_id = twindraw_own_inspector()"
                      "   AND (c.at AT TIME ZONE 'Asia/Shanghai')::date = (now() AT TIME ZONE 'Asia/Shanghai')::date)"
                      "  AS checked_at"
                      " FROM patrol_assignment a JOIN patrol_route r ON r.id = a.route_id"
                      " JOIN patrol_route_point rp ON rp.route_id = r.id JOIN patrol_point p ON p.id = rp.point_id"
                      " WHERE a.inspector_id = twindraw_own_inspector()"
                      "   AND (now() AT TIME ZONE 'Asia/Shanghai')::date BETWEEN a.date_from AND a.date_to"
                      " GROUP BY p.id ORDER BY p.id")) {
            Target t;
            t.kind = "patrol_point";
            t.id = r["id"].as<long long>();
            t.name = r["name"].c_str();
            t.route_names = json::parse(r["routes"].c_str());
            t.at = {r["lon"].as<double>(), r["lat"].as<double>()};
            if (!r["checked_at"].is_null()) {
                visited.push_back({{"kind", t.kind},
                                   {"id", t.id},
                                   {"name", t.name},
                                   {"route_names", t.route_names},
                                   {"lon", t.at.lon},
                                   {"lat", t.at.lat},
                                   {"checked_at", r["checked_at"].c_str()}});
                continue;
            }
            targets.push_back(std::move(t));
        }

        const coord::LonLat from{start.lon, start.lat};
        std::vector<coord::LonLat> nodes{from};
        for (const auto& t : targets) nodes.push_back(t.at);
        std::optional<RoadNet> roads = targets.empty() ? std::nullopt : road_network(tx, nodes);
        const route::Matrix m = roads ? roads->m : route::geodesic_matrix(from, {nodes.begin() + 1, nodes.end()});
        route::Order order = targets.size() > kImproveLimit ? route::nearest_neighbour(m) : route::best_order(m);

        json out_targets = json::array();
        std::size_t at = 0;
        json line = json::array({json::array({from.lon, from.lat})});
        json multi = json::array();
        const nav::Place here{from, "我的位置"};
        for (std::size_t k = 0; k < order.visit.size(); ++k) {
            const std::size_t i = order.visit[k];
            const Target& t = targets[i];
            const nav::Links l = nav::links(here, {t.at, t.name.empty() ? t.job_no : t.name});
            out_targets.push_back({{"seq", k + 1},
                                   {"kind", t.kind},
                                   {"id", t.id},
                                   {"name", t.name},
                                   {"address", t.address},
                                   {"job_no", t.job_no},
                                   {"state", t.state},
                                   {"route_names", t.route_names},
                                   {"lon", t.at.lon},
                                   {"lat", t.at.lat},
                                   {"leg_m", m[at][i + 1]},
                                   {"gcj02", lonlat(l.gcj02)},
                                   {"bd09", lonlat(l.bd09)},
                                   {"nav", {{"amap", l.amap}, {"baidu", l.baidu}, {"tencent", l.tencent}}}});
            if (roads) multi.push_back(json::parse(road_leg(tx, *roads, at, i + 1, nodes))["coordinates"]);
            line.push_back(json::array({t.at.lon, t.at.lat}));
            at = i + 1;
        }
        json geometry = order.visit.empty() ? json(nullptr)
                        : roads             ? json{{"type", "MultiLineString"}, {"coordinates", multi}}
                                            : json{{"type", "LineString"}, {"coordinates", line}};
        return json{{"start", lonlat(from)}, {"method", roads ? "road_network" : "straight_line"},
                    {"exact", order.exact},  {"distance_m", order.metres},
                    {"geometry", geometry},  {"targets", out_targets},
                    {"visited", visited},    {"unlocated", unlocated}};
    });
}

}  // namespace twindraw::navigation
