// Map tiles over HTTP (GIS-2, GIS-4): XYZ PNG tiles from the disk cache with ETag and
// If-None-Match, and the WMTS capabilities document for GDAL and QGIS.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/tile-port.hpp"
#include "tiles/heat-render.hpp"
#include "tiles/tile-service.hpp"
#include "tiles/wmts.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

namespace twindraw::server {

// The part of the cache key that stands for what the viewer may see. Row-level
// security on market_subject filters by the session's data scope, so two viewers share
// cached `objects` tiles only when their scope is the same: everyone with scope "all"
// shares one cache, "district"/"unit_tree"/"unit" viewers share per unit, "self"
// viewers per user. The base layer (division boundaries) is the same for everyone.
// Objects by inspection status read inspection_job, whose rows an inspector also sees
// as a member of the job's group (migration 0013): below scope "all" those tiles are
// cached per user.
std::string tile_scope_key(const std::string& layer, const Principal* who, bool by_status) {
    if (layer == "base" || !who) return "all";
    if (who->data_scope == "all") return "all";
    if (who->data_scope == "self") return "self:" + std::to_string(who->user_id);
    const std::string key =
        (who->data_scope.empty() ? std::string("none") : who->data_scope) + ":" + std::to_string(who->unit_id);
    return by_status ? key + ":user:" + std::to_string(who->user_id) : key;
}

void register_tile_routes(Router& router, App& app) {
    auto service = std::make_shared<tiles::TileService>(app.pool, std::filesystem::path(app.data_dir) / "tiles");
    app.tiles = service;
    if (app.signals) app.signals->add_tiles(service);

    std::vector<std::string> filter_params;
    for (const auto& l : tiles::layers())
        for (const auto& f : l.filters)
            if (std::find(filter_params.begin(), filter_params.end(), f) == filter_params.end())
                filter_params.push_back(f);

    router.add({"GET", "/tiles/{layer}/{z}/{x}/{y}.png", "registry.read",
                "地图瓦片（Web 墨卡托 XYZ，256 像素 PNG）：base 行政区划底图，objects 市场主体按风险等级"
                "（by=status 时按 year 年度的检查状态：未列入抽查、已抽中待检查、已检查未发现问题、已检查发现问题），"
                "results 检查结果按类别，heat 检查热力图，patrol 巡查路线与巡查点（已完成红、未完成绿）；筛选参数 risk（1-4，逗号分隔）、division（区划代码）、"
                "year（年度）、department（部门编号）、task（任务编号）、category（结果类别编码，逗号分隔）、"
                "what（inspections 或 problems）、date（巡查日期 YYYY-MM-DD）、by（risk 或 status）",
                "地图",
                [service](const Request& req) {
                    const auto& info = tiles::layer_info(req.params.at("layer"));
                    const auto tile = tiles::parse_tile(req.params.at("z"), req.params.at("x"), req.params.at("y"));
                    const auto filters = tiles::parse_filters(info, req.query);
                    auto t = service->get(info.name, tile, filters,
                                          tile_scope_key(info.name, req.principal ? &*req.principal : nullptr,
                                                         filters.by == "status"));
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

    // Legend data of the map page: the layers, the colour of each result category (labels
    // from the dictionary check_result) and the heat ramp.
    router.add({"GET", "/api/map/legend", "registry.read",
                "地图图例：图层及其筛选参数、市场主体按风险等级与按检查状态的颜色、检查结果类别颜色（标签取自数据字典）、热力图色带",
                "地图",
                [&app](const Request&) {
                    nlohmann::json layers = nlohmann::json::array();
                    for (const auto& l : tiles::layers())
                        layers.push_back({{"name", l.name}, {"title", l.title}, {"filters", l.filters}});
                    std::map<std::string, std::string> labels;
                    pg::with_read(app.pool, "map-legend", [&](pqxx::transaction_base& tx) {
                        for (const auto& row : pg::exec(tx,
                                                        "SELECT e.code, e.label FROM dict_entry e JOIN dict_category c"
                                                        " ON c.id = e.category_id WHERE c.code = 'check_result'"
                                                        " ORDER BY e.sort_order, e.code"))
                            labels[row[0].as<std::string>()] = row[1].as<std::string>();
                    });
                    nlohmann::json categories = nlohmann::json::array();
                    for (const auto& c : tiles::result_palette()) {
                        auto it = labels.find(c.code);
                        categories.push_back({{"code", c.code},
                                              {"label", it == labels.end() ? std::string(c.code) : it->second},
                                              {"colour", c.colour}});
                    }
                    for (const auto& [code, label] : labels)
                        if (!tiles::result_kind(code))
                            categories.push_back({{"code", code}, {"label", label}, {"colour", tiles::kOtherCategoryColour}});
                    nlohmann::json stops = nlohmann::json::array();
                    for (const auto& s : tiles::heat::ramp()) {
                        char rgba[40];
                        std::snprintf(rgba, sizeof rgba, "rgba(%d,%d,%d,%.2f)", s.r, s.g, s.b, s.a / 255.0);
                        stops.push_back({{"t", s.t}, {"colour", rgba}});
                    }
                    auto subject_colours = [](const std::vector<tiles::SubjectColour>& palette) {
                        nlohmann::json out = nlohmann::json::array();
                        for (const auto& c : palette)
                            out.push_back({{"code", c.code}, {"label", c.label}, {"colour", c.colour}});
                        return out;
                    };
                    return Response::json(
                        200, {{"layers", layers},
                              {"objects",
                               {{"by", {{{"value", "risk"}, {"label", "按风险等级"}},
                                        {{"value", "status"}, {"label", "按检查状态"}}}},
                                {"risk", subject_colours(tiles::risk_palette())},
                                {"status", subject_colours(tiles::status_palette())}}},
                              {"results", {{"categories", categories}}},
                              {"heat",
                               {{"what", {{{"value", "inspections"}, {"label", "检查"}},
                                          {{"value", "problems"}, {"label", "发现问题"}}}},
                                {"stops", stops},
                                {"scale", "对数色阶，每级缩放固定归一化（z12 时核密度 200 为满色，每缩小一级 ×4）"}}}});
                }});

    // Where the pages load tiles from: the tile port (`serve --tile-port`) on the host the
    // page was served from, when one is open and the page came over plain HTTP (the tile
    // port speaks no TLS); otherwise "" (this port). Both answer the same tiles.
    router.add({"GET", "/api/map/tile-base", "authenticated",
                "地图瓦片地址：服务开启瓦片端口时返回该端口的地址（页面从此加载 /tiles/），否则为空（本端口）", "地图",
                [&app](const Request& req) {
                    std::string base;
                    const std::string host = req.header("host").value_or("");
                    const bool tls = req.header("x-forwarded-proto").value_or("") == "https";
                    // host[:port] or [v6]:port; only host-name characters are echoed back.
                    std::string name = host;
                    if (!name.empty() && name.front() == '[') {
                        const auto close = name.find(']');
                        name = close == std::string::npos ? std::string() : name.substr(0, close + 1);
                    } else if (const auto colon = name.find(':'); colon != std::string::npos) {
                        name = name.substr(0, colon);
                    }
                    const bool plain = !name.empty() && name.size() <= 255 &&
                                       name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789.-[]:") == std::string::npos;
                    if (app.tile_port > 0 && !tls && plain)
                        base = "http://" + name + ":" + std::to_string(app.tile_port);
                    return Response::json(200, {{"base", base},
                                                {"tile_port", app.tile_port > 0 ? nlohmann::json(app.tile_port)
                                                                                : nlohmann::json(nullptr)}});
                }});

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
