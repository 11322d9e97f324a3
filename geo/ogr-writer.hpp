// Writes one point layer to GeoJSON, GeoPackage or KML bytes through GDAL/OGR
// (GIS-4: exports GIS desktop tools read). Coordinates are WGS84 (EPSG:4326, lon/lat
// order); field names and values are UTF-8 and may be Chinese. The file is built in
// GDAL's in-memory file system (/vsimem/), never on disk.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::ogr {

enum class FieldKind { Text, Integer, Real };

struct OutField {
    std::string name;
    FieldKind kind = FieldKind::Text;
};

/// Throws Error(BadRequest, "bad_format") for a format other than geojson, gpkg, kml;
/// Error(Internal, "export_failed") when GDAL fails.
class Writer {
public:
    /// name_field: the field shown as each placemark's name in KML (ignored otherwise).
    Writer(const std::string& format, const std::string& layer_name, const std::vector<OutField>& fields,
           const std::string& name_field = {});
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Adds a feature: one value per field (nullopt = null; text parsed for Integer
    /// and Real fields) and an optional lon/lat point.
    void add(const std::vector<std::optional<std::string>>& values, std::optional<std::pair<double, double>> lonlat);

    /// Number of features added.
    long long count() const;

    /// Closes the dataset and returns the file's bytes. Call once.
    std::string finish();

    /// The media type and file extension of a format: geojson → application/geo+json,
    /// .geojson; gpkg → application/geopackage+sqlite3, .gpkg;
    /// kml → application/vnd.google-earth.kml+xml, .kml.
    static std::string media_type(const std::string& format);
    static std::string extension(const std::string& format);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace twindraw::ogr
