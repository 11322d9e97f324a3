// Unlicensed business over HTTP (无照经营, NET-1): the list filtered by time found,
// district, status and keyword, its Excel export, one record, recording (inspectors from
// the phone with GPS, supervisors on the map: unlicensed.record), evidence photos as raw
// request bodies, and the status (unlicensed.handle). Reading needs unlicensed.read; the
// data scope is row-level security (0026).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/unlicensed.hpp"

#include <regex>

namespace twindraw::server {

namespace {

constexpr long long kExportLimit = 100000;
const char* kXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

unlicensed::Filter filter_of(const Request& req) {
    unlicensed::Filter f;
    f.from = params::query_text(req, "from");
    f.to = params::query_text(req, "to");
    f.division_code = params::query_text(req, "division_code");
    f.status = params::query_text(req, "status");
    f.q = params::query_text(req, "q");
    f.page = params::query_int(req, "page", 1, 1, 1000000);
    f.page_size = params::query_int(req, "page_size", 20, 1, 200);
    // The phone's position for distances and 导航 links: both or neither, decimal degrees.
    const auto lon = req.query_value("lon").value_or(""), lat = req.query_value("lat").value_or("");
    if (!lon.empty() || !lat.empty()) {
        static const std::regex num("^-?[0-9]{1,3}(\\.[0-9]{1,12})?$");
        if (!std::regex_match(lon, num) || !std::regex_match(lat, num))
            throw bad_request("bad_position", "当前位置应同时给出经度 lon 和纬度 lat（十进制度）", "lon");
        f.from_lonlat = std::make_pair(std::stod(lon), std::stod(lat));
    }
    return f;
}

}  // namespace

void register_unlicensed_routes(Router& router, App& app) {
    const std::string tag = "无照经营";
    const std::vector<std::string> filters = {"from", "to", "division_code", "status", "q"};
    std::vector<std::string> list_q = filters;
    list_q.insert(list_q.end(), {"page", "page_size", "lon", "lat"});

    router.add({"GET", "/api/unlicensed", "unlicensed.read",
                "无照经营记录：按发现时间范围（from/to）、区划、状态、关键字筛选，分页；points 为地图上的全部点；给出 "
                "lon/lat（手机位置）时每条带距离与导航链接",
                tag,
                [&app](const Request& req) { return Response::json(200, unlicensed::list(app.pool, filter_of(req))); },
                list_q});
    router.add(
        {"GET", "/api/unlicensed/export.xlsx", "unlicensed.read", "按当前筛选条件把无照经营记录导出为 Excel", tag,
         [&app](const Request& req) {
             auto f = filter_of(req);
             std::string name = "无照经营";
             if (!f.from.empty() || !f.to.empty()) name += "-" + f.from + "至" + f.to;
             return Response::download(unlicensed::export_xlsx(app.pool, f, kExportLimit), kXlsx, name + ".xlsx");
         },
         filters});
    router.add(
        {"GET", "/api/unlicensed/{id}", "unlicensed.read", "一条无照经营记录及其照片", tag,
         [&app](const Request& req) { return Response::json(200, unlicensed::get(app.pool, params::path_id(req))); }});
    router.add({"POST",
                "/api/unlicensed",
                "unlicensed.record",
                "录入无照经营（位置须在本市、本人管辖范围内；手机 GPS 定位或地图点选）",
                tag,
                [&app](const Request& req) {
                    return Response::json(201, unlicensed::create(app.pool, params::body_object(req)));
                },
                {},
                "application/json"});
    router.add({"POST",
                "/api/unlicensed/{id}/status",
                "unlicensed.handle",
                "更新无照经营处置状态：登记 → 处置中 → 已取缔 / 已办照",
                tag,
                [&app](const Request& req) {
                    return Response::json(
                        200, unlicensed::set_status(app.pool, params::path_id(req), params::body_object(req)));
                },
                {},
                "application/json"});
    router.add({"POST",
                "/api/unlicensed/{id}/photos",
                "unlicensed.record",
                "上传无照经营现场取证照片（JPEG 或 PNG），请求体为图片原始内容",
                tag,
                [&app](const Request& req) {
                    return Response::json(
                        201, unlicensed::add_photo(app.pool, app.data_dir, params::path_id(req),
                                                   req.query_value("filename").value_or(""), req.body,
                                                   std::min<size_t>(app.max_upload_bytes, 10u * 1024u * 1024u)));
                },
                {"filename"},
                "application/octet-stream",
                10u * 1024u * 1024u});  // the route's own limit, checked before the body is read
    router.add({"GET", "/api/unlicensed-photos/{id}", "unlicensed.read", "下载无照经营现场照片", tag,
                [&app](const Request& req) {
                    auto p = unlicensed::get_photo(app.pool, app.data_dir, params::path_id(req));
                    return Response::download(std::move(p.bytes), p.content_type, p.filename);
                }});
}

}  // namespace twindraw::server
