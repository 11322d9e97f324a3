#include "workflows/column-mapping.hpp"

#include "geo/error.hpp"
#include "workflows/uscc.hpp"

#include <cctype>
#include <cstring>
#include <regex>
#include <unordered_map>

namespace twindraw::import {

namespace {

// Aliases of Chinese rosters by field name; used when the entity has that field.
// A field's own name and label always win over these.
const std::vector<std::pair<std::string, std::vector<std::string>>>& aliases() {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> all = {
        {"uscc", {"统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "uscc", "credit_code"}},
        {"name", {"企业名称", "行政相对人名称", "名称", "主体名称", "单位名称", "name"}},
        {"enterprise_name", {"企业名称", "生产企业", "enterprise_name"}},
        {kLon, {"经度", "lon", "lng", "long", "longitude", "x"}},
        {kLat, {"纬度", "lat", "latitude", "y"}},
        {"address", {"地址", "检查地址", "住所", "经营场所", "经营地址", "address"}},
        {"phone", {"电话", "联系电话", "手机", "phone", "tel", "telephone"}},
        {"division_code",
         {"所属区县", "区县", "行政区划代码", "行政区划", "区划代码", "所属区域", "division_code", "division"}},
        {"industry_code", {"行业", "行业代码", "所属行业", "industry_code", "industry"}},
        {"risk_level", {"风险等级", "风险级别", "risk_level", "risk"}},
        {"credit_level", {"信用等级", "信用风险等级", "credit_level", "credit"}},
        {"enterprise_type_code", {"企业类型", "企业类型代码", "市场主体类型", "enterprise_type_code", "enterprise_type"}},
        {"legal_representative", {"法定代表人", "法定代表人姓名", "法人", "负责人", "legal_representative"}},
        {"nature", {"行政相对人性质", "主体性质", "nature"}},
        {"licence_no", {"许可证编号", "许可证号", "licence_no", "license_no"}},
    };
    return all;
}

bool is_writable(const registry::Field& f) { return !f.readonly; }

const registry::Field* point_field(const registry::Entity& e) {
    for (const auto& f : e.fields)
        if (f.type == registry::FieldType::Point) return &f;
    return nullptr;
}

bool entity_has(const registry::Entity& e, const std::string& field) {
    if (field == kLon || field == kLat) return point_field(e) != nullptr;
    const auto* f = e.field(field);
    return f && is_writable(*f) && f->type != registry::FieldType::Point;
}

// header_key without anything in parentheses: "经度(WGS84)" → "经度".
std::string without_parenthesised(const std::string& header) {
    std::string out;
    int depth = 0;
    for (size_t i = 0; i < header.size();) {
        auto open = [&](const char* s) { return header.compare(i, std::strlen(s), s) == 0 ? std::strlen(s) : 0; };
        if (size_t n = open("("); n || (n = open("（")) || (n = open("["))) {
            ++depth;
            i += n;
        } else if (size_t m = open(")"); m || (m = open("）")) || (m = open("]"))) {
            if (depth > 0) --depth;
            i += m;
        } else {
            if (depth == 0) out += header[i];
            ++i;
        }
    }
    return header_key(out);
}

std::string display_name(const registry::Entity& e, const std::string& field) {
    if (field == kLon) return "经度";
    if (field == kLat) return "纬度";
    const auto* f = e.field(field);
    return f ? f->label : field;
}

}  // namespace

int ColumnMapping::column_of(const std::string& field) const {
    for (size_t i = 0; i < field_of_column.size(); ++i)
        if (field_of_column[i] && *field_of_column[i] == field) return static_cast<int>(i);
    return -1;
}

std::string header_key(const std::string& header) {
    std::string out;
    for (size_t i = 0; i < header.size();) {
        auto skip = [&](const char* s) {
            size_t n = std::strlen(s);
            if (header.compare(i, n, s) == 0) {
                i += n;
                return true;
            }
            return false;
        };
        if (skip("\xEF\xBB\xBF") || skip("\xE3\x80\x80") || skip("（") || skip("）") || skip("【") || skip("】") ||
            skip("＊"))
            continue;
        unsigned char c = static_cast<unsigned char>(header[i]);
        if (std::isspace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '*' || c == '_' || c == '-') {
            // '_' and '-' are dropped so "division-code", "Division Code" and
            // "division_code" agree.
            ++i;
            continue;
        }
        out += static_cast<char>(std::tolower(c));
        ++i;
    }
    return out;
}

ColumnMapping map_columns(const registry::Entity& e, const std::vector<std::string>& headers,
                          const std::map<std::string, std::string>& explicit_mapping, bool geometry_in_file) {
    // key → field, lower priority inserted first and overwritten by higher ones.
    std::unordered_map<std::string, std::string> by_key;
    for (const auto& [field, names] : aliases())
        if (entity_has(e, field))
            for (const auto& n : names) by_key[header_key(n)] = field;
    for (const auto& f : e.fields) {
        if (!entity_has(e, f.name)) continue;
        by_key[header_key(f.label)] = f.name;
        by_key[without_parenthesised(f.label)] = f.name;
    }
    for (const auto& f : e.fields)
        if (entity_has(e, f.name)) by_key[header_key(f.name)] = f.name;

    std::unordered_map<std::string, std::string> explicit_by_key;
    for (const auto& [header, field] : explicit_mapping) {
        if (!field.empty() && !entity_has(e, field))
            throw bad_request("bad_mapping", "列映射中的字段不存在：" + field, "mapping");
        explicit_by_key[header_key(header)] = field;
    }

    ColumnMapping m;
    for (const auto& h : headers) {
        std::string key = header_key(h);
        std::optional<std::string> target;
        if (auto it = explicit_by_key.find(key); it != explicit_by_key.end()) {
            if (!it->second.empty()) target = it->second;
        } else if (auto jt = by_key.find(key); jt != by_key.end()) {
            target = jt->second;
        } else if (auto kt = by_key.find(without_parenthesised(h)); kt != by_key.end()) {
            target = kt->second;
        } else {
            m.unknown_headers.push_back(h);
        }
        if (target && m.column_of(*target) >= 0)
            throw invalid("duplicate_column", "多个列对应同一字段“" + display_name(e, *target) + "”：" + h, *target);
        m.field_of_column.push_back(target);
    }

    for (const auto& f : e.fields) {
        if (!f.required || !is_writable(f) || f.type == registry::FieldType::Point) continue;
        if (m.column_of(f.name) < 0)
            throw invalid("missing_column", "文件缺少必需的列“" + f.label + "”", f.name);
    }
    if (point_field(e) && !geometry_in_file) {
        for (const char* half : {kLon, kLat})
            if (m.column_of(half) < 0)
                throw invalid("missing_column", "文件缺少必需的列“" + display_name(e, half) + "”", half);
    }
    return m;
}

std::string normalise_value(const registry::Field& f, const std::string& raw) {
    std::string v = raw;
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    size_t b = 0;
    while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
    v = v.substr(b);
    if (v.empty()) return v;

    if (f.check == "uscc") return uscc::normalise(v);

    using FT = registry::FieldType;
    static const std::regex whole_float(R"(^-?[0-9]+\.0+$)");
    if ((f.type == FT::Int || f.type == FT::Code) && std::regex_match(v, whole_float)) v = v.substr(0, v.find('.'));

    if (!f.choices.empty()) {
        for (const auto& c : f.choices) {
            if (v == c.value || v == c.label) return c.value;
        }
        std::string upper;
        for (char c : v) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        for (const auto& c : f.choices) {
            if (upper == c.value) return c.value;
            // "A类", "B级", "A类（信用风险低）"
            if (upper.rfind(c.value, 0) == 0 && upper.size() > c.value.size() &&
                (upper.compare(c.value.size(), 3, "类") == 0 || upper.compare(c.value.size(), 3, "级") == 0))
                return c.value;
        }
        return v;
    }

    if (f.type == FT::Bool) {
        static const std::vector<std::string> yes = {"是", "true", "TRUE", "True", "1", "y", "Y", "yes", "YES", "√"};
        static const std::vector<std::string> no = {"否", "false", "FALSE", "False", "0", "n", "N", "no", "NO", "×"};
        for (const auto& y : yes)
            if (v == y) return "true";
        for (const auto& n : no)
            if (v == n) return "false";
        return v;
    }

    if (f.type == FT::Date) {
        static const std::regex date(R"(^([0-9]{4})\s*(?:-|/|\.|年)\s*([0-9]{1,2})\s*(?:-|/|\.|月)\s*([0-9]{1,2})\s*(?:日)?(\s.*)?$)");
        std::smatch m;
        if (std::regex_match(v, m, date)) {
            auto two = [](const std::string& s) { return s.size() == 1 ? "0" + s : s; };
            return m[1].str() + "-" + two(m[2].str()) + "-" + two(m[3].str());
        }
        return v;
    }
    return v;
}

}  // namespace twindraw::import
