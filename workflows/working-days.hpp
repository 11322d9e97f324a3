// Working-day arithmetic on the Chinese holiday calendar kept as data (work_calendar,
// work_calendar_year): a listed holiday is a day off, a listed make-up day (调休) is a
// working day, any other day counts by its weekday. A year without an official
// schedule (announced late in the year before) is counted Monday–Friday and every
// answer touching it is flagged provisional. The SQL functions is_working_day and
// add_working_days (migration 0007) follow the same rule.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace twindraw::calendar {

using Date = std::chrono::year_month_day;

enum class DayKind { Holiday, Workday };

/// "2026-02-14" → a valid date; nullopt for anything else (2026-02-30, 26-2-14, …).
std::optional<Date> parse_date(std::string_view text);
std::string format_date(const Date& d);

struct Shifted {
    Date date;
    bool provisional = false;  // some year on the way has no official schedule
};

/// The calendar as data, so that the arithmetic is tested without a database.
class Calendar {
public:
    /// Marks a year as having an official schedule.
    void add_year(int year);
    /// Lists a day as holiday or make-up working day (a later call for the day wins).
    void add_day(const Date& day, DayKind kind);

    bool has_schedule(int year) const { return years_.count(year) > 0; }
    bool is_working_day(const Date& day) const;
    /// The day n working days after `from` (from itself not counted; n = 0 gives from).
    /// Requires 0 <= n <= 3650; throws Error(Invalid, "bad_days") otherwise.
    Shifted add_working_days(const Date& from, int n) const;
    /// Working days in (from, to]; 0 when to <= from.
    int working_days_between(const Date& from, const Date& to) const;

private:
    std::set<int> years_;
    std::map<std::chrono::sys_days, DayKind> days_;
};

/// Reads the whole calendar (a few thousand rows) in the caller's transaction.
Calendar load(pqxx::transaction_base& tx);

/// Today's date in China (Asia/Shanghai, UTC+8 without daylight saving).
Date today_in_china();

// ---- the administration of one year's schedule (SYS-4 area, permission system.dict) ----

/// Every year that has listed days or an official schedule, with counts and source.
nlohmann::json list_years(pg::Pool& pool);
/// One year: {year, scheduled, source, days:[{day, kind, name, weekday}]}.
nlohmann::json get_year(pg::Pool& pool, int year);
/// Replaces a year's listed days and marks it scheduled with source "手工维护".
/// body: {"days":[{"day":"2027-01-01","kind":"holiday"|"workday","name":"元旦"}], "source"?}.
/// Throws registry::ValidationError (422, one entry per bad day, field "days[i]") on a
/// malformed day, a day outside the year, a bad kind, a duplicate, a make-up working
/// day that is not a Saturday or Sunday, or a name over 50 characters.
nlohmann::json put_year(pg::Pool& pool, int year, const nlohmann::json& body);
/// Forgets a year's schedule and days: the year counts Monday–Friday (provisional) again.
void delete_year(pg::Pool& pool, int year);

}  // namespace twindraw::calendar
