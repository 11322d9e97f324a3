#include "workflows/account-org.hpp"

#include "geo/error.hpp"
#include "workflows/registry-repo.hpp"
#include "workflows/registry-schema.hpp"

#include <optional>

namespace twindraw::accounts {

namespace {

const registry::Entity& entity(const char* name) { return *registry::find_entity(name); }

Error outside() { return forbidden("out_of_scope", "该组织机构不在您的管理范围内"); }
Error above() { return forbidden("role_above_admin", "只能管理本人管理级别以下的组织机构"); }

// Moving a unit (its division code or its parent) changes every data scope computed from
// it (scope_units() in 0004): a system administrator's action only, scope 'all' with
// system.org (issue 12, SYS-1, SYS-8). The audit trail records the change (authority is
// attached in 0005); the trigger authority_place_guard (0034) refuses it to every
// restricted role in the database as well.
bool system_admin(const AdminScope& admin) {
    if (admin.data_scope != "all") return false;
    for (const auto& p : admin.permissions)
        if (p == "system.org") return true;
    return false;
}

std::optional<long long> id_field(const nlohmann::json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer()) throw invalid("invalid_value", std::string("字段类型不正确：") + name, name);
    return it->get<long long>();
}

std::optional<std::string> text_field(const nlohmann::json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw invalid("invalid_value", std::string("字段类型不正确：") + name, name);
    return it->get<std::string>();
}

bool in_scope_units(pqxx::transaction_base& tx, const AdminScope& admin, long long unit) {
    pg::Params p;
    if (admin.unit_id > 0) p.add(admin.unit_id); else p.null();
    p.add(admin.data_scope).add(unit);
    return pg::exec(tx, "SELECT $3::bigint IN (SELECT id FROM scope_units($1, $2))", p)[0][0].as<bool>();
}

// Whether a unit with this division code and parent may exist under the admin.
void check_unit_place(pqxx::transaction_base& tx, const AdminScope& admin, const std::string& division_code,
                      std::optional<long long> parent) {
    if (admin.data_scope == "all") return;
    if (admin.data_scope != "district" && admin.data_scope != "unit_tree") throw above();
    if (parent && !in_scope_units(tx, admin, *parent)) throw outside();
    if (admin.data_scope == "unit_tree" && !parent) throw outside();
    pg::Params p;
    p.add(admin.unit_id).add(division_code).add(admin.data_scope);
    auto r = pg::exec(tx,
                      "SELECT CASE WHEN $3 = 'district' THEN left($2, 6) = left(a.division_code, 6)"
                      " ELSE $2 LIKE division_area(a.division_code) || '%' END FROM authority a WHERE a.id = $1",
                      p);
    if (r.empty() || !r[0][0].as<bool>()) throw outside();
}

// An existing unit the admin may change: inside the scope, not its own, not above.
void check_unit_managed(pqxx::transaction_base& tx, const AdminScope& admin, long long id) {
    if (pg::exec(tx, "SELECT 1 FROM authority WHERE id = $1", pg::Params().add(id)).empty())
        throw not_found("组织机构不存在");
    if (admin.data_scope == "all") return;
    if (admin.data_scope != "district" && admin.data_scope != "unit_tree") throw above();
    if (id == admin.unit_id) throw above();
    if (!in_scope_units(tx, admin, id)) throw outside();
}

void check_section_unit(pqxx::transaction_base& tx, const AdminScope& admin, long long unit) {
    if (admin.data_scope == "all") return;
    if (admin.data_scope == "self" || admin.data_scope.empty()) throw above();
    if (!in_scope_units(tx, admin, unit)) throw outside();
}

template <typename Fn>
void checked(pg::Pool& pool, Fn&& fn) {
    pg::with_read(pool, "org", [&](pqxx::read_transaction& tx) {
        fn(tx);
        return 0;
    });
}

}  // namespace

nlohmann::json create_unit(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body) {
    if (!body.is_object()) throw bad_request("bad_body", "请求体应为 JSON 对象");
    auto division = text_field(body, "division_code");
    checked(pool, [&](pqxx::transaction_base& tx) {
        // Without a division code the registry's validation answers 422 below.
        if (division) check_unit_place(tx, admin, *division, id_field(body, "parent_id"));
        else if (admin.data_scope != "all" && admin.data_scope != "district" && admin.data_scope != "unit_tree")
            throw above();
    });
    return registry::create(pool, entity("authorities"), body);
}

nlohmann::json update_unit(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body) {
    if (!body.is_object()) throw bad_request("bad_body", "请求体应为 JSON 对象");
    checked(pool, [&](pqxx::transaction_base& tx) {
        check_unit_managed(tx, admin, id);
        auto cur = pg::exec(tx, "SELECT division_code, parent_id FROM authority WHERE id = $1", pg::Params().add(id));
        std::string division = cur[0][0].as<std::string>();
        std::optional<long long> parent;
        if (!cur[0][1].is_null()) parent = cur[0][1].as<long long>();
        const std::string old_division = division;
        const std::optional<long long> old_parent = parent;
        if (auto d = text_field(body, "division_code")) division = *d;
        if (body.contains("parent_id")) parent = id_field(body, "parent_id");
        if ((division != old_division || parent != old_parent) && !system_admin(admin))
            throw forbidden("system_admin_only", "只有系统管理员可以修改单位的行政区划或上级单位");
        check_unit_place(tx, admin, division, parent);
    });
    return registry::update(pool, entity("authorities"), std::to_string(id), body);
}

void delete_unit(pg::Pool& pool, const AdminScope& admin, long long id) {
    checked(pool, [&](pqxx::transaction_base& tx) { check_unit_managed(tx, admin, id); });
    registry::remove(pool, entity("authorities"), std::to_string(id));
}

nlohmann::json create_section(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body) {
    if (!body.is_object()) throw bad_request("bad_body", "请求体应为 JSON 对象");
    checked(pool, [&](pqxx::transaction_base& tx) {
        if (auto unit = id_field(body, "authority_id")) check_section_unit(tx, admin, *unit);
    });
    return registry::create(pool, entity("sections"), body);
}

nlohmann::json update_section(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body) {
    if (!body.is_object()) throw bad_request("bad_body", "请求体应为 JSON 对象");
    checked(pool, [&](pqxx::transaction_base& tx) {
        auto cur = pg::exec(tx, "SELECT authority_id FROM section WHERE id = $1", pg::Params().add(id));
        if (cur.empty()) throw not_found("科室不存在");
        check_section_unit(tx, admin, cur[0][0].as<long long>());
        if (auto unit = id_field(body, "authority_id")) check_section_unit(tx, admin, *unit);
    });
    return registry::update(pool, entity("sections"), std::to_string(id), body);
}

void delete_section(pg::Pool& pool, const AdminScope& admin, long long id) {
    checked(pool, [&](pqxx::transaction_base& tx) {
        auto cur = pg::exec(tx, "SELECT authority_id FROM section WHERE id = $1", pg::Params().add(id));
        if (cur.empty()) throw not_found("科室不存在");
        check_section_unit(tx, admin, cur[0][0].as<long long>());
    });
    registry::remove(pool, entity("sections"), std::to_string(id));
}

}  // namespace twindraw::accounts
