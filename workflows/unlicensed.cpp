#include "workflows/unlicensed.hpp"

#include "geo/error.hpp"
#include "geo/nav-links.hpp"
#include "workflows/file-store.hpp"
#include "workflows/input-fields.hpp"
#include "workflows/registry-repo.hpp"
#include "workflows/xlsx-writer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <regex>
#include <sstream>

namespace twindraw::unlicensed {

namespace {

using nlohmann::json;

constexpr long long kMaxPoints = 5000;
constexpr long long kMaxPhotos = 20;

bool valid_date(const std::string& s) {
    static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return false;
    std::chrono::year_month_day d{std::chrono::year(std::stoi(m[1])), std::chrono::month(std::stoul(m[2])),
                                  std::chrono::day(std::stoul(m[3]))};
    return d.ok();
}

// "YYYY-MM-DD HH:MM[:SS]" (or with T): a real calendar day and clock time.
bool valid_datetime(const std::string& s) {
    static const std::regex re("^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(:([0-9]{2}))?$");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return false;
    return valid_date(m[1]) && std::stoi(m[2]) < 24 && std::stoi(m[3]) < 60 && (!m[5].matched || std::stoi(m[5]) < 60);
}

std::optional<double> number(input::Fields& f, const json& body, const char* name, const std::string& label, double lo,
                             double hi, bool required) {
    if (!f.has(name)) {
        if (required) f.fail(name, "required", label + "不能为空");
        return std::nullopt;
    }
    const auto& v = body[name];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi) {
        std::ostringstream os;
        os << label << "应为 " << lo << " 到 " << hi << " 之间的数";
        f.fail(name, "bad_number", os.str());
        return std::nullopt;
    }
    return v.get<double>();
}

std::optional<std::string> opt(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// The WHERE clause of a filter (alias b), its values appended to p.
std::string where_of(const Filter& f, pg::Params& p) {
    std::string w = " WHERE true";
    if (!f.from.empty())
        w += " AND b.found_at >= (" + p.next(f.from) + "::date::timestamp AT TIME ZONE 'Asia/Shanghai')";
    if (!f.to.empty())
        w += " AND b.found_at < ((" + p.next(f.to) + "::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')";
    if (!f.division_code.empty()) w += " AND b.division_code ^@ division_area(" + p.next(f.division_code) + ")";
    if (!f.status.empty()) w += " AND b.status = " + p.next(f.status);
    if (!f.q.empty()) {
        const std::string q = p.next(pg::like_escape(f.q));
        w += " AND (b.name LIKE '%' || " + q + " || '%' OR b.address LIKE '%' || " + q +
             " || '%' OR b.business LIKE '%' || " + q + " || '%' OR b.operator_name LIKE '%' || " + q + " || '%')";
    }
    return w;
}

const char* kSelect =
    "SELECT b.id, b.name, b.address, b.business, b.operator_name, b.operator_phone, b.operator_id_no,"
    " ST_X(b.geom) AS lon, ST_Y(b.geom) AS lat, b.location_source, b.accuracy_m, b.division_code,"
    " coalesce(d.name, '') AS division_name, b.authority_id, coalesce(a.name, '') AS authority_name,"
    " to_char(b.found_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS found_at, b.found_by,"
    " coalesce(u.name, '') AS found_by_name, b.inspector_id, coalesce(i.name, '') AS inspector_name,"
    " b.status, b.status_note, coalesce(h.name, '') AS handled_by_name,"
    " to_char(b.handled_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS handled_at,"
    " (SELECT count(*) FROM unlicensed_business_file x WHERE x.record_id = b.id) AS photo_count"
    " FROM unlicensed_business b"
    " LEFT JOIN division d ON d.code = b.division_code"
    " LEFT JOIN authority a ON a.id = b.authority_id"
    " LEFT JOIN app_user_name u ON u.id = b.found_by"
    " LEFT JOIN app_user_name h ON h.id = b.handled_by"
    " LEFT JOIN inspector i ON i.id = b.inspector_id";

std::string text(const pqxx::field& f) {
    return f.is_null() ? std::string() : std::string(f.c_str());
}

json record_json(const pqxx::row& r) {
    const std::string status = r["status"].c_str();
    return {{"id", r["id"].as<long long>()},
            {"name", r["name"].c_str()},
            {"address", r["address"].c_str()},
            {"business", r["business"].c_str()},
            {"operator_name", r["operator_name"].c_str()},
            {"operator_phone", text(r["operator_phone"])},
            {"operator_id_no", text(r["operator_id_no"])},
            {"lon", r["lon"].as<double>()},
            {"lat", r["lat"].as<double>()},
            {"location_source", r["location_source"].c_str()},
            {"accuracy_m", r["accuracy_m"].is_null() ? json(nullptr) : json(r["accuracy_m"].as<double>())},
            {"division_code", r["division_code"].c_str()},
            {"division_name", r["division_name"].c_str()},
            {"authority_id", r["authority_id"].as<long long>()},
            {"authority_name", r["authority_name"].c_str()},
            {"found_at", r["found_at"].c_str()},
            {"found_by", r["found_by"].is_null() ? json(nullptr) : json(r["found_by"].as<long long>())},
            {"found_by_name", r["found_by_name"].c_str()},
            {"inspector_id", r["inspector_id"].is_null() ? json(nullptr) : json(r["inspector_id"].as<long long>())},
            {"inspector_name", r["inspector_name"].c_str()},
            {"status", status},
            {"status_label", status_label(status)},
            {"status_note", r["status_note"].c_str()},
            {"handled_by_name", r["handled_by_name"].c_str()},
            {"handled_at", text(r["handled_at"])},
            {"photo_count", r["photo_count"].as<long long>()}};
}

std::vector<std::string> next_statuses(const std::string& status) {
    if (status == "registered") return {"handling", "banned", "licensed"};
    if (status == "handling") return {"banned", "licensed"};
    return {};
}

json load(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string(kSelect) + " WHERE b.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("无照经营记录不存在或不在本人数据范围内");
    json j = record_json(r[0]);
    json photos = json::array();
    for (const auto& f : pg::exec(tx,
                                  "SELECT id, filename, content_type, size,"
                                  " to_char(uploaded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
                                  " FROM unlicensed_business_file WHERE record_id = $1 ORDER BY id",
                                  pg::Params().add(id)))
        photos.push_back({{"id", f[0].as<long long>()},
                          {"filename", f[1].c_str()},
                          {"content_type", f[2].c_str()},
                          {"size", f[3].as<long long>()},
                          {"uploaded_at", f[4].c_str()}});
    j["photos"] = photos;
    json next = json::array();
    for (const auto& s : next_statuses(j["status"])) next.push_back({{"status", s}, {"label", status_label(s)}});
    j["next_statuses"] = next;
    return j;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& statuses() {
    static const std::vector<std::pair<std::string, std::string>> all = {
        {"registered", "登记"}, {"handling", "处置中"}, {"banned", "已取缔"}, {"licensed", "已办照"}};
    return all;
}

std::string status_label(const std::string& status) {
    for (const auto& [code, label] : statuses())
        if (code == status) return label;
    return status;
}

void validate(const Filter& f) {
    if (!f.from.empty() && !valid_date(f.from)) throw bad_request("bad_from", "开始日期应为 YYYY-MM-DD", "from");
    if (!f.to.empty() && !valid_date(f.to)) throw bad_request("bad_to", "结束日期应为 YYYY-MM-DD", "to");
    if (!f.from.empty() && !f.to.empty() && f.to < f.from)
        throw bad_request("bad_range", "结束日期不能早于开始日期", "to");
    if (!f.division_code.empty() && !std::regex_match(f.division_code, std::regex("^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")))
        throw bad_request("bad_division_code", "行政区划代码应为 6、9 或 12 位数字", "division_code");
    if (!f.status.empty() && status_label(f.status) == f.status)
        throw bad_request("bad_status", "状态应为 registered、handling、banned 或 licensed", "status");
    if (input::chars(f.q) > 100) throw bad_request("bad_q", "关键字不能超过 100 个字", "q");
    if (f.from_lonlat && (!std::isfinite(f.from_lonlat->first) || !std::isfinite(f.from_lonlat->second) ||
                          std::abs(f.from_lonlat->first) > 180 || std::abs(f.from_lonlat->second) > 90))
        throw bad_request("bad_position", "当前位置的经纬度不正确", "lon");
    if (f.page < 1) throw bad_request("bad_page", "页码应为正整数", "page");
    if (f.page_size < 1 || f.page_size > 200) throw bad_request("bad_page_size", "每页条数应为 1 到 200", "page_size");
}

json list(pg::Pool& pool, const Filter& f) {
    validate(f);
    return pg::with_read(pool, "unlicensed", [&](pqxx::transaction_base& tx) {
        pg::Params p;
        const std::string where = where_of(f, p);
        const long long total =
            pg::exec(tx, "SELECT count(*) FROM unlicensed_business b" + where, p)[0][0].as<long long>();
        json items = json::array();
        {
            pg::Params pp = p;
            std::string select = kSelect, order = " ORDER BY b.found_at DESC, b.id DESC";
            if (f.from_lonlat) {
                // 无照查看 from the phone's position: nearest first, by the distance on the
                // sphere, in SQL through the KNN operator of the GiST index on
                // geom::geography (0029), so a page is the next nearest records wherever
                // they were found; the same distance is the one shown.
                pp.add(f.from_lonlat->first).add(f.from_lonlat->second);
                const std::string here = "ST_SetSRID(ST_MakePoint($" + std::to_string(pp.size() - 1) + "::float8, $" +
                                         std::to_string(pp.size()) + "::float8), 4326)::geography";
                select.insert(select.find(" FROM unlicensed_business b"),
                              ", ST_Distance(b.geom::geography, " + here + ", false) AS distance_m");
                // No tie-break column: a second sort key would stop the index's ordered scan
                // (records at one identical point come in the index's order).
                order = " ORDER BY b.geom::geography <-> " + here;
            }
            const std::string limit = pp.next(std::to_string(f.page_size));
            const std::string offset = pp.next(std::to_string((f.page - 1) * f.page_size));
            for (const auto& r : pg::exec(
                     tx, select + where + order + " LIMIT " + limit + "::bigint OFFSET " + offset + "::bigint", pp)) {
                auto j = record_json(r);
                j.erase("operator_id_no");  // in the detail and the export only
                if (f.from_lonlat) {
                    const auto [lon, lat] = *f.from_lonlat;
                    const double to_lon = j["lon"].get<double>(), to_lat = j["lat"].get<double>();
                    const nav::Links l =
                        nav::links({{lon, lat}, "我的位置"}, {{to_lon, to_lat}, j["name"].get<std::string>()});
                    j["distance_m"] = std::round(r["distance_m"].as<double>());
                    j["nav"] = {{"amap", l.amap}, {"baidu", l.baidu}, {"tencent", l.tencent}};
                }
                items.push_back(std::move(j));
            }
        }
        json points = json::array();
        for (const auto& r :
             pg::exec(tx,
                      "SELECT b.id, b.name, ST_X(b.geom), ST_Y(b.geom), b.status FROM unlicensed_business b" + where +
                          " ORDER BY b.found_at DESC, b.id DESC LIMIT " + std::to_string(kMaxPoints),
                      p))
            points.push_back({{"id", r[0].as<long long>()},
                              {"name", r[1].c_str()},
                              {"lon", r[2].as<double>()},
                              {"lat", r[3].as<double>()},
                              {"status", r[4].c_str()}});
        return json{{"items", items},           {"total", total},   {"page", f.page},
                    {"page_size", f.page_size}, {"points", points}, {"points_truncated", total > kMaxPoints}};
    });
}

std::string export_xlsx(pg::Pool& pool, const Filter& f, long long limit) {
    validate(f);
    xlsx::Workbook wb;
    auto& sheet =
        wb.add_sheet("无照经营",
                     {"编号", "名称或招牌", "经营地址", "无照经营情况", "经营者", "联系电话", "身份证号", "经度",
                      "纬度", "所在区划", "录入单位", "发现时间", "发现人", "状态", "处置说明", "处置时间", "照片数"},
                     {8, 24, 36, 40, 10, 14, 20, 12, 12, 14, 30, 17, 10, 8, 30, 17, 8});
    pg::with_read(pool, "unlicensed-export", [&](pqxx::transaction_base& tx) {
        pg::Params p;
        const std::string where = where_of(f, p);
        const long long n = pg::exec(tx, "SELECT count(*) FROM unlicensed_business b" + where, p)[0][0].as<long long>();
        if (n > limit)
            throw Error(Error::Kind::TooLarge, "export_too_large",
                        "符合条件的无照经营记录有 " + std::to_string(n) + " 条，超过导出上限 " + std::to_string(limit) +
                            " 条，请缩小时间范围");
        for (const auto& r : pg::exec(tx, std::string(kSelect) + where + " ORDER BY b.found_at, b.id", p)) {
            auto j = record_json(r);
            std::string finder = j["found_by_name"];
            sheet.add_row({j["id"].get<long long>(), j["name"].get<std::string>(), j["address"].get<std::string>(),
                           j["business"].get<std::string>(), j["operator_name"].get<std::string>(),
                           j["operator_phone"].get<std::string>(), j["operator_id_no"].get<std::string>(),
                           j["lon"].get<double>(), j["lat"].get<double>(), j["division_name"].get<std::string>(),
                           j["authority_name"].get<std::string>(), j["found_at"].get<std::string>(), finder,
                           j["status_label"].get<std::string>(), j["status_note"].get<std::string>(),
                           j["handled_at"].get<std::string>(), j["photo_count"].get<long long>()});
        }
    });
    return wb.bytes();
}

json get(pg::Pool& pool, long long id) {
    return pg::with_read(pool, "unlicensed", [&](pqxx::transaction_base& tx) { return load(tx, id); });
}

json create(pg::Pool& pool, const json& body) {
    return pg::with_transaction(pool, "unlicensed", [&](pqxx::transaction_base& tx) {
        input::Fields f(body);
        auto lon = number(f, body, "lon", "经度", -180, 180, true);
        auto lat = number(f, body, "lat", "纬度", -90, 90, true);
        auto name = f.text("name", "名称或招牌", 100, true);
        auto address = f.text("address", "经营地址", 200, true);
        auto business = f.text("business", "无照经营情况", 1000, true);
        auto operator_name = f.text("operator_name", "经营者姓名", 50, true);
        auto phone = f.text("operator_phone", "联系电话", 20, false);
        if (phone && !phone->empty() && !std::regex_match(*phone, std::regex("^[0-9+\\- ]{5,20}$")))
            f.fail("operator_phone", "bad_phone", "联系电话只能包含数字、+、- 和空格（5 到 20 位）");
        auto id_no = f.text("operator_id_no", "身份证号", 18, false);
        if (id_no && !id_no->empty() && !std::regex_match(*id_no, std::regex("^[0-9]{17}[0-9X]$")))
            f.fail("operator_id_no", "bad_id_no", "身份证号应为 18 位（最后一位可为 X）");
        auto found_at = f.text("found_at", "发现时间", 19, false);
        if (found_at && !found_at->empty() && !valid_datetime(*found_at))
            f.fail("found_at", "bad_datetime", "发现时间应为 YYYY-MM-DD HH:MM");
        auto source = f.choice("location_source", "定位方式", {"gps", "map"}, false);
        auto accuracy = number(f, body, "accuracy_m", "定位精度", 0, 100000, false);
        f.check();
        const std::string found = found_at.value_or("");
        if (!found.empty()) {
            auto r = pg::exec(tx,
                              "SELECT ($1::timestamp AT TIME ZONE 'Asia/Shanghai') > now() + interval '5 minutes',"
                              " $1::timestamp < '2000-01-01'",
                              pg::Params().add(found));
            if (r[0][0].as<bool>())
                throw registry::ValidationError({{"found_at", "in_future", "发现时间不能晚于现在"}});
            if (r[0][1].as<bool>())
                throw registry::ValidationError({{"found_at", "too_early", "发现时间不能早于 2000 年"}});
        }
        auto division = pg::exec(tx,
                                 "SELECT code FROM division WHERE geom IS NOT NULL"
                                 " AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326))"
                                 " ORDER BY length(code) DESC, level DESC LIMIT 1",
                                 pg::Params().add(*lon).add(*lat));
        if (division.empty())
            throw registry::ValidationError({{"lon", "outside_city", "无照经营位置不在本市行政区划范围内"}});
        auto id = pg::exec(tx,
                           "INSERT INTO unlicensed_business(authority_id, division_code, geom, location_source,"
                           " accuracy_m, name, address, business, operator_name, operator_phone, operator_id_no,"
                           " found_at, found_by, inspector_id)"
                           " VALUES (twindraw_unit_id(), $1, ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326),"
                           " $4, $5::float8, $6, $7, $8, $9, $10, $11,"
                           " coalesce($12::timestamp AT TIME ZONE 'Asia/Shanghai', now()), twindraw_user_id(),"
                           " twindraw_own_inspector()) RETURNING id",
                           pg::Params()
                               .add(division[0][0].c_str())
                               .add(*lon)
                               .add(*lat)
                               .add(source.value_or("map"))
                               .add(accuracy ? std::optional<std::string>(std::to_string(*accuracy)) : std::nullopt)
                               .add(*name)
                               .add(*address)
                               .add(*business)
                               .add(*operator_name)
                               .add(opt(phone.value_or("")))
                               .add(opt(id_no.value_or("")))
                               .add(opt(found)))[0][0]
                      .as<long long>();
        return load(tx, id);
    });
}

json set_status(pg::Pool& pool, long long id, const json& body) {
    return pg::with_transaction(pool, "unlicensed", [&](pqxx::transaction_base& tx) {
        std::vector<std::string> codes;
        for (const auto& [code, label] : statuses()) codes.push_back(code);
        input::Fields f(body);
        auto status = f.choice("status", "状态", codes, true);
        auto note = f.text("note", "处置说明", 500, false);
        f.check();
        auto cur =
            pg::exec(tx, "SELECT status FROM unlicensed_business WHERE id = $1 FOR UPDATE", pg::Params().add(id));
        if (cur.empty()) throw not_found("无照经营记录不存在或不在本人数据范围内");
        const std::string from = cur[0][0].c_str();
        const auto allowed = next_statuses(from);
        if (std::find(allowed.begin(), allowed.end(), *status) == allowed.end())
            throw conflict("invalid_transition",
                           "当前状态为“" + status_label(from) + "”，不能改为“" + status_label(*status) + "”")
                .with("state", from)
                .with("status", *status);
        pg::exec(tx,
                 "UPDATE unlicensed_business SET status = $2, status_note = coalesce($3, ''),"
                 " handled_by = twindraw_user_id(), handled_at = now() WHERE id = $1",
                 pg::Params().add(id).add(*status).add(note));
        return load(tx, id);
    });
}

json add_photo(pg::Pool& pool, const std::string& data_dir, long long record_id, const std::string& filename,
               const std::string& bytes, size_t max_bytes) {
    files::check_upload(bytes, max_bytes, "照片");
    const std::string type = files::sniff(bytes);
    if (type != "image/jpeg" && type != "image/png")
        throw Error(Error::Kind::Unsupported, "unsupported_type", "现场照片只接受 JPEG 或 PNG 图片");
    const std::string name = files::clip_utf8(filename.empty() ? "现场照片" : filename, 200);
    const std::string hex = files::sha256_hex(bytes);
    return pg::with_transaction(pool, "unlicensed-photo", [&](pqxx::transaction_base& tx) {
        auto r =
            pg::exec(tx, "SELECT id FROM unlicensed_business WHERE id = $1 FOR UPDATE", pg::Params().add(record_id));
        if (r.empty()) throw not_found("无照经营记录不存在或不在本人数据范围内");
        auto n = pg::exec(tx, "SELECT count(*) FROM unlicensed_business_file WHERE record_id = $1",
                          pg::Params().add(record_id))[0][0]
                     .as<long long>();
        if (n >= kMaxPhotos)
            throw conflict("too_many_photos", "每条无照经营记录最多上传 " + std::to_string(kMaxPhotos) + " 张照片");
        files::put(data_dir, hex, bytes);  // before the row (file-store.hpp)
        auto id = pg::exec(tx,
                           "INSERT INTO unlicensed_business_file(record_id, filename, content_type, size, sha256,"
                           " uploaded_by) VALUES ($1, $2, $3, $4, $5, twindraw_user_id()) RETURNING id",
                           pg::Params()
                               .add(record_id)
                               .add(name)
                               .add(type)
                               .add(static_cast<long long>(bytes.size()))
                               .add(hex))[0][0]
                      .as<long long>();
        return json{{"id", id}, {"filename", name}, {"content_type", type}, {"size", bytes.size()}};
    });
}

Photo get_photo(pg::Pool& pool, const std::string& data_dir, long long photo_id) {
    auto row = pg::with_read(pool, "unlicensed-photo", [&](pqxx::transaction_base& tx) {
        auto r = pg::exec(tx,
                          "SELECT f.content_type, f.filename, f.sha256 FROM unlicensed_business_file f"
                          " JOIN unlicensed_business b ON b.id = f.record_id WHERE f.id = $1",
                          pg::Params().add(photo_id));
        if (r.empty()) throw not_found("照片不存在或不在本人数据范围内");
        return std::array<std::string, 3>{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    });
    return {row[0], row[1], files::get(data_dir, row[2])};
}

}  // namespace twindraw::unlicensed
