#include "tiles/tile-service.hpp"

#include "geo/error.hpp"
#include "tiles/heat-render.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

namespace twindraw::tiles {

namespace fs = std::filesystem;

const std::vector<LayerInfo>& layers() {
    static const std::vector<LayerInfo> all = {
        {"base", "行政区划底图", "区县与乡镇（街道）边界及中文注记，已载入数据时含水系与道路", {}},
        {"objects", "市场主体（按风险等级或检查状态）",
         "检查对象名录库中的市场主体，默认按风险等级着色：低绿、一般蓝、较高橙、高红；by=status 时按所选年度"
         "（year，默认今年）的检查状态着色：未列入抽查灰、已抽中待检查蓝、已检查未发现问题绿、已检查发现问题红",
         {"risk", "division", "by", "year"}},
        {"results", "检查结果（按结果类别）",
         "已提交或审核通过的检查结果，按检查结果类别着色（图例见 /api/map/legend）；筛选年度、部门、任务、类别",
         {"year", "department", "task", "category"}},
        {"heat", "检查热力图",
         "检查（what=problems 时为发现问题的检查）的核密度热力图，按年度、部门、任务、结果类别筛选；"
         "由 PostGIS 中的分级网格计算（筛选类别时 14 级及以下读分类别网格；筛选任务或更大级别时由检查结果点按同一网格聚合）",
         {"year", "department", "task", "category", "what"}},
        {"patrol", "巡查路线与巡查点（按完成情况）",
         "巡查路线按当日完成情况着色：已完成（路线上每个巡查点均已由被指派的检查人员打卡）红色，未完成绿色；"
         "巡查点已打卡红色、未打卡绿色；巡查片区显示边界。筛选 date（YYYY-MM-DD，默认今天），"
         "或日期范围 from、to（与巡查进度列表同一规则：范围内每个巡查点均已打卡即为已完成）",
         {"date", "from", "to"}},
    };
    return all;
}

const LayerInfo& layer_info(const std::string& name) {
    for (const auto& l : layers())
        if (l.name == name) return l;
    throw Error(Error::Kind::NotFound, "unknown_layer", "图层不存在：" + name.substr(0, 40), "layer");
}

std::string Filters::canonical() const {
    // Alphabetical order of the parameter names.
    std::vector<std::pair<std::string, std::string>> parts;
    if (!by.empty()) parts.emplace_back("by", by);
    if (!category.empty()) {
        std::string v;
        for (size_t i = 0; i < category.size(); ++i) v += (i ? "," : "") + category[i];
        parts.emplace_back("category", v);
    }
    if (department) parts.emplace_back("department", std::to_string(department));
    if (!date.empty() && (date_to.empty() || date_to == date)) parts.emplace_back("date", date);
    if (!division.empty()) parts.emplace_back("division", division);
    if (!date.empty() && !date_to.empty() && date_to != date) parts.emplace_back("from", date);
    if (!risk.empty()) {
        std::string v;
        for (size_t i = 0; i < risk.size(); ++i) v += (i ? "," : "") + std::to_string(risk[i]);
        parts.emplace_back("risk", v);
    }
    if (task) parts.emplace_back("task", std::to_string(task));
    if (!date.empty() && !date_to.empty() && date_to != date) parts.emplace_back("to", date_to);
    if (!what.empty()) parts.emplace_back("what", what);
    if (year) parts.emplace_back("year", std::to_string(year));
    std::string out;
    for (const auto& [k, v] : parts) out += (out.empty() ? "" : "&") + k + "=" + v;
    return out;
}

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

long long parse_id(const std::string& value, const std::string& field, const std::string& label) {
    if (!all_digits(value) || value.size() > 15 || std::stoll(value) == 0)
        throw bad_request("bad_filter", label + "应为正整数编号", field);
    return std::stoll(value);
}

}  // namespace

