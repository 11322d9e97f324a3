// Unlicensed business (无照经营, NET-1) end to end through dispatch() on a real PostGIS:
// recording with every bad field named (422), a point outside the city, permissions
// (403), the data scope by district (404 / 403 out_of_scope), the time-range filter with
// its inclusive China-time bounds, the status workflow (409 for a wrong step), typed and
// bounded photo uploads, and the Excel export read back with GDAL's XLSX driver.
#include "common-pg.hpp"
#include "square-city.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"

#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace twindraw::testing {
namespace {

using nlohmann::json;

class UnlicensedApi : public ::testing::Test {
protected:
    // 77 supervisor of 渝中 (unit 900, district), 78 inspector 501 of 渝中 (self),
    // 79 supervisor of 渝北 (unit 901, district), 81 leader (all, read only),
    // 82 a user of 渝中 without the unlicensed permissions.
    static constexpr long long kSupervisor = 77, kInspector = 78, kNorth = 79, kLeader = 81, kNobody = 82;

    void SetUp() override {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(kSquareDistricts);
        tx.exec(kSquareBureaus);
        tx.exec(
            "INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES"
            " (501, '张巡查', '500103', 900, 'law_enforcement');"
            "INSERT INTO app_user(id, account, name, password_hash, phone, inspector_id) VALUES"
            " (77, 'yzsup', '王主管', 'x', '13800000077', NULL), (78, 'yzins', '张巡查', 'x', '13800000078', 501),"
            " (79, 'ybsup', '赵渝北', 'x', '13800000079', NULL), (81, 'boss', '钱领导', 'x', '13800000081', NULL),"
            " (82, 'clerk', '孙科员', 'x', '13800000082', NULL)");
        tx.commit();
        data_dir = (std::filesystem::temp_directory_path() / ("twindraw-unlicensed-" + db.name())).string();
        app = std::make_unique<server::App>(server::App{db.pool(), "", data_dir});
        server::register_all(router, *app);
    }
    void TearDown() override { std::filesystem::remove_all(data_dir); }

    server::Response call(long long user, const std::string& method, const std::string& target,
                          const json& body = nullptr, const std::string& raw = {}) {
        server::Request req = square_request(method, target);
        if (!body.is_null()) {
            req.body = body.dump();
            req.headers["content-type"] = "application/json";
        } else if (!raw.empty()) {
            req.body = raw;
            req.headers["content-type"] = "application/octet-stream";
        }
        server::Principal p = square_principal(user, user == kNorth ? 901 : 900, "", {});
        switch (user) {
            case kSupervisor:
            case kNorth:
                p.data_scope = "district";
                p.permissions = {"registry.read", "unlicensed.read", "unlicensed.record", "unlicensed.handle"};
                break;
            case kInspector:
                p.data_scope = "self";
                p.permissions = {"registry.read", "job.submit", "unlicensed.read", "unlicensed.record"};
                break;
            case kLeader:
                p.data_scope = "all";
                p.permissions = {"registry.read", "unlicensed.read"};
                break;
            default:
                p.data_scope = "district";
                p.permissions = {"registry.read"};
        }
        req.principal = p;
        return server::dispatch(router, "", req);
    }

    static json parse(const server::Response& r) { return json::parse(r.body); }
    static std::string code(const server::Response& r) { return parse(r)["error"].value("code", ""); }

    long long scalar(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::nontransaction tx(c);
        return tx.exec1(sql)[0].as<long long>();
    }

    static json record(const std::string& name, double lon, double lat, const std::string& found_at = "") {
        json b = {{"name", name},
                  {"address", "渝中区解放碑步行街 " + name},
                  {"business", "无营业执照销售日用百货"},
                  {"operator_name", "周经营"},
                  {"operator_phone", "13900000000"},
                  {"lon", lon},
                  {"lat", lat}};
        if (!found_at.empty()) b["found_at"] = found_at;
        return b;
    }

    long long create(const std::string& name, double lon, double lat, const std::string& found_at = "",
                     long long user = kSupervisor) {
        auto r = call(user, "POST", "/api/unlicensed", record(name, lon, lat, found_at));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? parse(r)["id"].get<long long>() : 0;
    }

