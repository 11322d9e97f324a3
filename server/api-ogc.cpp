// OGC API – Features at /ogc (Part 1 core + GeoJSON; GIS-4): landing page, conformance,
// collections, items with bbox and limit/offset paging, one item. GDAL's OAPIF driver
// and QGIS read it with a bearer token; permission registry.read; the data scope of the
// caller applies (workflows/ogc-features.cpp reads inside the request's transaction).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/ogc-export.hpp"
#include "workflows/ogc-features.hpp"

#include <regex>

namespace twindraw::server {

namespace {

using nlohmann::json;

const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

// The address the client used, for absolute links (GDAL follows them as given).
std::string ogc_base(const Request& req) {
    std::string host = req.header("host").value_or("127.0.0.1:8080");
    if (!std::regex_match(host, std::regex("^[A-Za-z0-9.\\-:\\[\\]]{1,100}$"))) host = "127.0.0.1:8080";
    const std::string scheme = req.header("x-forwarded-proto").value_or("http") == "https" ? "https" : "http";
    return scheme + "://" + host + "/ogc";
}

json link(const std::string& href, const std::string& rel, const std::string& type, const std::string& title = {}) {
    json l = {{"href", href}, {"rel", rel}, {"type", type}};
    if (!title.empty()) l["title"] = title;
    return l;
}

json collection_json(App& app, const std::string& base, const ogc::Collection& c) {
    json out = {{"id", c.id},
                {"title", c.title},
                {"description", c.description},
                {"itemType", "feature"},
                {"crs", {kCrs84}},
                {"links",
                 {link(base + "/collections/" + c.id, "self", "application/json", c.title),
                  link(base + "/collections/" + c.id + "/items", "items", "application/geo+json", c.title)}}};
    if (auto e = ogc::extent(app.pool, c))
        out["extent"] = {{"spatial", {{"bbox", {{(*e)[0], (*e)[1], (*e)[2], (*e)[3]}}}, {"crs", kCrs84}}}};
    return out;
}

// Unlicensed businesses (NET-1) are read with unlicensed.read besides registry.read: a role
// without it neither lists nor reads that collection.
bool may_read(const Request& req, const ogc::Collection& c) {
    return c.id != "unlicensed_business" || (req.principal && req.principal->has("unlicensed.read"));
}

const ogc::Collection& readable_collection(const Request& req, const std::string& id) {
    const auto& c = ogc::collection(id);
    if (!may_read(req, c)) throw forbidden("forbidden", "没有权限查看无照经营要素（需要“查看无照经营”权限）");
    return c;
}

Response geojson(int status, const json& body) {
    auto r = Response::json(status, body);
    r.content_type = "application/geo+json";
    return r;
}

}  // namespace

void register_ogc_routes(Router& router, App& app) {
    const std::string tag = "OGC API Features";

    router.add({"GET",
                "/ogc",
                "registry.read",
                "OGC API – Features 服务首页（供 GDAL、QGIS 读取要素）",
                tag,
                [](const Request& req) {
                    const auto base = ogc_base(req);
                    const auto root = base.substr(0, base.size() - 4);
                    return Response::json(
                        200, {{"title", "TwinDraw 要素服务"},
                              {"description", "市场主体、巡查点与巡查路线（WGS84，GeoJSON）"},
                              {"links",
                               {link(base, "self", "application/json", "本页"),
                                link(root + "/api/openapi.json", "service-desc",
                                     "application/vnd.oai.openapi+json;version=3.0", "接口描述"),
                                link(base + "/conformance", "conformance", "application/json", "符合的标准"),
                                link(base + "/collections", "data", "application/json", "要素集合")}}});
                },
                {"f"}});

    router.add({"GET",
                "/ogc/conformance",
                "registry.read",
                "OGC API – Features 符合性声明",
                tag,
                [](const Request&) {
                    return Response::json(200, {{"conformsTo",
                                                 {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                                                  "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"}}});
                },
                {"f"}});

    router.add({"GET",
                "/ogc/collections",
                "registry.read",
                "要素集合列表（市场主体、巡查点、巡查路线）",
                tag,
                [&app](const Request& req) {
                    const auto base = ogc_base(req);
                    json list = json::array();
                    for (const auto& c : ogc::collections())
                        if (may_read(req, c)) list.push_back(collection_json(app, base, c));
                    return Response::json(200, {{"links", {link(base + "/collections", "self", "application/json")}},
                                                {"collections", list}});
                },
                {"f"}});

    router.add({"GET",
                "/ogc/collections/{collectionId}",
                "registry.read",
                "一个要素集合的描述与范围",
                tag,
                [&app](const Request& req) {
                    const auto& c = readable_collection(req, req.params.at("collectionId"));
                    return Response::json(200, collection_json(app, ogc_base(req), c));
                },
                {"f"}});

    router.add({"GET",
                "/ogc/collections/{collectionId}/items",
                "registry.read",
                "要素（GeoJSON），按 bbox（经纬度）筛选，limit/offset 分页",
                tag,
                [&app](const Request& req) {
                    const auto& c = readable_collection(req, req.params.at("collectionId"));
                    const auto q = ogc::parse_items_query(req.query_value("bbox").value_or(""),
                                                          req.query_value("limit").value_or(""),
                                                          req.query_value("offset").value_or(""));
                    auto page = ogc::items(app.pool, c, q);
                    const auto items_url = ogc_base(req) + "/collections/" + c.id + "/items";
                    std::string fixed = "?limit=" + std::to_string(q.limit);
                    if (auto b = req.query_value("bbox"); b && !b->empty()) fixed += "&bbox=" + *b;
                    const long long returned = static_cast<long long>(page.features.size());
                    json links = {
                        link(items_url + fixed + "&offset=" + std::to_string(q.offset), "self", "application/geo+json"),
                        link(ogc_base(req) + "/collections/" + c.id, "collection", "application/json")};
                    if (q.offset + returned < page.matched)
                        links.push_back(link(items_url + fixed + "&offset=" + std::to_string(q.offset + returned),
                                             "next", "application/geo+json", "下一页"));
                    if (q.offset > 0)
                        links.push_back(
                            link(items_url + fixed + "&offset=" + std::to_string(std::max(0LL, q.offset - q.limit)),
                                 "prev", "application/geo+json", "上一页"));
                    return geojson(200, {{"type", "FeatureCollection"},
                                         {"features", page.features},
                                         {"numberMatched", page.matched},
                                         {"numberReturned", returned},
                                         {"links", links}});
                },
                {"bbox", "limit", "offset", "f"}});

    router.add({"GET",
                "/ogc/collections/{collectionId}/items/{featureId}",
                "registry.read",
                "一个要素（GeoJSON）",
                tag,
                [&app](const Request& req) {
                    const auto& c = readable_collection(req, req.params.at("collectionId"));
                    auto f = ogc::item(app.pool, c, req.params.at("featureId"));
                    const auto base = ogc_base(req) + "/collections/" + c.id;
                    f["links"] = {link(base + "/items/" + req.params.at("featureId"), "self", "application/geo+json"),
                                  link(base, "collection", "application/json")};
                    return geojson(200, f);
                },
                {"f"}});

    // Export of a whole collection as a GIS file (GIS-4, issue 5: "export of the same to
    // GeoJSON, KML and GPKG"), in the caller's data scope.
    router.add({"GET",
                "/ogc/collections/{collectionId}/export",
                "registry.read",
                "把一个要素集合导出为 GIS 文件（format=geojson|gpkg|kml），限本人数据范围",
                tag,
                [&app](const Request& req) {
                    const auto& c = readable_collection(req, req.params.at("collectionId"));
                    const std::string format = req.query_value("format").value_or("geojson");
                    auto bytes = ogc::export_collection(app.pool, c, format, 200000);
                    return Response::download(std::move(bytes), ogc::export_media_type(format),
                                              ogc::export_filename(c, format));
                },
                {"format"}});
}

}  // namespace twindraw::server