// Today in China (UTC+8, no daylight saving), the patrol layer's default day: part of the
// cache key, so that yesterday's tiles are not served today.
std::string china_today() {
    const std::time_t t = std::time(nullptr) + 8 * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

bool valid_day(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[size_t(i)] < '0' || s[size_t(i)] > '9') return false;
    const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return false;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

// Days from 1970-01-01 of a valid YYYY-MM-DD (Howard Hinnant's days_from_civil).
static long days_of(const std::string& s) {
    int y = std::stoi(s.substr(0, 4));
    const unsigned m = unsigned(std::stoi(s.substr(5, 2))), d = unsigned(std::stoi(s.substr(8, 2)));
    y -= m <= 2;
    const long era = y / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + long(doe) - 719468;
}

Filters parse_filters(const LayerInfo& layer, const std::map<std::string, std::string>& query) {
    Filters f;
    if (layer.name == "patrol") f.date = china_today();
    // patrol: `date` is one day; `from` and `to` a range (both needed, not with `date`).
    const auto given = [&](const char* k) {
        auto it = query.find(k);
        return it != query.end() && !it->second.empty();
    };
    if (layer.name == "patrol" && (given("from") || given("to"))) {
        if (given("date"))
            throw bad_request("bad_filter", "date 与 from/to 不能同时使用：单日用 date，日期范围用 from 和 to", "date");
        if (!given("from") || !given("to"))
            throw bad_request("bad_filter", "日期范围需要同时给出 from 和 to（YYYY-MM-DD）", given("from") ? "to" : "from");
        for (const char* k : {"from", "to"})
            if (!valid_day(query.at(k))) throw bad_request("bad_filter", "日期应为 YYYY-MM-DD", k);
        const long d1 = days_of(query.at("from")), d2 = days_of(query.at("to"));
        if (d2 < d1) throw bad_request("bad_filter", "结束日期 to 不能早于开始日期 from", "to");
        if (d2 - d1 > 365) throw bad_request("bad_filter", "日期范围不能超过 366 天", "to");
        f.date = query.at("from");
        f.date_to = query.at("to");
    }
    for (const auto& [key, value] : query) {
        if (std::find(layer.filters.begin(), layer.filters.end(), key) == layer.filters.end())
            throw bad_request("bad_filter", "图层 " + layer.name + " 不支持筛选条件 " + key.substr(0, 40), key.substr(0, 40));
        if (value.empty()) continue;
        if (key == "risk") {
            std::stringstream in(value);
            std::string part;
            while (std::getline(in, part, ',')) {
                if (part.size() != 1 || part[0] < '1' || part[0] > '4')
                    throw bad_request("bad_filter", "风险等级应为 1 至 4 的整数，多个用逗号分隔", "risk");
                f.risk.push_back(part[0] - '0');
            }
            std::sort(f.risk.begin(), f.risk.end());
            f.risk.erase(std::unique(f.risk.begin(), f.risk.end()), f.risk.end());
        } else if (key == "division") {
            const bool digits = std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits || (value.size() != 6 && value.size() != 9))
                throw bad_request("bad_filter", "行政区划代码应为 6 位（区县）或 9 位（乡镇街道）数字", "division");
            f.division = value;
        } else if (key == "year") {
            if (!all_digits(value) || value.size() != 4 || std::stoi(value) < 2000 || std::stoi(value) > 2100)
                throw bad_request("bad_filter", "年度应为 2000 至 2100 的四位数字", "year");
            f.year = std::stoi(value);
        } else if (key == "department") {
            f.department = parse_id(value, "department", "部门");
        } else if (key == "task") {
            f.task = parse_id(value, "task", "任务");
        } else if (key == "category") {
            std::stringstream in(value);
            std::string part;
            while (std::getline(in, part, ',')) {
                const bool ok = !part.empty() && part.size() <= 40 && std::all_of(part.begin(), part.end(), [](char c) {
                    return std::isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
                });
                if (!ok) throw bad_request("bad_filter", "检查结果类别应为字典编码，多个用逗号分隔", "category");
                f.category.push_back(part);
            }
            if (value.back() == ',') throw bad_request("bad_filter", "检查结果类别应为字典编码，多个用逗号分隔", "category");
            std::sort(f.category.begin(), f.category.end());
            f.category.erase(std::unique(f.category.begin(), f.category.end()), f.category.end());
        } else if (key == "date") {
            if (!valid_day(value)) throw bad_request("bad_filter", "日期应为 YYYY-MM-DD", "date");
            f.date = value;
        } else if (key == "from" || key == "to") {
            // validated above, together
        } else if (key == "what") {
            if (value != "inspections" && value != "problems")
                throw bad_request("bad_filter", "热力图内容应为 inspections（检查）或 problems（发现问题）", "what");
            if (value == "problems") f.what = value;  // inspections is the default: one cache key
        } else if (key == "by") {
            if (value != "risk" && value != "status")
                throw bad_request("bad_filter", "着色方式应为 risk（按风险等级）或 status（按检查状态）", "by");
            if (value == "status") f.by = value;  // risk is the default: one cache key
        }
    }
    if (layer.name == "objects") {
        // The status colouring is always for one year (this year in China by default, in
        // the cache key); a year without it would only split the cache.
        if (f.by == "status" && !f.year) f.year = std::stoi(china_today().substr(0, 4));
        if (f.by != "status" && f.year)
            throw bad_request("bad_filter", "年度仅用于按检查状态着色（by=status）", "year");
    }
    return f;
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw Error(Error::Kind::Internal, "sha256_failed", "无法计算 SHA-256");
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

namespace {

void write_file_atomically(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ostringstream tmp_name;
    tmp_name << p.filename().string() << ".tmp" << std::this_thread::get_id();
    const fs::path tmp = p.parent_path() / tmp_name.str();
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        if (!out) throw Error(Error::Kind::Internal, "tile_cache_write", "无法写入瓦片缓存");
    }
    fs::rename(tmp, p);
}

Box to_wgs84(const Box& m) {
    Box b;
    mercator_to_lonlat(m.minx, m.miny, b.minx, b.miny);
    mercator_to_lonlat(m.maxx, m.maxy, b.maxx, b.maxy);
    return b;
}

Box metatile_area(const Metatile& m, int buffer_px) {
    const Box first = tile_bounds(m.z, m.x0, m.y0);
    const Box last = tile_bounds(m.z, m.x0 + m.size - 1, m.y0 + m.size - 1);
    const double margin = buffer_px * (first.maxx - first.minx) / kTileSize;
    return {first.minx - margin, last.miny - margin, last.maxx + margin, first.maxy + margin};
}

// How far (pixels) a change can show beyond its box at zoom z: labels on `base`, the
// kernel on `heat`, point symbols otherwise.
double margin_px(const std::string& layer, int z) {
    if (layer == "base") return kBufferPx;
    if (layer == "heat") return heat::margin_px(z);
    return 8;
}

// Units in the department's subtree (parent_id), as a SQL condition on unit_id.
std::string department_condition(pg::Params& p, long long department) {
    return "unit_id IN (WITH RECURSIVE t(id) AS (SELECT " + p.next(std::to_string(department)) +
           "::bigint UNION SELECT a.id FROM authority a JOIN t ON a.parent_id = t.id) SELECT id FROM t)";
}

}  // namespace