    TempDatabase db;
    std::string data_dir;
    std::unique_ptr<server::App> app;
    server::Router router;
};

std::set<std::string> error_fields(const json& body) {
    std::set<std::string> out;
    for (const auto& e : body["error"]["errors"]) out.insert(e["field"].get<std::string>());
    return out;
}

TEST_F(UnlicensedApi, RecordingNamesEveryBadFieldAndRefusesPointsOutsideTheCity) {
    auto empty = call(kSupervisor, "POST", "/api/unlicensed", json::object());
    ASSERT_EQ(empty.status, 422) << empty.body;
    EXPECT_EQ(error_fields(parse(empty)),
              (std::set<std::string>{"lon", "lat", "name", "address", "business", "operator_name"}));

    json bad = record("烧烤摊", 106.55, 29.55, "2026-02-30 10:00");
    bad["operator_phone"] = "call me";
    bad["operator_id_no"] = "12345";
    bad["location_source"] = "satellite";
    bad["lat"] = 95;
    auto r = call(kSupervisor, "POST", "/api/unlicensed", bad);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_fields(parse(r)),
              (std::set<std::string>{"lat", "operator_phone", "operator_id_no", "found_at", "location_source"}));
    const json errors = parse(r)["error"]["errors"];
    for (const auto& e : errors) EXPECT_FALSE(e["message"].get<std::string>().empty());

    auto outside = call(kSupervisor, "POST", "/api/unlicensed", record("北京摊点", 116.4, 39.9));
    EXPECT_EQ(outside.status, 422);
    EXPECT_EQ(code(outside), "outside_city");
    auto future = call(kSupervisor, "POST", "/api/unlicensed", record("明天", 106.55, 29.55, "2099-01-01 08:00"));
    EXPECT_EQ(future.status, 422);
    EXPECT_EQ(code(future), "in_future");
    EXPECT_EQ(scalar("SELECT count(*) FROM unlicensed_business"), 0);  // nothing of the refusals written

    // The inspector from the phone: GPS position, the finder is the account and its inspector.
    json gps = record("无证小吃店", 106.55, 29.55);
    gps["location_source"] = "gps";
    gps["accuracy_m"] = 12.5;
    gps["operator_id_no"] = "50010319900101123X";
    auto ok = call(kInspector, "POST", "/api/unlicensed", gps);
    ASSERT_EQ(ok.status, 201) << ok.body;
    auto j = parse(ok);
    EXPECT_EQ(j["status"], "registered");
    EXPECT_EQ(j["status_label"], "登记");
    EXPECT_EQ(j["division_code"], "500103");
    EXPECT_EQ(j["division_name"], "渝中区");
    EXPECT_EQ(j["authority_id"], 900);
    EXPECT_EQ(j["found_by_name"], "张巡查");
    EXPECT_EQ(j["inspector_id"], 501);
    EXPECT_EQ(j["location_source"], "gps");
    EXPECT_DOUBLE_EQ(j["accuracy_m"].get<double>(), 12.5);
    EXPECT_NEAR(j["lon"].get<double>(), 106.55, 1e-9);
    EXPECT_EQ(j["next_statuses"].size(), 3u);
    // The change is in the audit trail.
    EXPECT_EQ(scalar("SELECT count(*) FROM audit_log WHERE entity = 'unlicensed_business'"), 1);
}

