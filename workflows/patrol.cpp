#include "workflows/patrol.hpp"

#include "geo/error.hpp"
#include "workflows/input-fields.hpp"
#include "workflows/registry-repo.hpp"

#include <chrono>
#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace twindraw::patrol {

namespace {

using nlohmann::json;

// The calendar day in China, where every patrol day is counted.
const char* kToday = "(now() AT TIME ZONE 'Asia/Shanghai')::date";

bool valid_date(const std::string& s) {
    static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return false;
    std::chrono::year_month_day d{std::chrono::year(std::stoi(m[1])), std::chrono::month(std::stoul(m[2])),
                                  std::chrono::day(std::stoul(m[3]))};
    return d.ok();
}

std::string num(double v) {
    std::ostringstream os;
    os.precision(12);
    os << v;
    return os.str();
}

std::optional<double> coordinate(input::Fields& f, const json& body, const char* name, const std::string& label,
                                 double lo, double hi, bool required) {
    if (!f.has(name)) {
        if (required) f.fail(name, "required", label + "不能为空");
        return std::nullopt;
    }
    const auto& v = body[name];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi) {
        f.fail(name, "bad_coordinate", label + "应为 " + num(lo) + " 到 " + num(hi) + " 之间的数");
        return std::nullopt;
    }
    return v.get<double>();
}

[[noreturn]] void fail(const std::string& field, const std::string& code, const std::string& message) {
    throw registry::ValidationError({{field, code, message}});
}

bool inside_city(pqxx::transaction_base& tx, double lon, double lat) {
    return pg::exec(tx,
                    "SELECT EXISTS (SELECT 1 FROM division WHERE geom IS NOT NULL"
                    " AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)))",
                    pg::Params().add(lon).add(lat))[0][0]
        .as<bool>();
}

json point_json(const pqxx::row& r) {
    json route_ids = json::parse(r["route_ids"].c_str());
    return {{"id", r["id"].as<long long>()},
            {"name", r["name"].c_str()},
            {"lon", r["lon"].as<double>()},
            {"lat", r["lat"].as<double>()},
            {"authority_id", r["authority_id"].as<long long>()},
            {"route_ids", route_ids}};
}

const char* kPointSelect =
    "SELECT p.id, p.name, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.authority_id,"
    " coalesce((SELECT json_agg(DISTINCT rp.route_id) FROM patrol_route_point rp WHERE rp.point_id = p.id), '[]')::text"
    "  AS route_ids FROM patrol_point p";

json get_point(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string(kPointSelect) + " WHERE p.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("巡查点不存在或不在本人数据范围内");
    return point_json(r[0]);
}

// The route's line through its points in order (GeoJSON), its point ids.
const char* kRouteSelect =
    "SELECT r.id, r.name, r.authority_id,"
    " coalesce((SELECT json_agg(rp.point_id ORDER BY rp.seq) FROM patrol_route_point rp WHERE rp.route_id = r.id),"
    "  '[]')::text AS point_ids,"
    " (SELECT ST_AsGeoJSON(ST_MakeLine(p.geom ORDER BY rp.seq), 7) FROM patrol_route_point rp"
    "   JOIN patrol_point p ON p.id = rp.point_id WHERE rp.route_id = r.id) AS line"
    " FROM patrol_route r";

json route_json(const pqxx::row& r) {
    return {{"id", r["id"].as<long long>()},
            {"name", r["name"].c_str()},
            {"authority_id", r["authority_id"].as<long long>()},
            {"point_ids", json::parse(r["point_ids"].c_str())},
            {"line", r["line"].is_null() ? json(nullptr) : json::parse(r["line"].c_str())}};
}

json get_route(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string(kRouteSelect) + " WHERE r.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("巡查路线不存在或不在本人数据范围内");
    return route_json(r[0]);
}

const char* kAreaSelect =
    "SELECT a.id, a.name, a.authority_id, ST_AsGeoJSON(a.geom, 7) AS geometry,"
    " round(ST_Area(a.geom::geography))::bigint AS area_m2,"
    " (SELECT count(*) FROM patrol_point p WHERE ST_Covers(a.geom, p.geom)) AS point_count"
    " FROM patrol_area a";

