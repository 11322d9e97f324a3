// Statistics over HTTP (issue 5 "The leaders' view", PORTAL-1, STAT-3): the dashboard's
// numbers within the actor's data scope, the district boundaries of its choropleth, and
// the public portal's city-wide counts.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/stats.hpp"

#include <chrono>
#include <regex>

namespace twindraw::server {

namespace {

// This year in China Standard Time (UTC+8, no daylight saving).
long long current_year() {
    using namespace std::chrono;
    const auto today = floor<days>(system_clock::now() + hours(8));
    return static_cast<int>(year_month_day(today).year());
}

// Malformed → 400 naming the parameter; a well-formed year outside 2000..2100 is left to
// the workflow (422).
long long year_param(const Request& req) {
    auto v = req.query_value("year");
    if (!v || v->empty()) return current_year();
    if (!std::regex_match(*v, std::regex("^[0-9]{4}$")))
        throw bad_request("bad_year", "年度格式不正确，应为四位数字", "year");
    return std::stoll(*v);
}

stats::Query query_of(const Request& req) {
    stats::Query q;
    q.year = year_param(req);
    if (auto d = req.query_value("department_id"); d && !d->empty()) {
        if (!std::regex_match(*d, std::regex("^[1-9][0-9]{0,17}$")))
            throw bad_request("bad_department_id", "部门编号格式不正确", "department_id");
        q.department_id = std::stoll(*d);
    }
    q.district = req.query_value("district").value_or("");
    if (!q.district.empty() && !std::regex_match(q.district, std::regex("^[0-9]{6}$")))
        throw bad_request("bad_district", "区县代码应为六位数字", "district");
    return q;
}

}  // namespace

void register_stats_routes(Router& router, App& app) {
    const std::string tag = "数据展现";
    router.add({"GET",
                "/api/stats/overview",
                "stats.read",
                "领导驾驶舱：年度概况、各区县任务/检查/问题企业、部门与事项排行、每日检查数（按数据范围）",
                tag,
                [&app](const Request& req) { return Response::json(200, stats::overview(app.pool, query_of(req))); },
                {"year", "department_id", "district"}});

    router.add({"GET", "/api/stats/district-map", "stats.read", "数据范围内各区县边界（GeoJSON，用于分级设色图）", tag,
                [&app](const Request&) { return Response::json(200, stats::district_map(app.pool)); }});

    router.add(
        {"GET",
         "/api/public/stats",
         "public",
         "门户：当年全市抽查概况与各区县任务数（仅计数，无需登录）",
         "公示",
         [&app](const Request& req) { return Response::json(200, stats::public_overview(app.pool, year_param(req))); },
         {"year"}});
}

}  // namespace twindraw::server
