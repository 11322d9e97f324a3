// Settings that do what they say (issue 12 §3): the filter rules a task chose, its
// personnel categories and its objects per group are applied by the draw (or refused)
// and kept in the record. Over the small draw city: 渝中区 holds 640 of the 800 subjects,
// 40 per stratum; 5 % takes 2 from each, 32 in all.
#include "draw-api-fixture.hpp"

#include "workflows/draw-core.hpp"

#include <set>

using namespace twindraw;
using namespace twindraw::server;
using nlohmann::json;
using twindraw::testing::draw_body;

namespace {

using DrawSettings = twindraw::testing::DrawApiTest;

json rule(const json& rules, const std::string& code) {
    for (const auto& r : rules)
        if (r["code"] == code) return r;
    return json();
}

}  // namespace

// inspected_this_year follows the request's list (the task's choice), not the bureau's
// switch; in_open_draw is locked on whatever the list says. The record keeps which rule
// applied and why.
TEST_F(DrawSettings, TheChosenFilterRulesDecideThePopulation) {
    // A confirmed draw of this year whose task has ended: its 32 objects are no longer
    // open, so only inspected_this_year keeps them out.
    const std::string first = std::to_string(confirmed_draw());
    exec("UPDATE draw SET closed_at = now() WHERE id = " + first + ";UPDATE draw_object SET open = false WHERE draw_id = " +
         first);

    auto total = [&](const std::string& extra) {
        auto r = call("POST", "/api/draws/preview", draw_body("预览", extra));
        EXPECT_EQ(r.status, 200) << r.body;
        return parse(r)["total"].get<long long>();
    };
    EXPECT_EQ(total(""), 640 - 32) << "no list: the bureau's setting (inspected_this_year on)";
    EXPECT_EQ(total(R"(,"exclusions":["in_open_draw"])"), 640) << "the task did not choose inspected_this_year";
    EXPECT_EQ(total(R"(,"exclusions":["inspected_this_year"])"), 640 - 32);
    EXPECT_EQ(total(R"(,"exclusions":["in_open_task","inspected_this_year"])"), 640 - 32) << "the former code";

    // The bureau switches the rule off: a task that chose it still has it applied.
    ASSERT_EQ(call("PUT", "/api/draw-rules", R"({"code":"inspected_this_year","enabled":false})").status, 200);
    EXPECT_EQ(total(""), 640);
    EXPECT_EQ(total(R"(,"exclusions":["inspected_this_year"])"), 640 - 32);

    auto r = call("POST", "/api/draws/preview", draw_body("预览", R"(,"exclusions":["nobody_knows"])"));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["field"], "exclusions");

    // The record says which rules applied and where from.
    r = witnessed(call("POST", "/api/draws", draw_body("按任务规则抽取", R"(,"exclusions":["inspected_this_year"])")));
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    r = call("GET", "/api/draws/" + id + "/record.json");
    ASSERT_EQ(r.status, 200);
    const auto meta = parse(r)["meta"];
    EXPECT_EQ(rule(meta["rules"], "inspected_this_year")["enabled"], true) << meta["rules"].dump();
    EXPECT_EQ(rule(meta["rules"], "inspected_this_year")["source"], "request");
    EXPECT_EQ(rule(meta["rules"], "in_open_draw")["enabled"], true);
    EXPECT_EQ(rule(meta["rules"], "in_open_draw")["source"], "locked");
    EXPECT_EQ(meta["params"]["exclusions"], json::array({"inspected_this_year"}));
    EXPECT_NE(meta["population"].get<std::string>().find("排除当年已抽查的对象"), std::string::npos);
    EXPECT_EQ(parse(r)["candidates"].size(), 640u - 32u);
}

// Personnel categories narrow the inspector pools; 辅助专家 are refused, never silently dropped.
TEST_F(DrawSettings, PersonnelCategoriesNarrowThePoolsAndExpertsAreRefused) {
    // 执法人员7 and 执法人员8 (解放碑所, not leaders) do daily supervision.
    exec("UPDATE inspector SET category = 'daily_supervision' WHERE id IN (107, 108)");
    auto pools = [&](const std::string& categories) {
        const std::string extra = categories.empty() ? "" : ",\"inspectors\":{\"unit_ids\":[900],\"categories\":" + categories + "}";
        auto r = call("POST", "/api/draws/preview", draw_body("预览", extra));
        EXPECT_EQ(r.status, 200) << r.body;
        return std::make_pair(parse(r)["inspectors"]["leaders"].get<long long>(),
                              parse(r)["inspectors"]["members"].get<long long>());
    };
    EXPECT_EQ(pools(""), std::make_pair(4LL, 13LL)) << "no categories: everyone but experts";
    EXPECT_EQ(pools(R"(["law_enforcement"])"), std::make_pair(4LL, 11LL));
    EXPECT_EQ(pools(R"(["daily_supervision"])"), std::make_pair(0LL, 2LL));
    EXPECT_EQ(pools(R"(["law_enforcement","daily_supervision"])"), std::make_pair(4LL, 13LL));

    auto r = call("POST", "/api/draws",
                  draw_body("含专家", R"(,"inspectors":{"unit_ids":[900],"categories":["law_enforcement","expert"]})"));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "expert_not_drawable");
    EXPECT_EQ(parse(r)["error"]["field"], "inspectors.categories");

    r = witnessed(call("POST", "/api/draws",
                       draw_body("只抽执法人员", R"(,"inspectors":{"unit_ids":[900],"categories":["law_enforcement"]})")));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto d = parse(r);
    for (const auto& g : d["result_groups"])
        for (const auto& m : g["members"]) EXPECT_TRUE(m["id"] != 107 && m["id"] != 108) << m.dump();
    r = call("GET", "/api/draws/" + std::to_string(d["id"].get<long long>()) + "/record.json");
    const auto rec = parse(r);
    for (const auto& p : rec["inspector_pools"])
        for (const auto& id : p["ids"]) EXPECT_TRUE(id != 107 && id != 108) << p.dump();
    EXPECT_NE(rec["meta"]["population"].get<std::string>().find("人员类别为行政执法人员"), std::string::npos)
        << rec["meta"]["population"];
    EXPECT_TRUE(draw::verify(rec).ok);
}