TileService::TileService(pg::Pool& pool, fs::path cache_dir, int meta_size)
    : pool_(pool), cache_dir_(std::move(cache_dir)) {
    if (meta_size <= 0)
        if (const char* env = std::getenv("TWINDRAW_TILE_METATILE")) meta_size = std::atoi(env);
    if (meta_size == 1 || meta_size == 2 || meta_size == 4 || meta_size == 8) meta_size_ = meta_size;
}

fs::path TileService::key_dir(const std::string& layer, const Filters& f, const std::string& scope) const {
    return cache_dir_ / layer / sha256_hex(f.canonical() + "|" + scope).substr(0, 16);
}

fs::path TileService::tile_path(const std::string& layer, const Filters& f, const std::string& scope,
                                const TileId& t) const {
    return key_dir(layer, f, scope) / std::to_string(t.z) / std::to_string(t.x) / (std::to_string(t.y) + ".png");
}

std::vector<LayerFeatures> TileService::query(const std::string& layer, const Box& area, int z, const Filters& f) {
    const Box g = to_wgs84(area);
    pg::Params p;
    p.add(g.minx).add(g.miny).add(g.maxx).add(g.maxy);
    if (layer == "objects") {
        std::string sql =
            "SELECT ST_X(geom), ST_Y(geom), risk_level FROM market_subject"
            " WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)";
        if (f.by == "status") {
            // By inspection status in f.year (migration 0031): the highest class of the
            // subject's jobs of that year, one probe of inspection_job_subject_year_idx per
            // subject, under the request's row-level security of inspection_job (a job
            // the viewer may not see does not colour the subject). kind 10 + class:
            // 10 未列入抽查, 11 已检查未发现问题, 12 已抽中待检查, 13 已检查发现问题;
            // ordered so that problems are drawn on top.
            sql = "SELECT ST_X(s.geom), ST_Y(s.geom), 10 + coalesce(st.c, 0) AS kind FROM market_subject s"
                  " LEFT JOIN LATERAL (SELECT max(job_status_class(j.state, j.result_category, j.qualified)) AS c"
                  "   FROM inspection_job j WHERE j.object_kind = 'market_subject' AND j.object_id = s.id"
                  "    AND j.state <> 'cancelled' AND job_drawn_year(j.created_at) = " +
                  p.next(std::to_string(f.year)) +
                  "::smallint) st ON true"
                  " WHERE s.geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)";
        }
        if (!f.risk.empty()) {
            std::vector<std::string> levels;
            for (int r : f.risk) levels.push_back(std::to_string(r));
            sql += " AND risk_level = ANY(" + p.next(pg::array_literal(levels)) + "::smallint[])";
        }
        if (!f.division.empty()) {
            const std::string ph = p.next(f.division);
            sql += " AND left(division_code, length(" + ph + ")) = " + ph;
        }
        if (f.by == "status") sql += " ORDER BY 3, s.id";
        LayerFeatures out{"subjects", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            auto rows = pg::exec(tx, sql, p);
            out.features.reserve(rows.size());
            for (const auto& row : rows) {
                Feature ft;
                lonlat_to_mercator(row[0].as<double>(), row[1].as<double>(), ft.x, ft.y);
                ft.kind = row[2].as<int>();
                out.features.push_back(std::move(ft));
            }
        });
        return {std::move(out)};
    }
    if (layer == "results") {
        std::string sql =
            "SELECT ST_X(geom), ST_Y(geom), coalesce(category, '') FROM result_point"
            " WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)";
        if (f.year) sql += " AND inspected_year = " + p.next(std::to_string(f.year)) + "::smallint";
        if (f.task) sql += " AND task_id = " + p.next(std::to_string(f.task)) + "::bigint";
        if (!f.category.empty()) sql += " AND category = ANY(" + p.next(pg::array_literal(f.category)) + "::text[])";
        if (f.department) sql += " AND " + department_condition(p, f.department);
        sql += " ORDER BY problem, id";  // problems on top
        LayerFeatures out{"results", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            auto rows = pg::exec(tx, sql, p);
            out.features.reserve(rows.size());
            for (const auto& row : rows) {
                Feature ft;
                lonlat_to_mercator(row[0].as<double>(), row[1].as<double>(), ft.x, ft.y);
                ft.kind = result_kind(row[2].as<std::string>());
                out.features.push_back(std::move(ft));
            }
        });
        return {std::move(out)};
    }
    if (layer == "patrol") {
        // Row-level security of the patrol tables applies (the request's transaction): a
        // unit sees its own routes, an inspector the routes assigned to it. A route is
        // completed in the days date..date_to when every one of its points has a check-in on
        // one of them by an inspector assigned to the route on that day (the rule of
        // workflows/patrol.cpp progress()); a point is checked in when it has a check-in then.
        const std::string d1 = p.next(f.date) + "::date";
        const std::string d2 = p.next(f.date_to.empty() ? f.date : f.date_to) + "::date";
        const std::string on = "(c.at AT TIME ZONE 'Asia/Shanghai')::date";
        const std::string env = "ST_MakeEnvelope($1, $2, $3, $4, 4326)";
        const std::string routes_sql =
            "WITH r AS (SELECT r.id, (SELECT ST_MakeLine(p.geom ORDER BY rp.seq) FROM patrol_route_point rp"
            "   JOIN patrol_point p ON p.id = rp.point_id WHERE rp.route_id = r.id) AS line,"
            "  (SELECT count(DISTINCT rp.point_id) FROM patrol_route_point rp WHERE rp.route_id = r.id) AS total,"
            "  (SELECT count(DISTINCT rp.point_id) FROM patrol_route_point rp WHERE rp.route_id = r.id"
            "    AND EXISTS (SELECT 1 FROM patrol_checkin c JOIN patrol_assignment a"
            "     ON a.inspector_id = c.inspector_id AND a.route_id = r.id WHERE c.point_id = rp.point_id"
            "     AND " + on + " BETWEEN " + d1 + " AND " + d2 +
            "     AND " + on + " BETWEEN a.date_from AND a.date_to)) AS done"
            "  FROM patrol_route r)"
            " SELECT ST_AsBinary(ST_Transform(line, 3857)), (total > 0 AND done = total) FROM r"
            " WHERE ST_NPoints(line) >= 2 AND line && " + env + " ORDER BY 2, id";  // completed on top
        const std::string points_sql =
            "SELECT ST_X(p.geom), ST_Y(p.geom), EXISTS (SELECT 1 FROM patrol_checkin c WHERE c.point_id = p.id"
            "  AND " + on + " BETWEEN " + d1 + " AND " + d2 + ") AS checked"
            " FROM patrol_point p WHERE p.geom && " + env + " ORDER BY 3, p.id";
        const std::string areas_sql =
            "SELECT ST_AsBinary(ST_Transform(ST_Boundary(geom), 3857)) FROM patrol_area WHERE geom && " + env +
            " ORDER BY id";
        LayerFeatures areas{"areas", {}}, routes{"routes", {}}, points{"points", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            auto wkb_feature = [](const pqxx::field& field, int kind) {
                pqxx::binarystring wkb(field);
                Feature ft;
                ft.wkb.assign(reinterpret_cast<const char*>(wkb.data()), wkb.size());
                ft.kind = kind;
                return ft;
            };
            pg::Params p4;
            p4.add(g.minx).add(g.miny).add(g.maxx).add(g.maxy);
            for (const auto& row : pg::exec(tx, areas_sql, p4)) areas.features.push_back(wkb_feature(row[0], 0));
            for (const auto& row : pg::exec(tx, routes_sql, p))
                routes.features.push_back(wkb_feature(row[0], row[1].as<bool>() ? 1 : 0));
            for (const auto& row : pg::exec(tx, points_sql, p)) {
                Feature ft;
                lonlat_to_mercator(row[0].as<double>(), row[1].as<double>(), ft.x, ft.y);
                ft.kind = row[2].as<bool>() ? 1 : 0;
                points.features.push_back(std::move(ft));
            }
        });
        return {std::move(areas), std::move(routes), std::move(points)};
    }
    if (layer == "base") {
        // Simplified to a quarter pixel at this zoom; the label point is taken from the
        // full geometry so that it is the same in every metatile.
        const double tolerance = 360.0 / (kTileSize * double(1LL << z)) / 4;
        const std::string sql =
            "SELECT ST_AsBinary(ST_Transform(ST_SimplifyPreserveTopology(geom, " + p.next(std::to_string(tolerance)) +
            "::float8), 3857)), level, name, ST_X(pos), ST_Y(pos),"
            " pos && ST_MakeEnvelope($1, $2, $3, $4, 4326)"
            " FROM (SELECT geom, level, name, ST_PointOnSurface(geom) AS pos FROM division"
            "       WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND level >= 2) d"
            " ORDER BY level, name";
        // Water where loaded: areas (kind 2) and lines (kind 1); roads (road_edge) from z11.
        const std::string water_sql =
            "SELECT ST_AsBinary(ST_Transform(ST_SimplifyPreserveTopology(geom, $5::float8), 3857)),"
            " CASE WHEN ST_Dimension(geom) = 2 THEN 2 ELSE 1 END, name"
            " FROM water_feature WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY id";
        const std::string roads_sql =
            "SELECT ST_AsBinary(ST_Transform(ST_Simplify(geom, $5::float8), 3857)), name"
            " FROM road_edge WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY id";
        LayerFeatures polygons{"divisions", {}}, labels{"labels", {}}, water{"water", {}}, roads{"roads", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            auto wkb_feature = [](const pqxx::field& field, int kind, const pqxx::field& name) {
                pqxx::binarystring wkb(field);
                Feature ft;
                ft.wkb.assign(reinterpret_cast<const char*>(wkb.data()), wkb.size());
                ft.kind = kind;
                ft.name = name.c_str();
                return ft;
            };
            pg::Params pw;
            pw.add(g.minx).add(g.miny).add(g.maxx).add(g.maxy).add(std::to_string(tolerance));
            for (const auto& row : pg::exec(tx, water_sql, pw))
                water.features.push_back(wkb_feature(row[0], row[1].as<int>(), row[2]));
            if (z >= 11)
                for (const auto& row : pg::exec(tx, roads_sql, pw))
                    roads.features.push_back(wkb_feature(row[0], 0, row[1]));
            for (const auto& row : pg::exec(tx, sql, p)) {
                pqxx::binarystring wkb(row[0]);
                Feature poly;
                poly.wkb.assign(reinterpret_cast<const char*>(wkb.data()), wkb.size());
                poly.kind = row[1].as<int>();
                polygons.features.push_back(std::move(poly));
                if (row[5].as<bool>()) {
                    Feature label;
                    lonlat_to_mercator(row[3].as<double>(), row[4].as<double>(), label.x, label.y);
                    label.kind = row[1].as<int>();
                    label.name = row[2].as<std::string>();
                    labels.features.push_back(std::move(label));
                }
            }
        });
        return {std::move(polygons), std::move(labels), std::move(water), std::move(roads)};
    }
    throw Error(Error::Kind::NotFound, "unknown_layer", "图层不存在", "layer");
}

