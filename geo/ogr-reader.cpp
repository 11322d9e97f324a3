#include "geo/ogr-reader.hpp"

#include "geo/error.hpp"
#include "geo/zip-guard.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

namespace twindraw::ogr {

namespace {

Error not_a_table(const std::string& detail = {}) {
    return {Error::Kind::Unsupported, "not_a_table",
            "无法识别的文件：请上传 CSV、Excel（.xlsx）、GeoJSON、Shapefile（.zip）或 GeoPackage 文件" +
                (detail.empty() ? std::string() : "（" + detail + "）")};
}

Error empty_file() { return invalid("empty_file", "文件中没有数据行"); }

void ensure_registered() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        CPLSetConfigOption("CPL_LOG", "/dev/null");
    });
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Whether buf is valid UTF-8; a sequence cut off by the end of the buffer is allowed
// when `truncated` (the buffer is the start of a longer file).
bool valid_utf8(const std::string& buf, bool truncated) {
    size_t i = 0, n = buf.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(buf[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0) return false;
        if (i + len > n) return truncated;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(buf[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

// Text has no NUL and no control characters other than tab, CR, LF, form feed.
bool looks_like_text(const std::string& buf) {
    for (unsigned char c : buf)
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f')) return false;
    return true;
}

std::string head_of(const std::string& path, size_t n) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw not_a_table("文件无法读取");
    std::string buf(n, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(n));
    buf.resize(static_cast<size_t>(in.gcount()));
    return buf;
}

// Converts a GB18030/GBK file to UTF-8 in a temporary file, streaming; returns its path.
std::string gbk_to_utf8_file(const std::string& path) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == reinterpret_cast<iconv_t>(-1)) throw not_a_table("不支持 GBK 编码");
    char tmpl[] = "/tmp/twindraw-import-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) {
        iconv_close(cd);
        throw Error(Error::Kind::Internal, "tmp_file", "无法创建临时文件");
    }
    std::string out_path = tmpl;
    FILE* out = ::fdopen(fd, "wb");
    std::ifstream in(path, std::ios::binary);
    std::string inbuf(1 << 16, '\0'), outbuf(1 << 18, '\0');
    size_t carry = 0;
    bool ok = true;
    while (ok) {
        in.read(inbuf.data() + carry, static_cast<std::streamsize>(inbuf.size() - carry));
        size_t got = carry + static_cast<size_t>(in.gcount());
        if (got == 0) break;
        char* src = inbuf.data();
        size_t src_left = got;
        char* dst = outbuf.data();
        size_t dst_left = outbuf.size();
        size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
        if (r == static_cast<size_t>(-1) && errno != EINVAL && errno != E2BIG) ok = false;
        if (r == static_cast<size_t>(-1) && errno == EINVAL && in.eof()) ok = false;
        std::fwrite(outbuf.data(), 1, outbuf.size() - dst_left, out);
        carry = src_left;
        std::memmove(inbuf.data(), src, carry);
        if (in.eof() && carry == 0) break;
        if (in.eof() && src_left == got) break;  // no progress possible
    }
    std::fclose(out);
    iconv_close(cd);
    if (!ok || carry != 0) {
        std::remove(out_path.c_str());
        throw not_a_table("文本编码既不是 UTF-8 也不是 GBK");
    }
    return out_path;
}

std::string trim(const char* s) {
    std::string v = s ? s : "";
    auto is_space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xA0; };
    size_t b = 0, e = v.size();
    for (;;) {
        if (b < e && is_space(static_cast<unsigned char>(v[b]))) {
            ++b;
        } else if (e - b >= 3 && v.compare(b, 3, "\xE3\x80\x80") == 0) {  // U+3000 ideographic space
            b += 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (e > b && is_space(static_cast<unsigned char>(v[e - 1]))) {
            --e;
        } else if (e - b >= 3 && v.compare(e - 3, 3, "\xE3\x80\x80") == 0) {
            e -= 3;
        } else {
            break;
        }
    }
    return v.substr(b, e - b);
}

// The /vsizip/ path of an archive; braces let GDAL open one whose name does not end
// in .zip (uploads are stored under neutral names).
std::string vsizip(const std::string& path) { return "/vsizip/{" + path + "}"; }

