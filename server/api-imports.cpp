// Batch import (BASE-1) and exports (BASE-1..4, GIS-4) over HTTP:
//   POST /api/imports?kind=subjects&crs=wgs84&filename=a.csv   raw body → 202 job
//   GET  /api/imports, /api/imports/{id}, /api/imports/{id}/report.xlsx
//   GET  /api/{entity}/export.xlsx?<list filters>
//   GET  /api/objects/export?kind=subjects&format=geojson|gpkg|kml&division_code=
#include "server/app.hpp"
#include "geo/zip-guard.hpp"
#include "server/import-queue.hpp"
#include "workflows/export-objects.hpp"
#include "workflows/registry-repo.hpp"
#include "workflows/registry-export.hpp"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace twindraw::server {

registry::ListQuery list_query(const Request& req);  // api-registry.cpp

namespace {

constexpr const char* kXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr long long kExportRowLimit = 200000;

long long job_id(const Request& req) {
    const std::string& id = req.params.at("id");
    if (!std::regex_match(id, std::regex("^[1-9][0-9]{0,17}$"))) throw bad_request("bad_id", "编号格式不正确");
    return std::stoll(id);
}

// Upload media types accepted for imports; anything else is 415.
bool accepted_media_type(std::string type) {
    static const std::set<std::string> ok = {
        "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", kXlsx,
        "application/geo+json", "application/json", "application/zip", "application/x-zip-compressed",
        "application/geopackage+sqlite3", "application/x-sqlite3", "application/octet-stream"};
    type = type.substr(0, type.find(';'));
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    return ok.count(type) > 0;
}

std::string random_name() {
    unsigned char bytes[16];
    randombytes_buf(bytes, sizeof bytes);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    return hex;
}

}  // namespace

void register_import_routes(Router& router, App& app) {
    if (sodium_init() < 0) throw Error(Error::Kind::Internal, "sodium", "libsodium could not initialise");
    router.add({"POST", "/api/imports", "registry.import", "批量导入（请求体为文件原始内容）", "批量导入",
                [&app](const Request& req) {
                    std::string type = req.header("content-type").value_or("application/octet-stream");
                    if (!accepted_media_type(type))
                        throw Error(Error::Kind::Unsupported, "bad_media_type",
                                    "不支持的文件类型，请上传 CSV、XLSX、GeoJSON、Shapefile（zip）或 GeoPackage 文件");
                    if (req.body.size() > app.max_upload_bytes)
                        throw Error(Error::Kind::TooLarge, "file_too_large",
                                    "文件过大（上限 " + std::to_string(app.max_upload_bytes / 1024 / 1024) + " MB）");
                    // A ZIP-based file (XLSX, zipped Shapefile) is bounded now, so that a
                    // compression bomb is refused to the uploader and never reaches GDAL;
                    // the import reader checks again (the CLI does not come this way).
                    if (zipguard::is_zip(req.body)) zipguard::check(req.body);
                    import::ImportOptions opt;
                    opt.kind = req.query_value("kind").value_or("subjects");
                    opt.crs = req.query_value("crs").value_or("wgs84");
                    opt.format = req.query_value("format").value_or("");
                    opt.filename = req.query_value("filename").value_or("upload");
                    if (opt.filename.size() > 200) throw bad_request("bad_filename", "文件名过长", "filename");
                    opt.max_bytes = app.max_upload_bytes;
                    if (auto m = req.query_value("mapping")) {
                        if (m->size() > 64 * 1024) throw bad_request("bad_mapping", "列映射过长", "mapping");
                        nlohmann::json j;
                        try {
                            j = parse_json_object(*m, "mapping");
                        } catch (const Error&) {
                            throw bad_request("bad_mapping", "列映射应为 JSON 对象（表头→字段）", "mapping");
                        }
                        for (auto it = j.begin(); it != j.end(); ++it) {
                            if (!it->is_string()) throw bad_request("bad_mapping", "列映射的值应为字段名", "mapping");
                            opt.mapping[it.key()] = it->get<std::string>();
                        }
                    }
                    long long id = import::create_job(app.pool, opt);
                    // The upload keeps its extension so that OGR picks the right driver.
                    std::string ext = std::filesystem::path(opt.filename).extension().string();
                    if (!std::regex_match(ext, std::regex("^\\.[A-Za-z0-9]{1,8}$"))) ext.clear();
                    std::filesystem::path dir = std::filesystem::path(app.data_dir) / "uploads";
                    std::filesystem::create_directories(dir);
                    std::filesystem::path file = dir / (random_name() + ext);
                    {
                        std::ofstream out(file, std::ios::binary);
                        out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
                        if (!out) throw Error(Error::Kind::Internal, "upload_write", "cannot store upload");
                    }
                    app.imports->submit(id, file.string(), opt);
                    return Response::json(202, import::get_job(app.pool, id).to_json());
                },
                {"kind", "crs", "format", "filename", "mapping"}, "application/octet-stream"});

    router.add({"GET", "/api/imports", "registry.import", "导入任务列表", "批量导入", [&app](const Request&) {
                    nlohmann::json items = nlohmann::json::array();
                    for (const auto& s : import::list_jobs(app.pool)) items.push_back(s.to_json());
                    return Response::json(200, {{"items", items}});
                }});

    router.add({"GET", "/api/imports/{id}", "registry.import", "导入进度与错误行（前200条）", "批量导入",
                [&app](const Request& req) {
                    long long id = job_id(req);
                    nlohmann::json j = import::get_job(app.pool, id).to_json();
                    nlohmann::json errors = nlohmann::json::array();
                    for (const auto& e : import::list_errors(app.pool, id, 200))
                        errors.push_back({{"row_no", e.row_no}, {"field", e.field}, {"code", e.code}, {"message", e.message}});
                    j["errors"] = errors;
                    return Response::json(200, j);
                }});

    router.add({"GET", "/api/imports/{id}/report.xlsx", "registry.import", "下载导入错误报告（Excel）", "批量导入",
                [&app](const Request& req) {
                    long long id = job_id(req);
                    return Response::download(import::report_xlsx(app.pool, id), kXlsx,
                                              "导入错误报告-" + std::to_string(id) + ".xlsx");
                }});

    router.add({"GET", "/api/objects/export", "registry.read", "导出检查对象为 GIS 文件（GeoJSON/GPKG/KML）", "批量导入",
                [&app](const Request& req) {
                    std::string kind = req.query_value("kind").value_or("subjects");
                    std::string format = req.query_value("format").value_or("geojson");
                    std::optional<std::string> division = req.query_value("division_code");
                    if (division && division->empty()) division.reset();
                    static const std::map<std::string, std::string> types = {
                        {"geojson", "application/geo+json"},
                        {"gpkg", "application/geopackage+sqlite3"},
                        {"kml", "application/vnd.google-earth.kml+xml"}};
                    auto bytes = exporting::export_objects(app.pool, kind, format, division);
                    return Response::download(std::move(bytes), types.at(format),
                                              exporting::export_filename(kind, format, division));
                },
                {"kind", "format", "division_code"}});

    router.add({"GET", "/api/{entity}/export.xlsx", "registry.read", "按当前筛选条件导出 Excel", "基础信息",
                [&app](const Request& req) {
                    const auto* e = registry::find_entity(req.params.at("entity"));
                    if (!e) throw not_found("没有这类数据");
                    return Response::download(registry::export_xlsx(app.pool, *e, list_query(req), kExportRowLimit),
                                              kXlsx, e->label + ".xlsx");
                },
                {"q", "sort", "order"}});
}

}  // namespace twindraw::server