TEST_F(UnlicensedApi, PermissionsAndDataScope) {
    long long yz = create("渝中无照店", 106.55, 29.55);
    long long yb = create("渝北无照店", 106.65, 29.55, "", kNorth);
    ASSERT_TRUE(yz && yb);

    auto denied = call(kNobody, "GET", "/api/unlicensed");
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(code(denied), "forbidden");
    EXPECT_EQ(call(kNobody, "POST", "/api/unlicensed", record("x", 106.55, 29.55)).status, 403);
    EXPECT_EQ(call(kLeader, "POST", "/api/unlicensed", record("x", 106.55, 29.55)).status, 403);
    EXPECT_EQ(
        call(kInspector, "POST", "/api/unlicensed/" + std::to_string(yz) + "/status", {{"status", "handling"}}).status,
        403);

    // Each district sees its own; the leader the whole city.
    auto north = parse(call(kNorth, "GET", "/api/unlicensed"));
    ASSERT_EQ(north["total"], 1);
    EXPECT_EQ(north["items"][0]["id"], yb);
    EXPECT_EQ(parse(call(kSupervisor, "GET", "/api/unlicensed"))["total"], 1);
    EXPECT_EQ(parse(call(kLeader, "GET", "/api/unlicensed"))["total"], 2);
    EXPECT_EQ(parse(call(kInspector, "GET", "/api/unlicensed"))["total"], 1);
    auto hidden = call(kNorth, "GET", "/api/unlicensed/" + std::to_string(yz));
    EXPECT_EQ(hidden.status, 404);
    EXPECT_EQ(code(hidden), "not_found");
    EXPECT_EQ(
        call(kNorth, "POST", "/api/unlicensed/" + std::to_string(yz) + "/status", {{"status", "handling"}}).status,
        404);

    // Recording a point in another district is outside one's scope.
    auto across = call(kSupervisor, "POST", "/api/unlicensed", record("越界", 106.65, 29.55));
    EXPECT_EQ(across.status, 403);
    EXPECT_EQ(code(across), "out_of_scope");
    EXPECT_EQ(call(kInspector, "POST", "/api/unlicensed", record("越界", 106.65, 29.55)).status, 403);
    EXPECT_EQ(scalar("SELECT count(*) FROM unlicensed_business"), 2);
}

TEST_F(UnlicensedApi, TimeRangeDistrictStatusAndKeywordFilters) {
    // Found at 2026-03-01 00:10 and 23:50 China time, 03-02 09:00, 03-05 12:00.
    long long a = create("早市摊", 106.51, 29.51, "2026-03-01 00:10");
    long long b = create("夜宵摊", 106.52, 29.52, "2026-03-01 23:50");
    long long c = create("水果摊", 106.53, 29.53, "2026-03-02 09:00");
    long long d = create("修鞋摊", 106.54, 29.54, "2026-03-05T12:00");
    create("渝北摊", 106.65, 29.55, "2026-03-01 12:00", kNorth);
    auto ids = [&](const std::string& q) {
        auto r = call(kLeader, "GET", "/api/unlicensed" + q);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<long long> out;
        const json body = parse(r);  // kept: a range-for over a member of a temporary would dangle
        for (const auto& i : body["items"]) out.push_back(i["id"].get<long long>());
        return out;
    };
    // Inclusive days in China time, newest found first.
    EXPECT_EQ(ids("?from=2026-03-01&to=2026-03-01&division_code=500103"), (std::vector<long long>{b, a}));
    EXPECT_EQ(ids("?from=2026-03-02&division_code=500103"), (std::vector<long long>{d, c}));
    EXPECT_EQ(ids("?to=2026-03-01&division_code=500103"), (std::vector<long long>{b, a}));
    EXPECT_EQ(ids("?from=2026-03-01&to=2026-03-01").size(), 3u);
    EXPECT_EQ(ids("?from=2026-03-03&to=2026-03-04").size(), 0u);
    EXPECT_EQ(ids("?division_code=500112").size(), 1u);
    EXPECT_EQ(ids("?division_code=500000").size(), 5u);                    // the city covers every district
    EXPECT_EQ(ids("?division_code=500103001001").size(), 0u);              // a village below the records' district
    EXPECT_EQ(ids("?q=%E6%B0%B4%E6%9E%9C"), (std::vector<long long>{c}));  // 水果
    auto page = parse(call(kLeader, "GET", "/api/unlicensed?page_size=2&page=2"));
    EXPECT_EQ(page["total"], 5);
    EXPECT_EQ(page["items"].size(), 2u);
    EXPECT_EQ(page["points"].size(), 5u);
    EXPECT_EQ(page["items"][0]["found_at"], "2026-03-01 23:50");

    ASSERT_EQ(
        call(kSupervisor, "POST", "/api/unlicensed/" + std::to_string(c) + "/status", {{"status", "handling"}}).status,
        200);
    EXPECT_EQ(ids("?status=handling"), (std::vector<long long>{c}));
    EXPECT_EQ(ids("?status=registered").size(), 4u);

    // 无照查看 on the phone: from its position each item has the distance and 导航 links.
    auto near = call(kInspector, "GET", "/api/unlicensed?q=%E6%B0%B4%E6%9E%9C&lon=106.52&lat=29.53");
    ASSERT_EQ(near.status, 200) << near.body;
    const json item = parse(near)["items"][0];
    EXPECT_NEAR(item["distance_m"].get<double>(), 967, 5);  // 0.01° of longitude at 29.53°N
    EXPECT_EQ(item["nav"]["amap"].get<std::string>().rfind("https://uri.amap.com/navigation?", 0), 0u);
    EXPECT_NE(item["nav"]["baidu"].get<std::string>().find("api.map.baidu.com"), std::string::npos);
    EXPECT_NE(item["nav"]["tencent"].get<std::string>().find("%E6%B0%B4%E6%9E%9C"), std::string::npos);  // 水果摊
    EXPECT_FALSE(parse(call(kInspector, "GET", "/api/unlicensed"))["items"][0].contains("nav"));

    for (const std::string bad :
         {"?lon=106.5", "?lon=east&lat=29.5", "?lon=200&lat=29.5", "?from=2026-13-01", "?to=yesterday",
          "?from=2026-03-05&to=2026-03-01", "?status=closed", "?division_code=5001", "?page_size=500", "?page=0"}) {
        auto r = call(kLeader, "GET", "/api/unlicensed" + bad);
        EXPECT_EQ(r.status, 400) << bad << " " << r.body;
        EXPECT_FALSE(parse(r)["error"]["message"].get<std::string>().empty());
    }
}

