// What the draw's people and the public read (issue 12 §4): every time in Beijing time
// (the draw page, list, record, public re-check, the signed PDF), the PDF naming drawer,
// witness and confirmer, and the public re-check naming objects and inspectors.
#include "draw-api-fixture.hpp"

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;

using DrawPublic = twindraw::testing::DrawApiTest;

// A draw run at 17:00 UTC happened on the next day in Beijing: every page and the signed
// record must say 2026-12-08 01:00:00, never the UTC date or a "+00" time.
TEST_F(DrawPublic, ADrawAfterFourPmUtcShowsTheNextBeijingDayEverywhere) {
    const long long id = confirmed_draw();
    const std::string sid = std::to_string(id);
    // The guard keeps a confirmed draw immutable; the test moves its clock, not the product.
    exec("ALTER TABLE draw DISABLE TRIGGER draw_guard; ALTER TABLE draw DISABLE TRIGGER draw_frozen_guard;"
         "UPDATE draw SET drawn_at = '2026-12-07 17:00:00+00', confirmed_at = '2026-12-07 17:05:09.25+00' WHERE id = " +
         sid + ";ALTER TABLE draw ENABLE TRIGGER draw_guard; ALTER TABLE draw ENABLE TRIGGER draw_frozen_guard");

    const std::string drawn = "2026-12-08 01:00:00", confirmed = "2026-12-08 01:05:09";
    auto r = call("GET", "/api/draws/" + sid);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["drawn_at"], drawn);
    EXPECT_EQ(parse(r)["confirmed_at"], confirmed);

    r = call("GET", "/api/draws?page=1&page_size=10");
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_FALSE(parse(r)["items"].empty());
    EXPECT_EQ(parse(r)["items"][0]["drawn_at"], drawn);
    EXPECT_EQ(parse(r)["items"][0]["confirmed_at"], confirmed);

    r = call("GET", "/api/draws/" + sid + "/record.json");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["meta"]["drawn_at"], drawn);
    EXPECT_EQ(parse(r)["meta"]["confirmed_at"], confirmed);

    r = call("GET", "/api/public/draws/" + sid, "", false);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["drawn_at"], drawn);
    EXPECT_EQ(parse(r)["confirmed_at"], confirmed);

    // No answer of the draw routes carries a UTC time.
    for (const std::string& path : std::vector<std::string>{"/api/draws/" + sid, "/api/draws?page=1&page_size=10",
                                     std::string("/api/draws/" + sid + "/record.json"), "/api/public/draws/" + sid,
                                     std::string("/api/draws/attempts?page=1&page_size=10")}) {
        r = call("GET", path);
        EXPECT_EQ(r.body.find("+00"), std::string::npos) << path << ": " << r.body.substr(0, 400);
        EXPECT_EQ(r.body.find("2026-12-07 17:0"), std::string::npos) << path;
    }

    r = call("GET", "/api/draws/" + sid + "/record.pdf");
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    const std::string text = pdf_text(r.body);
    EXPECT_NE(text.find("抽取时间：2026-12-0801:00:00（北京时间）"), std::string::npos) << text;
    EXPECT_NE(text.find("确认时间：2026-12-0801:05:09（北京时间）"), std::string::npos) << text;
    EXPECT_EQ(text.find("2026-12-07"), std::string::npos) << text;
}

// The safety net under display_time(): a pooled connection renders any timestamptz in
// Asia/Shanghai, so a query that forgets the helper still shows the Beijing date.
TEST_F(DrawPublic, PooledConnectionsRenderTimesInBeijing) {
    auto text = pg::with_read(db.pool(), "test", [](pqxx::read_transaction& tx) {
        auto row = tx.exec1("SELECT '2026-12-07 17:00:00+00'::timestamptz::text, current_setting('TimeZone'),"
                            " display_time('2026-12-07 17:00:00+00')");
        return std::make_tuple(row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>());
    });
    EXPECT_EQ(std::get<0>(text), "2026-12-08 01:00:00+08");
    EXPECT_EQ(std::get<1>(text), "Asia/Shanghai");
    EXPECT_EQ(std::get<2>(text), "2026-12-08 01:00:00");
}

