#include "workflows/reference-data.hpp"

#include "geo/coord-transform.hpp"
#include "geo/echarts-geo.hpp"
#include "geo/error.hpp"
#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace twindraw::reference {

namespace {

namespace fs = std::filesystem;

const char* const kChongqing = "500000";

Error missing(const fs::path& path) {
    return Error(Error::Kind::NotFound, "refdata_missing",
                 "找不到参考数据文件 " + path.string() + "，请先运行 scripts/deps 安装参考数据包");
}

Error bad(const fs::path& path, const std::string& what) {
    return invalid("refdata_invalid", "参考数据文件 " + path.string() + " 格式不符：" + what);
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw missing(path);
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw bad(path, e.what());
    }
}


std::string str(const nlohmann::json& o, const char* key, const fs::path& path) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) throw bad(path, std::string("缺少字段 ") + key);
    return o[key].get<std::string>();
}

struct DivisionRows {
    std::vector<std::string> code, name, level, parent;
    void add(std::string c, std::string n, int l, std::string p) {
        code.push_back(std::move(c));
        name.push_back(std::move(n));
        level.push_back(std::to_string(l));
        parent.push_back(std::move(p));
    }
};

// china-division: provinces (2 digits), cities (4), areas (6), streets (9). Codes are
// padded to GB/T 2260's six digits. The placeholder "cities" of municipalities and of
// province-administered counties (市辖区, 县, 省直辖县级行政区划 …, code pp01/pp02/pp90)
// are not real divisions: their counties hang directly under the province. Cities
// without counties (东莞 441900, 中山 442000, 儋州 460400) appear again as an "area"
// with the same six-digit code; that duplicate is dropped and their towns hang under
// the city.
DivisionRows read_divisions(const fs::path& dir) {
    const auto provinces = read_json(dir / "provinces.json");
    const auto cities = read_json(dir / "cities.json");
    const auto areas = read_json(dir / "areas.json");
    const auto streets = read_json(dir / "streets.json");
    DivisionRows rows;
    std::set<std::string> seen;
    auto add = [&](std::string code, std::string name, int level, std::string parent) {
        if (!seen.insert(code).second) return;
        rows.add(std::move(code), std::move(name), level, std::move(parent));
    };
    for (const auto& p : provinces) {
        const auto code = str(p, "code", dir / "provinces.json");
        if (code.size() != 2) throw bad(dir / "provinces.json", "省级代码应为 2 位：" + code);
        add(code + "0000", str(p, "name", dir / "provinces.json"), 1, "");
    }
    std::set<std::string> pseudo_cities;
    for (const auto& c : cities) {
        const auto code = str(c, "code", dir / "cities.json");
        const auto name = str(c, "name", dir / "cities.json");
        if (code.size() != 4) throw bad(dir / "cities.json", "地级代码应为 4 位：" + code);
        if (name == "市辖区" || name == "县" || name.find("直辖县级行政区划") != std::string::npos) {
            pseudo_cities.insert(code);
            continue;
        }
        add(code + "00", name, 2, str(c, "provinceCode", dir / "cities.json") + "0000");
    }
    for (const auto& a : areas) {
        const auto code = str(a, "code", dir / "areas.json");
        const auto city = str(a, "cityCode", dir / "areas.json");
        if (code.size() != 6) throw bad(dir / "areas.json", "县级代码应为 6 位：" + code);
        const std::string parent =
            pseudo_cities.count(city) ? str(a, "provinceCode", dir / "areas.json") + "0000" : city + "00";
        add(code, str(a, "name", dir / "areas.json"), 3, parent);
    }
    for (const auto& s : streets) {
        const auto code = str(s, "code", dir / "streets.json");
        if (code.size() != 9) throw bad(dir / "streets.json", "乡级代码应为 9 位：" + code);
        add(code, str(s, "name", dir / "streets.json"), 4, str(s, "areaCode", dir / "streets.json"));
    }
    return rows;
}

int upsert_divisions(pqxx::work& tx, const DivisionRows& rows) {
    pg::Params p;
    p.add(pg::array_literal(rows.code))
        .add(pg::array_literal(rows.name))
        .add(pg::array_literal(rows.level))
        .add(pg::array_literal(rows.parent));
    // Foreign keys are checked at the end of the statement, so parents and children may
    // arrive in any order within it.
    pg::exec(tx,
             "INSERT INTO division(code, name, level, parent_code) "
             "SELECT code, name, level::smallint, NULLIF(parent, '') "
             "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(code, name, level, parent) "
             "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, "
             "parent_code = EXCLUDED.parent_code "
             "WHERE (division.name, division.level, division.parent_code) IS DISTINCT FROM "
             "(EXCLUDED.name, EXCLUDED.level, EXCLUDED.parent_code)",
             p);
    return static_cast<int>(rows.code.size());
}