TEST_F(UnlicensedApi, StatusMovesAlongTheWorkflowOnly) {
    long long id = create("黑网吧", 106.55, 29.55);
    const std::string path = "/api/unlicensed/" + std::to_string(id) + "/status";
    auto bad = call(kSupervisor, "POST", path, {{"status", "closed"}});
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(parse(bad)["error"]["errors"][0]["field"], "status");
    auto h = call(kSupervisor, "POST", path, {{"status", "handling"}, {"note", "已下达责令整改通知书"}});
    ASSERT_EQ(h.status, 200) << h.body;
    EXPECT_EQ(parse(h)["status_label"], "处置中");
    EXPECT_EQ(parse(h)["status_note"], "已下达责令整改通知书");
    EXPECT_EQ(parse(h)["handled_by_name"], "王主管");
    auto back = call(kSupervisor, "POST", path, {{"status", "registered"}});
    EXPECT_EQ(back.status, 409);
    EXPECT_EQ(code(back), "invalid_transition");
    auto done = call(kSupervisor, "POST", path, {{"status", "licensed"}, {"note", "已补办营业执照"}});
    ASSERT_EQ(done.status, 200);
    EXPECT_EQ(parse(done)["status_label"], "已办照");
    EXPECT_TRUE(parse(done)["next_statuses"].empty());
    EXPECT_EQ(call(kSupervisor, "POST", path, {{"status", "banned"}}).status, 409);
    EXPECT_EQ(call(kSupervisor, "POST", "/api/unlicensed/999999/status", {{"status", "banned"}}).status, 404);
    EXPECT_EQ(call(kSupervisor, "POST", "/api/unlicensed/abc/status", {{"status", "banned"}}).status, 400);
}

