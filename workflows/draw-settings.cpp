#include "workflows/draw-settings.hpp"

#include "geo/error.hpp"
#include "workflows/draw-repo.hpp"

#include <algorithm>
#include <map>

namespace twindraw::draw {

using nlohmann::json;

namespace {

const std::map<std::string, std::string> kCategoryNames = {{"law_enforcement", "行政执法人员"},
                                                           {"daily_supervision", "日常监管人员"}};

bool listed(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

void parse_settings(const json& body, DrawRequest& r) {
    if (body.contains("exclusions") && !body["exclusions"].is_null()) {
        const auto& ex = body["exclusions"];
        if (!ex.is_array() || ex.size() > 8) throw invalid("bad_exclusions", "过滤规则应为规则代码的数组", "exclusions");
        std::vector<std::string> codes;
        for (const auto& e : ex) {
            // in_open_task: the task form's former name of in_open_draw.
            std::string code = e.is_string() ? e.get<std::string>() : std::string();
            if (code == "in_open_task") code = "in_open_draw";
            if (!listed(kChoosableRules, code))
                throw invalid("bad_exclusions", "不认识的过滤规则：" + (e.is_string() ? e.get<std::string>() : e.dump()),
                              "exclusions");
            if (!listed(codes, code)) codes.push_back(code);
        }
        r.exclusions = codes;
    }
    const json insp = body.value("inspectors", json::object());
    if (insp.is_object() && insp.contains("categories") && !insp["categories"].is_null()) {
        const auto& cats = insp["categories"];
        if (!cats.is_array() || cats.empty() || cats.size() > 8)
            throw invalid("bad_categories", "请至少选择一类执法检查人员", "inspectors.categories");
        std::vector<std::string> out;
        for (const auto& c : cats) {
            const std::string v = c.is_string() ? c.get<std::string>() : std::string();
            if (v == "expert")
                throw invalid("expert_not_drawable",
                              "辅助专家不参加随机分组：请从人员类别中去掉“辅助专家”，需要专家时由检查组另行邀请并在检查记录中载明",
                              "inspectors.categories");
            if (!kCategoryNames.count(v))
                throw invalid("bad_categories", "不认识的人员类别：" + (c.is_string() ? v : c.dump()),
                              "inspectors.categories");
            if (!listed(out, v)) out.push_back(v);
        }
        r.inspectors.categories = out;
    }
    if (body.contains("objects_per_group") && !body["objects_per_group"].is_null()) {
        const auto& v = body["objects_per_group"];
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 100000)
            throw invalid("bad_objects_per_group", "每组检查对象数应为 1 至 100000", "objects_per_group");
        r.objects_per_group = v.get<int>();
    }
}

bool rule_applies(const DrawRequest& r, const std::string& code, bool enabled, bool locked) {
    if (locked) return true;
    if (r.exclusions && listed(kChoosableRules, code)) return listed(*r.exclusions, code);
    return enabled;
}

std::string rule_source(const DrawRequest& r, const std::string& code, bool locked) {
    if (locked) return "locked";
    if (r.exclusions && listed(kChoosableRules, code)) return "request";
    return "setting";
}

int groups_for(const Record& rec, const DrawRequest& r) {
    if (!r.objects_per_group) return r.groups;
    long long k = 0;
    for (const auto& s : rec.object_strata) {
        auto q = rec.quotas.find(s.label);
        if (q == rec.quotas.end()) continue;
        k += quota_k(static_cast<long long>(s.ids.size()), q->second, rec.cap_bp);
    }
    const long long per = *r.objects_per_group;
    const long long needed = (k + per - 1) / per;
    if (needed > 1000)
        throw invalid("too_many_groups",
                      "按每组 " + std::to_string(per) + " 个对象需要 " + std::to_string(needed) +
                          " 个检查组，超过 1000 组；请调大每组检查对象数",
                      "objects_per_group");
    return static_cast<int>(std::max<long long>(r.groups, needed));
}

std::string group_words(const Record& rec, const DrawRequest& r) {
    if (!r.objects_per_group) return "";
    return "。每组至多 " + std::to_string(*r.objects_per_group) + " 个检查对象，共 " + std::to_string(rec.groups) + " 组";
}

std::string category_words(const DrawRequest& r) {
    std::string out;
    for (const auto& c : r.inspectors.categories) out += (out.empty() ? "" : "、") + kCategoryNames.at(c);
    return out;
}

}  // namespace twindraw::draw
