// The publication deadline (PUB-2): 20 working days after the task's completion on the
// Chinese working-day calendar, given here as data (the official 2026 schedule of the
// 国务院办公厅 notice, as in chinese-days). Expected dates counted by hand on the calendar.
#include "workflows/publication-states.hpp"
#include "workflows/publication.hpp"

#include "geo/error.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace twindraw;
using namespace twindraw::calendar;

namespace {

// 2026: 元旦 1–3 Jan, 春节 15–23 Feb, 清明 4–6 Apr, 劳动节 1–5 May, 端午 19–21 Jun,
// 中秋 25–27 Sep, 国庆 1–7 Oct; make-up working days 4 Jan, 14 and 28 Feb, 9 May,
// 20 Sep, 10 Oct.
const char* kHolidays2026 =
    "2026-01-01 2026-01-02 2026-01-03 2026-02-15 2026-02-16 2026-02-17 2026-02-18 2026-02-19 2026-02-20 "
    "2026-02-21 2026-02-22 2026-02-23 2026-04-04 2026-04-05 2026-04-06 2026-05-01 2026-05-02 2026-05-03 "
    "2026-05-04 2026-05-05 2026-06-19 2026-06-20 2026-06-21 2026-09-25 2026-09-26 2026-09-27 2026-10-01 "
    "2026-10-02 2026-10-03 2026-10-04 2026-10-05 2026-10-06 2026-10-07";
const char* kWorkdays2026 = "2026-01-04 2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10";

Date d(const char* text) {
    auto v = parse_date(text);
    if (!v) throw std::runtime_error(std::string("bad date in test: ") + text);
    return *v;
}

Calendar calendar2026() {
    Calendar c;
    c.add_year(2026);
    for (auto [list, kind] : {std::pair{kHolidays2026, DayKind::Holiday}, std::pair{kWorkdays2026, DayKind::Workday}}) {
        std::istringstream in(list);
        for (std::string day; in >> day;) c.add_day(d(day.c_str()), kind);
    }
    return c;
}

}  // namespace

TEST(PublicationDeadline, SpringFestivalCountsTheMakeUpSaturdaysAndSkipsTheHoliday) {
    const auto c = calendar2026();
    // Completed Friday 13 Feb: Sat 14 Feb (调休上班) is day 1, 15–23 Feb are off, Sat 28 Feb
    // is day 6, … Thursday 19 March is day 20.
    auto r = publication::deadline_for(c, d("2026-02-13"), d("2026-02-20"));
    EXPECT_EQ(format_date(r.deadline), "2026-03-19");
    EXPECT_FALSE(r.provisional);
    EXPECT_FALSE(r.late);
    EXPECT_EQ(r.days_left, 19);  // seen in the holiday: only 14 Feb has passed
    // Counted Monday–Friday the same 20 days would end on 13 March.
    Calendar weekdays;
    weekdays.add_year(2026);
    EXPECT_EQ(format_date(publication::deadline_for(weekdays, d("2026-02-13"), d("2026-02-13")).deadline),
              "2026-03-13");
}

TEST(PublicationDeadline, NationalDayAndMidAutumn) {
    const auto c = calendar2026();
    // Completed Wednesday 23 Sep: 24 Sep is day 1, 25–27 Sep 中秋, 28–30 Sep days 2–4,
    // 1–7 Oct 国庆, 8–9 Oct days 5–6, Saturday 10 Oct (调休) day 7, … 28 Oct day 20.
    auto r = publication::deadline_for(c, d("2026-09-23"), d("2026-09-23"));
    EXPECT_EQ(format_date(r.deadline), "2026-10-28");
    EXPECT_FALSE(r.provisional);
    EXPECT_EQ(r.days_left, 20);
}

TEST(PublicationDeadline, DaysLeftAndTheLateFlag) {
    const auto c = calendar2026();
    const auto done = d("2026-02-13");  // deadline Thursday 19 March
    EXPECT_EQ(publication::deadline_for(c, done, d("2026-03-19")).days_left, 0);
    EXPECT_FALSE(publication::deadline_for(c, done, d("2026-03-19")).late);
    auto r = publication::deadline_for(c, done, d("2026-03-20"));
    EXPECT_TRUE(r.late);
    EXPECT_EQ(r.days_left, -1);
    EXPECT_EQ(publication::deadline_for(c, done, d("2026-03-23")).days_left, -2);  // Fri 20 and Mon 23
    // Late over a weekend (and 清明) only is still late: completed Friday 6 March, the
    // deadline is Friday 3 April; 4–6 April are 清明.
    r = publication::deadline_for(c, d("2026-03-06"), d("2026-04-04"));
    EXPECT_EQ(format_date(r.deadline), "2026-04-03");
    EXPECT_TRUE(r.late);
    EXPECT_EQ(r.days_left, -1);
    EXPECT_EQ(publication::deadline_for(c, d("2026-03-06"), d("2026-04-07")).days_left, -1);
}

TEST(PublicationDeadline, AYearWithoutAScheduleIsProvisional) {
    const auto c = calendar2026();
    // Completed Friday 18 Dec 2026: 21–31 Dec are days 1–9; 2027 has no schedule, so
    // 1 Jan 2027 (a Friday) counts as a working day and the answer is provisional.
    auto r = publication::deadline_for(c, d("2026-12-18"), d("2026-12-18"));
    EXPECT_EQ(format_date(r.deadline), "2027-01-15");
    EXPECT_TRUE(r.provisional);
    EXPECT_FALSE(publication::deadline_for(c, d("2026-03-02"), d("2026-03-02")).provisional);
}

TEST(PublicationStates, OnlyTheTableIsAllowed) {
    using publication::require_result_transition;
    EXPECT_EQ(require_result_transition("publish", "awaiting").to, "published");
    EXPECT_EQ(require_result_transition("request_correction", "published").to, "correcting");
    EXPECT_EQ(require_result_transition("approve_correction", "correcting").to, "published");
    for (auto [action, from] :
         {std::pair{"publish", "incomplete"}, std::pair{"publish", "published"}, std::pair{"publish", "correcting"},
          std::pair{"request_correction", "awaiting"}, std::pair{"request_correction", "correcting"},
          std::pair{"approve_correction", "published"}}) {
        try {
            require_result_transition(action, from);
            ADD_FAILURE() << action << " from " << from << " was allowed";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::Conflict);
            EXPECT_EQ(e.code(), "invalid_transition");
        }
    }
    EXPECT_THROW(publication::require_correction_transition("approve", "refused"), Error);
    EXPECT_EQ(publication::allowed_result_actions("correcting", {"result.correct.approve"}),
              (std::vector<std::string>{"approve_correction", "refuse_correction"}));
    EXPECT_TRUE(publication::allowed_result_actions("correcting", {"publish.manage"}).empty());
}
