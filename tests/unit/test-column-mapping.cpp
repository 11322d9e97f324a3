// Header → field mapping and cell clean-up of the batch import (BASE-1).
#include "geo/error.hpp"
#include "workflows/column-mapping.hpp"
#include "workflows/registry-schema.hpp"

#include <gtest/gtest.h>

using namespace twindraw;
using namespace twindraw::import;

namespace {

const registry::Entity& subjects() { return *registry::find_entity("subjects"); }

std::string field_at(const ColumnMapping& m, size_t i) {
    return m.field_of_column.at(i) ? *m.field_of_column.at(i) : std::string("-");
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

}  // namespace

TEST(ColumnMapping, ChineseRosterHeaders) {
    std::vector<std::string> h = {"统一社会信用代码", "企业名称", "经度", "纬度", "地址", "联系电话", "所属区县",
                                  "行业代码", "风险等级", "信用等级", "企业类型", "法定代表人", "行政相对人性质", "备注"};
    auto m = map_columns(subjects(), h);
    std::vector<std::string> want = {"uscc", "name", "lon", "lat", "address", "phone", "division_code",
                                     "industry_code", "risk_level", "credit_level", "enterprise_type_code",
                                     "legal_representative", "nature", "-"};
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(field_at(m, i), want[i]) << h[i];
    ASSERT_EQ(m.unknown_headers.size(), 1u);
    EXPECT_EQ(m.unknown_headers[0], "备注");
    EXPECT_EQ(m.column_of("division_code"), 6);
    EXPECT_EQ(m.column_of("licence_no"), -1);
}

TEST(ColumnMapping, AliasesEnglishCaseAndSpaces) {
    std::vector<std::string> h = {" USCC ", "Name", "LNG", "Latitude", "Division_Code", "\xEF\xBB\xBF" "x2"};
    auto m = map_columns(subjects(), h);
    EXPECT_EQ(field_at(m, 0), "uscc");
    EXPECT_EQ(field_at(m, 1), "name");
    EXPECT_EQ(field_at(m, 2), "lon");
    EXPECT_EQ(field_at(m, 3), "lat");
    EXPECT_EQ(field_at(m, 4), "division_code");
    EXPECT_EQ(field_at(m, 5), "-");

    auto m2 = map_columns(subjects(), {"社会信用代码", "行政相对人名称", "x", "y", "区县"});
    EXPECT_EQ(field_at(m2, 0), "uscc");
    EXPECT_EQ(field_at(m2, 1), "name");
    EXPECT_EQ(field_at(m2, 2), "lon");
    EXPECT_EQ(field_at(m2, 3), "lat");
    EXPECT_EQ(field_at(m2, 4), "division_code");

    auto m3 = map_columns(subjects(), {"信用代码", "名称", "经度（WGS84）", "纬度(WGS84)", "行政区划代码", "检查地址"});
    EXPECT_EQ(field_at(m3, 2), "lon");
    EXPECT_EQ(field_at(m3, 3), "lat");
    EXPECT_EQ(field_at(m3, 5), "address");
}

TEST(ColumnMapping, OwnLabelsOfTheSchema) {
    // Every writable field's own Chinese label maps to it (the export's headers).
    std::vector<std::string> h;
    std::vector<std::string> want;
    for (const auto& f : subjects().fields) {
        if (f.readonly || f.type == registry::FieldType::Point) continue;
        h.push_back(f.label);
        want.push_back(f.name);
    }
    h.push_back("经度");
    h.push_back("纬度");
    auto m = map_columns(subjects(), h);
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(field_at(m, i), want[i]) << h[i];
    EXPECT_TRUE(m.unknown_headers.empty());
}

TEST(ColumnMapping, ExplicitMappingOverrides) {
    std::vector<std::string> h = {"代码", "企业", "E", "N", "区", "地址"};
    auto m = map_columns(subjects(), h,
                         {{"代码", "uscc"}, {"企业", "name"}, {"e", "lon"}, {"n", "lat"}, {"区", "division_code"},
                          {"地址", ""}});
    EXPECT_EQ(field_at(m, 0), "uscc");
    EXPECT_EQ(field_at(m, 1), "name");
    EXPECT_EQ(field_at(m, 2), "lon");
    EXPECT_EQ(field_at(m, 3), "lat");
    EXPECT_EQ(field_at(m, 4), "division_code");
    EXPECT_EQ(field_at(m, 5), "-");  // "" ignores a column that would map by alias
    EXPECT_TRUE(m.unknown_headers.empty());

    auto e = error_of([&] { map_columns(subjects(), h, {{"代码", "no_such_field"}}); });
    EXPECT_EQ(e.code(), "bad_mapping");
    EXPECT_EQ(e.kind(), Error::Kind::BadRequest);
}

TEST(ColumnMapping, MissingRequiredColumns) {
    auto e = error_of([] { map_columns(subjects(), {"企业名称", "经度", "纬度", "区县"}); });
    EXPECT_EQ(e.code(), "missing_column");
    EXPECT_EQ(e.kind(), Error::Kind::Invalid);
    EXPECT_EQ(e.field(), "uscc");
    EXPECT_NE(e.message().find("统一社会信用代码"), std::string::npos) << e.message();

    auto e2 = error_of([] { map_columns(subjects(), {"统一社会信用代码", "企业名称", "区县", "经度"}); });
    EXPECT_EQ(e2.code(), "missing_column");
    EXPECT_EQ(e2.field(), "lat");
    EXPECT_NE(e2.message().find("纬度"), std::string::npos);

    // A GIS file brings its own geometry: no lon/lat columns needed.
    auto m = map_columns(subjects(), {"统一社会信用代码", "企业名称", "区县"}, {}, true);
    EXPECT_EQ(m.column_of("lon"), -1);

    auto e3 = error_of([] { map_columns(subjects(), {"统一社会信用代码", "信用代码", "企业名称", "区县", "x", "y"}); });
    EXPECT_EQ(e3.code(), "duplicate_column");
}

TEST(ColumnMapping, OtherEntities) {
    const auto& products = *registry::find_entity("products");
    auto m = map_columns(products, {"生产许可证编号", "企业名称", "统一社会信用代码", "区县", "经度", "纬度", "产品名称"});
    EXPECT_EQ(field_at(m, 0), "licence_no");
    EXPECT_EQ(field_at(m, 1), "enterprise_name");
    EXPECT_EQ(field_at(m, 6), "product_name");
}

TEST(ColumnMapping, NormaliseValues) {
    const auto& e = subjects();
    const auto& risk = *e.field("risk_level");
    EXPECT_EQ(normalise_value(risk, "低风险"), "1");
    EXPECT_EQ(normalise_value(risk, "一般风险"), "2");
    EXPECT_EQ(normalise_value(risk, "较高风险"), "3");
    EXPECT_EQ(normalise_value(risk, " 高风险 "), "4");
    EXPECT_EQ(normalise_value(risk, "3"), "3");
    EXPECT_EQ(normalise_value(risk, "3.0"), "3");
    EXPECT_EQ(normalise_value(risk, "极高"), "极高");  // left for validation to reject

    const auto& credit = *e.field("credit_level");
    EXPECT_EQ(normalise_value(credit, "a"), "A");
    EXPECT_EQ(normalise_value(credit, "B类"), "B");
    EXPECT_EQ(normalise_value(credit, "C类（信用风险较高）"), "C");
    EXPECT_EQ(normalise_value(credit, "E"), "E");

    EXPECT_EQ(normalise_value(*e.field("uscc"), " 91500103 mA5u8x1q3c "), "91500103MA5U8X1Q3C");
    EXPECT_EQ(normalise_value(*e.field("division_code"), "500103.0"), "500103");
    EXPECT_EQ(normalise_value(*e.field("division_code"), "500103"), "500103");
    EXPECT_EQ(normalise_value(*e.field("name"), "  重庆某某公司 "), "重庆某某公司");

    const auto& products = *registry::find_entity("products");
    const auto& issued = *products.field("issued_on");
    EXPECT_EQ(normalise_value(issued, "2020/1/2"), "2020-01-02");
    EXPECT_EQ(normalise_value(issued, "2020年11月25日"), "2020-11-25");
    EXPECT_EQ(normalise_value(issued, "2020-11-25"), "2020-11-25");
    EXPECT_EQ(normalise_value(issued, "去年"), "去年");

    const auto& inspectors = *registry::find_entity("inspectors");
    EXPECT_EQ(normalise_value(*inspectors.field("is_leader"), "是"), "true");
    EXPECT_EQ(normalise_value(*inspectors.field("is_leader"), "否"), "false");
}

TEST(ColumnMapping, HeaderKey) {
    EXPECT_EQ(header_key(" Division_Code "), "divisioncode");
    EXPECT_EQ(header_key("经度（WGS84）"), "经度wgs84");
    EXPECT_EQ(header_key("*企业名称"), "企业名称");
    EXPECT_EQ(header_key("\xEF\xBB\xBF" "名称"), "名称");
    EXPECT_EQ(header_key("企业\xE3\x80\x80名称"), "企业名称");
}
