// A task's draw_params turned into the draw request (DRAW-1, TASK-1): strata with an
// open level expand to the cells no earlier stratum took, a count over several cells
// is refused, joint tasks draw leaders from the initiating department.
#include "geo/error.hpp"
#include "workflows/draw-repo.hpp"
#include "workflows/draw-settings.hpp"
#include "workflows/task-draw.hpp"

#include <gtest/gtest.h>

#include <map>

using nlohmann::json;
using namespace twindraw;

namespace {

json task(const std::string& strata, const std::string& type = "single",
          const std::string& insp = R"({"scope":"bureau"})") {
    return json::parse(R"({"id": 7, "name": "任务", "task_type": ")" + type +
                       R"(", "initiating_authority_id": 10, "cooperating_authority_ids": [20, 30], "item_ids": [5],
        "draw_params": {"objects": {"object_type": "venue", "division_codes": ["500103"], "industry_codes": ["H"],
                                    "item_ids": [], "strata": )" +
                       strata + R"(}, "inspectors": )" + insp + R"(,
                        "groups": {"count": 3, "inspectors_per_group": 2, "objects_per_group": null}}})");
}

std::map<std::string, json> cells(const json& body) {
    std::map<std::string, json> out;
    for (const auto& s : body["strata"]) out[std::to_string(s["risk"].get<int>()) + s["credit"].get<std::string>()] = s;
    return out;
}

}  // namespace

TEST(TaskDraw, OpenLevelsExpandAndTheFirstMatchingStratumWins) {
    auto body = taskdraw::request_from_params(task(
        R"([{"risk_level": 4, "credit_level": null, "ratio": 20, "count": null},
            {"risk_level": 3, "credit_level": "C", "ratio": null, "count": 5},
            {"risk_level": null, "credit_level": null, "ratio": 3, "count": null}])"));
    auto c = cells(body);
    ASSERT_EQ(c.size(), 16u);
    EXPECT_EQ(body["strata"].size(), 16u) << "no cell twice";
    for (char credit : std::string("ABCD")) EXPECT_EQ(c[std::string("4") + credit]["ratio"], 20);
    EXPECT_EQ(c["3C"]["count"], 5);
    EXPECT_FALSE(c["3C"].contains("ratio"));
    EXPECT_EQ(c["1A"]["ratio"], 3);
    EXPECT_EQ(c["3D"]["ratio"], 3);
    EXPECT_EQ(body["task_id"], 7);
    EXPECT_EQ(body["object_kind"], "venue");
    EXPECT_EQ(body["item_id"], 5) << "the task's item when the params name none";
    EXPECT_EQ(body["scope"]["industry_codes"], json::array({"H"}));
    EXPECT_EQ(body["groups"], 3);
    EXPECT_EQ(body["per_group"], 2);
    EXPECT_EQ(body["inspectors"]["unit_ids"], json::array({10}));
    EXPECT_FALSE(body["inspectors"].contains("initiating_unit_id"));
}

TEST(TaskDraw, JointTasksDrawFromEveryDepartmentWithLeadersOfTheInitiatingOne) {
    auto body = taskdraw::request_from_params(task(R"([{"risk_level": 1, "credit_level": "A", "count": 2}])", "joint"));
    EXPECT_EQ(body["inspectors"]["unit_ids"], json::array({10, 20, 30}));
    EXPECT_EQ(body["inspectors"]["initiating_unit_id"], 10);
    EXPECT_EQ(body["strata"].size(), 1u);
    auto offices = taskdraw::request_from_params(
        task(R"([{"ratio": 5}])", "single", R"({"scope":"offices","authority_ids":[41,42],"cross_district":true})"));
    EXPECT_EQ(offices["inspectors"]["unit_ids"], json::array({41, 42}));
    EXPECT_EQ(offices["inspectors"]["cross_district"], true);
}

