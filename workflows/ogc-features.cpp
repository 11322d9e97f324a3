#include "workflows/ogc-features.hpp"

#include "geo/error.hpp"

#include <cmath>
#include <map>
#include <regex>
#include <cstdlib>
#include <cerrno>

namespace twindraw::ogc {

namespace {

using nlohmann::json;

// Each collection as a subquery of (id, geom, props json). Static text: no request value
// is ever spliced into it.
const std::map<std::string, std::string>& sources() {
    static const std::map<std::string, std::string> s = {
        {"market_subjects",
         "SELECT m.id, m.geom, json_build_object('name', m.name, 'uscc', m.uscc, 'address', m.address,"
         " 'division_code', m.division_code, 'nature', m.nature, 'risk_level', m.risk_level,"
         " 'credit_level', m.credit_level) AS props FROM market_subject m WHERE m.geom IS NOT NULL"},
        {"patrol_points",
         "SELECT p.id, p.geom, json_build_object('name', p.name, 'authority_id', p.authority_id,"
         " 'updated_at', p.updated_at) AS props FROM patrol_point p"},
        {"patrol_routes",
         "SELECT r.id, l.geom, json_build_object('name', r.name, 'authority_id', r.authority_id,"
         " 'point_count', l.n, 'updated_at', r.updated_at) AS props FROM patrol_route r,"
         " LATERAL (SELECT ST_MakeLine(p.geom ORDER BY rp.seq) AS geom, count(*) AS n FROM patrol_route_point rp"
         "  JOIN patrol_point p ON p.id = rp.point_id WHERE rp.route_id = r.id) l WHERE l.geom IS NOT NULL"},
        // The results on the map (result_point, 0019): submitted or accepted with a category.
        {"inspection_results",
         "SELECT r.id, r.geom, json_build_object('job_id', r.job_id, 'task_id', r.task_id, 'unit_id', r.unit_id,"
         " 'year', r.inspected_year, 'category', r.category, 'category_label', (SELECT e.label FROM dict_entry e"
         "  JOIN dict_category c ON c.id = e.category_id WHERE c.code = 'check_result' AND e.code = r.category),"
         " 'problem', r.problem) AS props FROM result_point r"},
        // Unlicensed businesses (0026, NET-1): where, what, when, status; not the operator's
        // personal data (name, phone, ID number stay in the API's detail and export).
        {"unlicensed_business",
         "SELECT b.id, b.geom, json_build_object('name', b.name, 'address', b.address, 'business', b.business,"
         " 'division_code', b.division_code, 'authority_id', b.authority_id,"
         " 'found_at', to_char(b.found_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), 'status', b.status,"
         " 'status_label', CASE b.status WHEN 'registered' THEN '登记' WHEN 'handling' THEN '处置中'"
         "  WHEN 'banned' THEN '已取缔' WHEN 'licensed' THEN '已办照' END) AS props FROM unlicensed_business b"},
    };
    return s;
}

json feature(const pqxx::row& r) {
    return {{"type", "Feature"},
            {"id", r["id"].as<long long>()},
            {"geometry", json::parse(r["g"].c_str())},
            {"properties", json::parse(r["props"].c_str())}};
}

long long parse_count(const std::string& name, const std::string& v, long long lo, long long hi) {
    if (!std::regex_match(v, std::regex("^[0-9]{1,9}$")) || std::stoll(v) < lo || std::stoll(v) > hi)
        throw bad_request("bad_" + name,
                          "参数 " + name + " 应为 " + std::to_string(lo) + " 至 " + std::to_string(hi) + " 的整数",
                          name);
    return std::stoll(v);
}

}  // namespace

const std::vector<Collection>& collections() {
    static const std::vector<Collection> all = {
        {"market_subjects", "市场主体", "检查对象名录库中的市场主体（WGS84 位置、风险与信用等级）", "Point"},
        {"patrol_points", "巡查点", "监管人员在地图上创建的巡查点", "Point"},
        {"patrol_routes", "巡查路线", "由巡查点按顺序连成的巡查路线", "LineString"},
        {"inspection_results", "检查结果", "已提交或审核通过的检查结果（检查对象位置、结果类别、是否发现问题）", "Point"},
        {"unlicensed_business", "无照经营", "巡检人员与监管人员录入的无照经营点（发现时间、经营情况、处置状态）", "Point"},
    };
    return all;
}

const Collection& collection(const std::string& id) {
    for (const auto& c : collections())
        if (c.id == id) return c;
    throw not_found("要素集合不存在");
}

ItemsQuery parse_items_query(const std::string& bbox, const std::string& limit, const std::string& offset) {
    ItemsQuery q;
    if (!limit.empty()) q.limit = parse_count("limit", limit, 1, 10000);
    if (!offset.empty()) q.offset = parse_count("offset", offset, 0, 1000000000);
    if (!bbox.empty()) {
        static const std::regex num("^-?[0-9]{1,3}(\\.[0-9]{1,15})?([eE][-+]?[0-9]{1,3})?$");
        std::array<double, 4> b{};
        size_t start = 0;
        for (int i = 0; i < 4; ++i) {
            size_t comma = bbox.find(',', start);
            if ((i < 3) != (comma != std::string::npos))
                throw bad_request("bad_bbox", "bbox 应为 4 个以逗号分隔的数", "bbox");
            std::string part = bbox.substr(start, i < 3 ? comma - start : std::string::npos);
            if (!std::regex_match(part, num)) throw bad_request("bad_bbox", "bbox 应为 4 个以逗号分隔的数", "bbox");
            // strtod, not stod: "1e999" is out of range for a double and stod would throw
            // std::out_of_range (a 500); it is a bad bbox like any other.
            errno = 0;
            b[i] = std::strtod(part.c_str(), nullptr);
            if (errno == ERANGE || !std::isfinite(b[i]))
                throw bad_request("bad_bbox", "bbox 的数超出范围", "bbox");
            start = comma + 1;
        }
        if (!(b[0] <= b[2] && b[1] <= b[3]) || std::abs(b[0]) > 180 || std::abs(b[2]) > 180 || std::abs(b[1]) > 90 ||
            std::abs(b[3]) > 90)
            throw bad_request("bad_bbox", "bbox 应为 最小经度,最小纬度,最大经度,最大纬度（WGS84）", "bbox");
        q.bbox = b;
    }
    return q;
}

Items items(pg::Pool& pool, const Collection& c, const ItemsQuery& q) {
    const std::string& src = sources().at(c.id);
    return pg::with_read(pool, "ogc", [&](pqxx::transaction_base& tx) {
        pg::Params p;
        std::string where = "true";
        if (q.bbox) {
            where = "ST_Intersects(s.geom, ST_MakeEnvelope(" + p.next(std::to_string((*q.bbox)[0])) + "::float8, " +
                    p.next(std::to_string((*q.bbox)[1])) + "::float8, " + p.next(std::to_string((*q.bbox)[2])) +
                    "::float8, " + p.next(std::to_string((*q.bbox)[3])) + "::float8, 4326))";
        }
        Items out;
        out.matched = pg::exec(tx, "SELECT count(*) FROM (" + src + ") s WHERE " + where, p)[0][0].as<long long>();
        const std::string limit = p.next(std::to_string(q.limit));
        const std::string offset = p.next(std::to_string(q.offset));
        auto rows =
            pg::exec(tx,
                     "SELECT s.id, ST_AsGeoJSON(s.geom, 7) AS g, s.props::text AS props FROM (" + src + ") s WHERE " +
                         where + " ORDER BY s.id LIMIT " + limit + "::bigint OFFSET " + offset + "::bigint",
                     p);
        for (const auto& r : rows) out.features.push_back(feature(r));
        return out;
    });
}

json item(pg::Pool& pool, const Collection& c, const std::string& feature_id) {
    if (!std::regex_match(feature_id, std::regex("^[1-9][0-9]{0,17}$"))) throw not_found("要素不存在");
    const std::string& src = sources().at(c.id);
    return pg::with_read(pool, "ogc", [&](pqxx::transaction_base& tx) {
        auto rows = pg::exec(tx,
                             "SELECT s.id, ST_AsGeoJSON(s.geom, 7) AS g, s.props::text AS props FROM (" + src +
                                 ") s WHERE s.id = $1::bigint",
                             pg::Params().add(feature_id));
        if (rows.empty()) throw not_found("要素不存在或不在本人数据范围内");
        return feature(rows[0]);
    });
}

std::optional<std::array<double, 4>> extent(pg::Pool& pool, const Collection& c) {
    const std::string& src = sources().at(c.id);
    return pg::with_read(pool, "ogc", [&](pqxx::transaction_base& tx) -> std::optional<std::array<double, 4>> {
        auto r = pg::exec(
            tx, "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(s.geom) AS e FROM (" +
                    src + ") s) x");
        if (r[0][0].is_null()) return std::nullopt;
        return std::array<double, 4>{r[0][0].as<double>(), r[0][1].as<double>(), r[0][2].as<double>(),
                                     r[0][3].as<double>()};
    });
}

}  // namespace twindraw::ogc