json area_json(const pqxx::row& r) {
    return {{"id", r["id"].as<long long>()},
            {"name", r["name"].c_str()},
            {"authority_id", r["authority_id"].as<long long>()},
            {"geometry", json::parse(r["geometry"].c_str())},
            {"area_m2", r["area_m2"].as<long long>()},
            {"point_count", r["point_count"].as<long long>()}};
}

json get_area(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string(kAreaSelect) + " WHERE a.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("巡查片区不存在或不在本人数据范围内");
    return area_json(r[0]);
}

// Reads and checks {point_ids}: at least two distinct points the actor can see.
std::vector<long long> route_points(pqxx::transaction_base& tx, const json& body) {
    input::Fields f(body);
    auto ids = f.ids("point_ids", "巡查点", 500);
    f.check();
    if (!f.has("point_ids")) fail("point_ids", "required", "巡查路线的巡查点不能为空");
    std::set<long long> distinct(ids.begin(), ids.end());
    if (distinct.size() < 2) fail("point_ids", "too_few_points", "巡查路线至少需要两个不同的巡查点");
    if (distinct.size() != ids.size()) fail("point_ids", "duplicate_point", "同一巡查点在路线中只能出现一次");
    std::vector<std::string> texts;
    for (auto id : ids) texts.push_back(std::to_string(id));
    auto found = pg::exec(tx, "SELECT count(*) FROM patrol_point WHERE id = ANY ($1::bigint[])",
                          pg::Params().add(pg::array_literal(texts)))[0][0]
                     .as<long long>();
    if (found != static_cast<long long>(ids.size()))
        fail("point_ids", "unknown_point", "路线中有不存在或不在本人数据范围内的巡查点");
    return ids;
}

void write_route_points(pqxx::transaction_base& tx, long long route_id, const std::vector<long long>& ids) {
    pg::exec(tx, "DELETE FROM patrol_route_point WHERE route_id = $1", pg::Params().add(route_id));
    std::vector<std::string> texts;
    for (auto id : ids) texts.push_back(std::to_string(id));
    pg::exec(tx,
             "INSERT INTO patrol_route_point(route_id, seq, point_id)"
             " SELECT $1, o, p FROM unnest($2::bigint[]) WITH ORDINALITY AS t(p, o)",
             pg::Params().add(route_id).add(pg::array_literal(texts)));
    pg::exec(tx, "UPDATE patrol_route SET updated_at = now() WHERE id = $1", pg::Params().add(route_id));
}

// Reads {coordinates} into a closed WKT ring and checks it: ≥ 3 distinct vertices, all in
// the city, no self-intersection.
std::string area_wkt(pqxx::transaction_base& tx, const json& body) {
    if (!body.contains("coordinates") || body["coordinates"].is_null())
        fail("coordinates", "required", "片区边界不能为空");
    const auto& c = body["coordinates"];
    if (!c.is_array() || c.size() > 1000)
        fail("coordinates", "bad_type", "片区边界应为不超过 1000 个 [经度, 纬度] 的列表");
    std::vector<std::pair<double, double>> ring;
    for (const auto& v : c) {
        if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number() ||
            !std::isfinite(v[0].get<double>()) || !std::isfinite(v[1].get<double>()) ||
            std::abs(v[0].get<double>()) > 180 || std::abs(v[1].get<double>()) > 90)
            fail("coordinates", "bad_coordinate", "片区边界中有不正确的坐标，应为 [经度, 纬度]");
        ring.emplace_back(v[0].get<double>(), v[1].get<double>());
    }
    if (!ring.empty() && ring.front() == ring.back()) ring.pop_back();
    std::set<std::pair<double, double>> distinct(ring.begin(), ring.end());
    if (distinct.size() < 3) fail("coordinates", "too_few_vertices", "片区至少需要三个不同的顶点");
    for (const auto& [lon, lat] : ring)
        if (!inside_city(tx, lon, lat))
            fail("coordinates", "outside_city", "片区顶点 (" + num(lon) + ", " + num(lat) + ") 不在本市行政区划范围内");
    std::string wkt = "POLYGON((";
    for (const auto& [lon, lat] : ring) wkt += num(lon) + " " + num(lat) + ",";
    wkt += num(ring.front().first) + " " + num(ring.front().second) + "))";
    auto r = pg::exec(tx, "SELECT ST_IsValid(g), ST_IsSimple(ST_ExteriorRing(g)) FROM ST_GeomFromText($1, 4326) g",
                      pg::Params().add(wkt));
    if (!r[0][0].as<bool>() || !r[0][1].as<bool>())
        fail("coordinates", "self_intersecting", "片区边界自相交：请按顺序绘制顶点，使边界线不交叉");
    return wkt;
}

