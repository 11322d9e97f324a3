// Patrol routes over HTTP (NET-2, NET-3): points, routes and areas drawn by supervisors
// (patrol.manage), assignments of routes to inspectors, check-ins from the phone
// (job.submit), and the progress of each route (completed red, unfinished green).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/patrol.hpp"

#include <regex>

namespace twindraw::server {

namespace {

long long patrol_id(const Request& req, const std::string& name = "id") {
    const auto& v = req.params.at(name);
    if (!std::regex_match(v, std::regex("^[1-9][0-9]{0,17}$"))) throw bad_request("bad_id", "编号格式不正确", name);
    return std::stoll(v);
}

std::optional<long long> patrol_query_id(const Request& req, const std::string& name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (!std::regex_match(*v, std::regex("^[1-9][0-9]{0,17}$")))
        throw bad_request("bad_" + name, "参数 " + name + " 应为正整数", name);
    return std::stoll(*v);
}

}  // namespace

void register_patrol_routes(Router& router, App& app) {
    const std::string tag = "巡查路线";
    const std::string json_body = "application/json";

    router.add({"GET", "/api/patrol", "patrol.manage", "本人数据范围内的巡查点、巡查路线与巡查片区", tag,
                [&app](const Request&) { return Response::json(200, patrol::overview(app.pool)); }});

    router.add(
        {"POST",
         "/api/patrol/points",
         "patrol.manage",
         "新增巡查点（在地图上点击，须在本市范围内）",
         tag,
         [&app](const Request& req) { return Response::json(201, patrol::create_point(app.pool, req.json_body())); },
         {},
         json_body});
    router.add({"PUT",
                "/api/patrol/points/{id}",
                "patrol.manage",
                "修改巡查点名称或移动巡查点",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, patrol::update_point(app.pool, patrol_id(req), req.json_body()));
                },
                {},
                json_body});
    router.add({"DELETE", "/api/patrol/points/{id}", "patrol.manage", "删除巡查点（不在任何路线中时）", tag,
                [&app](const Request& req) {
                    patrol::delete_point(app.pool, patrol_id(req));
                    return Response::no_content();
                }});

    router.add(
        {"POST",
         "/api/patrol/routes",
         "patrol.manage",
         "把巡查点按顺序连成巡查路线（至少两个点）",
         tag,
         [&app](const Request& req) { return Response::json(201, patrol::create_route(app.pool, req.json_body())); },
         {},
         json_body});
    router.add({"PUT",
                "/api/patrol/routes/{id}",
                "patrol.manage",
                "修改巡查路线名称或巡查点顺序",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, patrol::update_route(app.pool, patrol_id(req), req.json_body()));
                },
                {},
                json_body});
    router.add(
        {"DELETE", "/api/patrol/routes/{id}", "patrol.manage", "删除巡查路线及其分派", tag, [&app](const Request& req) {
             patrol::delete_route(app.pool, patrol_id(req));
             return Response::no_content();
         }});
    router.add(
        {"GET", "/api/patrol/routes/{id}/assignments", "patrol.manage", "巡查路线分派给哪些执法人员、哪些日期", tag,
         [&app](const Request& req) { return Response::json(200, patrol::assignments(app.pool, patrol_id(req))); }});
    router.add({"POST",
                "/api/patrol/routes/{id}/assignments",
                "patrol.manage",
                "把巡查路线分派给执法人员（日期范围）",
                tag,
                [&app](const Request& req) {
                    return Response::json(201, patrol::assign(app.pool, patrol_id(req), req.json_body()));
                },
                {},
                json_body});

    router.add({"GET",
                "/api/patrol/areas",
                "patrol.manage",
                "查询巡查片区（按名称），含片区内巡查点与路线数",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, patrol::list_areas(app.pool, req.query_value("q").value_or("")));
                },
                {"q"}});
    router.add(
        {"POST",
         "/api/patrol/areas",
         "patrol.manage",
         "新增巡查片区（多边形，不得自相交）",
         tag,
         [&app](const Request& req) { return Response::json(201, patrol::create_area(app.pool, req.json_body())); },
         {},
         json_body});
    router.add({"PUT",
                "/api/patrol/areas/{id}",
                "patrol.manage",
                "修改巡查片区名称或边界",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, patrol::update_area(app.pool, patrol_id(req), req.json_body()));
                },
                {},
                json_body});
    router.add({"DELETE", "/api/patrol/areas/{id}", "patrol.manage", "删除巡查片区", tag, [&app](const Request& req) {
                    patrol::delete_area(app.pool, patrol_id(req));
                    return Response::no_content();
                }});

    router.add({"GET",
                "/api/patrol/progress",
                "patrol.manage",
                "巡查进度：按时间范围、巡查片区、完成情况（已完成红色，未完成绿色）",
                tag,
                [&app](const Request& req) {
                    patrol::ProgressQuery q;
                    q.from = req.query_value("from").value_or("");
                    q.to = req.query_value("to").value_or("");
                    q.area_id = patrol_query_id(req, "area_id");
                    q.status = req.query_value("status").value_or("");
                    return Response::json(200, patrol::progress(app.pool, q));
                },
                {"from", "to", "area_id", "status"}});

    router.add({"GET",
                "/api/patrol/my",
                "job.submit",
                "执法人员当天的巡查路线与打卡情况",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, patrol::my_routes(app.pool, req.query_value("date").value_or("")));
                },
                {"date"}});
    router.add({"POST",
                "/api/patrol/checkins",
                "job.submit",
                "巡查打卡（GPS 位置须在巡查点允许距离内）",
                tag,
                [&app](const Request& req) { return Response::json(201, patrol::checkin(app.pool, req.json_body())); },
                {},
                json_body});
}

}  // namespace twindraw::server