// GDAL 3.6's XLSX driver takes HEADERS and FIELD_TYPES as configuration options only
// (open options arrived later); they are set for this thread while the sheet is parsed.
class XlsxOptions {
public:
    explicit XlsxOptions(bool active) : active_(active) {
        if (!active_) return;
        CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
        CPLSetThreadLocalConfigOption("OGR_XLSX_FIELD_TYPES", "STRING");
    }
    ~XlsxOptions() {
        if (!active_) return;
        CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", nullptr);
        CPLSetThreadLocalConfigOption("OGR_XLSX_FIELD_TYPES", nullptr);
    }
    XlsxOptions(const XlsxOptions&) = delete;
    XlsxOptions& operator=(const XlsxOptions&) = delete;

private:
    bool active_;
};

}  // namespace

std::string format_from_extension(const std::string& filename) {
    std::string f = lower(filename);
    if (ends_with(f, ".csv") || ends_with(f, ".txt")) return "csv";
    if (ends_with(f, ".xlsx")) return "xlsx";
    if (ends_with(f, ".geojson") || ends_with(f, ".json")) return "geojson";
    if (ends_with(f, ".zip") || ends_with(f, ".shp.zip")) return "shpzip";
    if (ends_with(f, ".gpkg")) return "gpkg";
    return {};
}

std::string sniff_format(const std::string& path) {
    std::string head = head_of(path, 1 << 16);
    if (head.empty()) throw empty_file();
    if (head.compare(0, 4, "PK\x03\x04") == 0) {
        ensure_registered();
        char** list = VSIReadDirRecursive(vsizip(path).c_str());
        std::string fmt;
        for (char** p = list; p && *p; ++p) {
            std::string name = lower(*p);
            if (name == "[content_types].xml" || name.rfind("xl/", 0) == 0) {
                fmt = "xlsx";
                break;
            }
            if (ends_with(name, ".shp")) fmt = "shpzip";
        }
        CSLDestroy(list);
        return fmt;
    }
    if (head.compare(0, 16, std::string("SQLite format 3\0", 16)) == 0) return "gpkg";
    size_t i = head.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
    if (!looks_like_text(head)) return {};
    if (i < head.size() && head[i] == '{') return "geojson";
    return "csv";
}

struct Reader::Impl {
    std::string format;
    std::string temp_path;  // a UTF-8 copy of a GBK CSV, removed at the end
    GDALDatasetUniquePtr ds;
    OGRLayer* layer = nullptr;
    std::vector<std::string> headers;
    bool has_geometry = false;
    long long count = -1;
    long long index = 0;
    std::unique_ptr<OGRCoordinateTransformation> to_wgs84;

    ~Impl() {
        layer = nullptr;
        ds.reset();
        if (!temp_path.empty()) std::remove(temp_path.c_str());
    }
};