std::optional<std::string> area_name(const json& body, bool required) {
    input::Fields f(body);
    auto name = f.text("name", "名称", 100, required);
    f.check();
    return name;
}

}  // namespace

json overview(pg::Pool& pool) {
    return pg::with_read(pool, "patrol", [&](pqxx::transaction_base& tx) {
        json points = json::array(), routes = json::array(), areas = json::array();
        for (const auto& r : pg::exec(tx, std::string(kPointSelect) + " ORDER BY p.id"))
            points.push_back(point_json(r));
        for (const auto& r : pg::exec(tx, std::string(kRouteSelect) + " ORDER BY r.id"))
            routes.push_back(route_json(r));
        for (const auto& r : pg::exec(tx, std::string(kAreaSelect) + " ORDER BY a.id")) areas.push_back(area_json(r));
        return json{{"points", points}, {"routes", routes}, {"areas", areas}};
    });
}

json create_point(pg::Pool& pool, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        input::Fields f(body);
        auto name = f.text("name", "名称", 100, true);
        auto lon = coordinate(f, body, "lon", "经度", -180, 180, true);
        auto lat = coordinate(f, body, "lat", "纬度", -90, 90, true);
        f.check();
        if (!inside_city(tx, *lon, *lat)) fail("lon", "outside_city", "巡查点不在本市行政区划范围内");
        auto id = pg::exec(tx,
                           "INSERT INTO patrol_point(authority_id, name, geom, created_by)"
                           " VALUES (twindraw_unit_id(), $1, ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326),"
                           " twindraw_user_id()) RETURNING id",
                           pg::Params().add(*name).add(*lon).add(*lat))[0][0]
                      .as<long long>();
        return get_point(tx, id);
    });
}

json update_point(pg::Pool& pool, long long id, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        auto current = get_point(tx, id);
        input::Fields f(body);
        auto name = f.text("name", "名称", 100, false);
        auto lon = coordinate(f, body, "lon", "经度", -180, 180, false);
        auto lat = coordinate(f, body, "lat", "纬度", -90, 90, false);
        if (f.ok() && lon.has_value() != lat.has_value())
            f.fail(lon ? "lat" : "lon", "required", "移动巡查点须同时给出经度和纬度");
        f.check();
        if (lon && !inside_city(tx, *lon, *lat)) fail("lon", "outside_city", "巡查点不在本市行政区划范围内");
        pg::exec(tx,
                 "UPDATE patrol_point SET name = coalesce($2, name),"
                 " geom = CASE WHEN $3::float8 IS NULL THEN geom"
                 "  ELSE ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4326) END WHERE id = $1",
                 pg::Params()
                     .add(id)
                     .add(name)
                     .add(lon ? std::optional<std::string>(num(*lon)) : std::nullopt)
                     .add(lat ? std::optional<std::string>(num(*lat)) : std::nullopt));
        // The routes through the point changed their line.
        pg::exec(tx,
                 "UPDATE patrol_route SET updated_at = now()"
                 " WHERE id IN (SELECT route_id FROM patrol_route_point WHERE point_id = $1)",
                 pg::Params().add(id));
        return get_point(tx, id);
    });
}

void delete_point(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        auto p = get_point(tx, id);
        if (!p["route_ids"].empty()) {
            auto names = pg::exec(tx,
                                  "SELECT string_agg(DISTINCT r.name, '、') FROM patrol_route_point rp"
                                  " JOIN patrol_route r ON r.id = rp.route_id WHERE rp.point_id = $1",
                                  pg::Params().add(id))[0][0];
            throw conflict(
                "point_in_route",
                "巡查点仍在巡查路线中（" + std::string(names.is_null() ? "" : names.c_str()) + "），请先从路线中移除");
        }
        pg::exec(tx, "DELETE FROM patrol_point WHERE id = $1", pg::Params().add(id));
    });
}

