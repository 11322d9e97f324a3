#include "workflows/registry-validate.hpp"

#include "geo/division-code.hpp"
#include "workflows/uscc.hpp"

#include <map>
#include <regex>

namespace twindraw::registry {

namespace {

size_t utf8_length(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

// Compiled once per pattern: validation runs for every imported row.
const std::regex& compiled(const std::string& pattern) {
    thread_local std::map<std::string, std::regex> cache;
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
    return it->second;
}

bool is_date(const std::string& s) {
    static const std::regex re(R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)");
    return std::regex_match(s, re);
}

void check_text(const Field& f, const std::string& s, std::vector<FieldError>& out) {
    // PostgreSQL text cannot hold NUL; refuse it rather than store a cut value.
    if (s.find('\0') != std::string::npos) {
        out.push_back({f.name, "invalid_character", f.label + "含有不允许的控制字符"});
        return;
    }
    if (f.max_len && utf8_length(s) > f.max_len) {
        out.push_back({f.name, "too_long", f.label + "不能超过" + std::to_string(f.max_len) + "个字符"});
        return;
    }
    if (f.required && s.empty()) {
        out.push_back({f.name, "required", f.label + "不能为空"});
        return;
    }
    if (s.empty()) return;
    if (!f.choices.empty()) {
        bool ok = false;
        for (const auto& c : f.choices) ok = ok || c.value == s;
        if (!ok) {
            out.push_back({f.name, "bad_choice", f.label + "的取值不在允许范围内"});
            return;
        }
    }
    if (f.check == "uscc") {
        switch (uscc::check(s)) {
        case uscc::Problem::Length:
            out.push_back({f.name, "uscc_length", f.label + "应为18位"});
            return;
        case uscc::Problem::Character:
            out.push_back({f.name, "uscc_character", f.label + "含有不允许的字符（不使用 I、O、Z、S、V）"});
            return;
        case uscc::Problem::CheckDigit:
            out.push_back({f.name, "uscc_check_digit", f.label + "校验位错误，请核对"});
            return;
        case uscc::Problem::None:
            return;
        }
    }
    if (f.check == "division" && !division::parse(s)) {
        out.push_back({f.name, "bad_format", f.label + "不是有效的 GB/T 2260 行政区划代码"});
        return;
    }
    if (!f.pattern.empty() && !std::regex_search(s, compiled(f.pattern)))
        out.push_back({f.name, "bad_format", f.label + "格式不正确"});
}

}  // namespace

bool inside_china(double lon, double lat) {
    return lon >= 73.5 && lon <= 135.1 && lat >= 3.8 && lat <= 53.6;
}

std::vector<FieldError> validate(const Entity& e, const nlohmann::json& obj, bool partial) {
    std::vector<FieldError> out;
    if (!obj.is_object()) {
        out.push_back({"", "bad_type", "请求体应为 JSON 对象"});
        return out;
    }
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const Field* f = e.field(it.key());
        if (!f) {
            if (it.key().size() > 6 && it.key().ends_with("_label")) continue;  // echoed display labels
            out.push_back({it.key(), "unknown_field", "未知字段：" + it.key().substr(0, 60)});
        }
        // Read-only fields (ids, timestamps) sent back by a form are ignored by the
        // repository rather than refused.
    }
    for (const auto& f : e.fields) {
        if (f.readonly) continue;
        auto it = obj.find(f.name);
        const bool absent = it == obj.end() || it->is_null();
        if (absent) {
            if (f.required && !partial) out.push_back({f.name, "required", f.label + "不能为空"});
            if (f.required && partial && it != obj.end())
                out.push_back({f.name, "required", f.label + "不能为空"});
            continue;
        }
        const auto& v = *it;
        switch (f.type) {
        case FieldType::Text:
        case FieldType::Code:
            if (!v.is_string())
                out.push_back({f.name, "bad_type", f.label + "应为文本"});
            else
                check_text(f, v.get<std::string>(), out);
            break;
        case FieldType::Int: {
            if (!v.is_number_integer() && !(v.is_string() && std::regex_match(v.get<std::string>(), compiled("^-?[0-9]{1,18}$")))) {
                out.push_back({f.name, "bad_type", f.label + "应为整数"});
                break;
            }
            if (!f.choices.empty()) {
                std::string s = v.is_string() ? v.get<std::string>() : std::to_string(v.get<long long>());
                check_text(f, s, out);
            }
            break;
        }
        case FieldType::Decimal:
            if (!v.is_number() && !(v.is_string() && std::regex_match(v.get<std::string>(), compiled(R"(^-?\d{1,12}(\.\d{1,6})?$)"))))
                out.push_back({f.name, "bad_type", f.label + "应为数字"});
            break;
        case FieldType::Bool:
            if (!v.is_boolean()) out.push_back({f.name, "bad_type", f.label + "应为是或否"});
            break;
        case FieldType::Date:
            if (!v.is_string() || !is_date(v.get<std::string>()))
                out.push_back({f.name, "bad_format", f.label + "应为日期（YYYY-MM-DD）"});
            break;
        case FieldType::TextArray:
            if (!v.is_array()) {
                out.push_back({f.name, "bad_type", f.label + "应为标签列表"});
                break;
            }
            if (v.size() > 50) out.push_back({f.name, "too_long", f.label + "最多50项"});
            for (const auto& x : v)
                if (!x.is_string() || x.get<std::string>().empty() || utf8_length(x.get<std::string>()) > 50 ||
                    x.get<std::string>().find('\0') != std::string::npos) {
                    out.push_back({f.name, "bad_format", f.label + "的每一项应为1到50个字符的文本"});
                    break;
                }
            break;
        case FieldType::IdArray:
            if (!v.is_array()) {
                out.push_back({f.name, "bad_type", f.label + "应为编号列表"});
                break;
            }
            if (v.size() > 100) out.push_back({f.name, "too_long", f.label + "最多100项"});
            for (const auto& x : v)
                if (!x.is_number_integer() || x.get<long long>() <= 0) {
                    out.push_back({f.name, "bad_type", f.label + "应为编号列表"});
                    break;
                }
            break;
        case FieldType::Point: {
            auto lon = v.is_object() ? v.find("lon") : v.end();
            auto lat = v.is_object() ? v.find("lat") : v.end();
            if (!v.is_object() || lon == v.end() || lat == v.end() || !lon->is_number() || !lat->is_number()) {
                out.push_back({f.name, "bad_type", f.label + "应包含经度 lon 和纬度 lat"});
                break;
            }
            if (f.check == "lonlat_china" && !inside_china(lon->get<double>(), lat->get<double>()))
                out.push_back({f.name, "out_of_china", f.label + "不在中国境内，请检查经纬度（WGS84）"});
            break;
        }
        }
    }
    return out;
}

}  // namespace twindraw::registry
