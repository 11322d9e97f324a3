#include "workflows/task-draw-params.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace twindraw::flow {

namespace {

using nlohmann::json;
using registry::FieldError;

struct Checker {
    std::vector<FieldError>& errors;
    void add(const std::string& field, const std::string& code, const std::string& message) {
        errors.push_back({field, code, message});
    }
    // Refuses keys outside allowed.
    void only(const json& obj, const std::string& at, std::initializer_list<const char*> allowed) {
        for (const auto& [k, v] : obj.items()) {
            bool ok = false;
            for (const char* a : allowed) ok = ok || k == a;
            if (!ok) add(at + "." + k, "unknown_field", "不认识的参数：" + k);
        }
    }
    json object_at(const json& parent, const char* key, const std::string& at) {
        if (!parent.contains(key) || parent[key].is_null()) return json::object();
        if (!parent[key].is_object()) {
            add(at + "." + key, "bad_type", "应为对象");
            return json::object();
        }
        return parent[key];
    }
    json id_list(const json& obj, const char* key, const std::string& at) {
        json out = json::array();
        if (!obj.contains(key) || obj[key].is_null()) return out;
        const std::string f = at + "." + key;
        if (!obj[key].is_array()) {
            add(f, "bad_type", "应为编号列表");
            return out;
        }
        std::set<long long> seen;
        for (const auto& v : obj[key]) {
            if (!v.is_number_integer() || v.get<long long>() <= 0) {
                add(f, "bad_type", "编号应为正整数");
                return json::array();
            }
            if (seen.insert(v.get<long long>()).second) out.push_back(v.get<long long>());
        }
        return out;
    }
    json code_list(const json& obj, const char* key, const std::string& at, const std::regex& re,
                   const std::string& what) {
        json out = json::array();
        if (!obj.contains(key) || obj[key].is_null()) return out;
        const std::string f = at + "." + key;
        if (!obj[key].is_array()) {
            add(f, "bad_type", "应为" + what + "列表");
            return out;
        }
        std::set<std::string> seen;
        for (const auto& v : obj[key]) {
            if (!v.is_string() || !std::regex_match(v.get<std::string>(), re)) {
                add(f, "bad_format", what + "格式不正确");
                return json::array();
            }
            if (seen.insert(v.get<std::string>()).second) out.push_back(v);
        }
        return out;
    }
    json text_list(const json& obj, const char* key, const std::string& at) {
        json out = json::array();
        if (!obj.contains(key) || obj[key].is_null()) return out;
        const std::string f = at + "." + key;
        if (!obj[key].is_array()) {
            add(f, "bad_type", "应为文字列表");
            return out;
        }
        for (const auto& v : obj[key]) {
            if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 100) {
                add(f, "bad_format", "每项应为 1–100 字节的文字");
                return json::array();
            }
            out.push_back(v);
        }
        return out;
    }
    bool flag(const json& obj, const char* key, const std::string& at, bool fallback) {
        if (!obj.contains(key) || obj[key].is_null()) return fallback;
        if (!obj[key].is_boolean()) {
            add(at + "." + key, "bad_type", "应为是或否");
            return fallback;
        }
        return obj[key].get<bool>();
    }
    // A positive integer up to hi, or null when absent and optional.
    json count(const json& obj, const char* key, const std::string& at, long long hi, bool required) {
        const std::string f = at + "." + key;
        if (!obj.contains(key) || obj[key].is_null()) {
            if (required) add(f, "required", "必须填写");
            return nullptr;
        }
        if (!obj[key].is_number_integer() || obj[key].get<long long>() < 1 || obj[key].get<long long>() > hi) {
            add(f, "bad_range", "应为 1–" + std::to_string(hi) + " 的整数");
            return nullptr;
        }
        return obj[key].get<long long>();
    }
};

const std::set<std::string> kObjectTypes = {"market_subject", "venue", "product"};
// The filter rules a task chooses: the draw's own codes (draw_filter_rule). in_open_draw is
// locked on in the draw, so a task always carries it; in_open_task is its former name here.
const std::set<std::string> kExclusions = {"inspected_this_year", "in_open_draw"};
const std::set<std::string> kInspectorScopes = {"bureau", "offices", "office"};
const std::set<std::string> kCategories = {"law_enforcement", "daily_supervision", "expert"};