Rgba TileService::render_heat(long long px0, long long py0, int width, int height, int z, const Filters& f) {
    const heat::CellWindow w = heat::cell_window(z, px0, py0, width, height);
    if (f.task || !f.category.empty()) {
        // Task and category are not dimensions of the grid: the result points of the
        // window are counted into the same cells (cx14 >> (14 - level), as heat_cell
        // rolls them up), through the (task_id, cx14, cy14) or (category, cx14, cy14)
        // index of migration 0027. Row-level security of result_point applies (the
        // results layer's scope).
        const int shift = 14 - w.level;
        pg::Params p;
        const std::string s = p.next(std::to_string(shift)) + "::int";
        std::string sql = "SELECT cx14 >> " + s + ", cy14 >> " + s + ", count(*)::float8 FROM result_point WHERE cx14 BETWEEN " +
                          p.next(std::to_string(w.cx0 << shift)) + "::int AND " +
                          p.next(std::to_string(((w.cx1 + 1) << shift) - 1)) + "::int AND cy14 BETWEEN " +
                          p.next(std::to_string(w.cy0 << shift)) + "::int AND " +
                          p.next(std::to_string(((w.cy1 + 1) << shift) - 1)) + "::int";
        if (f.year) sql += " AND inspected_year = " + p.next(std::to_string(f.year)) + "::smallint";
        if (f.task) sql += " AND task_id = " + p.next(std::to_string(f.task)) + "::bigint";
        if (!f.category.empty()) sql += " AND category = ANY(" + p.next(pg::array_literal(f.category)) + "::text[])";
        if (f.what == "problems") sql += " AND problem";
        if (f.department) sql += " AND " + department_condition(p, f.department);
        sql += " GROUP BY 1, 2";
        // A category filter (no task) at a coarse level: the per-category grid of
        // migration 0032 holds the same counts per cell, read like heat_cell. Only for a
        // viewer who sees every result point (the owner, or scope 'all'): a narrower
        // scope also sees results outside its units through their jobs, which no unit
        // grid can tell, so its tile keeps counting the points.
        const bool grid = category_grid_ && !f.task && w.level <= heat::kCategoryGridMaxLevel;
        pg::Params gp;
        std::string grid_sql;
        if (grid) {
            std::vector<std::string> blocks;
            for (long long b : heat::blocks(w)) blocks.push_back(std::to_string(b));
            grid_sql = "SELECT cx, cy, sum(" + std::string(f.what == "problems" ? "p" : "n") +
                       ")::float8 FROM heat_category_cell WHERE level = " + gp.next(std::to_string(w.level)) +
                       "::smallint AND category = ANY(" + gp.next(pg::array_literal(f.category)) +
                       "::text[]) AND block = ANY(" + gp.next(pg::array_literal(blocks)) +
                       "::bigint[]) AND cx BETWEEN " + gp.next(std::to_string(w.cx0)) + "::int AND " +
                       gp.next(std::to_string(w.cx1)) + "::int AND cy BETWEEN " + gp.next(std::to_string(w.cy0)) +
                       "::int AND " + gp.next(std::to_string(w.cy1)) + "::int AND year = " +
                       gp.next(std::to_string(f.year)) + "::smallint";
            if (f.department) grid_sql += " AND " + department_condition(gp, f.department);
            grid_sql += " GROUP BY cx, cy";
        }
        std::vector<heat::Cell> cells;
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            const bool sees_all =
                grid && tx.exec1("SELECT NOT row_security_active('result_point')"
                                 " OR coalesce((SELECT twindraw_scope_all()), false)")[0]
                            .as<bool>();
            auto rows = sees_all ? pg::exec(tx, grid_sql, gp) : pg::exec(tx, sql, p);
            cells.reserve(rows.size());
            for (const auto& row : rows)
                cells.push_back({row[0].as<long long>(), row[1].as<long long>(), row[2].as<double>()});
        });
        return heat::render(z, px0, py0, width, height, cells);
    }
    std::vector<std::string> blocks;
    for (long long b : heat::blocks(w)) blocks.push_back(std::to_string(b));
    pg::Params p;
    std::string sql = "SELECT cx, cy, sum(" + std::string(f.what == "problems" ? "p" : "n") +
                      ")::float8 FROM heat_cell WHERE level = " + p.next(std::to_string(w.level)) +
                      "::smallint AND block = ANY(" + p.next(pg::array_literal(blocks)) + "::bigint[]) AND cx BETWEEN " +
                      p.next(std::to_string(w.cx0)) + "::int AND " + p.next(std::to_string(w.cx1)) +
                      "::int AND cy BETWEEN " + p.next(std::to_string(w.cy0)) + "::int AND " +
                      p.next(std::to_string(w.cy1)) + "::int AND year = " + p.next(std::to_string(f.year)) +
                      "::smallint AND ";
    // Without a department: scope 'all' reads the all-units rollup (unit 0); any other
    // viewer (and the owner, with no actor) sums the unit rows that row-level security
    // lets through.
    if (f.department)
        sql += department_condition(p, f.department);
    else
        sql += "CASE WHEN coalesce((SELECT twindraw_scope_all()), false) THEN unit_id = 0 ELSE unit_id <> 0 END";
    sql += " GROUP BY cx, cy";
    std::vector<heat::Cell> cells;
    pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
        auto rows = pg::exec(tx, sql, p);
        cells.reserve(rows.size());
        for (const auto& row : rows) cells.push_back({row[0].as<long long>(), row[1].as<long long>(), row[2].as<double>()});
    });
    return heat::render(z, px0, py0, width, height, cells);
}