std::string name_stem(std::string name) {
    for (const char* suffix : {"土家族苗族自治县", "苗族土家族自治县", "土家族自治县", "自治县", "区", "县", "市"}) {
        const std::string s = suffix;
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
            return name.substr(0, name.size() - s.size());
    }
    return name;
}

// echarts 4.9.0 predates two re-designations (梁平县 500228 → 梁平区 500155 in 2016,
// 武隆县 500232 → 武隆区 500156 in 2016): a feature whose adcode is not a current county
// of 重庆 is matched by its name without the 区/县 suffix. Every feature must match one
// county and every county at most one feature, or the load fails.
int load_county_geometries(pqxx::work& tx, const fs::path& map_file) {
    if (!fs::exists(map_file)) throw missing(map_file);
    const auto features = echarts::decode_file(map_file.string());

    std::map<std::string, std::string> counties;  // code → name
    std::map<std::string, std::string> by_stem;   // stem → code
    for (const auto& row : pg::exec(tx, "SELECT code, name FROM division WHERE parent_code = $1 AND level = 3",
                                    pg::Params().add(kChongqing))) {
        counties[row[0].c_str()] = row[1].c_str();
        by_stem[name_stem(row[1].c_str())] = row[0].c_str();
    }
    std::vector<std::string> codes, wkts;
    std::set<std::string> used;
    for (const auto& f : features) {
        std::string code = counties.count(f.id) ? f.id : std::string();
        if (code.empty()) {
            auto it = by_stem.find(name_stem(f.name));
            if (it != by_stem.end()) code = it->second;
        }
        if (code.empty()) throw bad(map_file, "区县 " + f.id + " " + f.name + " 不在行政区划表中");
        if (!used.insert(code).second) throw bad(map_file, "区县 " + code + " 出现了两次");
        echarts::MultiPolygon wgs = f.geometry;
        for (auto& polygon : wgs)
            for (auto& ring : polygon)
                for (auto& pt : ring) pt = coord::gcj02_to_wgs84(pt);
        codes.push_back(code);
        wkts.push_back(echarts::to_wkt(wgs));
    }
    pg::Params p;
    p.add(pg::array_literal(codes)).add(pg::array_literal(wkts));
    pg::exec(tx,
             "WITH src AS ("
             "  SELECT code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromText(wkt, 4326)), 3)) AS g"
             "  FROM unnest($1::text[], $2::text[]) AS t(code, wkt)) "
             "UPDATE division d SET geom = src.g FROM src "
             "WHERE d.code = src.code AND d.geom IS DISTINCT FROM src.g",
             p);
    return pg::exec(tx,
                    "SELECT count(*) FROM division WHERE parent_code = $1 AND level = 3 "
                    "AND geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND ST_IsValid(geom)",
                    pg::Params().add(kChongqing))[0][0]
        .as<int>();
}

std::vector<std::string> split_csv_line(const std::string& line) {
    // The industry CSV has no quoted fields (names use the Chinese comma 、).
    std::vector<std::string> out;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

int load_industries(pqxx::work& tx, const fs::path& csv) {
    std::ifstream in(csv, std::ios::binary);
    if (!in) throw missing(csv);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line != "code,name,level,parent_code") throw bad(csv, "表头应为 code,name,level,parent_code");
    std::vector<std::string> code, name, level, parent;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        const auto cells = split_csv_line(line);
        if (cells.size() != 4) throw bad(csv, "每行应有 4 列：" + line);
        code.push_back(cells[0]);
        name.push_back(cells[1]);
        level.push_back(cells[2]);
        parent.push_back(cells[3]);
    }
    pg::Params p;
    p.add(pg::array_literal(code))
        .add(pg::array_literal(name))
        .add(pg::array_literal(level))
        .add(pg::array_literal(parent));
    pg::exec(tx,
             "INSERT INTO industry(code, name, level, parent_code) "
             "SELECT code, name, level::smallint, NULLIF(parent, '') "
             "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(code, name, level, parent) "
             "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, "
             "parent_code = EXCLUDED.parent_code "
             "WHERE (industry.name, industry.level, industry.parent_code) IS DISTINCT FROM "
             "(EXCLUDED.name, EXCLUDED.level, EXCLUDED.parent_code)",
             p);
    return static_cast<int>(code.size());
}

