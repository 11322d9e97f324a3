#include "workflows/flow-form.hpp"

#include "workflows/flow-history.hpp"
#include "workflows/registry-repo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>

namespace twindraw::flow {

std::string Form::text(const char* key, const char* label, size_t max, bool required) {
    if (!present(key) || (body_[key].is_string() && body_[key].get<std::string>().empty())) {
        if (required) add(key, "required", std::string(label) + "必须填写");
        return "";
    }
    if (!body_[key].is_string()) {
        add(key, "bad_type", std::string(label) + "应为文字");
        return "";
    }
    std::string v = body_[key].get<std::string>();
    if (utf8_length(v) > max) {
        add(key, "too_long", std::string(label) + "不能超过 " + std::to_string(max) + " 个字");
        return "";
    }
    return v;
}

std::string Form::choice(const char* key, const char* label, const std::vector<std::string>& choices) {
    if (!present(key)) {
        add(key, "required", std::string(label) + "必须选择");
        return "";
    }
    if (body_[key].is_string())
        for (const auto& c : choices)
            if (body_[key].get<std::string>() == c) return c;
    add(key, "bad_choice", std::string(label) + "的取值不正确");
    return "";
}

long long Form::id(const char* key, const char* label, bool required) {
    if (!present(key)) {
        if (required) add(key, "required", std::string(label) + "必须选择");
        return 0;
    }
    if (!body_[key].is_number_integer() || body_[key].get<long long>() <= 0) {
        add(key, "bad_type", std::string(label) + "应为正整数编号");
        return 0;
    }
    return body_[key].get<long long>();
}

std::vector<long long> Form::ids(const char* key, const char* label) {
    std::vector<long long> out;
    if (!present(key)) return out;
    if (!body_[key].is_array() || body_[key].size() > 200) {
        add(key, "bad_type", std::string(label) + "应为编号列表");
        return out;
    }
    std::set<long long> seen;
    for (const auto& v : body_[key]) {
        if (!v.is_number_integer() || v.get<long long>() <= 0) {
            add(key, "bad_type", std::string(label) + "应为正整数编号");
            return {};
        }
        if (seen.insert(v.get<long long>()).second) out.push_back(v.get<long long>());
    }
    return out;
}

std::optional<long long> Form::integer(const char* key, const char* label, long long lo, long long hi, bool required) {
    if (!present(key)) {
        if (required) add(key, "required", std::string(label) + "必须填写");
        return std::nullopt;
    }
    if (!body_[key].is_number_integer() || body_[key].get<long long>() < lo || body_[key].get<long long>() > hi) {
        add(key, "bad_range", std::string(label) + "应为 " + std::to_string(lo) + "–" + std::to_string(hi) + " 的整数");
        return std::nullopt;
    }
    return body_[key].get<long long>();
}

std::optional<std::string> Form::number(const char* key, const char* label, double lo, double hi) {
    if (!present(key)) return std::nullopt;
    if (!body_[key].is_number() || !(body_[key].get<double>() > lo) || body_[key].get<double>() > hi ||
        !std::isfinite(body_[key].get<double>())) {
        add(key, "bad_range",
            std::string(label) + "应大于 " + std::to_string(static_cast<int>(lo)) + " 且不超过 " +
                std::to_string(static_cast<int>(hi)));
        return std::nullopt;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", body_[key].get<double>());
    return std::string(buf);
}

std::string Form::date(const char* key, const char* label) {
    static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
    if (!present(key)) {
        add(key, "required", std::string(label) + "必须填写");
        return "";
    }
    std::smatch m;
    std::string v = body_[key].is_string() ? body_[key].get<std::string>() : "";
    if (!std::regex_match(v, m, re) ||
        !std::chrono::year_month_day{std::chrono::year(std::stoi(m[1])), std::chrono::month(std::stoul(m[2])),
                                     std::chrono::day(std::stoul(m[3]))}
             .ok()) {
        add(key, "bad_format", std::string(label) + "应为 YYYY-MM-DD 格式的日期");
        return "";
    }
    return v;
}

void Form::only(const std::vector<std::string>& allowed) {
    for (const auto& [k, v] : body_.items())
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            add(k, "unknown_field", "不认识的字段：" + k);
}

void Form::throw_if_errors() const {
    if (!errors_.empty()) throw registry::ValidationError(errors_);
}

std::vector<long long> missing_ids(pqxx::transaction_base& tx, const char* table,
                                   const std::vector<long long>& wanted) {
    if (wanted.empty()) return {};
    pg::Params p;
    p.add(id_array(wanted));
    auto r = pg::exec(tx,
                      "SELECT w FROM unnest($1::bigint[]) w WHERE NOT EXISTS (SELECT 1 FROM " + pg::quote_ident(table) +
                          " t WHERE t.id = w) ORDER BY w",
                      p);
    std::vector<long long> out;
    for (const auto& row : r) out.push_back(row[0].as<long long>());
    return out;
}

std::string id_array(const std::vector<long long>& ids) {
    std::vector<std::string> s;
    for (long long v : ids) s.push_back(std::to_string(v));
    return pg::array_literal(s);
}

nlohmann::json json_ids(const std::vector<long long>& ids) {
    nlohmann::json out = nlohmann::json::array();
    for (long long v : ids) out.push_back(v);
    return out;
}

}  // namespace twindraw::flow
