// BASE-1, GIS-4: batch import of market subjects from CSV, XLSX, GeoJSON, zipped
// Shapefile and GeoPackage into a real PostGIS. Fixtures are written by the tests (the
// GIS ones converted from a CSV with ogr2ogr, one of them reprojected to UTM 48N).
#include "common-pg.hpp"

#include "geo/coord-transform.hpp"
#include "geo/error.hpp"
#include "geo/ogr-reader.hpp"
#include "geo/zip-guard.hpp"
#include "workflows/import-objects.hpp"
#include "workflows/uscc.hpp"

#include <gtest/gtest.h>
#include <iconv.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace fs = std::filesystem;
using namespace twindraw;
using twindraw::import::ImportOptions;
using twindraw::import::ImportSummary;

namespace {

std::string scalar(pg::Pool& pool, const std::string& sql) {
    auto lease = pool.acquire("test");
    pqxx::nontransaction tx(*lease);
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string("<null>") : r[0][0].c_str();
}

void exec(pg::Pool& pool, const std::string& sql) {
    auto lease = pool.acquire("test");
    pqxx::nontransaction tx(*lease);
    tx.exec(sql);
}

void seed_divisions(pg::Pool& pool) {
    exec(pool,
         "INSERT INTO division(code, name, level, parent_code) VALUES "
         "('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500106', '沙坪坝区', 3, '500000'), "
         "('330000', '浙江省', 1, NULL), ('330200', '宁波市', 2, '330000'), ('330205', '江北区', 3, '330200'), "
         "('500105', '江北区', 3, '500000') ON CONFLICT DO NOTHING");
}

std::string valid_uscc(std::uint64_t serial, const char* division = "500103") {
    return uscc::make('1', division, serial);
}

// A USCC whose last character is wrong.
std::string bad_check_digit(std::uint64_t serial) {
    std::string u = valid_uscc(serial);
    u.back() = u.back() == '0' ? '1' : '0';
    if (uscc::valid(u)) u.back() = u.back() == '1' ? '2' : '1';
    return u;
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/twindraw-import-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void run(const std::string& cmd) {
    int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
    ASSERT_EQ(rc, 0) << cmd;
}

template <typename Fn>
Error error_of(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no twindraw::Error thrown";
    return Error(Error::Kind::Internal, "none", "");
}

struct Row {
    std::string uscc, name, lon, lat, division, extra;
};

// Three good rows and one per kind of problem, with the expected (row, code).
struct Dataset {
    std::vector<Row> rows;
    std::multimap<long long, std::string> expected_errors;  // row_no → code
    long long good = 0;
};

Dataset mixed_dataset() {
    Dataset d;
    d.rows = {
        {valid_uscc(1), "重庆山城火锅有限公司", "106.5516", "29.5630", "500103", "高风险"},      // row 2
        {valid_uscc(2), "沙坪坝区磁器口麻花店", "106.4500", "29.5800", "沙坪坝区", "低风险"},     // row 3: county name
        {bad_check_digit(3), "校验位错误公司", "106.5", "29.5", "500103", ""},                // row 4
        {valid_uscc(4), "", "106.5", "29.5", "500103", ""},                                // row 5: name missing
        {valid_uscc(5), "巴黎分店", "2.3522", "48.8566", "500103", ""},                       // row 6: outside China
        {valid_uscc(6), "未知区县公司", "106.5", "29.5", "999999", ""},                       // row 7
        {valid_uscc(1), "重复的火锅公司", "106.6", "29.6", "500103", ""},                     // row 8: duplicate of row 2
        {valid_uscc(7), "解放碑商贸有限公司", "106.5770", "29.5570", "500103", "一般风险"},  // row 9
        {valid_uscc(8), "江北区同名公司", "106.57", "29.60", "江北区", ""},                   // row 10: ambiguous
    };
    d.expected_errors = {{4, "uscc_check_digit"}, {5, "required"}, {6, "out_of_china"},
                         {7, "unknown_division"}, {8, "duplicate_in_file"}, {10, "ambiguous_division"}};
    d.good = 3;
    return d;
}

std::string to_csv(const Dataset& d, const std::string& header = "统一社会信用代码,企业名称,经度,纬度,所属区县,风险等级") {
    std::string s = header + "\n";
    for (const auto& r : d.rows)
        s += r.uscc + "," + r.name + "," + r.lon + "," + r.lat + "," + r.division + "," + r.extra + "\n";
    return s;
}

std::multimap<long long, std::string> errors_of(pg::Pool& pool, long long job) {
    std::multimap<long long, std::string> out;
    for (const auto& e : import::list_errors(pool, job)) out.emplace(e.row_no, e.code);
    return out;
}

ImportSummary import_as(pg::Pool& pool, const std::string& path, const std::string& filename,
                        ImportOptions opt = {}) {
    opt.filename = filename;
    long long id = import::create_job(pool, opt);
    return import::run_job(pool, id, path, opt);
}

class Import : public ::testing::Test {
protected:
    void SetUp() override { seed_divisions(db.pool()); }
    pg::Pool& pool() { return db.pool(); }
    long long subjects() { return std::stoll(scalar(pool(), "SELECT count(*) FROM market_subject")); }

    twindraw::testing::TempDatabase db;
    TempDir dir;
};

void expect_mixed_result(pg::Pool& pool, const ImportSummary& s, const Dataset& d) {
    EXPECT_EQ(s.status, "done");
    EXPECT_EQ(s.inserted, d.good);
    EXPECT_EQ(s.updated, 0);
    EXPECT_EQ(s.unchanged, 0);
    EXPECT_EQ(s.rejected, static_cast<long long>(d.rows.size()) - d.good);
    EXPECT_EQ(s.total, static_cast<long long>(d.rows.size()));
    EXPECT_EQ(s.done, s.total);
    EXPECT_EQ(errors_of(pool, s.id), d.expected_errors);
    EXPECT_EQ(scalar(pool, "SELECT string_agg(name, ',' ORDER BY name) FROM market_subject"),
              "沙坪坝区磁器口麻花店,解放碑商贸有限公司,重庆山城火锅有限公司");
    // The first of the duplicate rows won; the county name was resolved.
    EXPECT_EQ(scalar(pool, "SELECT division_code FROM market_subject WHERE name = '沙坪坝区磁器口麻花店'"), "500106");
}

}  // namespace

TEST_F(Import, CsvGoodAndBadRowsOnlyGoodOnesCommitted) {
    Dataset d = mixed_dataset();
    std::string path = dir.file("roster.csv");
    write_file(path, to_csv(d));
    auto s = import_as(pool(), path, "名录.csv");
    expect_mixed_result(pool(), s, d);
    EXPECT_EQ(s.format, "csv");
    EXPECT_EQ(scalar(pool(), "SELECT risk_level || credit_level || nature FROM market_subject WHERE uscc = '" +
                                 valid_uscc(1) + "'"),
              "4B企业");  // 高风险 → 4; unmapped columns take their defaults
    EXPECT_EQ(scalar(pool(), "SELECT ST_AsText(geom) FROM market_subject WHERE uscc = '" + valid_uscc(1) + "'"),
              "POINT(106.5516 29.563)");

    // The error report: XLSX with Chinese headers and one line per error, read back by GDAL.
    std::string xlsx = import::report_xlsx(pool(), s.id);
    ASSERT_GT(xlsx.size(), 100u);
    EXPECT_EQ(xlsx.substr(0, 2), "PK");
    std::string report = dir.file("report.xlsx");
    write_file(report, xlsx);
    ogr::Reader r(report, "xlsx");
    EXPECT_EQ(r.headers(), (std::vector<std::string>{"行号", "字段", "错误代码", "错误说明"}));
    ogr::Feature f;
    std::vector<std::vector<std::string>> lines;
    while (r.next(f)) lines.push_back(f.values);
    ASSERT_EQ(lines.size(), d.expected_errors.size());
    EXPECT_EQ(lines[0][0], "4");
    EXPECT_EQ(lines[0][1], "统一社会信用代码");
    EXPECT_EQ(lines[0][2], "uscc_check_digit");
    EXPECT_NE(lines[0][3].find("校验位"), std::string::npos) << lines[0][3];
    EXPECT_EQ(lines[4][2], "duplicate_in_file");
    EXPECT_NE(lines[4][3].find("第2行"), std::string::npos) << lines[4][3];

    EXPECT_EQ(error_of([&] { import::report_xlsx(pool(), 424242); }).kind(), Error::Kind::NotFound);
}

TEST_F(Import, ImportingTwiceChangesNothing) {
    Dataset d = mixed_dataset();
    std::string path = dir.file("roster.csv");
    write_file(path, to_csv(d));
    auto first = import_as(pool(), path, "roster.csv");
    ASSERT_EQ(first.inserted, 3);
    std::string before = scalar(pool(), "SELECT md5(string_agg(m::text, '|' ORDER BY id)) FROM market_subject m");

    auto second = import_as(pool(), path, "roster.csv");
    EXPECT_EQ(second.status, "done");
    EXPECT_EQ(second.inserted, 0);
    EXPECT_EQ(second.updated, 0);
    EXPECT_EQ(second.unchanged, 3);
    EXPECT_EQ(second.rejected, 6);
    EXPECT_EQ(scalar(pool(), "SELECT md5(string_agg(m::text, '|' ORDER BY id)) FROM market_subject m"), before);

    // One changed cell updates exactly that row.
    std::string stamp = scalar(pool(), "SELECT max(updated_at) FROM market_subject");
    d.rows[0].name = "重庆山城火锅（集团）有限公司";
    write_file(path, to_csv(d));
    auto third = import_as(pool(), path, "roster.csv");
    EXPECT_EQ(third.inserted, 0);
    EXPECT_EQ(third.updated, 1);
    EXPECT_EQ(third.unchanged, 2);
    EXPECT_EQ(scalar(pool(), "SELECT count(*) FROM market_subject WHERE updated_at > '" + stamp + "'"), "1");
    EXPECT_EQ(subjects(), 3);
}

TEST_F(Import, XlsxGoodAndBadRows) {
    Dataset d = mixed_dataset();
    std::string csv = dir.file("roster.csv");
    write_file(csv, to_csv(d));
    std::string xlsx = dir.file("roster.xlsx");
    run("ogr2ogr -f XLSX -oo AUTODETECT_TYPE=NO " + xlsx + " " + csv);
    auto s = import_as(pool(), xlsx, "名录.xlsx");
    expect_mixed_result(pool(), s, d);
    EXPECT_EQ(s.format, "xlsx");
}

TEST_F(Import, GeoJsonUsesItsGeometry) {
    Dataset d = mixed_dataset();
    std::string csv = dir.file("roster.csv");
    write_file(csv, to_csv(d, "uscc,名称,lon,lat,区县,风险等级"));
    std::string geojson = dir.file("roster.geojson");
    run("ogr2ogr -f GeoJSON -oo AUTODETECT_TYPE=NO -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat "
        "-oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:4326 " + geojson + " " + csv);
    ASSERT_EQ(read_file(geojson).find("\"lon\""), std::string::npos) << "the fixture must carry only a geometry";
    auto s = import_as(pool(), geojson, "roster.geojson");
    expect_mixed_result(pool(), s, d);
    EXPECT_EQ(scalar(pool(), "SELECT ST_AsText(geom) FROM market_subject WHERE uscc = '" + valid_uscc(7) + "'"),
              "POINT(106.577 29.557)");
}

TEST_F(Import, ZippedShapefileInUtmIsReprojected) {
    Dataset d = mixed_dataset();
    std::string csv = dir.file("roster.csv");
    // DBF field names hold 10 bytes: short aliases.
    write_file(csv, to_csv(d, "uscc,name,lon,lat,division,risk"));
    fs::create_directory(dir.file("shp"));
    run("ogr2ogr -f 'ESRI Shapefile' -lco ENCODING=UTF-8 -oo AUTODETECT_TYPE=NO -oo X_POSSIBLE_NAMES=lon "
        "-oo Y_POSSIBLE_NAMES=lat -oo KEEP_GEOM_COLUMNS=NO -s_srs EPSG:4326 -t_srs EPSG:32648 " +
        dir.file("shp/roster.shp") + " " + csv);
    std::string zip = dir.file("upload.bin");  // no extension: found by content
    run("cd " + dir.file("shp") + " && python3 -m zipfile -c " + zip + " roster.shp roster.shx roster.dbf roster.prj roster.cpg");
    auto s = import_as(pool(), zip, "upload");
    expect_mixed_result(pool(), s, d);
    EXPECT_EQ(s.format, "shpzip");
    double lon = std::stod(scalar(pool(), "SELECT ST_X(geom) FROM market_subject WHERE uscc = '" + valid_uscc(7) + "'"));
    double lat = std::stod(scalar(pool(), "SELECT ST_Y(geom) FROM market_subject WHERE uscc = '" + valid_uscc(7) + "'"));
    EXPECT_NEAR(lon, 106.5770, 1e-7);
    EXPECT_NEAR(lat, 29.5570, 1e-7);
}

TEST_F(Import, GeoPackage) {
    Dataset d = mixed_dataset();
    std::string csv = dir.file("roster.csv");
    write_file(csv, to_csv(d));
    std::string gpkg = dir.file("roster.gpkg");
    run("ogr2ogr -f GPKG -oo AUTODETECT_TYPE=NO -oo X_POSSIBLE_NAMES=经度 -oo Y_POSSIBLE_NAMES=纬度 "
        "-oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:4326 " + gpkg + " " + csv);
    auto s = import_as(pool(), gpkg, "roster.gpkg");
    expect_mixed_result(pool(), s, d);
    EXPECT_EQ(s.format, "gpkg");
}

TEST_F(Import, CsvWithBomAndGbkEncoding) {
    Dataset d = mixed_dataset();
    std::string utf8 = to_csv(d);
    std::string bom = dir.file("bom.csv");
    write_file(bom, "\xEF\xBB\xBF" + utf8);
    expect_mixed_result(pool(), import_as(pool(), bom, "bom.csv"), d);

    exec(pool(), "DELETE FROM market_subject");
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    ASSERT_NE(cd, reinterpret_cast<iconv_t>(-1));
    std::string in = utf8, out(in.size() * 2, '\0');
    char* src = in.data();
    char* dst = out.data();
    size_t sl = in.size(), dl = out.size();
    ASSERT_NE(iconv(cd, &src, &sl, &dst, &dl), static_cast<size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - dl);
    ASSERT_NE(out, utf8);
    std::string gbk = dir.file("gbk.csv");
    write_file(gbk, out);
    expect_mixed_result(pool(), import_as(pool(), gbk, "gbk.csv"), d);
}

TEST_F(Import, Gcj02InputLandsOnWgs84Point) {
    coord::LonLat wgs{106.5516, 29.5630};
    coord::LonLat gcj = coord::wgs84_to_gcj02(wgs);
    ASSERT_GT(std::abs(gcj.lon - wgs.lon), 1e-3);  // the datums really differ here
    char line[256];
    std::snprintf(line, sizeof line, "%s,高德坐标公司,%.12f,%.12f,500103\n", valid_uscc(11).c_str(), gcj.lon, gcj.lat);
    std::string path = dir.file("gcj.csv");
    write_file(path, std::string("统一社会信用代码,企业名称,经度,纬度,所属区县\n") + line);
    ImportOptions opt;
    opt.crs = "gcj02";
    auto s = import_as(pool(), path, "gcj.csv", opt);
    ASSERT_EQ(s.inserted, 1);
    EXPECT_EQ(s.crs, "gcj02");
    EXPECT_NEAR(std::stod(scalar(pool(), "SELECT ST_X(geom) FROM market_subject")), wgs.lon, 1e-7);
    EXPECT_NEAR(std::stod(scalar(pool(), "SELECT ST_Y(geom) FROM market_subject")), wgs.lat, 1e-7);
}

TEST_F(Import, EmptyFiles) {
    std::string zero = dir.file("zero.csv");
    write_file(zero, "");
    ImportOptions opt;
    opt.filename = "zero.csv";
    long long id = import::create_job(pool(), opt);
    auto e = error_of([&] { import::run_job(pool(), id, zero, opt); });
    EXPECT_EQ(e.code(), "empty_file");
    EXPECT_EQ(e.kind(), Error::Kind::Invalid);
    auto job = import::get_job(pool(), id);
    EXPECT_EQ(job.status, "failed");
    EXPECT_EQ(job.error_code, "empty_file");
    EXPECT_FALSE(job.message.empty());
    EXPECT_FALSE(job.finished_at.empty());

    std::string header_only = dir.file("header.csv");
    write_file(header_only, "统一社会信用代码,企业名称,经度,纬度,所属区县\n");
    EXPECT_EQ(error_of([&] { import_as(pool(), header_only, "header.csv"); }).code(), "empty_file");

    std::string blank_rows = dir.file("blank.csv");
    write_file(blank_rows, "统一社会信用代码,企业名称,经度,纬度,所属区县\n,,,,\n,,,,\n");
    EXPECT_EQ(error_of([&] { import_as(pool(), blank_rows, "blank.csv"); }).code(), "empty_file");
    EXPECT_EQ(subjects(), 0);
}

TEST_F(Import, NotASpreadsheet) {
    std::string png = dir.file("logo.png");
    write_file(png, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0", 33));
    auto e = error_of([&] { import_as(pool(), png, "logo.png"); });
    EXPECT_EQ(e.code(), "not_a_table");
    EXPECT_EQ(e.kind(), Error::Kind::Unsupported);

    // Random bytes, even when named .csv.
    std::mt19937 gen(42);
    std::string noise(4096, '\0');
    for (auto& c : noise) c = static_cast<char>(gen() & 0xFF);
    std::string bin = dir.file("noise.csv");
    write_file(bin, noise);
    EXPECT_EQ(error_of([&] { import_as(pool(), bin, "noise.csv"); }).code(), "not_a_table");

    // A zip that is neither a workbook nor a shapefile.
    write_file(dir.file("readme.txt"), "hello");
    run("cd " + dir.file("") + " && python3 -m zipfile -c other.zip readme.txt");
    EXPECT_EQ(error_of([&] { import_as(pool(), dir.file("other.zip"), "other.zip"); }).code(), "not_a_table");
    EXPECT_EQ(subjects(), 0);
}

TEST_F(Import, MissingColumn) {
    std::string path = dir.file("nocode.csv");
    write_file(path, "企业名称,经度,纬度,所属区县\n某公司,106.5,29.5,500103\n");
    auto e = error_of([&] { import_as(pool(), path, "nocode.csv"); });
    EXPECT_EQ(e.code(), "missing_column");
    EXPECT_EQ(e.field(), "uscc");
    EXPECT_NE(e.message().find("统一社会信用代码"), std::string::npos);
    EXPECT_EQ(scalar(pool(), "SELECT error_code FROM import_job ORDER BY id DESC LIMIT 1"), "missing_column");
}

TEST_F(Import, FiftyMegabyteFileOverALowLimitIsRefusedUnread) {
    // A real 50 MB CSV against a limit lowered to 20 MB for the test (the default is 200 MB).
    std::string path = dir.file("big.csv");
    {
        std::ofstream out(path, std::ios::binary);
        out << "统一社会信用代码,企业名称,经度,纬度,所属区县\n";
        std::string line = valid_uscc(1) + ",重庆某某有限公司,106.5,29.5,500103\n";
        for (size_t written = 0; written < 50u * 1024 * 1024; written += line.size()) out << line;
    }
    ASSERT_GE(fs::file_size(path), 50u * 1024 * 1024);
    ImportOptions opt;
    opt.max_bytes = 20u * 1024 * 1024;
    auto e = error_of([&] { import_as(pool(), path, "big.csv", opt); });
    EXPECT_EQ(e.code(), "file_too_large");
    EXPECT_EQ(e.kind(), Error::Kind::TooLarge);
    EXPECT_NE(e.message().find("20 MB"), std::string::npos) << e.message();
    auto job = import::list_jobs(pool()).at(0);
    EXPECT_EQ(job.status, "failed");
    EXPECT_EQ(job.error_code, "file_too_large");
    EXPECT_EQ(job.total, 0);
    EXPECT_EQ(subjects(), 0);
}

TEST_F(Import, FailureHalfWayWritesNothing) {
    // A database error at the final upsert (here a trigger) must roll back every row
    // and error of the run and leave the job failed.
    exec(pool(),
         "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
         "IF NEW.name = '触发失败' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$; "
         "CREATE TRIGGER refuse BEFORE INSERT ON market_subject FOR EACH ROW EXECUTE FUNCTION refuse()");
    Dataset d = mixed_dataset();
    d.rows.push_back({valid_uscc(20), "触发失败", "106.5", "29.5", "500103", ""});
    std::string path = dir.file("fail.csv");
    write_file(path, to_csv(d));
    ImportOptions opt;
    opt.filename = "fail.csv";
    long long id = import::create_job(pool(), opt);
    auto e = error_of([&] { import::run_job(pool(), id, path, opt); });
    EXPECT_EQ(e.code(), "import_failed");
    EXPECT_EQ(e.kind(), Error::Kind::Internal);
    EXPECT_EQ(subjects(), 0);
    EXPECT_EQ(scalar(pool(), "SELECT count(*) FROM import_error WHERE import_id = " + std::to_string(id)), "0");
    auto job = import::get_job(pool(), id);
    EXPECT_EQ(job.status, "failed");
    EXPECT_EQ(job.inserted, 0);
    EXPECT_NE(job.message.find("未写入"), std::string::npos) << job.message;
    EXPECT_EQ(job.message.find("boom"), std::string::npos) << "no internals in the user's message";

    // A job runs once.
    EXPECT_EQ(error_of([&] { import::run_job(pool(), id, path, opt); }).code(), "job_not_queued");
    EXPECT_EQ(error_of([&] { import::run_job(pool(), 987654, path, opt); }).kind(), Error::Kind::NotFound);
}

TEST_F(Import, ProgressIsVisibleFromAnotherConnectionWhileRunning) {
    // 3,000 rows: progress is written every 60 rows on its own connection; a trigger on
    // the final upsert looks at the job row from outside the import's transaction.
    std::string path = dir.file("many.csv");
    {
        std::ofstream out(path);
        out << "统一社会信用代码,企业名称,经度,纬度,所属区县,备注\n";
        for (int i = 0; i < 3000; ++i)
            out << valid_uscc(100 + static_cast<std::uint64_t>(i)) << ",企业" << i << ",106.5,29.5,500103,x\n";
    }
    exec(pool(), "CREATE EXTENSION IF NOT EXISTS dblink");
    exec(pool(),
         "CREATE TABLE seen(done integer, total integer); "
         "CREATE FUNCTION peek() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
         "INSERT INTO seen SELECT * FROM dblink('host=' || split_part(current_setting('unix_socket_directories'), ',', 1) "
         "|| ' port=' || current_setting('port') || ' dbname=' || current_database(), "
         "'SELECT done, total FROM import_job ORDER BY id DESC LIMIT 1') AS t(done integer, total integer); "
         "RETURN NULL; END $$; "
         "CREATE TRIGGER peek AFTER INSERT ON market_subject FOR EACH STATEMENT EXECUTE FUNCTION peek()");
    auto s = import_as(pool(), path, "many.csv");
    EXPECT_EQ(s.inserted, 3000);
    EXPECT_EQ(s.ignored_columns, std::vector<std::string>{"备注"});
    EXPECT_NE(s.message.find("备注"), std::string::npos);
    // Seen from outside while the import was still open: the total, and done at 98–100%.
    EXPECT_EQ(scalar(pool(), "SELECT total FROM seen"), "3000");
    int done = std::stoi(scalar(pool(), "SELECT done FROM seen"));
    EXPECT_GE(done, 2940);
    EXPECT_LE(done, 3000);
    EXPECT_EQ(scalar(pool(), "SELECT status FROM import_job WHERE id = " + std::to_string(s.id)), "done");
}

TEST_F(Import, JobOptionsAreChecked) {
    ImportOptions opt;
    opt.kind = "venues";
    EXPECT_EQ(error_of([&] { import::create_job(pool(), opt); }).code(), "kind_not_supported");
    opt.kind = "nonsense";
    EXPECT_EQ(error_of([&] { import::create_job(pool(), opt); }).code(), "bad_kind");
    opt.kind = "subjects";
    opt.format = "dbf";
    EXPECT_EQ(error_of([&] { import::create_job(pool(), opt); }).code(), "bad_format");
    opt.format = "";
    opt.crs = "bd09";
    EXPECT_EQ(error_of([&] { import::create_job(pool(), opt); }).code(), "bad_crs");
}

TEST_F(Import, ProductsByLicenceNumber) {
    std::string path = dir.file("products.csv");
    write_file(path,
               "生产许可证编号,产品名称,企业名称,统一社会信用代码,发证日期,所属区县,经度,纬度\n"
               "SC10150010300001,火锅底料,重庆山城火锅有限公司," + valid_uscc(1) + ",2021/3/5,500103,106.55,29.56\n"
               "SC10150010300002,麻花,沙坪坝区磁器口麻花店," + valid_uscc(2) + ",2021年13月5日,500106,106.45,29.58\n");
    ImportOptions opt;
    opt.kind = "products";
    auto s = import_as(pool(), path, "products.csv", opt);
    EXPECT_EQ(s.inserted, 1);
    EXPECT_EQ(s.rejected, 1);
    EXPECT_EQ(errors_of(pool(), s.id), (std::multimap<long long, std::string>{{3, "bad_format"}}));
    EXPECT_EQ(scalar(pool(), "SELECT issued_on::text FROM product"), "2021-03-05");
    auto again = import_as(pool(), path, "products.csv", opt);
    EXPECT_EQ(again.unchanged, 1);
    EXPECT_EQ(again.inserted + again.updated, 0);
}

// ---- ZIP-based uploads are bounded before GDAL opens them (issue 12 §2) -------------

namespace {

// Archives made by python3's zipfile (an independent writer): argv[1] is the file,
// argv[2] the kind.
const char* kZipScript = R"PY(
import sys, zipfile, struct
path, kind = sys.argv[1], sys.argv[2]
ct = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('[Content_Types].xml', ct)
    z.writestr('xl/workbook.xml', '<workbook/>')
    if kind == 'bomb':
        # 60 MB of shared strings in about 60 KB: what a 200 KB upload did, smaller.
        with z.open('xl/sharedStrings.xml', 'w') as f:
            f.write(b'<sst>')
            chunk = b'<si><t>a</t></si>' * 65536
            for _ in range(60 * 1024 * 1024 // len(chunk)):
                f.write(chunk)
            f.write(b'</sst>')
    elif kind == 'nested':
        z.writestr('xl/embeddings/inner.zip', b'PK\x03\x04' + b'0' * 100)
    elif kind == 'hidden':
        # An archive inside under an innocent name.
        z.writestr('xl/media/image1.png', b'PK\x03\x04' + b'0' * 100)
    elif kind == 'lying':
        z.writestr('xl/sharedStrings.xml', b'<sst>' + b'<si><t>b</t></si>' * 20000 + b'</sst>')
if kind == 'lying':
    # Both headers claim 1,000 bytes for what inflates to 340,011 (ratio under 100:1).
    data = bytearray(open(path, 'rb').read())
    name = b'xl/sharedStrings.xml'
    i = 0
    while True:
        i = data.find(b'PK\x03\x04', i)
        if i < 0: break
        n = struct.unpack_from('<H', data, i + 26)[0]
        if data[i + 30:i + 30 + n] == name:
            struct.pack_into('<I', data, i + 22, 1000)
        i += 4
    i = 0
    while True:
        i = data.find(b'PK\x01\x02', i)
        if i < 0: break
        n = struct.unpack_from('<H', data, i + 28)[0]
        if data[i + 46:i + 46 + n] == name:
            struct.pack_into('<I', data, i + 24, 1000)
        i += 4
    open(path, 'wb').write(bytes(data))
)PY";

std::string make_zip(const TempDir& dir, const std::string& kind) {
    const std::string script = dir.file("make-zip.py"), path = dir.file(kind + ".xlsx");
    write_file(script, kZipScript);
    run("python3 " + script + " " + path + " " + kind);
    return path;
}

}  // namespace

TEST_F(Import, AnXlsxBombIsRefusedBeforeGdalOpensIt) {
    const std::string path = make_zip(dir, "bomb");
    ASSERT_LT(fs::file_size(path), 1024u * 1024) << "the bomb is small";
    auto e = error_of([&] { import_as(pool(), path, "名录.xlsx"); });
    EXPECT_EQ(e.kind(), Error::Kind::TooLarge);
    EXPECT_EQ(e.code(), "zip_ratio") << e.message();
    EXPECT_NE(e.message().find("xl/sharedStrings.xml"), std::string::npos) << e.message();
    EXPECT_EQ(import::list_jobs(pool()).at(0).error_code, "zip_ratio");
    // Bounded by the total too, whatever the ratio of each entry.
    zipguard::Limits small;
    small.max_ratio = 100000;
    small.max_total = 10u * 1024 * 1024;
    EXPECT_EQ(error_of([&] { zipguard::check_file(path, small); }).code(), "zip_too_large");
    small.max_total = 200u * 1024 * 1024;
    zipguard::check_file(path, small);  // within both bounds: accepted
}

TEST_F(Import, ZipHeadersThatLieOrNestAreRefused) {
    EXPECT_EQ(error_of([&] { zipguard::check_file(make_zip(dir, "lying")); }).code(), "zip_corrupt");
    EXPECT_EQ(error_of([&] { zipguard::check_file(make_zip(dir, "nested")); }).code(), "zip_nested");
    EXPECT_EQ(error_of([&] { zipguard::check_file(make_zip(dir, "hidden")); }).code(), "zip_nested");
    // A truncated archive has no central directory left.
    std::string whole = read_file(make_zip(dir, "plain"));
    EXPECT_NO_THROW(zipguard::check(whole));
    EXPECT_EQ(error_of([&] { zipguard::check(whole.substr(0, whole.size() / 2)); }).code(), "zip_corrupt");
    EXPECT_EQ(error_of([&] { zipguard::check(std::string(10, 'x')); }).code(), "zip_corrupt");
}