json create_route(pg::Pool& pool, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        auto name = area_name(body, true);
        auto ids = route_points(tx, body);
        auto id = pg::exec(tx,
                           "INSERT INTO patrol_route(authority_id, name, created_by)"
                           " VALUES (twindraw_unit_id(), $1, twindraw_user_id()) RETURNING id",
                           pg::Params().add(*name))[0][0]
                      .as<long long>();
        write_route_points(tx, id, ids);
        return get_route(tx, id);
    });
}

json update_route(pg::Pool& pool, long long id, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        get_route(tx, id);
        auto name = area_name(body, false);
        if (name) pg::exec(tx, "UPDATE patrol_route SET name = $2 WHERE id = $1", pg::Params().add(id).add(*name));
        if (body.contains("point_ids")) write_route_points(tx, id, route_points(tx, body));
        return get_route(tx, id);
    });
}

void delete_route(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        get_route(tx, id);
        pg::exec(tx, "DELETE FROM patrol_route WHERE id = $1", pg::Params().add(id));
    });
}

json list_areas(pg::Pool& pool, const std::string& q) {
    return pg::with_read(pool, "patrol", [&](pqxx::transaction_base& tx) {
        json items = json::array();
        auto rows = pg::exec(
            tx,
            "SELECT x.*, (SELECT count(*) FROM patrol_route r WHERE EXISTS ("
            "  SELECT 1 FROM patrol_route_point rp JOIN patrol_point p ON p.id = rp.point_id"
            "   WHERE rp.route_id = r.id AND ST_Covers(ST_GeomFromGeoJSON(x.geometry), p.geom))) AS route_count"
            " FROM (" +
                std::string(kAreaSelect) + " WHERE $1 = '' OR a.name LIKE '%' || $1 || '%') x ORDER BY x.id",
            pg::Params().add(pg::like_escape(q)));
        for (const auto& r : rows) {
            auto a = area_json(r);
            a["route_count"] = r["route_count"].as<long long>();
            items.push_back(a);
        }
        return json{{"items", items}, {"total", items.size()}};
    });
}

json create_area(pg::Pool& pool, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        auto name = area_name(body, true);
        auto wkt = area_wkt(tx, body);
        auto id =
            pg::exec(tx,
                     "INSERT INTO patrol_area(authority_id, name, geom, created_by)"
                     " VALUES (twindraw_unit_id(), $1, ST_GeomFromText($2, 4326), twindraw_user_id()) RETURNING id",
                     pg::Params().add(*name).add(wkt))[0][0]
                .as<long long>();
        return get_area(tx, id);
    });
}

json update_area(pg::Pool& pool, long long id, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        get_area(tx, id);
        auto name = area_name(body, false);
        std::optional<std::string> wkt;
        if (body.contains("coordinates")) wkt = area_wkt(tx, body);
        pg::exec(tx,
                 "UPDATE patrol_area SET name = coalesce($2, name),"
                 " geom = coalesce(ST_GeomFromText($3, 4326), geom) WHERE id = $1",
                 pg::Params().add(id).add(name).add(wkt));
        return get_area(tx, id);
    });
}

void delete_area(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        get_area(tx, id);
        pg::exec(tx, "DELETE FROM patrol_area WHERE id = $1", pg::Params().add(id));
    });
}

namespace {

json assignments_of(pqxx::transaction_base& tx, long long route_id) {
    json items = json::array();
    auto rows = pg::exec(tx,
                         "SELECT a.id, a.inspector_id, i.name AS inspector_name, a.date_from::text, a.date_to::text"
                         " FROM patrol_assignment a LEFT JOIN inspector i ON i.id = a.inspector_id"
                         " WHERE a.route_id = $1 ORDER BY a.date_from, a.id",
                         pg::Params().add(route_id));
    for (const auto& r : rows)
        items.push_back({{"id", r["id"].as<long long>()},
                         {"inspector_id", r["inspector_id"].as<long long>()},
                         {"inspector_name", r["inspector_name"].is_null() ? "" : r["inspector_name"].c_str()},
                         {"date_from", r["date_from"].c_str()},
                         {"date_to", r["date_to"].c_str()}});
    return items;
}

}  // namespace

json assignments(pg::Pool& pool, long long route_id) {
    return pg::with_read(pool, "patrol", [&](pqxx::transaction_base& tx) {
        get_route(tx, route_id);
        return json{{"items", assignments_of(tx, route_id)}};
    });
}