std::string TileService::render_area(const std::string& layer, const Box& area, int z, int width, int height,
                                     const Filters& f) {
    if (layer == "heat")
        return encode_tile_png(render_heat(heat::pixel_x(area.minx, z), heat::pixel_y(area.maxy, z), width, height, z, f),
                               heat::palette());
    const double margin = kBufferPx * (area.maxx - area.minx) / width;
    const Box queried{area.minx - margin, area.miny - margin, area.maxx + margin, area.maxy + margin};
    return render_png(layer, area, width, height, query(layer, queried, z, f));
}

void TileService::render_and_store(const std::string& layer, const TileId& t, const Filters& f,
                                   const std::string& scope) {
    const Metatile m = metatile_of(t.z, t.x, t.y, meta_size_);
    std::vector<std::vector<std::string>> pngs;
    RenderTimes times;
    const long long t0 = thread_cpu_ns();
    long long t1 = t0;
    if (layer == "heat") {
        const long long px0 = (long long)m.x0 * kTileSize, py0 = (long long)m.y0 * kTileSize;
        Rgba image = render_heat(px0, py0, m.size * kTileSize, m.size * kTileSize, t.z, f);
        t1 = thread_cpu_ns();
        times.render_ns = t1 - t0;
        pngs = cut_metatile(image, m.size, heat::palette());
        times.encode_ns = thread_cpu_ns() - t1;
    } else {
        const auto data = query(layer, metatile_area(m, kBufferPx), t.z, f);
        t1 = thread_cpu_ns();
        query_ns_ += t1 - t0;
        for (const auto& d : data) features_ += (long long)d.features.size();
        pngs = render_metatile(layer, m, data, &times);
    }
    render_ns_ += times.render_ns;
    encode_ns_ += times.encode_ns;
    ++metatiles_rendered_;
    const long long t2 = thread_cpu_ns();
    const fs::path dir = key_dir(layer, f, scope);
    if (!fs::exists(dir / "key.txt")) write_file_atomically(dir / "key.txt", f.canonical() + "|" + scope + "\n");
    // Tiles of the metatile that are still cached were not expired and are still right:
    // they keep their file (and ETag); only the missing ones are written.
    for (int row = 0; row < m.size; ++row)
        for (int col = 0; col < m.size; ++col) {
            const fs::path p = tile_path(layer, f, scope, {t.z, m.x0 + col, m.y0 + row});
            std::error_code ec;
            if (!fs::exists(p, ec)) {
                write_file_atomically(p, pngs[row][col]);
                ++tiles_written_;
            }
        }
    store_ns_ += thread_cpu_ns() - t2;
}