TEST(TaskDraw, CountsOverSeveralCellsAndEmptyParamsAreRefused) {
    try {
        taskdraw::request_from_params(task(R"([{"risk_level": 4, "count": 3}])"));
        FAIL() << "a count over four cells";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "draw_params_not_drawable");
        EXPECT_EQ(e.kind(), Error::Kind::Invalid);
    }
    // A stratum entirely shadowed by earlier ones adds nothing; none left is refused.
    auto t = task(R"([{"ratio": 5}, {"risk_level": 2, "credit_level": "B", "count": 1}])");
    EXPECT_EQ(taskdraw::request_from_params(t)["strata"].size(), 16u);
    json empty = task("[]");
    EXPECT_THROW(taskdraw::request_from_params(empty), Error);
    empty["draw_params"] = json::object();
    EXPECT_THROW(taskdraw::request_from_params(empty), Error);
}

// The task's settings reach the draw request and the draw reads them (issue 12 §3): the
// chosen filter rules, the personnel categories and objects_per_group; a task still
// holding 辅助专家 or the former rule code is refused or translated, never ignored.
TEST(TaskDraw, TheTasksSettingsReachTheDrawRequest) {
    json t = task(R"([{"ratio": 5}])", "single", R"({"scope":"bureau","categories":["law_enforcement","daily_supervision"]})");
    t["draw_params"]["objects"]["exclusions"] = json::array({"in_open_draw"});
    t["draw_params"]["groups"]["objects_per_group"] = 15;
    auto body = taskdraw::request_from_params(t);
    EXPECT_EQ(body["exclusions"], json::array({"in_open_draw"}));
    EXPECT_EQ(body["inspectors"]["categories"], json::array({"law_enforcement", "daily_supervision"}));
    EXPECT_EQ(body["objects_per_group"], 15);
    auto req = draw::parse_request(body);
    ASSERT_TRUE(req.exclusions.has_value());
    EXPECT_EQ(*req.exclusions, std::vector<std::string>{"in_open_draw"});
    EXPECT_EQ(req.inspectors.categories, (std::vector<std::string>{"law_enforcement", "daily_supervision"}));
    EXPECT_EQ(req.objects_per_group, 15);
    EXPECT_FALSE(draw::rule_applies(req, "inspected_this_year", true, false)) << "not chosen by the task";
    EXPECT_TRUE(draw::rule_applies(req, "in_open_draw", false, true)) << "locked";
    EXPECT_EQ(draw::rule_source(req, "inspected_this_year", false), "request");

    // Without a list the bureau's switch decides.
    t["draw_params"]["objects"].erase("exclusions");
    req = draw::parse_request(taskdraw::request_from_params(t));
    EXPECT_FALSE(req.exclusions.has_value());
    EXPECT_TRUE(draw::rule_applies(req, "inspected_this_year", true, false));
    EXPECT_FALSE(draw::rule_applies(req, "inspected_this_year", false, false));

    // The former code of the task form means the draw's in_open_draw.
    t["draw_params"]["objects"]["exclusions"] = json::array({"in_open_task", "inspected_this_year"});
    req = draw::parse_request(taskdraw::request_from_params(t));
    EXPECT_EQ(*req.exclusions, (std::vector<std::string>{"in_open_draw", "inspected_this_year"}));

    // A task saved with 辅助专家 is refused at the draw, naming the field.
    t["draw_params"]["inspectors"]["categories"] = json::array({"law_enforcement", "expert"});
    try {
        draw::parse_request(taskdraw::request_from_params(t));
        FAIL() << "expert accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "expert_not_drawable");
        EXPECT_EQ(e.field(), "inspectors.categories");
    }
}

// objects_per_group: ceil(k / cap) groups over the quotas' k, never fewer than asked.
TEST(TaskDraw, ObjectsPerGroupGivesTheNumberOfGroups) {
    draw::Record rec;
    rec.object_strata = {{"R1CA", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, {"R2CB", {11, 12, 13, 14, 15}}};
    rec.quotas["R1CA"].count = 9;
    rec.quotas["R2CB"].count = 5;
    draw::DrawRequest req;
    req.groups = 2;
    EXPECT_EQ(draw::groups_for(rec, req), 2);
    req.objects_per_group = 4;
    EXPECT_EQ(draw::groups_for(rec, req), 4);  // 14 objects, at most 4 a group
    req.objects_per_group = 14;
    EXPECT_EQ(draw::groups_for(rec, req), 2);  // never fewer than asked
    req.objects_per_group = 3;
    req.groups = 1;
    EXPECT_EQ(draw::groups_for(rec, req), 5);
}
