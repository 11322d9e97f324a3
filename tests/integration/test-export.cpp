// GIS-4, BASE-1: the object library exported as GeoJSON, GeoPackage and KML and read
// back through GDAL, with Chinese attribute names and values intact.
#include "common-pg.hpp"

#include "geo/error.hpp"
#include "geo/ogr-writer.hpp"
#include "workflows/export-objects.hpp"
#include "workflows/uscc.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace twindraw;

namespace {

void exec(pg::Pool& pool, const std::string& sql) {
    auto lease = pool.acquire("test");
    pqxx::nontransaction tx(*lease);
    tx.exec(sql);
}

struct ReadBack {
    long long count = 0;
    std::map<std::string, std::string> name_by_uscc;  // 统一社会信用代码 → 行政相对人名称
    std::map<std::string, std::pair<double, double>> point_by_uscc;
    std::vector<std::string> fields;
};

// Writes bytes to a file and reads it with GDAL (driver given, or any).
ReadBack read_back(const std::string& bytes, const std::string& ext, const char* driver) {
    std::string path = std::filesystem::temp_directory_path() / ("twindraw-export-test" + ext);
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    GDALAllRegister();
    const char* drivers[] = {driver, nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
    ReadBack rb;
    EXPECT_TRUE(ds) << "GDAL cannot open the " << ext << " export";
    if (!ds) return rb;
    OGRLayer* layer = ds->GetLayer(0);
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) rb.fields.push_back(defn->GetFieldDefn(i)->GetNameRef());
    for (auto& f : *layer) {
        ++rb.count;
        std::string u = f->GetFieldAsString("统一社会信用代码");
        // KML carries the name as the placemark's <name> (read back as "Name").
        bool kml = std::string(driver) == "LIBKML";
        rb.name_by_uscc[u] = f->GetFieldAsString(kml ? "Name" : "行政相对人名称");
        if (const OGRGeometry* g = f->GetGeometryRef(); g && wkbFlatten(g->getGeometryType()) == wkbPoint)
            rb.point_by_uscc[u] = {g->toPoint()->getX(), g->toPoint()->getY()};
    }
    ds.reset();
    std::filesystem::remove(path);
    return rb;
}

class Export : public ::testing::Test {
protected:
    void SetUp() override {
        exec(db.pool(),
             "INSERT INTO division(code, name, level, parent_code) VALUES "
             "('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000'), "
             "('500103001', '七星岗街道', 4, '500103') ON CONFLICT DO NOTHING");
        auto lease = db.pool().acquire("test");
        pqxx::work tx(*lease);
        auto add = [&](std::uint64_t serial, const char* name, const char* division, const char* geom) {
            std::string u = uscc::make('1', "500103", serial);
            tx.exec_params("INSERT INTO market_subject(uscc, name, address, division_code, risk_level, geom) "
                           "VALUES ($1, $2, '重庆市渝中区解放碑', $3, 3, ST_GeomFromText($4, 4326))",
                           u, name, division, geom ? std::optional<std::string>(geom) : std::nullopt);
            usccs.push_back(u);
        };
        add(1, "重庆山城火锅有限公司", "500103", "POINT(106.5516 29.563)");
        add(2, "解放碑商贸有限公司", "500103001", "POINT(106.577 29.557)");
        add(3, "沙坪坝区磁器口麻花店", "500106", "POINT(106.45 29.58)");
        add(4, "无坐标的个体户", "500106", nullptr);
        tx.commit();
    }

    twindraw::testing::TempDatabase db;
    std::vector<std::string> usccs;
};

}  // namespace

TEST_F(Export, GeoJsonGpkgKmlReadBackWithChineseAttributes) {
    struct Case {
        const char* format;
        const char* ext;
        const char* driver;
    };
    for (const Case& c : {Case{"geojson", ".geojson", "GeoJSON"}, Case{"gpkg", ".gpkg", "GPKG"},
                          Case{"kml", ".kml", "LIBKML"}}) {
        SCOPED_TRACE(c.format);
        std::string bytes = exporting::export_objects(db.pool(), "subjects", c.format, std::nullopt);
        ReadBack rb = read_back(bytes, c.ext, c.driver);
        EXPECT_EQ(rb.count, 4);
        EXPECT_EQ(rb.name_by_uscc[usccs[0]], "重庆山城火锅有限公司");
        EXPECT_EQ(rb.name_by_uscc[usccs[2]], "沙坪坝区磁器口麻花店");
        ASSERT_TRUE(rb.point_by_uscc.count(usccs[1]));
        EXPECT_NEAR(rb.point_by_uscc[usccs[1]].first, 106.577, 1e-6);
        EXPECT_NEAR(rb.point_by_uscc[usccs[1]].second, 29.557, 1e-6);
        EXPECT_FALSE(rb.point_by_uscc.count(usccs[3]));
        EXPECT_NE(std::find(rb.fields.begin(), rb.fields.end(), "风险等级"), rb.fields.end());
    }
    std::string kml = exporting::export_objects(db.pool(), "subjects", "kml", std::nullopt);
    EXPECT_NE(kml.find("<name>重庆山城火锅有限公司</name>"), std::string::npos) << "placemarks are named";
    std::string geojson = exporting::export_objects(db.pool(), "subjects", "geojson", std::nullopt);
    EXPECT_NE(geojson.find("\"行政相对人名称\": \"解放碑商贸有限公司\""), std::string::npos) << "UTF-8, not escaped";
}

TEST_F(Export, DivisionFilterIncludesDivisionsBelow) {
    auto count = [&](const std::optional<std::string>& code) {
        return read_back(exporting::export_objects(db.pool(), "subjects", "geojson", code), ".geojson", "GeoJSON").count;
    };
    EXPECT_EQ(count(std::string("500000")), 4);
    EXPECT_EQ(count(std::string("500103")), 2);  // the county and its street 500103001
    EXPECT_EQ(count(std::string("500106")), 2);
    EXPECT_EQ(count(std::string("500103001")), 1);
    try {
        exporting::export_objects(db.pool(), "subjects", "geojson", std::string("999999"));
        ADD_FAILURE() << "unknown division accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::NotFound);
    }
}

TEST_F(Export, BadRequests) {
    for (auto [kind, format, code] : {std::tuple{"subjects", "shp", "bad_format"}, std::tuple{"items", "geojson", "bad_kind"}}) {
        try {
            exporting::export_objects(db.pool(), kind, format, std::nullopt);
            ADD_FAILURE() << kind << " " << format;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadRequest);
            EXPECT_EQ(e.code(), code);
        }
    }
    EXPECT_EQ(exporting::export_filename("subjects", "gpkg", std::string("500103")), "市场主体-500103.gpkg");
    EXPECT_EQ(ogr::Writer::media_type("geojson"), "application/geo+json");
}

TEST_F(Export, EmptyLibraryGivesAValidEmptyFile) {
    exec(db.pool(), "DELETE FROM market_subject");
    for (auto [format, ext, driver] : {std::tuple{"geojson", ".geojson", "GeoJSON"}, std::tuple{"gpkg", ".gpkg", "GPKG"}}) {
        ReadBack rb = read_back(exporting::export_objects(db.pool(), "subjects", format, std::nullopt), ext, driver);
        EXPECT_EQ(rb.count, 0) << format;
        if (std::string(format) == "gpkg") {
            EXPECT_EQ(rb.fields.size(), 14u);  // GeoJSON has no schema without features
        }
    }
}
