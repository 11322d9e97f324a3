// Navigation for inspectors over HTTP (issue 5): today's targets of the signed-in
// inspector in visiting order from the phone's position, with the route and the 导航
// links (job.submit, the inspectors' permission).
#include "server/app.hpp"
#include "workflows/navigation.hpp"

namespace twindraw::server {

void register_navigation_routes(Router& router, App& app) {
    router.add(
        {"GET",
         "/api/navigation/my-targets",
         "job.submit",
         "执法人员今日目标（本人待办检查作业的对象与今日巡查点）按最短行程排序，含路线、总距离与高德/百度/腾讯导航链接",
         "导航",
         [&app](const Request& req) {
             const auto start = navigation::parse_start(req.query_value("lat"), req.query_value("lon"));
             return Response::json(200, navigation::my_targets(app.pool, start));
         },
         {"lat", "lon"}});
}

}  // namespace twindraw::server
