#include "workflows/ogc-export.hpp"

#include "geo/error.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdal_utils.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace twindraw::ogc {

namespace {

Error failed(const std::string& what) {
    return {Error::Kind::Internal, "export_failed", "导出失败（" + what + "）"};
}

struct Format {
    const char* driver;
    const char* ext;
    const char* media;
};

const Format& format_of(const std::string& format) {
    static const Format geojson{"GeoJSON", ".geojson", "application/geo+json"};
    static const Format gpkg{"GPKG", ".gpkg", "application/geopackage+sqlite3"};
    // LIBKML as in geo/ogr-writer.cpp: the feature's "name" becomes the placemark's name.
    static const Format kml{"LIBKML", ".kml", "application/vnd.google-earth.kml+xml"};
    if (format == "geojson") return geojson;
    if (format == "gpkg") return gpkg;
    if (format == "kml") return kml;
    throw bad_request("bad_format", "不支持的导出格式：" + format.substr(0, 20) + "（可选 geojson、gpkg、kml）",
                      "format");
}

// A /vsimem/ file removed with the object.
struct MemFile {
    std::string path;
    explicit MemFile(std::string p) : path(std::move(p)) {}
    ~MemFile() { VSIUnlink(path.c_str()); }
};

}  // namespace

std::string export_media_type(const std::string& format) {
    return format_of(format).media;
}

std::string export_filename(const Collection& c, const std::string& format) {
    return c.title + format_of(format).ext;
}

std::string export_collection(pg::Pool& pool, const Collection& c, const std::string& format, long long limit) {
    const Format& fmt = format_of(format);
    ItemsQuery q;
    q.limit = limit + 1;
    auto page = items(pool, c, q);
    if (page.matched > limit)
        throw Error(Error::Kind::TooLarge, "export_too_large",
                    "要素有 " + std::to_string(page.matched) + " 个，超过导出上限 " + std::to_string(limit) + " 个");
    nlohmann::json fc = {{"type", "FeatureCollection"}, {"name", c.id}, {"features", page.features}};
    std::string geojson = fc.dump();
    if (format == "geojson") return geojson;

    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
    static std::atomic<long long> serial{0};
    const long long n = serial++;
    MemFile in("/vsimem/twindraw-ogc-in-" + std::to_string(n) + ".geojson");
    MemFile out("/vsimem/twindraw-ogc-out-" + std::to_string(n) + fmt.ext);
    VSILFILE* fp = VSIFileFromMemBuffer(in.path.c_str(), reinterpret_cast<GByte*>(geojson.data()),
                                        static_cast<vsi_l_offset>(geojson.size()), FALSE);
    if (!fp) throw failed("无法创建临时文件");
    VSIFCloseL(fp);

    const char* drivers[] = {"GeoJSON", nullptr};
    GDALDatasetH src = GDALOpenEx(in.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr);
    if (!src) throw failed(CPLGetLastErrorMsg());
    std::vector<std::string> args = {"-f", fmt.driver, "-nln", c.id, "-a_srs", "EPSG:4326"};
    if (c.geometry == "Point") args.insert(args.end(), {"-nlt", "POINT"});
    if (c.geometry == "LineString") args.insert(args.end(), {"-nlt", "LINESTRING"});
    if (format == "gpkg") args.push_back("-preserve_fid");  // the feature ids of /ogc stay the rows' fid
    CPLStringList argv;
    for (const auto& a : args) argv.AddString(a.c_str());
    GDALVectorTranslateOptions* opts = GDALVectorTranslateOptionsNew(argv.List(), nullptr);
    int usage_error = 0;
    CPLErrorReset();
    GDALDatasetH dst = GDALVectorTranslate(out.path.c_str(), nullptr, 1, &src, opts, &usage_error);
    GDALVectorTranslateOptionsFree(opts);
    GDALClose(src);
    if (!dst) throw failed(CPLGetLastErrorMsg());
    GDALClose(dst);
    vsi_l_offset len = 0;
    GByte* buf = VSIGetMemFileBuffer(out.path.c_str(), &len, FALSE);
    if (!buf) throw failed("无法读取导出结果");
    return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
}

}  // namespace twindraw::ogc