TEST_F(UnlicensedApi, PhotosAreTypedBoundedAndScoped) {
    long long id = create("流动摊贩", 106.55, 29.55, "", kInspector);
    const std::string path = "/api/unlicensed/" + std::to_string(id) + "/photos?filename=%E7%8E%B0%E5%9C%BA.png";
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'x');
    auto r = call(kInspector, "POST", path, nullptr, png);
    ASSERT_EQ(r.status, 201) << r.body;
    auto photo = parse(r);
    EXPECT_EQ(photo["content_type"], "image/png");
    EXPECT_EQ(photo["filename"], "现场.png");
    auto text = call(kInspector, "POST", path, nullptr, "not an image");
    EXPECT_EQ(text.status, 415);
    EXPECT_EQ(code(text), "unsupported_type");
    EXPECT_EQ(call(kInspector, "POST", path, nullptr, "").status, 400);
    // Issue 12 §5: magic bytes are not enough; PNG's signature followed by a page is no PNG.
    for (const std::string& fake : {std::string("\x89PNG\r\n\x1a\n", 8) + "<html><script>alert(1)</script></html>",
                                    std::string("\xff\xd8\xff\xe0", 4) + "<!DOCTYPE html><p>x</p>",
                                    std::string("%PDF-1.4\n<body onload=alert(1)>")}) {
        auto html = call(kInspector, "POST", path, nullptr, fake);
        EXPECT_EQ(html.status, 415) << html.body;
        EXPECT_EQ(code(html), "unsupported_type");
    }

    auto detail = parse(call(kSupervisor, "GET", "/api/unlicensed/" + std::to_string(id)));
    ASSERT_EQ(detail["photos"].size(), 1u);
    EXPECT_EQ(detail["photo_count"], 1);
    const std::string file = "/api/unlicensed-photos/" + photo["id"].dump();
    auto got = call(kSupervisor, "GET", file);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body, png);
    EXPECT_EQ(got.content_type, "image/png");
    EXPECT_EQ(call(kNorth, "GET", file).status, 404);
    EXPECT_EQ(call(kNorth, "POST", path, nullptr, png).status, 404);
    app->max_upload_bytes = 50;
    auto big = call(kInspector, "POST", path, nullptr, png);
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(code(big), "too_large");
    EXPECT_EQ(scalar("SELECT count(*) FROM unlicensed_business_file"), 1);  // only the good upload
}

// The rows of the export read back with GDAL's XLSX driver: 编号 → 名称|发现时间|状态.
std::map<long long, std::string> xlsx_rows(const std::string& bytes, const std::string& name) {
    const std::string path = (std::filesystem::temp_directory_path() / (name + ".xlsx")).string();
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    GDALAllRegister();
    const char* drivers[] = {"XLSX", nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr));
    std::map<long long, std::string> out;
    EXPECT_TRUE(ds) << "GDAL cannot open the export";
    if (ds) {
        EXPECT_EQ(std::string(ds->GetLayer(0)->GetName()), "无照经营");
        // By column (GDAL may or may not take the first row as field names): 0 编号,
        // 1 名称或招牌, 11 发现时间, 13 状态.
        bool header = false;
        for (auto& f : *ds->GetLayer(0)) {
            const std::string id = f->GetFieldAsString(0);
            if (id == "编号") {
                header = std::string(f->GetFieldAsString(13)) == "状态";
                continue;
            }
            out[std::stoll(id)] =
                std::string(f->GetFieldAsString(1)) + "|" + f->GetFieldAsString(11) + "|" + f->GetFieldAsString(13);
        }
        OGRFeatureDefn* defn = ds->GetLayer(0)->GetLayerDefn();
        EXPECT_TRUE(header || (std::string(defn->GetFieldDefn(0)->GetNameRef()) == "编号" &&
                               std::string(defn->GetFieldDefn(13)->GetNameRef()) == "状态"));
    }
    std::filesystem::remove(path);
    return out;
}

TEST_F(UnlicensedApi, ExcelExportFollowsTheFiltersAndTheScope) {
    long long a = create("早市摊", 106.51, 29.51, "2026-03-01 08:00");
    long long b = create("夜宵摊", 106.52, 29.52, "2026-03-02 22:30");
    create("上月摊", 106.53, 29.53, "2026-02-10 09:00");
    create("渝北摊", 106.65, 29.55, "2026-03-01 12:00", kNorth);
    ASSERT_EQ(
        call(kSupervisor, "POST", "/api/unlicensed/" + std::to_string(b) + "/status", {{"status", "banned"}}).status,
        200);

    auto r = call(kSupervisor, "GET", "/api/unlicensed/export.xlsx?from=2026-03-01&to=2026-03-31");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(r.body.substr(0, 2), "PK");
    auto rows = xlsx_rows(r.body, "twindraw-unlicensed-" + db.name());
    EXPECT_EQ(rows, (std::map<long long, std::string>{{a, "早市摊|2026-03-01 08:00|登记"},
                                                      {b, "夜宵摊|2026-03-02 22:30|已取缔"}}));
    // The leader's export of the same days holds 渝北's record too.
    auto all = call(kLeader, "GET", "/api/unlicensed/export.xlsx?from=2026-03-01&to=2026-03-31");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(xlsx_rows(all.body, "twindraw-unlicensed-all-" + db.name()).size(), 3u);
    EXPECT_EQ(call(kSupervisor, "GET", "/api/unlicensed/export.xlsx?from=bad").status, 400);
    EXPECT_EQ(call(kNobody, "GET", "/api/unlicensed/export.xlsx").status, 403);
}


