// The `objects` tile layer coloured by inspection status (GIS-2, issue 5; migration
// 0031) on a real PostGIS: real pixel colours of subjects without a job (grey), with an
// open job (blue), a clean result (green) and a result with a problem (red); a job's
// result expiring exactly its subject's tiles while a far tile keeps its ETag; the year
// filter; the viewer's row-level security on the jobs; the legend; 400 bad_filter.
#include "common-pg.hpp"
#include "tile-test-api.hpp"

#include "tiles/tile-render.hpp"
#include "tiles/tile-service.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace twindraw;
using namespace twindraw::server;
namespace fs = std::filesystem;

namespace {

// 渝中区 (bureau 900) and 大渡口区 (bureau 910). Subjects, each alone in its z16 tile:
//  1 (106.550, 29.550) job JC1-0001 pending            → 已抽中待检查 (blue)
//  2 (106.560, 29.550) job accepted, 01 qualified      → 已检查未发现问题 (green)
//  3 (106.570, 29.550) no job                          → 未列入抽查 (grey)
//  4 (106.580, 29.550) job cancelled                   → grey
//  5 (106.590, 29.550) job of 2020, accepted, clean    → grey this year, green in 2020
//  6 (106.400, 29.600) job pending, far to the west    → blue
//  7 (106.500, 29.450) 大渡口区, job of bureau 900 whose group has inspector 511 (user 78 of
//    bureau 910)                                       → blue for scope all and for user 78,
//                                                        grey for user 77 of bureau 910
// All risk level 3 (orange on the risk colouring).
const char* kFixture = R"SQL(
INSERT INTO division(code, name, level, parent_code, geom) VALUES
 ('500000', '重庆市', 1, NULL, NULL), ('500103', '渝中区', 3, '500000', NULL), ('500104', '大渡口区', 3, '500000', NULL);
INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES
 (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),
 (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL);
INSERT INTO inspector(id, name, division_code, authority_id, category) VALUES
 (511, '李检查', '500104', 910, 'law_enforcement');
INSERT INTO app_user(id, account, name, password_hash, inspector_id) VALUES
 (77, 'zhangsan', '张三', 'x', NULL), (78, 'lijiancha', '李检查', 'x', 511);
INSERT INTO market_subject(id, uscc, name, division_code, risk_level, geom) VALUES
 (1, '000000000000000001', '甲商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.550, 29.550), 4326)),
 (2, '000000000000000002', '乙商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.560, 29.550), 4326)),
 (3, '000000000000000003', '丙商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.570, 29.550), 4326)),
 (4, '000000000000000004', '丁商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.580, 29.550), 4326)),
 (5, '000000000000000005', '戊商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.590, 29.550), 4326)),
 (6, '000000000000000006', '己商行', '500103', 3, ST_SetSRID(ST_MakePoint(106.400, 29.600), 4326)),
 (7, '000000000000000007', '庚商行', '500104', 3, ST_SetSRID(ST_MakePoint(106.500, 29.450), 4326));
SELECT setval('market_subject_id_seq', 100);
INSERT INTO draw(id, title, object_kind, importance, params, population_query, rules, strata, candidate_ids,
                 object_digest, inspector_pools, inspector_digest, entropy, seed, groups, per_group, result, drawn_unit_id)
VALUES (1, '测试抽取', 'market_subject', 'general', '{}', '全部', '[]', '[]', '{}', sha256('o'), '[]', sha256('i'),
        sha256('e'), sha256('s'), 1, 0, '{}', 900),
       (2, '第二次抽取', 'market_subject', 'general', '{}', '全部', '[]', '[]', '{}', sha256('o'), '[]', sha256('i'),
        sha256('e2'), sha256('s2'), 1, 0, '{}', 900);
INSERT INTO inspection_job(job_no, draw_id, unit_id, object_kind, object_id, group_no, advance_notice, state,
                           inspected_on, result_category, qualified, submitted_at, created_at) VALUES
 ('JC1-0001', 1, 900, 'market_subject', 1, 1, 'required', 'pending', NULL, NULL, NULL, NULL, now()),
 ('JC1-0002', 1, 900, 'market_subject', 2, 1, 'required', 'accepted', current_date, '01', true, now(), now()),
 ('JC1-0004', 1, 900, 'market_subject', 4, 1, 'required', 'cancelled', NULL, NULL, NULL, NULL, now()),
 ('JC1-0005', 1, 900, 'market_subject', 5, 1, 'required', 'accepted', '2020-06-10', '01', true, '2020-06-10', '2020-06-01 10:00+08'),
 ('JC1-0006', 1, 900, 'market_subject', 6, 1, 'required', 'pending', NULL, NULL, NULL, NULL, now()),
 ('JC1-0007', 1, 900, 'market_subject', 7, 1, 'required', 'pending', NULL, NULL, NULL, NULL, now());
UPDATE inspection_job SET inspector_ids = '{511}' WHERE job_no = 'JC1-0007';
)SQL";

using twindraw::testing::count_pixels;
using twindraw::testing::tile_at;

struct Rgb {
    int r, g, b;
};
constexpr Rgb kGrey{0x9e, 0x9e, 0x9e}, kBlue{0x15, 0x65, 0xc0}, kGreen{0x2e, 0x7d, 0x32}, kRed{0xc6, 0x28, 0x28},
    kOrange{0xef, 0x6c, 0x00};

// Opaque pixels within a small distance of a colour (the marker's fill; a marker fills
// some 50 pixels at z16, so "none" is checked as fewer than 5: anti-aliased edges may
// land near another colour).
long long pixels_like(const tiles::Rgba& img, Rgb c) {
    return count_pixels(img, [c](int r, int g, int b, int a) {
        return a > 200 && std::abs(r - c.r) <= 24 && std::abs(g - c.g) <= 24 && std::abs(b - c.b) <= 24;
    });
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream b;
    b << in.rdbuf();
    return b.str();
}

int china_year() {
    const std::time_t t = std::time(nullptr) + 8 * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

class ObjectsStatusTiles : public twindraw::testing::TileTestApi {
protected:
    const char* fixture_sql() const override { return kFixture; }

    tiles::Rgba status_tile(double lon, double lat, const std::string& query = "by=status",
                            const std::string& scope = "all", long long unit = 900) {
        auto r = call(url("objects", tile_at(lon, lat, 16), query), scope, unit);
        EXPECT_EQ(r.status, 200) << r.body;
        return tiles::decode_png(r.body);
    }

    fs::path cached(const tiles::TileId& t, const std::string& query) {
        tiles::TileService paths(db.pool(), data_dir / "tiles");
        std::map<std::string, std::string> q;
        if (!query.empty()) q = server::parse_query(query);
        return paths.tile_path("objects", tiles::parse_filters(tiles::layer_info("objects"), q), "all", t);
    }
};

}  // namespace

TEST_F(ObjectsStatusTiles, SubjectsAreColouredByTheirJobsOfTheYear) {
    const auto blue = status_tile(106.550, 29.550);
    EXPECT_GT(pixels_like(blue, kBlue), 20);
    EXPECT_LT(pixels_like(blue, kRed) + pixels_like(blue, kGreen) + pixels_like(blue, kGrey), 5);
    const auto green = status_tile(106.560, 29.550);
    EXPECT_GT(pixels_like(green, kGreen), 20);
    EXPECT_LT(pixels_like(green, kBlue) + pixels_like(green, kGrey), 5);
    for (double lon : {106.570, 106.580, 106.590}) {  // no job, cancelled, last year's job
        const auto grey = status_tile(lon, 29.550);
        EXPECT_GT(pixels_like(grey, kGrey), 20) << lon;
        EXPECT_LT(pixels_like(grey, kBlue) + pixels_like(grey, kGreen), 5) << lon;
    }
    // The year filter: 2020's clean result is green in 2020; this year's jobs are not there.
    EXPECT_GT(pixels_like(status_tile(106.590, 29.550, "by=status&year=2020"), kGreen), 20);
    EXPECT_GT(pixels_like(status_tile(106.550, 29.550, "by=status&year=2020"), kGrey), 20);
    // The explicit current year is the default's tile (one cache key).
    EXPECT_EQ(cached(tile_at(106.55, 29.55, 16), "by=status"),
              cached(tile_at(106.55, 29.55, 16), "by=status&year=" + std::to_string(china_year())));
    // The risk colouring (default, and by=risk) is unchanged: risk level 3 is orange.
    const auto risk = tiles::decode_png(call(url("objects", tile_at(106.550, 29.550, 16))).body);
    EXPECT_GT(pixels_like(risk, kOrange), 20);
    EXPECT_LT(pixels_like(risk, kBlue), 5);
    EXPECT_EQ(call(url("objects", tile_at(106.550, 29.550, 16), "by=risk")).body,
              call(url("objects", tile_at(106.550, 29.550, 16))).body);
}

TEST_F(ObjectsStatusTiles, AProblemResultTurnsItsSubjectRedAndExpiresOnlyItsTiles) {
    const std::vector<int> zooms = {10, 13, 16};
    std::map<int, std::string> before;
    for (int z : zooms) {
        auto r = call(url("objects", tile_at(106.550, 29.550, z), "by=status"));
        ASSERT_EQ(r.status, 200);
        before[z] = etag(r);
    }
    const auto far = tile_at(106.400, 29.600, 16);
    auto far_r = call(url("objects", far, "by=status"));
    ASSERT_EQ(far_r.status, 200);
    ASSERT_GT(pixels_like(tiles::decode_png(far_r.body), kBlue), 20);
    const auto far_time = fs::last_write_time(cached(far, "by=status"));
    const auto far_bytes = read_all(cached(far, "by=status"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

    // A draft keeps the job open: nothing to repaint.
    sql("UPDATE inspection_job SET state = 'draft', findings = '草稿' WHERE job_no = 'JC1-0001'");
    EXPECT_EQ(count("SELECT count(*) FROM tile_dirty WHERE layer = 'objects'"), 0);
    // The result with a problem (08 责令整改, not qualified): the subject's place is dirty.
    sql("UPDATE inspection_job SET state = 'submitted', inspected_on = current_date, result_category = '08',"
        " qualified = false, submitted_at = now() WHERE job_no = 'JC1-0001'");
    EXPECT_EQ(count("SELECT count(*) FROM tile_dirty WHERE layer = 'objects'"), 1);

    const auto red = status_tile(106.550, 29.550);
    EXPECT_GT(pixels_like(red, kRed), 20);
    EXPECT_LT(pixels_like(red, kBlue), 5);
    for (int z : zooms) EXPECT_NE(etag(call(url("objects", tile_at(106.550, 29.550, z), "by=status"))), before[z]) << z;
    // The far tile was not touched: same file, same ETag.
    EXPECT_EQ(fs::last_write_time(cached(far, "by=status")), far_time);
    EXPECT_EQ(read_all(cached(far, "by=status")), far_bytes);
    EXPECT_EQ(etag(call(url("objects", far, "by=status"))), etag(far_r));

    // The result changes (an accepted appeal: 01, qualified): green; the job is then
    // cancelled: grey. Each change repaints the subject.
    sql("UPDATE inspection_job SET state = 'accepted', result_category = '01', qualified = true WHERE job_no = 'JC1-0001'");
    EXPECT_GT(pixels_like(status_tile(106.550, 29.550), kGreen), 20);
    sql("UPDATE inspection_job SET state = 'cancelled' WHERE job_no = 'JC1-0001'");
    const auto grey = status_tile(106.550, 29.550);
    EXPECT_GT(pixels_like(grey, kGrey), 20);
    EXPECT_LT(pixels_like(grey, kGreen), 5);
    // A new job for the subject (a new draw): blue again.
    sql("INSERT INTO inspection_job(job_no, draw_id, unit_id, object_kind, object_id, group_no, advance_notice)"
        " VALUES ('JC2-0001', 2, 900, 'market_subject', 1, 1, 'required')");
    EXPECT_GT(pixels_like(status_tile(106.550, 29.550), kBlue), 20);
    EXPECT_EQ(fs::last_write_time(cached(far, "by=status")), far_time);
}

TEST_F(ObjectsStatusTiles, JobsFollowTheViewersRowLevelSecurity) {
    // Subject 7 lies in 大渡口区; its job belongs to 渝中 bureau 900. Bureau 910 sees the
    // subject but not the job: grey; scope all sees the open job: blue.
    EXPECT_GT(pixels_like(status_tile(106.500, 29.450), kBlue), 20);
    const auto other = status_tile(106.500, 29.450, "by=status", "unit", 910);
    EXPECT_GT(pixels_like(other, kGrey), 20);
    EXPECT_LT(pixels_like(other, kBlue), 5);
    // User 78 of the same bureau and scope is an inspector of the job's group: the job is
    // visible to them (blue), and their tile is not the one cached for user 77.
    auto as_inspector = call(url("objects", tile_at(106.500, 29.450, 16), "by=status"), "unit", 910, 78);
    ASSERT_EQ(as_inspector.status, 200) << as_inspector.body;
    const auto own = tiles::decode_png(as_inspector.body);
    EXPECT_GT(pixels_like(own, kBlue), 20);
    EXPECT_LT(pixels_like(own, kGrey), 5);
    // ...while the risk colouring (no jobs read) stays shared by the bureau's viewers.
    EXPECT_EQ(etag(call(url("objects", tile_at(106.500, 29.450, 16)), "unit", 910, 78)),
              etag(call(url("objects", tile_at(106.500, 29.450, 16)), "unit", 910)));
}

TEST_F(ObjectsStatusTiles, BadFiltersAre400BadFilterWithAChineseMessage) {
    for (const auto& bad :
         {"/tiles/objects/16/53000/27000.png?by=colour", "/tiles/objects/16/53000/27000.png?by=status&year=1999",
          "/tiles/objects/16/53000/27000.png?by=status&year=20x5", "/tiles/objects/16/53000/27000.png?year=2025",
          "/tiles/objects/16/53000/27000.png?by=risk&year=2025", "/tiles/results/16/53000/27000.png?by=status",
          "/tiles/heat/16/53000/27000.png?by=status"}) {
        auto r = call(bad);
        ASSERT_EQ(r.status, 400) << bad << " " << r.body;
        const auto body = nlohmann::json::parse(r.body);
        EXPECT_EQ(body["error"]["code"], "bad_filter") << bad;
        const auto message = body["error"]["message"].get<std::string>();
        EXPECT_TRUE(message.find("\xe5") != std::string::npos || message.find("\xe7") != std::string::npos ||
                    message.find("\xe6") != std::string::npos || message.find("\xe4") != std::string::npos)
            << message;  // Chinese (UTF-8 CJK lead bytes)
    }
    EXPECT_EQ(call("/tiles/objects/16/53000/27000.png?by=status&year=2025&risk=3&division=500103").status, 200);
}

TEST_F(ObjectsStatusTiles, LegendListsTheStatusColours) {
    auto r = call("/api/map/legend");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto legend = nlohmann::json::parse(r.body);
    const auto& status = legend["objects"]["status"];
    ASSERT_EQ(status.size(), 4u);
    std::map<std::string, std::string> colours;
    for (const auto& s : status) colours[s["label"].get<std::string>()] = s["colour"].get<std::string>();
    EXPECT_EQ(colours["未列入抽查"], "#9e9e9e");
    EXPECT_EQ(colours["已抽中待检查"], "#1565c0");
    EXPECT_EQ(colours["已检查未发现问题"], "#2e7d32");
    EXPECT_EQ(colours["已检查发现问题"], "#c62828");
    EXPECT_EQ(legend["objects"]["risk"].size(), 4u);
    bool listed = false;
    for (const auto& l : legend["layers"])
        if (l["name"] == "objects")
            for (const auto& f : l["filters"]) listed = listed || f == "by";
    EXPECT_TRUE(listed);
}
