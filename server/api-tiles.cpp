// Map tiles over HTTP (GIS-2, GIS-4): XYZ PNG tiles from the disk cache with ETag and
// If-None-Match, and the WMTS capabilities document for GDAL and QGIS.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "tiles/tile-service.hpp"
#include "tiles/wmts.hpp"

#include <filesystem>
#include <memory>

namespace twindraw::server {

namespace {

// The part of the cache key that stands for what the viewer may see. Row-level
// security on market_subject filters by the session's data scope, so two viewers share
// cached `objects` tiles only when their scope is the same: everyone with scope "all"
// shares one cache, "district"/"unit_tree"/"unit" viewers share per unit, "self"
// viewers per user. The base layer (division boundaries) is the same for everyone.
std::string scope_key(const std::string& layer, const std::optional<Principal>& who) {
    if (layer == "base" || !who) return "all";
    if (who->data_scope == "all") return "all";
    if (who->data_scope == "self") return "self:" + std::to_string(who->user_id);
    return (who->data_scope.empty() ? std::string("none") : who->data_scope) + ":" + std::to_string(who->unit_id);
}

}  // namespace

void register_tile_routes(Router& router, App& app) {
    auto service = std::make_shared<tiles::TileService>(app.pool, std::filesystem::path(app.data_dir) / "tiles");

    std::vector<std::string> filter_params;
    for (const auto& l : tiles::layers())
        for (const auto& f : l.filters)
            if (std::find(filter_params.begin(), filter_params.end(), f) == filter_params.end())
                filter_params.push_back(f);

    router.add({"GET", "/tiles/{layer}/{z}/{x}/{y}.png", "registry.read",
                "地图瓦片（Web 墨卡托 XYZ，256 像素 PNG）：base 行政区划底图，objects 市场主体按风险等级；"
                "筛选参数 risk（1-4，逗号分隔）、division（区划代码）",
                "地图",
                [service](const Request& req) {
                    const auto& info = tiles::layer_info(req.params.at("layer"));
                    const auto tile = tiles::parse_tile(req.params.at("z"), req.params.at("x"), req.params.at("y"));
                    const auto filters = tiles::parse_filters(info, req.query);
                    auto t = service->get(info.name, tile, filters, scope_key(info.name, req.principal));
                    Response r;
                    r.headers.emplace_back("ETag", t.etag);
                    r.headers.emplace_back("Cache-Control", "private, no-cache");
                    if (auto sent = req.header("if-none-match"); sent && *sent == t.etag) {
                        r.status = 304;
                        r.content_type = "image/png";
                        return r;
                    }
                    r.body = std::move(t.png);
                    r.content_type = "image/png";
                    return r;
                },
                filter_params});

    router.add({"GET", "/wmts/1.0.0/WMTSCapabilities.xml", "registry.read",
                "WMTS 1.0.0 服务能力文档（GoogleMapsCompatible 瓦片矩阵集），供 GDAL、QGIS 打开地图图层", "地图",
                [](const Request& req) {
                    const std::string host = req.header("host").value_or("127.0.0.1");
                    const std::string scheme = req.header("x-forwarded-proto").value_or("http") == "https" ? "https" : "http";
                    Response r;
                    r.body = tiles::wmts_capabilities(scheme + "://" + host);
                    r.content_type = "application/xml; charset=utf-8";
                    return r;
                }});
}

}  // namespace twindraw::server