json assign(pg::Pool& pool, long long route_id, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        auto route = get_route(tx, route_id);
        input::Fields f(body);
        auto inspectors = f.ids("inspector_ids", "执法人员", 100);
        auto from = f.text("date_from", "开始日期", 10, true);
        auto to = f.text("date_to", "结束日期", 10, true);
        if (f.has("inspector_ids") && inspectors.empty() && f.ok())
            f.fail("inspector_ids", "required", "请选择执法人员");
        if (!f.has("inspector_ids")) f.fail("inspector_ids", "required", "请选择执法人员");
        if (from && !valid_date(*from)) f.fail("date_from", "bad_date", "开始日期应为 YYYY-MM-DD");
        if (to && !valid_date(*to)) f.fail("date_to", "bad_date", "结束日期应为 YYYY-MM-DD");
        if (f.ok() && *to < *from) f.fail("date_to", "bad_range", "结束日期不能早于开始日期");
        f.check();
        std::set<long long> distinct(inspectors.begin(), inspectors.end());
        std::vector<std::string> texts;
        for (auto id : distinct) texts.push_back(std::to_string(id));
        auto found = pg::exec(tx, "SELECT count(*) FROM inspector WHERE id = ANY ($1::bigint[]) AND active",
                              pg::Params().add(pg::array_literal(texts)))[0][0]
                         .as<long long>();
        if (found != static_cast<long long>(distinct.size()))
            fail("inspector_ids", "unknown_inspector", "有不存在、已停用或不在本人数据范围内的执法人员");
        pg::exec(tx,
                 "INSERT INTO patrol_assignment(route_id, inspector_id, authority_id, date_from, date_to, created_by)"
                 " SELECT $1, i, $2, $3::date, $4::date, twindraw_user_id() FROM unnest($5::bigint[]) i",
                 pg::Params()
                     .add(route_id)
                     .add(route["authority_id"].get<long long>())
                     .add(*from)
                     .add(*to)
                     .add(pg::array_literal(texts)));
        return json{{"items", assignments_of(tx, route_id)}};
    });
}