RenderStats TileService::stats() const {
    RenderStats s;
    s.metatiles = metatiles_rendered_;
    s.tiles_written = tiles_written_;
    s.features = features_;
    s.query_s = double(query_ns_) / 1e9;
    s.render_s = double(render_ns_) / 1e9;
    s.encode_s = double(encode_ns_) / 1e9;
    s.store_s = double(store_ns_) / 1e9;
    return s;
}

Tile TileService::get(const std::string& layer, const TileId& t, const Filters& f, const std::string& scope) {
    if (auto hit = lookup(layer, t, f, scope)) return Tile{hit->png, hit->etag};
    const fs::path path = tile_path(layer, f, scope, t);
    auto found = [&]() -> std::optional<Tile> {
        auto tile = read_tile_file(path.string());
        if (!tile) return std::nullopt;
        hot_.put(path.string(), tile);
        return Tile{tile->png, tile->etag};
    };
    const Metatile m = metatile_of(t.z, t.x, t.y, meta_size_);
    const size_t slot =
        std::hash<std::string>{}(key_dir(layer, f, scope).string() + "/" + std::to_string(m.z) + "/" +
                                 std::to_string(m.x0) + "/" + std::to_string(m.y0)) % std::size(render_locks_);
    std::lock_guard render_lock(render_locks_[slot]);
    std::shared_lock lock(cache_mutex_);
    if (auto tile = found()) return *tile;  // rendered meanwhile by another request
    render_and_store(layer, t, f, scope);
    if (auto tile = found()) return *tile;
    throw Error(Error::Kind::Internal, "tile_cache_read", "无法读取瓦片缓存");
}

