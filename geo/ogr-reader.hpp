// Reads the rows of a tabular or GIS file through GDAL/OGR (BASE-1): CSV (UTF-8, with
// or without BOM, or GBK), XLSX, GeoJSON, zipped Shapefile and GeoPackage. Only the
// first layer is read, one feature at a time, so a large file is never held in memory
// (XLSX excepted: OGR's XLSX driver parses a sheet at once). Every value arrives as
// text so codes keep their leading zeros; a point geometry arrives as lon/lat in
// EPSG:4326 (transformed from the layer's CRS when it has one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::ogr {

/// The formats the reader accepts ("" = not recognised).
/// csv | xlsx | geojson | shpzip | gpkg
std::string format_from_extension(const std::string& filename);

/// Looks at the first bytes of the file: zip (xlsx or zipped shapefile), SQLite
/// (gpkg), JSON (geojson) or text (csv). Returns "" for anything else (binary data,
/// images). Throws Error(Invalid, "empty_file") for a file of zero bytes.
std::string sniff_format(const std::string& path);

struct Point {
    double lon = 0;
    double lat = 0;
};

struct Feature {
    /// Row number as a user sees it: the header is row 1, the first feature row 2.
    long long row_no = 0;
    /// One value per header, "" for null; trimmed of surrounding white space.
    std::vector<std::string> values;
    /// The feature's point (polygon/line geometries give their centroid), in EPSG:4326
    /// when the layer declares a CRS, else as stored. Absent without geometry.
    std::optional<Point> point;
};

/// Opens path as `format` (see format_from_extension; "" = sniff). Throws
/// Error(Unsupported, "not_a_table") when OGR cannot read it as that format or it has
/// no layer, Error(Invalid, "empty_file") when the first layer has no fields or no
/// feature, Error(BadRequest, "bad_format") for an unknown format name.
class Reader {
public:
    explicit Reader(const std::string& path, const std::string& format = {});
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    /// The format actually used (after sniffing).
    const std::string& format() const;
    /// Column names of the first layer, in file order.
    const std::vector<std::string>& headers() const;
    /// Whether the layer has a geometry column.
    bool has_geometry() const;
    /// Number of features (for progress); may need one pass for CSV, -1 if unknown.
    long long feature_count() const;
    /// Reads the next feature into out; false at the end.
    bool next(Feature& out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace twindraw::ogr