// 无照查看 on the phone: with lon/lat the list is nearest first (in SQL, by the distance on
// the sphere), across pages and together with the filters; without them newest first. The
// nearest is found first and the farthest last, and 0.009° north (≈1,001 m) lies farther
// than 0.010° east (≈968 m) at 29.55°N, so neither the found time nor planar degrees give
// this order. The ORDER BY expression walks the geography index (0029).
TEST_F(UnlicensedApi, PhoneListIsNearestFirstFromThePosition) {
    const long long nearest = create("近处摊", 106.551, 29.551, "2026-04-01 08:00");
    const long long east = create("东边摊", 106.56, 29.55, "2026-04-02 08:00");
    const long long north = create("北边摊", 106.55, 29.559, "2026-04-03 08:00");
    const long long far = create("远处摊", 106.52, 29.52, "2026-04-04 08:00");
    const long long yubei = create("渝北摊", 106.65, 29.55, "2026-03-30 08:00", kNorth);
    auto list = [&](long long user, const std::string& q) {
        auto r = call(user, "GET", "/api/unlicensed" + q);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? parse(r) : json::object();
    };
    auto ids = [](const json& body) {
        std::vector<long long> out;
        for (const auto& i : body["items"]) out.push_back(i["id"].get<long long>());
        return out;
    };
    const std::string here = "lon=106.55&lat=29.55";

    const json all = list(kLeader, "?" + here);
    EXPECT_EQ(ids(all), (std::vector<long long>{nearest, east, north, far, yubei}));
    ASSERT_EQ(all["items"].size(), 5u);
    double last = -1;
    for (const auto& i : all["items"]) {
        EXPECT_GE(i["distance_m"].get<double>(), last) << i.dump();
        last = i["distance_m"].get<double>();
    }
    EXPECT_NEAR(all["items"][1]["distance_m"].get<double>(), 968, 5);   // 0.010° of longitude at 29.55°N
    EXPECT_NEAR(all["items"][2]["distance_m"].get<double>(), 1001, 5);  // 0.009° of latitude
    EXPECT_EQ(all["points"].size(), 5u);

    // Pages continue the order; filters still apply; without a position newest first.
    EXPECT_EQ(ids(list(kLeader, "?page_size=2&page=2&" + here)), (std::vector<long long>{north, far}));
    EXPECT_EQ(ids(list(kLeader, "?division_code=500103&" + here)), (std::vector<long long>{nearest, east, north, far}));
    EXPECT_EQ(ids(list(kLeader, "?from=2026-04-02&to=2026-04-03&" + here)), (std::vector<long long>{east, north}));
    EXPECT_EQ(ids(list(kLeader, "")), (std::vector<long long>{far, north, east, nearest, yubei}));
    // From the 渝北 record's place it comes first; the data scope still holds for the supervisor.
    EXPECT_EQ(ids(list(kLeader, "?lon=106.65&lat=29.55"))[0], yubei);
    EXPECT_EQ(ids(list(kNorth, "?lon=106.55&lat=29.55")), (std::vector<long long>{yubei}));

    // The ORDER BY expression is the one the geography GiST index answers (KNN scan).
    pqxx::connection c(db.url());
    pqxx::nontransaction tx(c);
    tx.exec("SET enable_seqscan = off");
    std::string plan;
    for (const auto& r : tx.exec(
             "EXPLAIN SELECT b.id FROM unlicensed_business b ORDER BY b.geom::geography <->"
             " ST_SetSRID(ST_MakePoint(106.55::float8, 29.55::float8), 4326)::geography LIMIT 20"))
        plan += r[0].as<std::string>() + "\n";
    EXPECT_NE(plan.find("unlicensed_business_geog_idx"), std::string::npos) << plan;
}

}  // namespace
}  // namespace twindraw::testing