json objects_part(Checker& c, const json& in) {
    const std::string at = "draw_params.objects";
    c.only(in, at, {"object_type", "division_codes", "industry_codes", "item_ids", "strata", "exclusions"});
    json out;
    std::string type = "market_subject";
    if (in.contains("object_type") && !in["object_type"].is_null()) {
        if (!in["object_type"].is_string() || !kObjectTypes.count(in["object_type"].get<std::string>()))
            c.add(at + ".object_type", "bad_choice", "检查对象类型应为市场主体、场地场所或产品");
        else
            type = in["object_type"].get<std::string>();
    }
    out["object_type"] = type;
    out["division_codes"] = c.code_list(in, "division_codes", at, std::regex("^[0-9]{6}$|^[0-9]{9}$"), "行政区划代码");
    out["industry_codes"] = c.code_list(in, "industry_codes", at, std::regex("^[A-T]$|^[0-9]{2}$"), "行业代码");
    out["item_ids"] = c.id_list(in, "item_ids", at);
    json given = c.code_list(in, "exclusions", at, std::regex("^[a-z_]{1,40}$"), "过滤规则");
    if (!in.contains("exclusions")) given = json::array({"inspected_this_year", "in_open_draw"});
    json excl = json::array();
    for (const auto& e : given) {
        const std::string code = e.get<std::string>() == "in_open_task" ? "in_open_draw" : e.get<std::string>();
        if (!kExclusions.count(code))
            c.add(at + ".exclusions", "bad_choice", "不认识的过滤规则：" + e.get<std::string>());
        else if (std::find(excl.begin(), excl.end(), json(code)) == excl.end())
            excl.push_back(code);
    }
    if (std::find(excl.begin(), excl.end(), json("in_open_draw")) == excl.end()) excl.push_back("in_open_draw");
    out["exclusions"] = excl;

    json strata = json::array();
    if (in.contains("strata") && !in["strata"].is_null()) {
        if (!in["strata"].is_array() || in["strata"].size() > 16) {
            c.add(at + ".strata", "bad_type", "分层应为至多 16 项的列表");
        } else {
            std::set<std::pair<int, std::string>> seen;
            for (size_t i = 0; i < in["strata"].size(); ++i) {
                const json& s = in["strata"][i];
                const std::string sat = at + ".strata[" + std::to_string(i) + "]";
                if (!s.is_object()) {
                    c.add(sat, "bad_type", "分层应为对象");
                    continue;
                }
                c.only(s, sat, {"risk_level", "credit_level", "ratio", "count"});
                json st;
                int risk = 0;
                if (s.contains("risk_level") && !s["risk_level"].is_null()) {
                    if (!s["risk_level"].is_number_integer() || s["risk_level"].get<int>() < 1 ||
                        s["risk_level"].get<int>() > 4)
                        c.add(sat + ".risk_level", "bad_range", "风险等级应为 1–4");
                    else
                        risk = s["risk_level"].get<int>();
                }
                st["risk_level"] = risk ? json(risk) : json(nullptr);
                std::string credit;
                if (s.contains("credit_level") && !s["credit_level"].is_null()) {
                    if (!s["credit_level"].is_string() ||
                        !std::regex_match(s["credit_level"].get<std::string>(), std::regex("^[ABCD]$")))
                        c.add(sat + ".credit_level", "bad_choice", "信用等级应为 A、B、C 或 D");
                    else
                        credit = s["credit_level"].get<std::string>();
                }
                st["credit_level"] = credit.empty() ? json(nullptr) : json(credit);
                if (!seen.insert({risk, credit}).second)
                    c.add(sat, "duplicate_stratum", "分层重复：同一风险等级与信用等级只能设置一次");
                const bool has_ratio = s.contains("ratio") && !s["ratio"].is_null();
                const bool has_count = s.contains("count") && !s["count"].is_null();
                if (has_ratio == has_count) {
                    c.add(sat, "ratio_or_count", "每个分层应填写抽查比例或抽取数量之一");
                } else if (has_ratio) {
                    if (!s["ratio"].is_number() || s["ratio"].get<double>() <= 0 || s["ratio"].get<double>() > 100)
                        c.add(sat + ".ratio", "bad_range", "抽查比例应大于 0 且不超过 100（%）");
                    else
                        st["ratio"] = s["ratio"].get<double>();
                } else {
                    st["count"] = c.count(s, "count", sat, 1000000, true);
                }
                if (!st.contains("ratio")) st["ratio"] = nullptr;
                if (!st.contains("count")) st["count"] = nullptr;
                strata.push_back(st);
            }
        }
    }
    out["strata"] = strata;
    return out;
}

