#include "workflows/working-days.hpp"

#include "geo/error.hpp"
#include "workflows/registry-repo.hpp"

#include <regex>

namespace twindraw::calendar {

namespace {

using std::chrono::sys_days;
using std::chrono::weekday;

bool weekend(const Date& d) {
    const weekday w{sys_days(d)};
    return w == std::chrono::Saturday || w == std::chrono::Sunday;
}

int year_of(const Date& d) {
    return static_cast<int>(d.year());
}

const char* kWeekdays[] = {"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"};

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
    static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
    std::string s(text);
    std::smatch m;
    if (!std::regex_match(s, m, re)) return std::nullopt;
    Date d{std::chrono::year(std::stoi(m[1])), std::chrono::month(static_cast<unsigned>(std::stoi(m[2]))),
           std::chrono::day(static_cast<unsigned>(std::stoi(m[3])))};
    if (!d.ok() || static_cast<int>(d.year()) < 1900) return std::nullopt;
    return d;
}

std::string format_date(const Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

void Calendar::add_year(int year) {
    years_.insert(year);
}

void Calendar::add_day(const Date& day, DayKind kind) {
    days_[sys_days(day)] = kind;
}

bool Calendar::is_working_day(const Date& day) const {
    auto it = days_.find(sys_days(day));
    if (it != days_.end()) return it->second == DayKind::Workday;
    return !weekend(day);
}

Shifted Calendar::add_working_days(const Date& from, int n) const {
    if (n < 0 || n > 3650) throw invalid("bad_days", "工作日数应在 0 到 3650 之间", "days");
    sys_days day = sys_days(from);
    for (int left = n; left > 0;) {
        day += std::chrono::days(1);
        if (is_working_day(Date(day))) --left;
    }
    Shifted out{Date(day), false};
    for (int y = year_of(from); y <= year_of(out.date); ++y)
        if (!has_schedule(y)) out.provisional = true;
    return out;
}

int Calendar::working_days_between(const Date& from, const Date& to) const {
    int n = 0;
    for (sys_days d = sys_days(from) + std::chrono::days(1); d <= sys_days(to); d += std::chrono::days(1))
        if (is_working_day(Date(d))) ++n;
    return n;
}

Calendar load(pqxx::transaction_base& tx) {
    Calendar c;
    for (const auto& row : pg::exec(tx, "SELECT year FROM work_calendar_year")) c.add_year(row[0].as<int>());
    for (const auto& row : pg::exec(tx, "SELECT day::text, kind FROM work_calendar")) {
        auto d = parse_date(row[0].as<std::string>());
        if (d) c.add_day(*d, row[1].as<std::string>() == "workday" ? DayKind::Workday : DayKind::Holiday);
    }
    return c;
}

Date today_in_china() {
    auto now = std::chrono::system_clock::now() + std::chrono::hours(8);
    return Date(std::chrono::floor<std::chrono::days>(now));
}

nlohmann::json list_years(pg::Pool& pool) {
    return pg::with_read(pool, "calendar", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx,
                          "WITH y AS (SELECT extract(year FROM day)::int AS year FROM work_calendar"
                          "           UNION SELECT year FROM work_calendar_year)"
                          " SELECT y.year, w.source,"
                          "  (SELECT count(*) FROM work_calendar c WHERE extract(year FROM c.day)::int = y.year"
                          "     AND c.kind = 'holiday'),"
                          "  (SELECT count(*) FROM work_calendar c WHERE extract(year FROM c.day)::int = y.year"
                          "     AND c.kind = 'workday')"
                          " FROM y LEFT JOIN work_calendar_year w ON w.year = y.year ORDER BY y.year DESC");
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : r)
            items.push_back({{"year", row[0].as<int>()},
                             {"scheduled", !row[1].is_null()},
                             {"source", row[1].is_null() ? "" : row[1].as<std::string>()},
                             {"holidays", row[2].as<long long>()},
                             {"workdays", row[3].as<long long>()}});
        int this_year = year_of(today_in_china());
        return nlohmann::json{{"items", items}, {"current_year", this_year}};
    });
}

nlohmann::json get_year(pg::Pool& pool, int year) {
    if (year < 1900 || year > 2200) throw bad_request("bad_year", "年份不正确", "year");
    return pg::with_read(pool, "calendar", [&](pqxx::read_transaction& tx) {
        auto src = pg::exec(tx, "SELECT source FROM work_calendar_year WHERE year = $1", pg::Params().add(year));
        auto r = pg::exec(tx,
                          "SELECT day::text, kind, name FROM work_calendar WHERE extract(year FROM day)::int = $1"
                          " ORDER BY day",
                          pg::Params().add(year));
        nlohmann::json days = nlohmann::json::array();
        for (const auto& row : r) {
            auto d = parse_date(row[0].as<std::string>());
            days.push_back({{"day", row[0].as<std::string>()},
                            {"kind", row[1].as<std::string>()},
                            {"name", row[2].as<std::string>()},
                            {"weekday", kWeekdays[weekday(sys_days(*d)).c_encoding()]}});
        }
        return nlohmann::json{{"year", year},
                              {"scheduled", !src.empty()},
                              {"source", src.empty() ? "" : src[0][0].as<std::string>()},
                              {"days", days}};
    });
}