json checkin(pg::Pool& pool, const json& body) {
    return pg::with_transaction(pool, "patrol", [&](pqxx::transaction_base& tx) {
        input::Fields f(body);
        auto point_id = f.integer("point_id", "巡查点", 1, 1'000'000'000'000'000LL, true);
        auto lon = coordinate(f, body, "lon", "经度", -180, 180, true);
        auto lat = coordinate(f, body, "lat", "纬度", -90, 90, true);
        std::optional<double> accuracy = coordinate(f, body, "accuracy_m", "定位精度", 0, 1e6, false);
        f.check();
        auto me = pg::exec(tx, "SELECT twindraw_own_inspector()")[0][0];
        if (me.is_null()) throw forbidden("not_inspector", "当前账号未关联执法人员，不能巡查打卡");
        long long inspector = me.as<long long>();
        auto assigned = pg::exec(tx,
                                 std::string("SELECT EXISTS (SELECT 1 FROM patrol_assignment a"
                                             " JOIN patrol_route_point rp ON rp.route_id = a.route_id"
                                             " WHERE a.inspector_id = $1 AND rp.point_id = $2 AND ") +
                                     kToday + " BETWEEN a.date_from AND a.date_to)",
                                 pg::Params().add(inspector).add(*point_id))[0][0]
                            .as<bool>();
        if (!assigned) fail("point_id", "not_assigned", "该巡查点不在今天分派给您的巡查路线上");
        auto d = pg::exec(tx,
                          "SELECT ST_Distance(p.geom::geography,"
                          "  ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326)::geography) AS d,"
                          " (SELECT value::float8 FROM patrol_setting WHERE key = 'checkin_radius_m') AS max_m,"
                          " p.authority_id, p.name FROM patrol_point p WHERE p.id = $1",
                          pg::Params().add(*point_id).add(*lon).add(*lat));
        if (d.empty()) fail("point_id", "unknown_point", "巡查点不存在");
        double distance = d[0]["d"].as<double>();
        double max_m = d[0]["max_m"].is_null() ? 200.0 : d[0]["max_m"].as<double>();
        if (distance > max_m) {
            auto rounded = std::to_string(static_cast<long long>(std::llround(distance)));
            auto limit = std::to_string(static_cast<long long>(std::llround(max_m)));
            throw invalid("too_far",
                          "您距离巡查点「" + std::string(d[0]["name"].c_str()) + "」" + rounded + " 米，超过允许的 " +
                              limit + " 米，不能打卡",
                          "lon")
                .with("distance_m", rounded)
                .with("max_m", limit);
        }
        auto r = pg::exec(
            tx,
            "INSERT INTO patrol_checkin(point_id, inspector_id, authority_id, position, distance_m, accuracy_m)"
            " VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4::float8, $5::float8), 4326), $6::float8,"
            " $7::float8) RETURNING id, at",
            pg::Params()
                .add(*point_id)
                .add(inspector)
                .add(d[0]["authority_id"].as<long long>())
                .add(*lon)
                .add(*lat)
                .add(distance)
                .add(accuracy ? std::optional<std::string>(num(*accuracy)) : std::nullopt));
        return json{{"id", r[0]["id"].as<long long>()},
                    {"point_id", *point_id},
                    {"at", r[0]["at"].c_str()},
                    {"distance_m", std::round(distance * 10) / 10},
                    {"max_m", max_m}};
    });
}

json my_routes(pg::Pool& pool, const std::string& date) {
    if (!date.empty() && !valid_date(date)) throw bad_request("bad_date", "日期应为 YYYY-MM-DD", "date");
    return pg::with_read(pool, "patrol", [&](pqxx::transaction_base& tx) {
        const std::string day = std::string("coalesce($1::date, ") + kToday + ")";
        auto rows = pg::exec(tx,
                             "SELECT r.id, r.name, p.id AS point_id, p.name AS point_name, ST_X(p.geom) AS lon,"
                             " ST_Y(p.geom) AS lat, rp.seq,"
                             " (SELECT max(c.at)::text FROM patrol_checkin c WHERE c.point_id = p.id"
                             "   AND c.inspector_id = twindraw_own_inspector()"
                             "   AND (c.at AT TIME ZONE 'Asia/Shanghai')::date = " +
                                 day +
                                 ") AS checked_at"
                                 " FROM patrol_route r JOIN patrol_route_point rp ON rp.route_id = r.id"
                                 " JOIN patrol_point p ON p.id = rp.point_id"
                                 " WHERE EXISTS (SELECT 1 FROM patrol_assignment a WHERE a.route_id = r.id"
                                 "  AND a.inspector_id = twindraw_own_inspector() AND " +
                                 day +
                                 " BETWEEN a.date_from AND a.date_to)"
                                 " ORDER BY r.id, rp.seq",
                             pg::Params().add(date.empty() ? std::nullopt : std::optional<std::string>(date)));
        json routes = json::array();
        for (const auto& row : rows) {
            long long id = row["id"].as<long long>();
            if (routes.empty() || routes.back()["id"] != id)
                routes.push_back({{"id", id}, {"name", row["name"].c_str()}, {"points", json::array()}});
            routes.back()["points"].push_back(
                {{"id", row["point_id"].as<long long>()},
                 {"name", row["point_name"].c_str()},
                 {"lon", row["lon"].as<double>()},
                 {"lat", row["lat"].as<double>()},
                 {"checked_at", row["checked_at"].is_null() ? json(nullptr) : json(row["checked_at"].c_str())}});
        }
        for (auto& r : routes) {
            bool done = true;
            for (const auto& p : r["points"]) done = done && !p["checked_at"].is_null();
            r["completed"] = done;
            r["color"] = done ? "red" : "green";
        }
        auto radius = pg::exec(tx, "SELECT value FROM patrol_setting WHERE key = 'checkin_radius_m'");
        return json{{"routes", routes}, {"checkin_radius_m", radius.empty() ? 200.0 : radius[0][0].as<double>()}};
    });
}

void validate(const ProgressQuery& q) {
    if (!q.from.empty() && !valid_date(q.from)) throw bad_request("bad_from", "开始日期应为 YYYY-MM-DD", "from");
    if (!q.to.empty() && !valid_date(q.to)) throw bad_request("bad_to", "结束日期应为 YYYY-MM-DD", "to");
    if (!q.from.empty() && !q.to.empty() && q.to < q.from)
        throw bad_request("bad_range", "结束日期不能早于开始日期", "to");
    if (!q.status.empty() && q.status != "completed" && q.status != "unfinished")
        throw bad_request("bad_status", "完成情况应为 completed 或 unfinished", "status");
}

json progress(pg::Pool& pool, const ProgressQuery& q) {
    validate(q);
    return pg::with_read(pool, "patrol", [&](pqxx::transaction_base& tx) {
        if (q.area_id) {
            auto a = pg::exec(tx, "SELECT 1 FROM patrol_area WHERE id = $1", pg::Params().add(*q.area_id));
            if (a.empty()) throw bad_request("bad_area_id", "巡查片区不存在或不在本人数据范围内", "area_id");
        }
        pg::Params p;
        p.add(q.from.empty() ? std::nullopt : std::optional<std::string>(q.from));
        p.add(q.to.empty() ? std::nullopt : std::optional<std::string>(q.to));
        p.add(q.area_id ? std::optional<std::string>(std::to_string(*q.area_id)) : std::nullopt);
        auto rows = pg::exec(
            tx,
            std::string("WITH span AS (SELECT coalesce($1::date, ") + kToday + ") AS d1, coalesce($2::date, " + kToday +
                ") AS d2),"
                " r AS (SELECT r.id, r.name,"
                "  (SELECT ST_MakeLine(p.geom ORDER BY rp.seq) FROM patrol_route_point rp"
                "    JOIN patrol_point p ON p.id = rp.point_id WHERE rp.route_id = r.id) AS line"
                "  FROM patrol_route r),"
                " s AS (SELECT r.id, r.name, r.line,"
                "  (SELECT count(DISTINCT rp.point_id) FROM patrol_route_point rp WHERE rp.route_id = r.id) AS total,"
                "  (SELECT count(DISTINCT rp.point_id) FROM patrol_route_point rp, span"
                "    WHERE rp.route_id = r.id AND EXISTS (SELECT 1 FROM patrol_checkin c"
                "     JOIN patrol_assignment a ON a.inspector_id = c.inspector_id AND a.route_id = r.id"
                "     WHERE c.point_id = rp.point_id"
                "       AND (c.at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN span.d1 AND span.d2"
                "       AND (c.at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN a.date_from AND a.date_to)) AS done,"
                "  (SELECT coalesce(json_agg(json_build_object('inspector_id', a.inspector_id, 'inspector_name', "
                "i.name,"
                "     'date_from', a.date_from, 'date_to', a.date_to) ORDER BY a.date_from, a.id), '[]')"
                "    FROM patrol_assignment a LEFT JOIN inspector i ON i.id = a.inspector_id, span"
                "    WHERE a.route_id = r.id AND a.date_from <= span.d2 AND a.date_to >= span.d1)::text AS assignees"
                "  FROM r WHERE $3::bigint IS NULL OR EXISTS (SELECT 1 FROM patrol_area ar"
                "   WHERE ar.id = $3::bigint AND ST_Intersects(ar.geom, r.line)))"
                " SELECT s.id, s.name, ST_AsGeoJSON(s.line, 7) AS line, s.total, s.done,"
                "  (s.total > 0 AND s.done = s.total) AS completed, s.assignees,"
                "  (SELECT d1::text FROM span) AS d1, (SELECT d2::text FROM span) AS d2"
                " FROM s ORDER BY s.id",
            p);
        json items = json::array();
        long long completed_count = 0;
        std::string d1, d2;
        for (const auto& r : rows) {
            d1 = r["d1"].c_str();
            d2 = r["d2"].c_str();
            bool completed = r["completed"].as<bool>();
            if (q.status == "completed" && !completed) continue;
            if (q.status == "unfinished" && completed) continue;
            if (completed) ++completed_count;
            items.push_back({{"id", r["id"].as<long long>()},
                             {"name", r["name"].c_str()},
                             {"line", r["line"].is_null() ? json(nullptr) : json::parse(r["line"].c_str())},
                             {"points_total", r["total"].as<long long>()},
                             {"points_done", r["done"].as<long long>()},
                             {"completed", completed},
                             // Seed 000 §5.6c: 已完成巡检路线显示为红色，未完成检路线显示为绿色.
                             {"color", completed ? "red" : "green"},
                             {"assignees", json::parse(r["assignees"].c_str())}});
        }
        return json{{"items", items},
                    {"total", items.size()},
                    {"completed", completed_count},
                    {"unfinished", static_cast<long long>(items.size()) - completed_count},
                    {"from", d1},
                    {"to", d2}};
    });
}

}  // namespace twindraw::patrol
