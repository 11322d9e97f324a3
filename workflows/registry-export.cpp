#include "workflows/registry-export.hpp"

#include "workflows/xlsx-writer.hpp"

#include <cstring>

namespace twindraw::registry {

namespace {

std::string joined(const nlohmann::json& list) {
    std::string s;
    for (const auto& x : list) s += (s.empty() ? "" : "、") + (x.is_string() ? x.get<std::string>() : x.dump());
    return s;
}

std::string cell_text(const Field& f, const nlohmann::json& row) {
    auto label = row.find(f.name + "_label");
    if (label != row.end() && !label->is_null()) return label->is_array() ? joined(*label) : label->get<std::string>();
    const auto& v = row.at(f.name);
    if (v.is_null()) return "";
    if (v.is_boolean()) return v.get<bool>() ? "是" : "否";
    if (v.is_array()) return joined(v);
    std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    return f.choices.empty() ? s : choice_label(f, s);
}

// Excel forbids []:*?/\ in sheet names.
std::string sheet_name(std::string label) {
    for (auto& c : label)
        if (c != '\0' && std::strchr("[]:*?/\\", c)) c = '-';
    return label;
}

}  // namespace

std::string export_xlsx(pg::Pool& pool, const Entity& e, const ListQuery& query, long long limit) {
    std::vector<std::string> headers;
    for (const auto& f : e.fields) {
        if (f.type == FieldType::Point) {
            headers.push_back("经度");
            headers.push_back("纬度");
        } else {
            headers.push_back(f.label);
        }
    }
    std::vector<std::vector<std::string>> rows;
    for_each(pool, e, query, limit, [&](const nlohmann::json& row) {
        std::vector<std::string> cells;
        for (const auto& f : e.fields) {
            if (f.type == FieldType::Point) {
                const auto& p = row.at(f.name);
                cells.push_back(p.is_null() ? "" : p["lon"].dump());
                cells.push_back(p.is_null() ? "" : p["lat"].dump());
            } else {
                cells.push_back(cell_text(f, row));
            }
        }
        rows.push_back(std::move(cells));
    });
    return xlsx::export_rows_xlsx(headers, rows, sheet_name(e.label));
}

}  // namespace twindraw::registry
