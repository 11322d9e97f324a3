#include "workflows/draw-public.hpp"

#include <set>
#include <string>

namespace twindraw::draw {

using nlohmann::json;

namespace {

std::string id_array(const std::set<long long>& ids) {
    std::string s = "{";
    for (long long v : ids) s += (s.size() > 1 ? "," : "") + std::to_string(v);
    return s + "}";
}

// An id of the record: a number (format 1) or a decimal string.
void add_id(std::set<long long>& out, const json& v) {
    if (v.is_number_integer()) out.insert(v.get<long long>());
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos)
            out.insert(std::stoll(s));
    }
}

}  // namespace

json public_names(pg::Pool& pool, const json& v) {
    json out = {{"objects", json::object()}, {"inspectors", json::object()}};
    if (v.value("status", std::string()) != "confirmed" || !v.contains("record")) return out;
    const json& rec = v["record"];
    const std::string kind = rec.value("object_kind", std::string());
    // The registration number the public knows each kind by (统一社会信用代码, 许可证号).
    const char* name_col = nullptr;
    const char* code_col = nullptr;
    if (kind == "market_subject") {
        name_col = "o.name";
        code_col = "o.uscc";
    } else if (kind == "venue") {
        name_col = "o.name";
        code_col = "o.responsible_uscc";
    } else if (kind == "product") {
        name_col = "coalesce(o.product_name, '') || '（' || o.enterprise_name || '）'";
        code_col = "o.licence_no";
    } else {
        return out;
    }
    std::set<long long> objects, people;
    for (const auto& g : rec.value("result_groups", json::array())) {
        if (!g.is_object()) continue;
        for (const auto& o : g.value("objects", json::array())) add_id(objects, o);
        if (g.contains("leader")) add_id(people, g["leader"]);
        for (const auto& m : g.value("members", json::array())) add_id(people, m);
    }
    pg::with_read(pool, "draw-public-names", [&](pqxx::read_transaction& tx) {
        if (!objects.empty())
            for (const auto& row : pg::exec(tx,
                                            std::string("SELECT o.id, ") + name_col + ", " + code_col + " FROM " +
                                                pg::quote_ident(kind) + " o WHERE o.id = ANY($1::bigint[])",
                                            pg::Params().add(id_array(objects))))
                out["objects"][row[0].c_str()] = {{"name", row[1].c_str()},
                                                  {"code", row[2].is_null() ? "" : row[2].c_str()}};
        if (!people.empty())
            for (const auto& row :
                 pg::exec(tx,
                          "SELECT i.id, i.name, a.name, i.certificate_no FROM inspector i"
                          " JOIN authority a ON a.id = i.authority_id WHERE i.id = ANY($1::bigint[])",
                          pg::Params().add(id_array(people))))
                out["inspectors"][row[0].c_str()] = {{"name", row[1].c_str()},
                                                     {"unit", row[2].c_str()},
                                                     {"certificate_no", row[3].is_null() ? "" : row[3].c_str()}};
        return 0;
    });
    return out;
}

}  // namespace twindraw::draw