// The signed record names who drew, the 监督人员 who witnessed and who confirmed; a
// revealed attempt not yet confirmed names no confirmer.
TEST_F(DrawPublic, ThePrintedRecordNamesDrawerWitnessAndConfirmer) {
    auto r = witnessed(call("POST", "/api/draws", twindraw::testing::draw_body("草稿抽取")));
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string draft = std::to_string(parse(r)["id"].get<long long>());
    r = call("GET", "/api/draws/" + draft + "/record.pdf");
    ASSERT_EQ(r.status, 200);
    std::string text = pdf_text(r.body);
    EXPECT_NE(text.find("抽取人：抽取员张三"), std::string::npos) << text;
    EXPECT_NE(text.find("监督人：监督员李四"), std::string::npos) << text;
    EXPECT_NE(text.find("确认人：—"), std::string::npos) << text;
    abandon(std::stoll(draft));

    const std::string id = std::to_string(confirmed_draw());
    r = call("GET", "/api/draws/" + id + "/record.pdf");
    ASSERT_EQ(r.status, 200);
    text = pdf_text(r.body);
    EXPECT_NE(text.find("抽取人：抽取员张三"), std::string::npos) << text;
    EXPECT_NE(text.find("监督人：监督员李四"), std::string::npos) << text;
    EXPECT_NE(text.find("确认人：抽取员张三"), std::string::npos) << text;
}

// The public re-check names the drawn objects (name, 统一社会信用代码) and inspectors (name,
// unit, 执法证号) of a confirmed draw, and nothing of people beyond that; an attempt that
// was not confirmed names nobody.
TEST_F(DrawPublic, ThePublicRecheckNamesObjectsAndInspectorsOfAConfirmedDraw) {
    exec("UPDATE inspector SET certificate_no = 'ZF500' || id, phone = '1390000' || id");
    auto r = call("POST", "/api/draws", twindraw::testing::draw_body("草稿抽取"));
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string draft = std::to_string(parse(r)["id"].get<long long>());
    r = call("GET", "/api/public/draws/" + draft, "", false);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(parse(r)["names"]["objects"].empty()) << r.body.substr(0, 400);
    EXPECT_TRUE(parse(r)["names"]["inspectors"].empty());
    abandon(std::stoll(draft));

    const std::string id = std::to_string(confirmed_draw());
    r = call("GET", "/api/public/draws/" + id, "", false);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto v = parse(r);
    const auto& names = v["names"];
    size_t objects = 0, people = 0;
    for (const auto& g : v["record"]["result_groups"]) {
        for (const auto& o : g["objects"]) {
            const std::string oid = o.is_string() ? o.get<std::string>() : std::to_string(o.get<long long>());
            ASSERT_TRUE(names["objects"].contains(oid)) << oid;
            EXPECT_EQ(names["objects"][oid]["name"], "测试企业" + oid);
            EXPECT_EQ(names["objects"][oid]["code"].get<std::string>().size(), 18u);
            ++objects;
        }
        std::vector<json> ps = {g["leader"]};
        for (const auto& m : g["members"]) ps.push_back(m);
        for (const auto& p : ps) {
            const std::string pid = p.is_string() ? p.get<std::string>() : std::to_string(p.get<long long>());
            ASSERT_TRUE(names["inspectors"].contains(pid)) << pid;
            EXPECT_EQ(names["inspectors"][pid]["name"], "执法人员" + std::to_string(std::stoll(pid) - 100));
            EXPECT_EQ(names["inspectors"][pid]["certificate_no"], "ZF500" + pid);
            EXPECT_FALSE(names["inspectors"][pid]["unit"].get<std::string>().empty());
            ++people;
        }
    }
    EXPECT_GT(objects, 0u);
    EXPECT_EQ(people, 6u);
    EXPECT_EQ(r.body.find("1390000"), std::string::npos) << "no phone number on the public page";
}