Reader::Reader(const std::string& path, const std::string& format) : impl_(std::make_unique<Impl>()) {
    ensure_registered();
    // An archive is bounded before GDAL looks into it, even to list its entries.
    if (zipguard::is_zip(head_of(path, 4))) zipguard::check_file(path);
    std::string fmt = format.empty() ? sniff_format(path) : format;
    if (fmt.empty()) throw not_a_table();
    impl_->format = fmt;

    std::string open_path = path;
    std::vector<std::string> drivers, options;
    if (fmt == "csv") {
        std::string head = head_of(path, 1 << 16);
        if (head.empty()) throw empty_file();
        if (!looks_like_text(head)) throw not_a_table();
        std::ifstream probe(path, std::ios::binary | std::ios::ate);
        bool truncated = static_cast<size_t>(probe.tellg()) > head.size();
        if (!valid_utf8(head, truncated)) {
            impl_->temp_path = gbk_to_utf8_file(path);
            open_path = impl_->temp_path;
        }
        open_path = "CSV:" + open_path;
        drivers = {"CSV"};
        options = {"AUTODETECT_TYPE=NO", "HEADERS=YES", "EMPTY_STRING_AS_NULL=NO"};
    } else if (fmt == "xlsx") {
        open_path = "XLSX:" + path;
        drivers = {"XLSX"};
        options = {"HEADERS=FORCE", "FIELD_TYPES=STRING"};
    } else if (fmt == "geojson") {
        drivers = {"GeoJSON"};
    } else if (fmt == "gpkg") {
        drivers = {"GPKG"};
    } else if (fmt == "shpzip") {
        std::string root = vsizip(path);
        char** list = VSIReadDirRecursive(root.c_str());
        std::string shp;
        for (char** p = list; p && *p; ++p)
            if (ends_with(lower(*p), ".shp") && shp.empty()) shp = *p;
        CSLDestroy(list);
        if (shp.empty()) throw not_a_table("压缩包中没有 .shp 文件");
        open_path = root + "/" + shp;
        drivers = {"ESRI Shapefile"};
    } else {
        throw bad_request("bad_format", "不支持的文件格式：" + fmt, "format");
    }

    std::vector<const char*> drv, opt;
    for (auto& d : drivers) drv.push_back(d.c_str());
    drv.push_back(nullptr);
    for (auto& o : options) opt.push_back(o.c_str());
    opt.push_back(nullptr);
    XlsxOptions xlsx_options(fmt == "xlsx");
    CPLPushErrorHandler(CPLQuietErrorHandler);
    impl_->ds.reset(GDALDataset::Open(open_path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drv.data(),
                                      opt.data(), nullptr));
    CPLPopErrorHandler();
    if (!impl_->ds) throw not_a_table();
    if (impl_->ds->GetLayerCount() < 1) throw not_a_table("文件中没有数据表");
    impl_->layer = impl_->ds->GetLayer(0);

    OGRFeatureDefn* defn = impl_->layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) impl_->headers.push_back(trim(defn->GetFieldDefn(i)->GetNameRef()));
    impl_->has_geometry = defn->GetGeomFieldCount() > 0 && fmt != "csv" && fmt != "xlsx";
    if (impl_->headers.empty()) throw empty_file();

    CPLPushErrorHandler(CPLQuietErrorHandler);
    impl_->count = impl_->layer->GetFeatureCount(TRUE);
    CPLPopErrorHandler();
    if (impl_->count == 0) throw empty_file();
    impl_->layer->ResetReading();

    if (impl_->has_geometry) {
        const OGRSpatialReference* src = impl_->layer->GetSpatialRef();
        if (src) {
            OGRSpatialReference from(*src);
            from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
            OGRSpatialReference to;
            to.importFromEPSG(4326);
            to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
            impl_->to_wgs84.reset(OGRCreateCoordinateTransformation(&from, &to));
            if (!impl_->to_wgs84) throw not_a_table("无法识别文件的坐标参考系");
        }
    }
}

Reader::~Reader() = default;

const std::string& Reader::format() const { return impl_->format; }
const std::vector<std::string>& Reader::headers() const { return impl_->headers; }
bool Reader::has_geometry() const { return impl_->has_geometry; }
long long Reader::feature_count() const { return impl_->count; }

bool Reader::next(Feature& out) {
    for (;;) {
        OGRFeatureUniquePtr f(impl_->layer->GetNextFeature());
        if (!f) return false;
        ++impl_->index;
        out.row_no = impl_->index + 1;
        out.values.assign(impl_->headers.size(), std::string());
        bool any = false;
        int n = std::min<int>(f->GetFieldCount(), static_cast<int>(impl_->headers.size()));
        for (int i = 0; i < n; ++i) {
            if (!f->IsFieldSetAndNotNull(i)) continue;
            out.values[static_cast<size_t>(i)] = trim(f->GetFieldAsString(i));
            if (!out.values[static_cast<size_t>(i)].empty()) any = true;
        }
        out.point.reset();
        if (impl_->has_geometry) {
            const OGRGeometry* g = f->GetGeometryRef();
            if (g && !g->IsEmpty()) {
                OGRPoint p;
                bool have = false;
                if (wkbFlatten(g->getGeometryType()) == wkbPoint) {
                    p = *g->toPoint();
                    have = true;
                } else if (g->Centroid(&p) == OGRERR_NONE) {
                    have = true;
                }
                if (have) {
                    double x = p.getX(), y = p.getY();
                    if (!impl_->to_wgs84 || impl_->to_wgs84->Transform(1, &x, &y)) {
                        out.point = Point{x, y};
                        any = true;
                    }
                }
            }
        }
        if (any) return true;  // wholly blank rows (trailing Excel rows) are skipped
    }
}

}  // namespace twindraw::ogr
