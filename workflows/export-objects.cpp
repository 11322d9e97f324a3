#include "workflows/export-objects.hpp"

#include "geo/error.hpp"
#include "geo/ogr-writer.hpp"
#include "workflows/registry-schema.hpp"

namespace twindraw::exporting {

namespace {

using registry::Entity;
using registry::Field;
using registry::FieldType;

const Entity& exportable(const std::string& kind) {
    if (kind != "subjects" && kind != "venues" && kind != "products")
        throw bad_request("bad_kind", "未知的导出类型：" + kind.substr(0, 20) + "（可选 subjects、venues、products）", "kind");
    return *registry::find_entity(kind);
}

}  // namespace

std::string export_filename(const std::string& kind, const std::string& format,
                            const std::optional<std::string>& division_code) {
    const Entity& e = exportable(kind);
    return e.label + (division_code ? "-" + *division_code : std::string()) + ogr::Writer::extension(format);
}

std::string export_objects(pg::Pool& pool, const std::string& kind, const std::string& format,
                           const std::optional<std::string>& division_code) {
    const Entity& e = exportable(kind);
    ogr::Writer::extension(format);  // validates the format before any work

    std::vector<const Field*> fields;
    std::vector<ogr::OutField> out;
    std::string select;
    for (const auto& f : e.fields) {
        if (f.type == FieldType::Point || f.type == FieldType::IdArray || f.type == FieldType::TextArray) continue;
        fields.push_back(&f);
        ogr::FieldKind k = f.type == FieldType::Int ? ogr::FieldKind::Integer
                           : f.type == FieldType::Decimal ? ogr::FieldKind::Real
                                                          : ogr::FieldKind::Text;
        out.push_back({f.label, k});
        std::string q = pg::quote_ident(f.name);
        if (f.name == "updated_at")
            select += "to_char(" + q + " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), ";
        else
            select += q + "::text, ";
    }
    select += "ST_X(geom), ST_Y(geom)";

    auto lease = pool.acquire("export");
    pqxx::work tx(*lease);
    pg::apply_actor(tx);  // the request's data scope applies to exports (0006)
    pg::Params p;
    std::string where;
    if (division_code) {
        auto r = pg::exec(tx, "SELECT 1 FROM division WHERE code = $1", pg::Params().add(*division_code));
        if (r.empty()) throw not_found("行政区划“" + division_code->substr(0, 20) + "”不存在");
        where = " WHERE division_code IN (WITH RECURSIVE d(code) AS (SELECT " + p.next(*division_code) +
                "::text UNION SELECT c.code FROM division c JOIN d ON c.parent_code = d.code) SELECT code FROM d)";
    }
    pg::exec(tx, "DECLARE export_cur NO SCROLL CURSOR FOR SELECT " + select + " FROM " + pg::quote_ident(e.table) +
                     where + " ORDER BY " + pg::quote_ident(e.key),
             p);

    const Field* display = e.field(e.display);
    ogr::Writer writer(format, e.label, out, display ? display->label : std::string());
    std::vector<std::optional<std::string>> values(fields.size());
    for (;;) {
        auto r = pg::exec(tx, "FETCH 5000 FROM export_cur");
        if (r.empty()) break;
        for (const auto& row : r) {
            for (size_t i = 0; i < fields.size(); ++i)
                values[i] = row[static_cast<int>(i)].is_null() ? std::nullopt
                                                               : std::optional<std::string>(row[static_cast<int>(i)].c_str());
            std::optional<std::pair<double, double>> pt;
            int gx = static_cast<int>(fields.size());
            if (!row[gx].is_null()) pt = std::make_pair(row[gx].as<double>(), row[gx + 1].as<double>());
            writer.add(values, pt);
        }
    }
    pg::exec(tx, "CLOSE export_cur");
    tx.commit();
    return writer.finish();
}

}  // namespace twindraw::exporting