std::shared_ptr<const CachedTile> TileService::lookup(const std::string& layer, const TileId& t, const Filters& f,
                                                      const std::string& scope) {
    layer_info(layer);
    expire_if_dirty();
    const std::string path = tile_path(layer, f, scope, t).string();
    std::shared_lock lock(cache_mutex_);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return nullptr;
    if (auto hot = hot_.get(path, st)) return hot;
    auto tile = read_tile_file(path);
    if (tile) hot_.put(path, tile);
    return tile;
}

void TileService::use_change_signal(bool on) {
    signalled_.store(on, std::memory_order_release);
    mark_dirty();
}

void TileService::expire_if_dirty() {
    if (!signalled_.load(std::memory_order_acquire)) {
        if (dirty_pending()) expire_dirty();
        return;
    }
    if (clean_seq_.load(std::memory_order_acquire) >= dirty_seq_.load(std::memory_order_acquire)) return;
    // Marked: consume tile_dirty once for every mark up to now. Requests arriving
    // meanwhile wait here, so none reads a tile that the consumption is about to delete.
    std::lock_guard consumer(expire_mutex_);
    const auto seq = dirty_seq_.load(std::memory_order_acquire);
    if (clean_seq_.load(std::memory_order_acquire) >= seq) return;
    expire_consumed();
    clean_seq_.store(seq, std::memory_order_release);
}

