// The plan, task and receiving state machines (PLAN-2, TASK-1, TASK-5..7, WORK-3) and
// the draw-parameter checks of a task (TASK-1, DRAW-1/2/4/5), without a database.
#include "geo/error.hpp"
#include "workflows/flow-states.hpp"
#include "workflows/task-draw-params.hpp"

#include <gtest/gtest.h>

using namespace twindraw;
using namespace twindraw::flow;

TEST(FlowStates, PlansAreChangedOnlyWhileUndistributed) {
    EXPECT_NE(find_transition(Machine::Plan, "edit", "draft"), nullptr);
    EXPECT_NE(find_transition(Machine::Plan, "edit", "recalled"), nullptr);
    EXPECT_EQ(find_transition(Machine::Plan, "edit", "distributed"), nullptr);
    EXPECT_EQ(find_transition(Machine::Plan, "delete", "distributed"), nullptr);
    EXPECT_EQ(find_transition(Machine::Plan, "distribute", "distributed"), nullptr);
    EXPECT_EQ(find_transition(Machine::Plan, "recall", "draft"), nullptr);
    EXPECT_EQ(find_transition(Machine::Plan, "distribute", "draft")->to, "distributed");
    EXPECT_EQ(find_transition(Machine::Plan, "recall", "distributed")->to, "recalled");
    EXPECT_EQ(find_transition(Machine::Plan, "distribute", "recalled")->permission, "plan.distribute");
}

TEST(FlowStates, TasksFollowTheReviewCycle) {
    EXPECT_EQ(find_transition(Machine::Task, "submit", "created")->to, "submitted");
    EXPECT_EQ(find_transition(Machine::Task, "submit", "returned")->to, "submitted");
    EXPECT_EQ(find_transition(Machine::Task, "approve", "submitted")->to, "approved");
    EXPECT_EQ(find_transition(Machine::Task, "return", "submitted")->to, "returned");
    EXPECT_EQ(find_transition(Machine::Task, "approve", "submitted")->permission, "task.review");
    for (const char* s : {"submitted", "approved"}) {
        EXPECT_EQ(find_transition(Machine::Task, "edit", s), nullptr) << s;
        EXPECT_EQ(find_transition(Machine::Task, "delete", s), nullptr) << s;
    }
    EXPECT_EQ(find_transition(Machine::Task, "urge", "submitted"), nullptr);
    EXPECT_NE(find_transition(Machine::Task, "urge", "approved"), nullptr);
    EXPECT_EQ(find_transition(Machine::TaskUnit, "receive", "received"), nullptr);
    EXPECT_TRUE(is_action(Machine::Task, "return"));
    EXPECT_FALSE(is_action(Machine::Task, "receive"));
}

TEST(FlowStates, AllowedActionsFollowPermissions) {
    EXPECT_EQ(allowed_actions(Machine::Task, "submitted", {"task.review"}),
              (std::vector<std::string>{"approve", "return"}));
    EXPECT_EQ(allowed_actions(Machine::Task, "submitted", {"task.create"}), std::vector<std::string>{});
    EXPECT_EQ(allowed_actions(Machine::Task, "created", {"task.create"}),
              (std::vector<std::string>{"edit", "delete", "submit"}));
    EXPECT_EQ(allowed_actions(Machine::Plan, "distributed", {"plan.create", "plan.distribute"}),
              std::vector<std::string>{"recall"});
}

TEST(FlowStates, AForbiddenTransitionIsAConflictNamingTheState) {
    try {
        require_transition(Machine::Plan, "edit", "distributed");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Conflict);
        EXPECT_EQ(e.code(), "invalid_transition");
        EXPECT_NE(e.message().find("已分发"), std::string::npos);
        ASSERT_EQ(e.details().size(), 2u);
        EXPECT_EQ(e.details()[0], (std::pair<std::string, std::string>{"state", "distributed"}));
    }
    EXPECT_EQ(state_label(Machine::Task, "returned"), "已退回");
    EXPECT_EQ(state_label(Machine::TaskUnit, "waiting"), "待接收");
}

namespace {
std::vector<registry::FieldError> check(const nlohmann::json& in, nlohmann::json* out = nullptr) {
    std::vector<registry::FieldError> errors;
    auto n = normalize_draw_params(in, errors);
    if (out) *out = n;
    return errors;
}
bool names(const std::vector<registry::FieldError>& errors, const std::string& field, const std::string& code) {
    for (const auto& e : errors)
        if (e.field == field && e.code == code) return true;
    return false;
}
}  // namespace