json inspectors_part(Checker& c, const json& in) {
    const std::string at = "draw_params.inspectors";
    c.only(in, at, {"scope", "authority_ids", "categories", "qualifications", "specialties", "cross_district"});
    json out;
    std::string scope = "bureau";
    if (in.contains("scope") && !in["scope"].is_null()) {
        if (!in["scope"].is_string() || !kInspectorScopes.count(in["scope"].get<std::string>()))
            c.add(at + ".scope", "bad_choice", "人员范围应为全局、若干派出机构或单一派出机构");
        else
            scope = in["scope"].get<std::string>();
    }
    out["scope"] = scope;
    out["authority_ids"] = c.id_list(in, "authority_ids", at);
    if (scope == "offices" && out["authority_ids"].empty())
        c.add(at + ".authority_ids", "required", "请选择参与抽取的派出机构");
    if (scope == "office" && out["authority_ids"].size() != 1)
        c.add(at + ".authority_ids", "one_office", "单一派出机构内抽取应选择且只选择一个派出机构");
    json cats = c.code_list(in, "categories", at, std::regex("^[a-z_]{1,40}$"), "人员类别");
    for (const auto& v : cats)
        if (v.get<std::string>() == "expert")
            c.add(at + ".categories", "expert_not_drawable",
                  "辅助专家不参加随机分组：需要专家时由检查组另行邀请并在检查记录中载明");
        else if (!kCategories.count(v.get<std::string>()))
            c.add(at + ".categories", "bad_choice", "不认识的人员类别：" + v.get<std::string>());
    // The default is what a draw without categories takes: everyone but 辅助专家.
    if (!in.contains("categories")) cats = json::array({"law_enforcement", "daily_supervision"});
    if (in.contains("categories") && cats.empty())
        c.add(at + ".categories", "required", "请至少选择一类执法检查人员");
    out["categories"] = cats;
    out["qualifications"] = c.text_list(in, "qualifications", at);
    out["specialties"] = c.text_list(in, "specialties", at);
    out["cross_district"] = c.flag(in, "cross_district", at, false);
    return out;
}

json groups_part(Checker& c, const json& in) {
    const std::string at = "draw_params.groups";
    c.only(in, at, {"count", "inspectors_per_group", "objects_per_group"});
    if (in.empty()) return nullptr;
    json out;
    out["count"] = c.count(in, "count", at, 1000, true);
    out["inspectors_per_group"] = c.count(in, "inspectors_per_group", at, 20, true);
    if (!out["inspectors_per_group"].is_null() && out["inspectors_per_group"].get<long long>() < 2)
        c.add(at + ".inspectors_per_group", "bad_range", "每组执法人员不少于 2 人");
    out["objects_per_group"] = c.count(in, "objects_per_group", at, 100000, false);
    return out;
}

std::vector<long long> ids_of(const json& arr) {
    std::vector<long long> out;
    if (arr.is_array())
        for (const auto& v : arr) out.push_back(v.get<long long>());
    return out;
}

std::vector<std::string> codes_of(const json& arr) {
    std::vector<std::string> out;
    if (arr.is_array())
        for (const auto& v : arr) out.push_back(v.get<std::string>());
    return out;
}

}  // namespace

nlohmann::json normalize_draw_params(const nlohmann::json& in, std::vector<registry::FieldError>& errors) {
    Checker c{errors};
    if (in.is_null() || (in.is_object() && in.empty())) return json::object();
    if (!in.is_object()) {
        c.add("draw_params", "bad_type", "抽取参数应为对象");
        return json::object();
    }
    c.only(in, "draw_params", {"objects", "inspectors", "groups"});
    json out;
    out["objects"] = objects_part(c, c.object_at(in, "objects", "draw_params"));
    out["inspectors"] = inspectors_part(c, c.object_at(in, "inspectors", "draw_params"));
    out["groups"] = groups_part(c, c.object_at(in, "groups", "draw_params"));
    return out;
}

bool draw_params_complete(const nlohmann::json& p) {
    return p.is_object() && p.contains("objects") && !p["objects"]["strata"].empty() && p.contains("groups") &&
           p["groups"].is_object() && !p["groups"]["count"].is_null() && !p["groups"]["inspectors_per_group"].is_null();
}

std::vector<long long> draw_param_item_ids(const nlohmann::json& p) {
    return p.contains("objects") ? ids_of(p["objects"]["item_ids"]) : std::vector<long long>{};
}
std::vector<long long> draw_param_authority_ids(const nlohmann::json& p) {
    return p.contains("inspectors") ? ids_of(p["inspectors"]["authority_ids"]) : std::vector<long long>{};
}
std::vector<std::string> draw_param_division_codes(const nlohmann::json& p) {
    return p.contains("objects") ? codes_of(p["objects"]["division_codes"]) : std::vector<std::string>{};
}
std::vector<std::string> draw_param_industry_codes(const nlohmann::json& p) {
    return p.contains("objects") ? codes_of(p["objects"]["industry_codes"]) : std::vector<std::string>{};
}

}  // namespace twindraw::flow
