#include "geo/ogr-writer.hpp"

#include "geo/error.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <atomic>
#include <mutex>

namespace twindraw::ogr {

namespace {

Error failed(const std::string& what) {
    return {Error::Kind::Internal, "export_failed", "导出失败（" + what + "）"};
}

struct FormatInfo {
    const char* driver;
    const char* ext;
    const char* media;
};

const FormatInfo& info(const std::string& format) {
    static const FormatInfo geojson{"GeoJSON", ".geojson", "application/geo+json"};
    static const FormatInfo gpkg{"GPKG", ".gpkg", "application/geopackage+sqlite3"};
    // LIBKML, not KML: GDAL 3.6's KML writer shifts attributes when NameField is set.
    static const FormatInfo kml{"LIBKML", ".kml", "application/vnd.google-earth.kml+xml"};
    if (format == "geojson") return geojson;
    if (format == "gpkg") return gpkg;
    if (format == "kml") return kml;
    throw bad_request("bad_format", "不支持的导出格式：" + format.substr(0, 20) + "（可选 geojson、gpkg、kml）", "format");
}

}  // namespace

struct Writer::Impl {
    std::string path;
    GDALDataset* ds = nullptr;
    OGRLayer* layer = nullptr;
    std::vector<OutField> fields;
    long long count = 0;
    bool transaction = false;
    std::string kml_name_field;  // LIBKML reads it as a configuration option per feature

    ~Impl() {
        if (ds) GDALClose(ds);
        if (!path.empty()) VSIUnlink(path.c_str());
    }
};

Writer::Writer(const std::string& format, const std::string& layer_name, const std::vector<OutField>& fields,
               const std::string& name_field)
    : impl_(std::make_unique<Impl>()) {
    const FormatInfo& fi = info(format);
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
    static std::atomic<long long> serial{0};
    impl_->path = "/vsimem/twindraw-export-" + std::to_string(serial++) + fi.ext;
    impl_->fields = fields;

    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(fi.driver);
    if (!drv) throw failed(std::string("缺少 GDAL 驱动 ") + fi.driver);
    if (format == "kml") impl_->kml_name_field = name_field;
    impl_->ds = drv->Create(impl_->path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!impl_->ds) throw failed(CPLGetLastErrorMsg());

    OGRSpatialReference wgs84;
    wgs84.importFromEPSG(4326);
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::vector<const char*> lco;
    if (format == "geojson") lco = {"RFC7946=YES", "WRITE_NAME=YES"};
    lco.push_back(nullptr);
    impl_->layer = impl_->ds->CreateLayer(layer_name.c_str(), &wgs84, wkbPoint, const_cast<char**>(lco.data()));
    if (!impl_->layer) throw failed(CPLGetLastErrorMsg());
    for (const auto& f : fields) {
        OGRFieldType t = f.kind == FieldKind::Integer ? OFTInteger64 : f.kind == FieldKind::Real ? OFTReal : OFTString;
        OGRFieldDefn d(f.name.c_str(), t);
        if (impl_->layer->CreateField(&d) != OGRERR_NONE) throw failed(CPLGetLastErrorMsg());
    }
    // One transaction for all features: GeoPackage inserts are otherwise one commit each.
    impl_->transaction = impl_->ds->TestCapability(ODsCTransactions) && impl_->ds->StartTransaction() == OGRERR_NONE;
}

Writer::~Writer() = default;

void Writer::add(const std::vector<std::optional<std::string>>& values, std::optional<std::pair<double, double>> lonlat) {
    OGRFeature feat(impl_->layer->GetLayerDefn());
    for (size_t i = 0; i < values.size() && i < impl_->fields.size(); ++i) {
        int idx = static_cast<int>(i);
        if (!values[i]) {
            feat.SetFieldNull(idx);
        } else if (impl_->fields[i].kind == FieldKind::Integer) {
            feat.SetField(idx, static_cast<GIntBig>(std::stoll(*values[i])));
        } else if (impl_->fields[i].kind == FieldKind::Real) {
            feat.SetField(idx, std::stod(*values[i]));
        } else {
            feat.SetField(idx, values[i]->c_str());
        }
    }
    if (lonlat) feat.SetGeometry(std::make_unique<OGRPoint>(lonlat->first, lonlat->second).get());
    if (!impl_->kml_name_field.empty()) CPLSetThreadLocalConfigOption("LIBKML_NAME_FIELD", impl_->kml_name_field.c_str());
    OGRErr err = impl_->layer->CreateFeature(&feat);
    if (!impl_->kml_name_field.empty()) CPLSetThreadLocalConfigOption("LIBKML_NAME_FIELD", nullptr);
    if (err != OGRERR_NONE) throw failed(CPLGetLastErrorMsg());
    ++impl_->count;
}

long long Writer::count() const { return impl_->count; }

std::string Writer::finish() {
    if (!impl_->ds) throw failed("已结束");
    if (impl_->transaction && impl_->ds->CommitTransaction() != OGRERR_NONE) throw failed(CPLGetLastErrorMsg());
    impl_->layer = nullptr;
    CPLErrorReset();
    GDALClose(impl_->ds);
    impl_->ds = nullptr;
    if (CPLGetLastErrorType() >= CE_Failure) throw failed(CPLGetLastErrorMsg());
    vsi_l_offset len = 0;
    GByte* buf = VSIGetMemFileBuffer(impl_->path.c_str(), &len, FALSE);
    if (!buf) throw failed("无法读取导出结果");
    std::string out(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    VSIUnlink(impl_->path.c_str());
    impl_->path.clear();
    return out;
}

std::string Writer::media_type(const std::string& format) { return info(format).media; }
std::string Writer::extension(const std::string& format) { return info(format).ext; }

}  // namespace twindraw::ogr
