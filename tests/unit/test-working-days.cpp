// Working-day arithmetic without a database: the official 2025 and 2026 schedules (国务院
// 办公厅 notices, as published in chinese-days) given as data; expected dates counted
// by hand on the calendar, including make-up working Saturdays and Sundays (调休).
#include "geo/error.hpp"
#include "workflows/working-days.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace twindraw::calendar;

namespace {

const char* kHolidays =
    "2025-01-01 2025-01-28 2025-01-29 2025-01-30 2025-01-31 2025-02-01 2025-02-02 2025-02-03 2025-02-04 "
    "2025-04-04 2025-04-05 2025-04-06 2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05 2025-05-31 "
    "2025-06-01 2025-06-02 2025-10-01 2025-10-02 2025-10-03 2025-10-04 2025-10-05 2025-10-06 2025-10-07 "
    "2025-10-08 2026-01-01 2026-01-02 2026-01-03 2026-02-15 2026-02-16 2026-02-17 2026-02-18 2026-02-19 "
    "2026-02-20 2026-02-21 2026-02-22 2026-02-23 2026-04-04 2026-04-05 2026-04-06 2026-05-01 2026-05-02 "
    "2026-05-03 2026-05-04 2026-05-05 2026-06-19 2026-06-20 2026-06-21 2026-09-25 2026-09-26 2026-09-27 "
    "2026-10-01 2026-10-02 2026-10-03 2026-10-04 2026-10-05 2026-10-06 2026-10-07";
const char* kWorkdays =
    "2025-01-26 2025-02-08 2025-04-27 2025-09-28 2025-10-11 2026-01-04 2026-02-14 2026-02-28 2026-05-09 "
    "2026-09-20 2026-10-10";

Date d(const char* text) {
    auto v = parse_date(text);
    if (!v) throw std::runtime_error(std::string("bad date in test: ") + text);
    return *v;
}

Calendar official() {
    Calendar c;
    c.add_year(2025);
    c.add_year(2026);
    for (auto [list, kind] : {std::pair{kHolidays, DayKind::Holiday}, std::pair{kWorkdays, DayKind::Workday}}) {
        std::istringstream in(list);
        for (std::string day; in >> day;) c.add_day(d(day.c_str()), kind);
    }
    return c;
}

std::string plus(const Calendar& c, const char* from, int n) { return format_date(c.add_working_days(d(from), n).date); }

}  // namespace

TEST(WorkingDays, ParsesOnlyRealDates) {
    EXPECT_EQ(format_date(d("2026-02-14")), "2026-02-14");
    EXPECT_FALSE(parse_date("2026-02-30"));
    EXPECT_FALSE(parse_date("2025-02-29"));
    EXPECT_TRUE(parse_date("2024-02-29"));
    EXPECT_FALSE(parse_date("2026-2-14"));
    EXPECT_FALSE(parse_date("2026-02-14'"));
    EXPECT_FALSE(parse_date(""));
}

TEST(WorkingDays, HolidaysAndMakeUpDaysOverrideTheWeekday) {
    const auto c = official();
    EXPECT_TRUE(c.is_working_day(d("2025-01-26")));   // Sunday, 春节调休上班
    EXPECT_FALSE(c.is_working_day(d("2025-01-28")));  // Tuesday, 春节
    EXPECT_TRUE(c.is_working_day(d("2025-02-08")));   // Saturday, 调休
    EXPECT_FALSE(c.is_working_day(d("2025-02-09")));  // an ordinary Sunday
    EXPECT_TRUE(c.is_working_day(d("2025-02-10")));   // an ordinary Monday
    EXPECT_FALSE(c.is_working_day(d("2025-10-04")));  // Saturday inside 国庆
    EXPECT_TRUE(c.is_working_day(d("2025-10-11")));   // Saturday, 国庆调休
    EXPECT_FALSE(c.is_working_day(d("2026-02-23")));  // Monday, last day of 春节 2026
    EXPECT_TRUE(c.is_working_day(d("2026-02-14")));   // Saturday before 春节 2026
}

TEST(WorkingDays, AcrossSpringFestival2025) {
    const auto c = official();
    EXPECT_EQ(plus(c, "2025-01-24", 1), "2025-01-26");  // Friday → the make-up Sunday
    EXPECT_EQ(plus(c, "2025-01-27", 1), "2025-02-05");  // over the eight days off
    EXPECT_EQ(plus(c, "2025-01-24", 5), "2025-02-07");  // 26, 27, 5, 6, 7
    EXPECT_EQ(plus(c, "2025-02-07", 1), "2025-02-08");  // Saturday make-up day
    EXPECT_EQ(plus(c, "2025-02-07", 2), "2025-02-10");
    EXPECT_EQ(c.working_days_between(d("2025-01-24"), d("2025-02-07")), 5);
    EXPECT_FALSE(c.add_working_days(d("2025-01-24"), 5).provisional);
}

TEST(WorkingDays, AcrossNationalDay2025) {
    const auto c = official();
    EXPECT_EQ(plus(c, "2025-09-26", 2), "2025-09-29");  // Sunday 28th is a make-up day
    EXPECT_EQ(plus(c, "2025-09-30", 1), "2025-10-09");
    EXPECT_EQ(plus(c, "2025-09-30", 5), "2025-10-14");  // 9, 10, Saturday 11, 13, 14
    EXPECT_EQ(plus(c, "2025-09-30", 2), "2025-10-10");
}

TEST(WorkingDays, AcrossSpringFestival2026AndNewYear) {
    const auto c = official();
    EXPECT_EQ(plus(c, "2026-02-13", 1), "2026-02-14");
    EXPECT_EQ(plus(c, "2026-02-13", 2), "2026-02-24");
    EXPECT_EQ(plus(c, "2026-02-13", 5), "2026-02-27");
    EXPECT_EQ(plus(c, "2026-02-13", 6), "2026-02-28");  // Saturday make-up day
    EXPECT_EQ(plus(c, "2026-02-13", 7), "2026-03-02");
    auto ny = c.add_working_days(d("2025-12-31"), 1);  // over 元旦 into the 4 January make-up Sunday
    EXPECT_EQ(format_date(ny.date), "2026-01-04");
    EXPECT_FALSE(ny.provisional);
}

TEST(WorkingDays, ZeroDaysIsTheSameDayAndNegativeIsRefused) {
    const auto c = official();
    EXPECT_EQ(plus(c, "2025-10-01", 0), "2025-10-01");
    EXPECT_THROW(c.add_working_days(d("2025-10-01"), -1), twindraw::Error);
    EXPECT_THROW(c.add_working_days(d("2025-10-01"), 4000), twindraw::Error);
}

TEST(WorkingDays, AYearWithoutScheduleCountsMondayToFridayAndIsProvisional) {
    const auto c = official();
    auto inside = c.add_working_days(d("2026-12-28"), 1);
    EXPECT_EQ(format_date(inside.date), "2026-12-29");
    EXPECT_FALSE(inside.provisional);
    // 2027 is not announced: 1 January (a Friday) counts as a working day for now.
    auto across = c.add_working_days(d("2026-12-30"), 5);
    EXPECT_EQ(format_date(across.date), "2027-01-06");  // 31, Fri 1, Mon 4, 5, 6
    EXPECT_TRUE(across.provisional);
    Calendar with2027 = official();
    with2027.add_year(2027);
    with2027.add_day(d("2027-01-01"), DayKind::Holiday);
    auto announced = with2027.add_working_days(d("2026-12-30"), 5);
    EXPECT_EQ(format_date(announced.date), "2027-01-07");
    EXPECT_FALSE(announced.provisional);
}