// objects_per_group: the draw forms as many groups as the quotas' k needs (never fewer
// than asked), so no group inspects more; the record verifies and says so.
TEST_F(DrawSettings, ObjectsPerGroupDecideHowManyGroupsAreFormed) {
    // 32 objects at most 10 a group: 4 groups, not the 3 asked for.
    auto r = witnessed(call("POST", "/api/draws", draw_body("每组至多10户", R"(,"objects_per_group":10)")));
    ASSERT_EQ(r.status, 200) << r.body;
    auto d = parse(r);
    ASSERT_EQ(d["result_groups"].size(), 4u) << d.dump().substr(0, 400);
    size_t objects = 0;
    for (const auto& g : d["result_groups"]) {
        EXPECT_LE(g["objects"].size(), 10u);
        EXPECT_FALSE(g["leader"].is_null());
        objects += g["objects"].size();
    }
    EXPECT_EQ(objects, 32u);
    r = call("GET", "/api/draws/" + std::to_string(d["id"].get<long long>()) + "/record.json");
    auto rec = parse(r);
    EXPECT_EQ(rec["groups"], 4);
    EXPECT_EQ(rec["meta"]["params"]["objects_per_group"], 10);
    EXPECT_NE(rec["meta"]["population"].get<std::string>().find("每组至多 10 个检查对象，共 4 组"), std::string::npos);
    EXPECT_TRUE(draw::verify(rec).ok);
    abandon(d["id"].get<long long>());

    // A cap the quotas already meet changes nothing; one the inspectors cannot staff is refused.
    r = witnessed(call("POST", "/api/draws", draw_body("每组至多20户", R"(,"objects_per_group":20)")));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse(r)["result_groups"].size(), 3u);
    abandon(parse(r)["id"].get<long long>());
    r = call("POST", "/api/draws", draw_body("每组1户", R"(,"objects_per_group":1)"));
    EXPECT_EQ(r.status, 422) << r.body;
    r = call("POST", "/api/draws", draw_body("坏值", R"(,"objects_per_group":0)"));
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(parse(r)["error"]["field"], "objects_per_group");
}

// The 执法回避 page's calls: a recusal from every object may send null for the object,
// a wrong type is a 4xx naming the field (it was a 500), and the pools leave the person out.
TEST_F(DrawSettings, RecusalsFromThePageAcceptNullObjectsAndRefuseWrongTypes) {
    auto r = call("POST", "/api/draw-recusals",
                  R"({"inspector_id":107,"object_kind":null,"object_id":null,"reason":"借调外单位","valid_until":null})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id = std::to_string(parse(r)["id"].get<long long>());
    r = call("POST", "/api/draw-recusals", R"({"inspector_id":107,"object_kind":1,"object_id":5,"reason":"x"})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["field"], "object_kind");
    r = call("POST", "/api/draw-recusals", R"({"inspector_id":107,"reason":5})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(parse(r)["error"]["field"], "reason");

    r = call("GET", "/api/draw-recusals");
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(parse(r)["items"].size(), 1u);
    EXPECT_EQ(parse(r)["items"][0]["inspector_name"], "执法人员7");
    EXPECT_TRUE(parse(r)["items"][0]["object_id"].is_null());
    r = call("POST", "/api/draws/preview", draw_body("预览"));
    EXPECT_EQ(parse(r)["inspectors"]["members"], 12) << "执法人员7 recused";
    ASSERT_EQ(call("DELETE", "/api/draw-recusals/" + id).status, 204);
    // A recusal from one object is listed with the object's name.
    ASSERT_EQ(call("POST", "/api/draw-recusals", R"({"inspector_id":108,"object_kind":"market_subject","object_id":12,"reason":"亲属"})")
                  .status,
              201);
    r = call("GET", "/api/draw-recusals");
    ASSERT_EQ(parse(r)["items"].size(), 1u);
    EXPECT_EQ(parse(r)["items"][0]["object_name"], "测试企业12");
    r = call("POST", "/api/draws/preview", draw_body("预览"));
    EXPECT_EQ(parse(r)["inspectors"]["members"], 13);
}
