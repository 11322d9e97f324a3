// The OpenAPI 3 document, generated from the route table and the registry
// descriptors so that it cannot drift from what is served.
#include "server/app.hpp"
#include "workflows/registry-schema.hpp"

namespace twindraw::server {

namespace {

nlohmann::json field_schema(const registry::Field& f) {
    using FT = registry::FieldType;
    nlohmann::json s;
    switch (f.type) {
    case FT::Text:
    case FT::Code: s = {{"type", "string"}}; break;
    case FT::Int: s = {{"type", "integer"}}; break;
    case FT::Decimal: s = {{"type", "number"}}; break;
    case FT::Bool: s = {{"type", "boolean"}}; break;
    case FT::Date: s = {{"type", "string"}, {"format", "date"}}; break;
    case FT::TextArray: s = {{"type", "array"}, {"items", {{"type", "string"}}}}; break;
    case FT::IdArray: s = {{"type", "array"}, {"items", {{"type", "integer"}}}}; break;
    case FT::Point:
        s = {{"type", "object"},
             {"properties", {{"lon", {{"type", "number"}}}, {"lat", {{"type", "number"}}}}},
             {"description", "WGS84 经纬度"}};
        break;
    }
    s["description"] = s.value("description", std::string()) + f.label;
    if (f.max_len) s["maxLength"] = f.max_len;
    if (!f.pattern.empty()) s["pattern"] = f.pattern;
    if (f.readonly) s["readOnly"] = true;
    if (!f.choices.empty()) {
        nlohmann::json values = nlohmann::json::array();
        for (const auto& c : f.choices) values.push_back(c.value);
        s["x-choices"] = values;
    }
    return s;
}

nlohmann::json entity_schema(const registry::Entity& e) {
    nlohmann::json props = nlohmann::json::object();
    nlohmann::json required = nlohmann::json::array();
    for (const auto& f : e.fields) {
        props[f.name] = field_schema(f);
        if (f.required) required.push_back(f.name);
    }
    return {{"type", "object"}, {"title", e.label}, {"properties", props}, {"required", required}};
}

void add_operation(nlohmann::json& paths, const Route& r, const std::string& path, const registry::Entity* e) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    nlohmann::json params = nlohmann::json::array();
    for (const auto& seg : split_path(path))
        if (seg.size() > 2 && seg.front() == '{' && seg.find('}') != std::string::npos)
            params.push_back({{"name", seg.substr(1, seg.find('}') - 1)},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
    for (const auto& q : r.query_params)
        params.push_back({{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    nlohmann::json op = {{"summary", (e ? e->label + "：" : std::string()) + r.summary},
                         {"tags", {r.tag}},
                         {"x-permission", r.permission},
                         {"parameters", params}};
    nlohmann::json ok = {{"description", "成功"}};
    if (e && r.method != "DELETE")
        ok["content"] = {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + e->name}}}}}};
    int status = r.method == "POST" ? 201 : r.method == "DELETE" ? 204 : 200;
    op["responses"] = {{std::to_string(status), ok},
                       {"default", {{"description", "错误",
                                     {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}};
    if (!r.request_body.empty()) {
        nlohmann::json schema = e && r.request_body == "application/json"
                                    ? nlohmann::json{{"$ref", "#/components/schemas/" + e->name}}
                                    : nlohmann::json{{"type", "string"}, {"format", "binary"}};
        op["requestBody"] = {{"required", true}, {"content", {{r.request_body, {{"schema", schema}}}}}};
    }
    paths[path][method] = op;
}

}  // namespace

nlohmann::json openapi_document(const Router& router) {
    nlohmann::json paths = nlohmann::json::object();
    for (const auto& r : router.routes()) {
        if (r.pattern.find("{entity}") == std::string::npos) {
            add_operation(paths, r, r.pattern, nullptr);
            continue;
        }
        for (const auto& e : registry::entities()) {
            std::string p = r.pattern;
            p.replace(p.find("{entity}"), 8, e.name);
            add_operation(paths, r, p, &e);
        }
    }
    nlohmann::json schemas = {
        {"Error",
         {{"type", "object"},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", {"code", "message"}},
              {"properties",
               {{"code", {{"type", "string"}, {"description", "稳定的英文错误代码"}}},
                {"message", {{"type", "string"}, {"description", "中文错误说明"}}},
                {"field", {{"type", "string"}, {"description", "出错的字段"}}},
                {"state", {{"type", "string"}, {"description", "状态冲突（409）时对象的当前状态"}}},
                {"errors", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}}}}}}};
    for (const auto& e : registry::entities()) schemas[e.name] = entity_schema(e);
    // Navigation (docs/navigation.md): the shape of today's targets.
    schemas["NavigationTargets"] = {
        {"type", "object"},
        {"properties",
         {{"start", {{"type", "object"}, {"description", "起点（WGS84）"}}},
          {"method", {{"type", "string"}, {"enum", {"road_network", "straight_line"}},
                      {"description", "距离依据：路网（pgRouting）或直线（椭球面距离）"}}},
          {"exact", {{"type", "boolean"}, {"description", "访问顺序是否为精确最优"}}},
          {"distance_m", {{"type", "number"}, {"description", "总行程（米）"}}},
          {"geometry", {{"type", "object"}, {"nullable", true}, {"description", "路线 GeoJSON（WGS84）"}}},
          {"targets", {{"type", "array"}, {"items", {{"type", "object"}}},
                       {"description", "按访问顺序的目标：seq, kind(job|patrol_point), id, name, lon, lat, leg_m, "
                                       "gcj02, bd09, nav{amap, baidu, tencent}"}}},
          {"visited", {{"type", "array"}, {"items", {{"type", "object"}}}, {"description", "今日已打卡的巡查点"}}},
          {"unlocated", {{"type", "array"}, {"items", {{"type", "object"}}}, {"description", "对象无坐标的检查作业"}}}}}};
    if (paths.contains("/api/navigation/my-targets")) {
        auto& get = paths["/api/navigation/my-targets"]["get"];
        get["responses"]["200"]["content"] = {
            {"application/json", {{"schema", {{"$ref", "#/components/schemas/NavigationTargets"}}}}}};
        for (auto& prm : get["parameters"]) {
            prm["required"] = true;
            prm["schema"] = {{"type", "number"}};
            prm["description"] = prm["name"] == "lat" ? "起点纬度（WGS84）" : "起点经度（WGS84）";
        }
    }
    return {{"openapi", "3.0.3"},
            {"info", {{"title", "TwinDraw 双随机一公开监管平台 API"}, {"version", "0.1.0"}}},
            {"paths", paths},
            {"components", {{"schemas", schemas}}}};
}

}  // namespace twindraw::server