TEST(TaskDrawParams, AFullSetIsNormalisedAndComplete) {
    nlohmann::json out;
    auto errors = check(nlohmann::json::parse(R"({
        "objects": {"object_type": "market_subject", "division_codes": ["500103"], "industry_codes": ["H", "62"],
                    "item_ids": [3, 3, 5],
                    "strata": [{"risk_level": 4, "credit_level": "D", "ratio": 20},
                               {"risk_level": 1, "count": 3}]},
        "inspectors": {"scope": "offices", "authority_ids": [7, 8], "specialties": ["食品"]},
        "groups": {"count": 2, "inspectors_per_group": 2}})"),
                        &out);
    EXPECT_TRUE(errors.empty()) << errors[0].field << " " << errors[0].message;
    EXPECT_EQ(out["objects"]["item_ids"], nlohmann::json::array({3, 5}));
    EXPECT_EQ(out["objects"]["strata"][0]["ratio"], 20.0);
    EXPECT_TRUE(out["objects"]["strata"][0]["count"].is_null());
    EXPECT_TRUE(out["objects"]["strata"][1]["credit_level"].is_null());
    EXPECT_EQ(out["objects"]["strata"][1]["count"], 3);
    EXPECT_EQ(out["objects"]["exclusions"], nlohmann::json::array({"inspected_this_year", "in_open_draw"}));
    EXPECT_EQ(out["inspectors"]["categories"], nlohmann::json::array({"law_enforcement", "daily_supervision"}));
    EXPECT_EQ(out["inspectors"]["cross_district"], false);
    EXPECT_TRUE(out["groups"]["objects_per_group"].is_null());
    EXPECT_TRUE(draw_params_complete(out));
    // Normalising twice changes nothing (an edit re-checks the stored params).
    nlohmann::json again;
    EXPECT_TRUE(check(out, &again).empty());
    EXPECT_EQ(again, out);
    EXPECT_EQ(draw_param_authority_ids(out), (std::vector<long long>{7, 8}));
    EXPECT_EQ(draw_param_industry_codes(out), (std::vector<std::string>{"H", "62"}));
}

TEST(TaskDrawParams, EmptyIsNotYetSetAndIncomplete) {
    nlohmann::json out;
    EXPECT_TRUE(check(nlohmann::json::object(), &out).empty());
    EXPECT_EQ(out, nlohmann::json::object());
    EXPECT_FALSE(draw_params_complete(out));
    EXPECT_TRUE(check(R"({"objects": {"strata": [{"ratio": 5}]}})"_json, &out).empty());
    EXPECT_FALSE(draw_params_complete(out));  // no groups yet
}

TEST(TaskDrawParams, ProblemsNameTheirField) {
    auto e = check(R"({"objects": {"object_type": "ship", "strata": [{"risk_level": 2, "credit_level": "B", "ratio": 5},
                                                                     {"risk_level": 2, "credit_level": "B", "count": 1},
                                                                     {"risk_level": 5, "ratio": 5, "count": 2},
                                                                     {"ratio": 0}]},
                       "inspectors": {"scope": "office", "authority_ids": [1, 2]},
                       "groups": {"count": 0, "inspectors_per_group": 1},
                       "extra": 1})"_json);
    EXPECT_TRUE(names(e, "draw_params.objects.object_type", "bad_choice"));
    EXPECT_TRUE(names(e, "draw_params.objects.strata[1]", "duplicate_stratum"));
    EXPECT_TRUE(names(e, "draw_params.objects.strata[2].risk_level", "bad_range"));
    EXPECT_TRUE(names(e, "draw_params.objects.strata[2]", "ratio_or_count"));
    EXPECT_TRUE(names(e, "draw_params.objects.strata[3].ratio", "bad_range"));
    EXPECT_TRUE(names(e, "draw_params.inspectors.authority_ids", "one_office"));
    EXPECT_TRUE(names(e, "draw_params.groups.count", "bad_range"));
    EXPECT_TRUE(names(e, "draw_params.groups.inspectors_per_group", "bad_range"));
    EXPECT_TRUE(names(e, "draw_params.extra", "unknown_field"));
    EXPECT_TRUE(names(check(R"([1, 2])"_json), "draw_params", "bad_type"));
    EXPECT_TRUE(names(check(R"({"objects": {"division_codes": ["50'; DROP"]}})"_json),
                      "draw_params.objects.division_codes", "bad_format"));
    EXPECT_TRUE(names(check(R"({"objects": {"exclusions": ["nothing"]}})"_json), "draw_params.objects.exclusions",
                      "bad_choice"));
    EXPECT_TRUE(names(check(R"({"inspectors": {"scope": "offices"}})"_json), "draw_params.inspectors.authority_ids",
                      "required"));
}
