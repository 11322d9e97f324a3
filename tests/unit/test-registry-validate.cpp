#include "workflows/registry-validate.hpp"

#include <gtest/gtest.h>

using namespace twindraw::registry;

namespace {
const Entity& subjects() { return *find_entity("subjects"); }

nlohmann::json good_subject() {
    return {{"uscc", "914403001922038216"},
            {"name", "华为技术有限公司"},
            {"division_code", "500103"},
            {"risk_level", 2},
            {"credit_level", "A"},
            {"location", {{"lon", 106.57}, {"lat", 29.55}}}};
}

bool has(const std::vector<FieldError>& errs, const std::string& field, const std::string& code) {
    for (const auto& e : errs)
        if (e.field == field && e.code == code) return true;
    return false;
}
}  // namespace

TEST(RegistryValidate, AcceptsAGoodSubject) { EXPECT_TRUE(validate(subjects(), good_subject(), false).empty()); }

TEST(RegistryValidate, ReportsEachBadField) {
    auto s = good_subject();
    s["uscc"] = "914403001922038217";  // last character changed
    s.erase("name");
    s["risk_level"] = 9;
    s["credit_level"] = "Z";
    s["location"] = {{"lon", 2.35}, {"lat", 48.85}};  // Paris
    s["division_code"] = "50A103";
    s["nonsense"] = 1;
    auto errs = validate(subjects(), s, false);
    EXPECT_TRUE(has(errs, "uscc", "uscc_check_digit"));
    EXPECT_TRUE(has(errs, "name", "required"));
    EXPECT_TRUE(has(errs, "risk_level", "bad_choice"));
    EXPECT_TRUE(has(errs, "credit_level", "bad_choice"));
    EXPECT_TRUE(has(errs, "location", "out_of_china"));
    EXPECT_TRUE(has(errs, "division_code", "bad_format"));
    EXPECT_TRUE(has(errs, "nonsense", "unknown_field"));
}

TEST(RegistryValidate, UsccLengthAndAlphabet) {
    auto s = good_subject();
    s["uscc"] = "91440300192203821";
    EXPECT_TRUE(has(validate(subjects(), s, false), "uscc", "uscc_length"));
    s["uscc"] = "9144030019220382IO";
    EXPECT_TRUE(has(validate(subjects(), s, false), "uscc", "uscc_character"));
}

TEST(RegistryValidate, PartialUpdatesNeedOnlyWhatTheyCarry) {
    EXPECT_TRUE(validate(subjects(), {{"phone", "023-12345678"}}, true).empty());
    auto errs = validate(subjects(), {{"name", ""}}, true);
    EXPECT_TRUE(has(errs, "name", "required"));
    errs = validate(subjects(), {{"name", nullptr}}, true);
    EXPECT_TRUE(has(errs, "name", "required"));
}

TEST(RegistryValidate, LengthCountsCharactersNotBytes) {
    auto s = good_subject();
    s["name"] = std::string();
    for (int i = 0; i < 200; ++i) s["name"] = s["name"].get<std::string>() + "企";
    EXPECT_TRUE(validate(subjects(), s, false).empty());
    s["name"] = s["name"].get<std::string>() + "业";
    EXPECT_TRUE(has(validate(subjects(), s, false), "name", "too_long"));
}

TEST(RegistryValidate, InspectorTagsAndDates) {
    const Entity& insp = *find_entity("inspectors");
    nlohmann::json i = {{"name", "张三"}, {"division_code", "500103"}, {"authority_id", 1},
                        {"category", "law_enforcement"}, {"qualifications", {"食品安全", "特种设备"}}};
    EXPECT_TRUE(validate(insp, i, false).empty());
    i["qualifications"] = "食品安全";
    EXPECT_TRUE(has(validate(insp, i, false), "qualifications", "bad_type"));
    const Entity& prod = *find_entity("products");
    EXPECT_TRUE(has(validate(prod, {{"issued_on", "2024-02-30x"}}, true), "issued_on", "bad_format"));
}

TEST(RegistryValidate, DivisionCodesFollowGbt2260) {
    auto s = good_subject();
    s["division_code"] = "500003";  // county part without a prefecture part
    EXPECT_TRUE(has(validate(subjects(), s, false), "division_code", "bad_format"));
    s["division_code"] = "500103001";  // a town is fine
    EXPECT_TRUE(validate(subjects(), s, false).empty());
}

TEST(RegistryValidate, ChinaBoundingBox) {
    EXPECT_TRUE(inside_china(106.55, 29.56));   // 重庆
    EXPECT_TRUE(inside_china(87.6, 43.8));      // 乌鲁木齐
    EXPECT_FALSE(inside_china(-74.0, 40.7));    // New York
    EXPECT_FALSE(inside_china(106.55, -29.56)); // southern hemisphere
}