bool TileService::dirty_pending() {
    // One prepared statement in autocommit, no lock: the cost every cached tile pays. A
    // consumer holds the cache exclusively from before its DELETE until the files are
    // gone, so a reader that finds no rows because they were just consumed still waits
    // for their files to be removed (the shared lock in get()).
    auto lease = pool_.acquire("tiles-dirty");
    lease->prepare("twindraw_tile_dirty_exists", "SELECT EXISTS (SELECT 1 FROM tile_dirty)");
    pqxx::nontransaction tx(*lease);
    return tx.exec_prepared1("twindraw_tile_dirty_exists")[0].as<bool>();
}

long long TileService::expire_dirty() {
    std::lock_guard consumer(expire_mutex_);
    return expire_consumed();
}

long long TileService::expire_consumed() {
    std::unique_lock lock(cache_mutex_);
    std::map<std::string, std::vector<Box>> boxes;
    {
        // Not through with_transaction: the rows belong to no user and need no actor.
        auto lease = pool_.acquire("tiles-expire");
        pqxx::work tx(*lease);
        auto rows = pg::exec(tx,
                             "DELETE FROM tile_dirty RETURNING layer, ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox),"
                             " ST_YMax(bbox)");
        for (const auto& row : rows)
            boxes[row[0].as<std::string>()].push_back(
                {row[1].as<double>(), row[2].as<double>(), row[3].as<double>(), row[4].as<double>()});
        tx.commit();
    }
    if (boxes.empty()) return 0;
    long long removed = 0;
    for (const auto& [layer, list] : boxes) removed += remove_tiles(layer, list);
    return removed;
}

long long TileService::remove_tiles(const std::string& layer, const std::vector<Box>& boxes) {
    const fs::path layer_dir = cache_dir_ / layer;
    std::error_code ec;
    if (!fs::is_directory(layer_dir, ec)) return 0;
    long long removed = 0;
    if (boxes.size() > 2000) {  // a bulk change: drop the layer's cache altogether
        removed = (long long)fs::remove_all(layer_dir, ec);
        return removed;
    }
    for (const auto& key : fs::directory_iterator(layer_dir, ec)) {
        if (!key.is_directory()) continue;
        for (const auto& box : boxes)
            for (int z = 0; z <= kMaxZoom; ++z) {
                const TileRange r = tiles_touching(box, z, margin_px(layer, z));
                const fs::path zdir = key.path() / std::to_string(z);
                if (!fs::is_directory(zdir, ec)) continue;
                if (r.count() <= 64) {
                    for (int x = r.x0; x <= r.x1; ++x)
                        for (int y = r.y0; y <= r.y1; ++y)
                            removed += fs::remove(zdir / std::to_string(x) / (std::to_string(y) + ".png"), ec);
                    continue;
                }
                // A large box: walk what is cached at this zoom instead of every tile it covers.
                for (const auto& xdir : fs::directory_iterator(zdir, ec)) {
                    const int x = std::atoi(xdir.path().filename().c_str());
                    if (x < r.x0 || x > r.x1) continue;
                    for (const auto& file : fs::directory_iterator(xdir.path(), ec)) {
                        const int y = std::atoi(file.path().stem().c_str());
                        if (y >= r.y0 && y <= r.y1) removed += fs::remove(file.path(), ec);
                    }
                }
            }
    }
    return removed;
}

}  // namespace twindraw::tiles