// chinese-days values look like "Spring Festival,春节,4": English, Chinese, day count.
std::string chinese_name(const std::string& value) {
    const auto first = value.find(',');
    if (first == std::string::npos) return value;
    const auto second = value.find(',', first + 1);
    return value.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

int load_calendar(pqxx::work& tx, const fs::path& package_dir) {
    const fs::path file = package_dir / "dist" / "chinese-days.json";
    const auto doc = read_json(file);
    const auto pkg = read_json(package_dir / "package.json");
    const std::string source = "chinese-days@" + pkg.value("version", std::string("?")) +
                               "（依据国务院办公厅部分节假日安排的通知）";
    if (!doc.contains("holidays") || !doc["holidays"].is_object() || !doc.contains("workdays") ||
        !doc["workdays"].is_object())
        throw bad(file, "缺少 holidays 或 workdays");
    std::map<std::string, std::pair<std::string, std::string>> days;  // day → (kind, name)
    std::set<std::string> years;
    for (const auto& [day, value] : doc["holidays"].items()) {
        if (!value.is_string() || day.size() != 10) throw bad(file, "节假日条目格式错误：" + day);
        days[day] = {"holiday", chinese_name(value.get<std::string>())};
        years.insert(day.substr(0, 4));
    }
    for (const auto& [day, value] : doc["workdays"].items()) {
        if (!value.is_string() || day.size() != 10) throw bad(file, "调休条目格式错误：" + day);
        if (days.count(day)) throw bad(file, day + " 同时是节假日和调休工作日");
        days[day] = {"workday", chinese_name(value.get<std::string>()) + "调休上班"};
        years.insert(day.substr(0, 4));
    }
    std::vector<std::string> d, k, n;
    for (const auto& [day, kn] : days) {
        d.push_back(day);
        k.push_back(kn.first);
        n.push_back(kn.second);
    }
    const std::vector<std::string> year_list(years.begin(), years.end());
    pg::Params p;
    p.add(pg::array_literal(d)).add(pg::array_literal(k)).add(pg::array_literal(n));
    pg::exec(tx,
             "INSERT INTO work_calendar(day, kind, name) "
             "SELECT day::date, kind, name FROM unnest($1::text[], $2::text[], $3::text[]) AS t(day, kind, name) "
             "ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name "
             "WHERE (work_calendar.kind, work_calendar.name) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name)",
             p);
    // Within the years the source covers, it is the whole truth: drop days it no longer lists.
    pg::exec(tx,
             "DELETE FROM work_calendar WHERE extract(year FROM day)::int = ANY($1::int[]) "
             "AND day <> ALL($2::date[])",
             pg::Params().add(pg::array_literal(year_list)).add(pg::array_literal(d)));
    pg::exec(tx,
             "INSERT INTO work_calendar_year(year, source) SELECT y::int, $2 FROM unnest($1::text[]) AS t(y) "
             "ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source "
             "WHERE work_calendar_year.source IS DISTINCT FROM EXCLUDED.source",
             pg::Params().add(pg::array_literal(year_list)).add(source));
    return static_cast<int>(d.size());
}

}  // namespace

Summary load(pqxx::connection& conn, const std::string& refdata_dir, const std::string& data_dir) {
    const fs::path modules(refdata_dir);
    const fs::path divisions_dir = modules / "china-division" / "dist";
    const fs::path map_file = modules / "echarts" / "map" / "json" / "province" / "chongqing.json";
    const fs::path calendar_dir = modules / "chinese-days";
    const fs::path industries_csv = fs::path(data_dir) / "industries-gbt4754-2017.csv";
    for (const auto& p : {divisions_dir / "streets.json", map_file, calendar_dir / "dist" / "chinese-days.json",
                          industries_csv})
        if (!fs::exists(p)) throw missing(p);

    // Parse the files before opening the transaction, so it is held only for the writes.
    const DivisionRows divisions = read_divisions(divisions_dir);

    Summary s;
    pqxx::work tx(conn, "reference-data");
    s.divisions = upsert_divisions(tx, divisions);
    s.county_geometries = load_county_geometries(tx, map_file);
    s.industries = load_industries(tx, industries_csv);
    s.calendar_days = load_calendar(tx, calendar_dir);
    tx.commit();
    return s;
}

}  // namespace twindraw::reference