nlohmann::json put_year(pg::Pool& pool, int year, const nlohmann::json& body) {
    if (year < 1900 || year > 2200) throw bad_request("bad_year", "年份不正确", "year");
    auto it = body.find("days");
    if (it == body.end() || !it->is_array()) throw invalid("required", "缺少节假日与调休安排 days", "days");
    if (it->size() > 366) throw invalid("too_many", "一年最多 366 天", "days");
    std::string source = "手工维护";
    if (auto s = body.find("source"); s != body.end() && s->is_string() && !s->get<std::string>().empty()) {
        source = s->get<std::string>();
        if (source.size() > 600) throw invalid("too_long", "来源说明过长", "source");
    }
    std::vector<registry::FieldError> errors;
    std::vector<std::string> d, k, n;
    std::set<std::string> seen;
    for (size_t i = 0; i < it->size(); ++i) {
        const auto& item = (*it)[i];
        const std::string field = "days[" + std::to_string(i) + "]";
        auto fail = [&](const char* code, std::string msg) { errors.push_back({field, code, std::move(msg)}); };
        if (!item.is_object() || !item.contains("day") || !item["day"].is_string()) {
            fail("bad_format", "第 " + std::to_string(i + 1) + " 条缺少日期");
            continue;
        }
        const std::string day = item["day"].get<std::string>();
        auto date = parse_date(day);
        if (!date) {
            fail("bad_format", "日期格式不正确：" + day.substr(0, 20) + "（应为 YYYY-MM-DD）");
            continue;
        }
        if (year_of(*date) != year) {
            fail("wrong_year", day + " 不在 " + std::to_string(year) + " 年内");
            continue;
        }
        const std::string kind = item.value("kind", std::string());
        if (kind != "holiday" && kind != "workday") {
            fail("bad_choice", day + " 的类型应为放假（holiday）或调休上班（workday）");
            continue;
        }
        if (kind == "workday" && !weekend(*date)) {
            fail("not_weekend",
                 day + " 是" + kWeekdays[weekday(sys_days(*date)).c_encoding()] + "，本来就是工作日，无需设为调休上班");
            continue;
        }
        std::string name = item.contains("name") && item["name"].is_string() ? item["name"].get<std::string>() : "";
        if (name.size() > 150) {
            fail("too_long", day + " 的名称过长（最多 50 字）");
            continue;
        }
        if (!seen.insert(day).second) {
            fail("duplicate", day + " 重复出现");
            continue;
        }
        d.push_back(day);
        k.push_back(kind);
        n.push_back(name);
    }
    if (!errors.empty()) throw registry::ValidationError(std::move(errors));
    pg::with_transaction(pool, "calendar", [&](pqxx::work& tx) {
        pg::exec(tx, "DELETE FROM work_calendar WHERE extract(year FROM day)::int = $1 AND day <> ALL($2::date[])",
                 pg::Params().add(year).add(pg::array_literal(d)));
        pg::exec(tx,
                 "INSERT INTO work_calendar(day, kind, name)"
                 " SELECT day::date, kind, name FROM unnest($1::text[], $2::text[], $3::text[]) AS t(day, kind, name)"
                 " ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name"
                 " WHERE (work_calendar.kind, work_calendar.name) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name)",
                 pg::Params().add(pg::array_literal(d)).add(pg::array_literal(k)).add(pg::array_literal(n)));
        pg::exec(tx,
                 "INSERT INTO work_calendar_year(year, source) VALUES ($1, $2)"
                 " ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source"
                 " WHERE work_calendar_year.source IS DISTINCT FROM EXCLUDED.source",
                 pg::Params().add(year).add(source));
    });
    return get_year(pool, year);
}

void delete_year(pg::Pool& pool, int year) {
    if (year < 1900 || year > 2200) throw bad_request("bad_year", "年份不正确", "year");
    pg::with_transaction(pool, "calendar", [&](pqxx::work& tx) {
        auto a =
            pg::exec(tx, "DELETE FROM work_calendar WHERE extract(year FROM day)::int = $1", pg::Params().add(year));
        auto b = pg::exec(tx, "DELETE FROM work_calendar_year WHERE year = $1", pg::Params().add(year));
        if (a.affected_rows() == 0 && b.affected_rows() == 0) throw not_found("该年份没有节假日安排");
    });
}

}  // namespace twindraw::calendar
