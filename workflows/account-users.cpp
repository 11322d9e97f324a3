#include "workflows/account-users.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-permissions.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace twindraw::accounts {

namespace {

const char* kUserJson = R"(
  json_build_object('id', u.id, 'account', u.account, 'name', u.name, 'phone', u.phone, 'email', u.email,
    'active', u.active, 'must_change_password', u.must_change_password, 'totp_enabled', u.totp_enabled,
    'inspector_id', u.inspector_id, 'certificate_no', u.certificate_no, 'created_at', u.created_at,
    'identities', coalesce((
      SELECT json_agg(json_build_object('id', i.id, 'unit_id', i.authority_id, 'unit_name', a.name,
                                        'section_id', i.section_id, 'role_id', r.id, 'role_code', r.code,
                                        'role_name', r.name, 'is_default', i.is_default) ORDER BY i.is_default DESC, i.id)
        FROM user_identity i JOIN authority a ON a.id = i.authority_id JOIN role r ON r.id = i.role_id
       WHERE i.user_id = u.id), '[]'::json))::text)";

Error out_of_scope() {
    return forbidden("out_of_scope", "该用户不在您的管理范围内");
}

bool has_perm(const AdminScope& a, const std::string& p) {
    return std::find(a.permissions.begin(), a.permissions.end(), p) != a.permissions.end();
}

pg::Params scope_params(const AdminScope& a) {
    pg::Params p;
    if (a.unit_id > 0) p.add(a.unit_id); else p.null();
    p.add(a.data_scope);
    return p;
}

// Forbidden when outside the scope (also for an unknown id, unless the scope is all:
// outside it, row-level security hides the user anyway), NotFound when it does not exist.
void require_manageable(pqxx::transaction_base& tx, const AdminScope& admin, long long id) {
    auto p = scope_params(admin);
    p.add(id);
    auto r = pg::exec(tx, "SELECT user_manageable($3::bigint, $1, $2), EXISTS (SELECT 1 FROM app_user WHERE id = $3)", p);
    if (!r[0][0].as<bool>()) throw out_of_scope();
    if (!r[0][1].as<bool>()) throw not_found("用户不存在");
}

// Linking an account to an inspector hands it the inspector's jobs, files and results:
// the inspector must belong to a unit of the administrator's scope (issue 12, AUTH-5,
// SYS-8). Not found when it is not there; app_user_inspector_guard (0034) holds the same
// rule in the database.
void require_inspector_in_scope(pqxx::transaction_base& tx, const AdminScope& admin, long long inspector) {
    if (admin.data_scope == "all") return;
    auto p = scope_params(admin);
    p.add(inspector);
    auto r = pg::exec(tx,
                      "SELECT EXISTS (SELECT 1 FROM inspector i WHERE i.id = $3::bigint"
                      " AND i.authority_id IN (SELECT s.id FROM scope_units($1, $2) s))",
                      p);
    if (!r[0][0].as<bool>()) throw not_found("执法人员不存在或不在您的管理范围内");
}

nlohmann::json user_json(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string("SELECT ") + kUserJson + " FROM app_user u WHERE u.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("用户不存在");
    return nlohmann::json::parse(r[0][0].as<std::string>());
}

std::optional<std::string> opt_string(const nlohmann::json& body, const char* name, size_t max_chars) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw invalid("invalid_value", std::string("字段类型不正确：") + name, name);
    std::string v = it->get<std::string>();
    if (v.size() > max_chars * 3) throw invalid("too_long", std::string("字段过长：") + name, name);
    if (v.find('\0') != std::string::npos) throw invalid("invalid_character", std::string("字段含有不允许的控制字符：") + name, name);
    if (v.empty()) return std::nullopt;
    return v;
}

std::optional<long long> opt_id(const nlohmann::json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || it->get<long long>() <= 0)
        throw invalid("invalid_value", std::string("字段类型不正确：") + name, name);
    return it->get<long long>();
}

Error map_user_conflict(const Error& e) {
    if (e.kind() == Error::Kind::Conflict && e.field().find("account") != std::string::npos)
        return conflict("duplicate", "账号已存在", "account");
    if (e.kind() == Error::Kind::Conflict && e.field().find("inspector") != std::string::npos)
        return conflict("duplicate", "该执法人员已关联其他账号", "inspector_id");
    if (e.kind() == Error::Kind::Invalid && e.field().find("inspector") != std::string::npos)
        return invalid("unknown_reference", "执法人员不存在", "inspector_id");
    return e;
}

// Replaces the identities of user id after checking each against the admin's scope.
void write_identities(pqxx::transaction_base& tx, const AdminScope& admin, long long id, const nlohmann::json& list) {
    if (!list.is_array() || list.empty()) throw invalid("required", "至少需要一个单位身份", "identities");
    if (list.size() > 20) throw invalid("too_many", "单位身份过多", "identities");
    struct Row {
        long long unit, role;
        std::optional<long long> section;
        bool is_default;
    };
    std::vector<Row> rows;
    bool any_default = false;
    for (const auto& item : list) {
        if (!item.is_object()) throw invalid("invalid_value", "单位身份格式不正确", "identities");
        auto unit = opt_id(item, "unit_id");
        if (!unit) throw invalid("required", "单位身份缺少 unit_id", "identities");
        long long role = 0;
        std::string role_scope;
        std::vector<std::string> role_perms;
        pg::Params rp;
        std::string where;
        if (auto rid = opt_id(item, "role_id")) {
            rp.add(*rid);
            where = "id = $1";
        } else if (auto code = opt_string(item, "role_code", 40)) {
            rp.add(*code);
            where = "code = $1";
        } else {
            throw invalid("required", "单位身份缺少角色", "identities");
        }
        auto r = pg::exec(tx, "SELECT id, data_scope, array_to_string(permissions, ',') FROM role WHERE " + where, rp);
        if (r.empty()) throw invalid("unknown_reference", "角色不存在", "identities");
        role = r[0][0].as<long long>();
        role_scope = r[0][1].as<std::string>();
        std::string perms = r[0][2].as<std::string>();
        for (size_t s = 0; s < perms.size();) {
            size_t c = perms.find(',', s);
            if (c == std::string::npos) c = perms.size();
            if (c > s) role_perms.push_back(perms.substr(s, c - s));
            s = c + 1;
        }
        auto sp = scope_params(admin);
        sp.add(*unit);
        auto in_scope = pg::exec(tx,
                                 "SELECT EXISTS (SELECT 1 FROM authority WHERE id = $3),"
                                 " $3 IN (SELECT id FROM scope_units($1, $2))",
                                 sp);
        if (!in_scope[0][0].as<bool>()) throw invalid("unknown_reference", "单位不存在", "identities");
        if (!in_scope[0][1].as<bool>()) throw forbidden("out_of_scope", "不能在管理范围以外的单位设置身份");
        if (admin.data_scope != "all") {
            // Business permissions are the unit's to hand out; administrative ones
            // only by someone who holds them.
            for (const auto& p : role_perms)
                if ((p.rfind("system.", 0) == 0 || p.rfind("audit.", 0) == 0) && !has_perm(admin, p))
                    throw forbidden("role_above_admin", "不能授予本人不具备的管理权限");
            bool is_admin_role = std::find(role_perms.begin(), role_perms.end(), "system.users") != role_perms.end() ||
                                 std::find(role_perms.begin(), role_perms.end(), "system.roles") != role_perms.end();
            if (is_admin_role && scope_rank(role_scope) <= scope_rank(admin.data_scope))
                throw forbidden("role_above_admin", "只能授予低于本人管理级别的管理员角色");
        }
        auto section = opt_id(item, "section_id");
        if (section) {
            auto s = pg::exec(tx, "SELECT 1 FROM section WHERE id = $1 AND authority_id = $2",
                              pg::Params().add(*section).add(*unit));
            if (s.empty()) throw invalid("unknown_reference", "科室不属于该单位", "identities");
        }
        bool d = item.value("is_default", false) && !any_default;
        any_default = any_default || d;
        rows.push_back({*unit, role, section, d});
    }
    if (!any_default) rows.front().is_default = true;
    pg::exec(tx, "DELETE FROM user_identity WHERE user_id = $1", pg::Params().add(id));
    for (const auto& row : rows) {
        pg::Params p;
        p.add(id).add(row.unit).add(row.role);
        if (row.section) p.add(*row.section); else p.null();
        p.add(row.is_default);
        try {
            pg::exec(tx,
                     "INSERT INTO user_identity(user_id, authority_id, role_id, section_id, is_default)"
                     " VALUES ($1, $2, $3, $4, $5)",
                     p);
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Conflict) throw conflict("duplicate", "同一单位的同一角色重复", "identities");
            throw;
        }
    }
    // Sessions that held a removed identity continue with the new default one.
    pg::exec(tx,
             "UPDATE session SET identity_id = (SELECT id FROM user_identity WHERE user_id = $1 AND is_default)"
             " WHERE user_id = $1 AND identity_id IS NULL AND revoked_at IS NULL",
             pg::Params().add(id));
}

nlohmann::json paged(const pqxx::result& r, const Page& page) {
    nlohmann::json items = nlohmann::json::array();
    long long total = 0;
    for (const auto& row : r) {
        items.push_back(nlohmann::json::parse(row[0].as<std::string>()));
        total = row[1].as<long long>();
    }
    return {{"items", items}, {"total", total}, {"page", page.page}, {"page_size", page.page_size}};
}

}  // namespace

nlohmann::json list_users(pg::Pool& pool, const AdminScope& admin, const UserFilter& f, const Page& page) {
    return pg::with_read(pool, "users", [&](pqxx::read_transaction& tx) {
        pg::Params p = scope_params(admin);
        std::string where = "user_manageable(u.id, $1, $2)";
        if (!f.keyword.empty()) {
            std::string k = p.next("%" + pg::like_escape(f.keyword.substr(0, 100)) + "%");
            where += " AND (u.account ILIKE " + k + " OR u.name ILIKE " + k + " OR u.phone ILIKE " + k +
                     " OR u.certificate_no ILIKE " + k + ")";
        }
        if (f.unit_id > 0)
            where += " AND EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = u.id AND i.authority_id = " +
                     p.next(std::to_string(f.unit_id)) + "::bigint)";
        if (f.role_id > 0)
            where += " AND EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = u.id AND i.role_id = " +
                     p.next(std::to_string(f.role_id)) + "::bigint)";
        if (f.active) where += " AND u.active = " + p.next(*f.active ? "true" : "false") + "::boolean";
        const std::string limit = p.next(std::to_string(page.page_size));
        const std::string offset = p.next(std::to_string((page.page - 1) * page.page_size));
        auto r = pg::exec(tx, std::string("SELECT ") + kUserJson + ", count(*) OVER () FROM app_user u WHERE " + where +
                                  " ORDER BY u.account LIMIT " + limit + "::bigint OFFSET " + offset + "::bigint",
                          p);
        return paged(r, page);
    });
}

nlohmann::json get_user(pg::Pool& pool, const AdminScope& admin, long long id) {
    return pg::with_read(pool, "users", [&](pqxx::read_transaction& tx) {
        require_manageable(tx, admin, id);
        return user_json(tx, id);
    });
}

nlohmann::json create_user(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body) {
    static const std::regex account_re("^[A-Za-z0-9_.@-]{3,40}$");
    auto account = opt_string(body, "account", 40);
    if (!account || !std::regex_match(*account, account_re))
        throw invalid("invalid_account", "账号须为 3–40 位字母、数字或 _ . @ -", "account");
    auto name = opt_string(body, "name", 50);
    if (!name) throw invalid("required", "姓名不能为空", "name");
    auto password = opt_string(body, "password", 128);
    if (!password) throw invalid("required", "初始密码不能为空", "password");
    try {
        check_password_policy(*account, *password);
    } catch (const Error& e) {
        throw invalid(e.code(), e.message(), "password");
    }
    auto identities = body.find("identities");
    if (identities == body.end()) throw invalid("required", "至少需要一个单位身份", "identities");
    const std::string hash = hash_password(*password);
    return pg::with_transaction(pool, "users", [&](pqxx::work& tx) {
        pg::Params p;
        p.add(*account).add(*name).add(opt_string(body, "phone", 20)).add(opt_string(body, "email", 100)).add(hash);
        if (auto i = opt_id(body, "inspector_id")) {
            require_inspector_in_scope(tx, admin, *i);
            p.add(*i);
        } else {
            p.null();
        }
        p.add(opt_string(body, "certificate_no", 40));
        // The id is taken first: the new user has no identity yet, so row-level security
        // (0006) would not let the administrator read it back through RETURNING.
        const long long id =
            pg::exec(tx, "SELECT nextval(pg_get_serial_sequence('app_user', 'id'))")[0][0].as<long long>();
        p.add(id);
        try {
            pg::exec(tx,
                     "INSERT INTO app_user(account, name, phone, email, password_hash, must_change_password,"
                     " inspector_id, certificate_no, id) VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8)",
                     p);
        } catch (const Error& e) {
            throw map_user_conflict(e);
        }
        write_identities(tx, admin, id, *identities);
        return user_json(tx, id);
    });
}

nlohmann::json update_user(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "users", [&](pqxx::work& tx) {
        require_manageable(tx, admin, id);
        pg::Params p;
        p.add(id);
        std::string sets;
        auto set = [&](const char* column, std::optional<std::string> v) {
            sets += std::string(sets.empty() ? "" : ", ") + column + " = " + p.next(std::move(v));
        };
        if (body.contains("name")) {
            auto n = opt_string(body, "name", 50);
            if (!n) throw invalid("required", "姓名不能为空", "name");
            set("name", n);
        }
        if (body.contains("phone")) set("phone", opt_string(body, "phone", 20));
        if (body.contains("email")) set("email", opt_string(body, "email", 100));
        if (body.contains("certificate_no")) set("certificate_no", opt_string(body, "certificate_no", 40));
        if (body.contains("inspector_id")) {
            auto i = opt_id(body, "inspector_id");
            if (i) require_inspector_in_scope(tx, admin, *i);
            sets += std::string(sets.empty() ? "" : ", ") + "inspector_id = " +
                    p.next(i ? std::optional<std::string>(std::to_string(*i)) : std::nullopt) + "::bigint";
        }
        std::optional<bool> active;
        if (body.contains("active")) {
            if (!body["active"].is_boolean()) throw invalid("invalid_value", "active 须为布尔值", "active");
            active = body["active"].get<bool>();
            if (!*active && id == admin.user_id) throw conflict("self_disable", "不能停用自己的账号", "active");
            sets += std::string(sets.empty() ? "" : ", ") + "active = " + p.next(*active ? "true" : "false") + "::boolean";
        }
        if (sets.empty()) throw bad_request("nothing_to_update", "没有要修改的字段");
        try {
            pg::exec(tx, "UPDATE app_user SET " + sets + " WHERE id = $1", p);
        } catch (const Error& e) {
            throw map_user_conflict(e);
        }
        if (active && !*active)
            pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
                     pg::Params().add(id));
        return user_json(tx, id);
    });
}

nlohmann::json set_identities(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& identities) {
    return pg::with_transaction(pool, "users", [&](pqxx::work& tx) {
        require_manageable(tx, admin, id);
        write_identities(tx, admin, id, identities);
        return user_json(tx, id);
    });
}

void reset_password(pg::Pool& pool, const AdminScope& admin, long long id, const std::string& password) {
    std::string account = pg::with_read(pool, "users", [&](pqxx::read_transaction& tx) {
        require_manageable(tx, admin, id);
        return pg::exec(tx, "SELECT account FROM app_user WHERE id = $1", pg::Params().add(id))[0][0].as<std::string>();
    });
    try {
        check_password_policy(account, password);
    } catch (const Error& e) {
        throw invalid(e.code(), e.message(), "password");
    }
    const std::string hash = hash_password(password);
    pg::with_transaction(pool, "users", [&](pqxx::work& tx) {
        pg::exec(tx,
                 "UPDATE app_user SET password_hash = $2, must_change_password = true, totp_enabled = false,"
                 " totp_secret = NULL WHERE id = $1",
                 pg::Params().add(id).add(hash));
        pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", pg::Params().add(id));
    });
}

namespace {
const char* kRoleJson = R"(json_build_object('id', r.id, 'code', r.code, 'name', r.name, 'description', r.description,
    'permissions', r.permissions, 'data_scope', r.data_scope, 'builtin', r.builtin,
    'member_count', (SELECT count(DISTINCT user_id) FROM user_identity i WHERE i.role_id = r.id))::text)";
}

nlohmann::json list_roles(pg::Pool& pool, const std::string& keyword) {
    return pg::with_read(pool, "roles", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "true";
        if (!keyword.empty()) {
            std::string k = p.next("%" + pg::like_escape(keyword.substr(0, 100)) + "%");
            where = "(r.code ILIKE " + k + " OR r.name ILIKE " + k + " OR r.description ILIKE " + k + ")";
        }
        auto r = pg::exec(tx, std::string("SELECT ") + kRoleJson + " FROM role r WHERE " + where + " ORDER BY r.id", p);
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : r) items.push_back(nlohmann::json::parse(row[0].as<std::string>()));
        return nlohmann::json{{"items", items}, {"total", items.size()}};
    });
}

nlohmann::json save_role(pg::Pool& pool, long long id, const nlohmann::json& body) {
    static const std::regex code_re("^[a-z][a-z0-9_]{1,39}$");
    auto code = opt_string(body, "code", 40);
    auto name = opt_string(body, "name", 50);
    auto description = opt_string(body, "description", 500);
    auto scope = opt_string(body, "data_scope", 20);
    if (id == 0 && (!code || !std::regex_match(*code, code_re)))
        throw invalid("invalid_code", "角色代码须为小写字母开头的 2–40 位小写字母、数字或下划线", "code");
    if (code && !std::regex_match(*code, code_re))
        throw invalid("invalid_code", "角色代码须为小写字母开头的 2–40 位小写字母、数字或下划线", "code");
    if (id == 0 && !name) throw invalid("required", "角色名称不能为空", "name");
    if ((id == 0 || scope) && (!scope || scope_rank(*scope) < 0))
        throw invalid("invalid_value", "数据范围只能是 all、district、unit_tree、unit、self", "data_scope");
    std::optional<std::vector<std::string>> perms;
    if (body.contains("permissions")) {
        const auto& list = body["permissions"];
        if (!list.is_array()) throw invalid("invalid_value", "permissions 须为数组", "permissions");
        std::set<std::string> unique;
        for (const auto& p : list) {
            if (!p.is_string() || !is_grantable_permission(p.get<std::string>()))
                throw invalid("unknown_permission", "未知的权限：" + (p.is_string() ? p.get<std::string>() : p.dump()),
                              "permissions");
            unique.insert(p.get<std::string>());
        }
        perms = std::vector<std::string>(unique.begin(), unique.end());
    } else if (id == 0) {
        perms = std::vector<std::string>();
    }
    auto array_literal = [](const std::vector<std::string>& v) {
        std::string out = "{";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];  // names are [a-z._] only
        return out + "}";
    };
    return pg::with_transaction(pool, "roles", [&](pqxx::work& tx) {
        long long role_id = id;
        try {
            if (id == 0) {
                role_id = pg::exec(tx,
                                   "INSERT INTO role(code, name, description, permissions, data_scope)"
                                   " VALUES ($1, $2, coalesce($3, ''), $4::text[], $5) RETURNING id",
                                   pg::Params().add(*code).add(*name).add(description).add(array_literal(*perms)).add(*scope))[0][0]
                              .as<long long>();
            } else {
                auto cur = pg::exec(tx, "SELECT code, builtin FROM role WHERE id = $1 FOR UPDATE", pg::Params().add(id));
                if (cur.empty()) throw not_found("角色不存在");
                if (code && cur[0][1].as<bool>() && *code != cur[0][0].as<std::string>())
                    throw conflict("builtin", "内置角色的代码不能修改", "code");
                pg::Params p;
                p.add(id).add(code).add(name).add(description);
                if (perms) p.add(array_literal(*perms)); else p.null();
                p.add(scope);
                pg::exec(tx,
                         "UPDATE role SET code = coalesce($2, code), name = coalesce($3, name),"
                         " description = coalesce($4, description), permissions = coalesce($5::text[], permissions),"
                         " data_scope = coalesce($6, data_scope) WHERE id = $1",
                         p);
            }
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Conflict && e.code() == "duplicate")
                throw conflict("duplicate", "角色代码或名称已存在", e.field().find("name") != std::string::npos ? "name" : "code");
            throw;
        }
        auto r = pg::exec(tx, std::string("SELECT ") + kRoleJson + " FROM role r WHERE r.id = $1", pg::Params().add(role_id));
        return nlohmann::json::parse(r[0][0].as<std::string>());
    });
}

void delete_role(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "roles", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "SELECT builtin FROM role WHERE id = $1 FOR UPDATE", pg::Params().add(id));
        if (r.empty()) throw not_found("角色不存在");
        if (r[0][0].as<bool>()) throw conflict("builtin", "内置角色不能删除");
        pg::exec(tx, "DELETE FROM role WHERE id = $1", pg::Params().add(id));
    });
}

nlohmann::json role_members(pg::Pool& pool, long long id) {
    return pg::with_read(pool, "roles", [&](pqxx::read_transaction& tx) {
        if (pg::exec(tx, "SELECT 1 FROM role WHERE id = $1", pg::Params().add(id)).empty()) throw not_found("角色不存在");
        auto r = pg::exec(tx,
                          "SELECT json_build_object('user_id', u.id, 'account', u.account, 'name', u.name, 'active', u.active,"
                          " 'identity_id', i.id, 'unit_id', a.id, 'unit_name', a.name)::text"
                          " FROM user_identity i JOIN app_user u ON u.id = i.user_id JOIN authority a ON a.id = i.authority_id"
                          " WHERE i.role_id = $1 ORDER BY a.id, u.account",
                          pg::Params().add(id));
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : r) items.push_back(nlohmann::json::parse(row[0].as<std::string>()));
        return nlohmann::json{{"items", items}, {"total", items.size()}};
    });
}

nlohmann::json org_tree(pg::Pool& pool, const AdminScope& admin) {
    return pg::with_read(pool, "org", [&](pqxx::read_transaction& tx) {
        auto units = pg::exec(tx,
                              "SELECT a.id, a.name, a.kind, coalesce(a.parent_id, 0), left(a.division_code, 6),"
                              " (SELECT count(DISTINCT i.user_id) FROM user_identity i WHERE i.authority_id = a.id)"
                              " FROM authority a WHERE a.id IN (SELECT id FROM scope_units($1, $2)) ORDER BY a.id",
                              scope_params(admin));
        auto sections = pg::exec(tx,
                                 "SELECT s.id, s.name, s.authority_id,"
                                 " (SELECT count(DISTINCT i.user_id) FROM user_identity i WHERE i.section_id = s.id)"
                                 " FROM section s WHERE s.authority_id IN (SELECT id FROM scope_units($1, $2)) ORDER BY s.id",
                                 scope_params(admin));
        // The divisions of those units and every division above them.
        auto divisions = pg::exec(tx,
                                  "WITH RECURSIVE up AS ("
                                  "  SELECT d.code, d.name, d.level, d.parent_code FROM division d WHERE d.code IN ("
                                  "    SELECT left(a.division_code, 6) FROM authority a"
                                  "     WHERE a.id IN (SELECT id FROM scope_units($1, $2)))"
                                  "  UNION SELECT d.code, d.name, d.level, d.parent_code FROM division d JOIN up ON d.code = up.parent_code)"
                                  " SELECT code, name, level, coalesce(parent_code, '') FROM up ORDER BY code",
                                  scope_params(admin));
        std::map<long long, nlohmann::json> unit_nodes;
        std::map<long long, std::pair<long long, std::string>> unit_parent;  // parent id, district code
        for (const auto& u : units) {
            long long id = u[0].as<long long>();
            unit_nodes[id] = {{"type", "unit"}, {"id", id}, {"name", u[1].as<std::string>()}, {"kind", u[2].as<std::string>()},
                              {"user_count", u[5].as<long long>()}, {"children", nlohmann::json::array()}};
            unit_parent[id] = {u[3].as<long long>(), u[4].as<std::string>()};
        }
        for (const auto& s : sections)
            unit_nodes[s[2].as<long long>()]["children"].push_back(
                {{"type", "section"}, {"id", s[0].as<long long>()}, {"name", s[1].as<std::string>()},
                 {"user_count", s[3].as<long long>()}});
        // Nest a unit under its parent unit when both are in the tree and in the same
        // district; otherwise it hangs under its district. Children before parents.
        std::map<std::string, nlohmann::json> by_division;
        for (auto it = unit_nodes.rbegin(); it != unit_nodes.rend(); ++it) {
            auto [parent, district] = unit_parent[it->first];
            auto p = unit_nodes.find(parent);
            if (parent > 0 && p != unit_nodes.end() && unit_parent[parent].second == district && parent < it->first) {
                auto& children = p->second["children"];
                children.insert(children.begin(), it->second);
            } else {
                by_division[district].push_back(it->second);
            }
        }
        std::map<std::string, nlohmann::json> div_nodes;
        std::map<std::string, std::string> div_parent;
        for (const auto& d : divisions) {
            std::string code = d[0].as<std::string>();
            int level = d[2].as<int>();
            div_nodes[code] = {{"type", level <= 2 ? "city" : "district"}, {"code", code}, {"name", d[1].as<std::string>()},
                               {"children", nlohmann::json::array()}};
            div_parent[code] = d[3].as<std::string>();
        }
        for (auto& [code, list] : by_division) {
            auto it = div_nodes.find(code);
            if (it == div_nodes.end()) continue;
            std::reverse(list.begin(), list.end());
            for (auto& u : list) it->second["children"].push_back(u);
        }
        nlohmann::json roots = nlohmann::json::array();
        // Deepest codes first so each district is complete before it joins its city.
        std::vector<std::string> codes;
        for (const auto& [code, node] : div_nodes) codes.push_back(code);
        std::sort(codes.begin(), codes.end(), [&](const std::string& a, const std::string& b) {
            int la = div_nodes[a].value("type", "") == "city" ? 0 : 1, lb = div_nodes[b].value("type", "") == "city" ? 0 : 1;
            return la != lb ? la > lb : a < b;
        });
        for (const auto& code : codes) {
            auto parent = div_nodes.find(div_parent[code]);
            if (parent != div_nodes.end() && parent->first != code)
                parent->second["children"].push_back(div_nodes[code]);
            else
                roots.push_back(div_nodes[code]);
        }
        return nlohmann::json{{"items", roots}};
    });
}

nlohmann::json login_log(pg::Pool& pool, const AdminScope& admin, const LoginLogFilter& f, const Page& page) {
    return pg::with_read(pool, "loginlog", [&](pqxx::read_transaction& tx) {
        pg::Params p = scope_params(admin);
        std::string where = "($2 = 'all' OR (l.user_id IS NOT NULL AND user_manageable(l.user_id, $1, $2)))";
        if (!f.account.empty())
            where += " AND l.account ILIKE " + p.next("%" + pg::like_escape(f.account.substr(0, 100)) + "%");
        if (!f.address.empty()) where += " AND l.address = " + p.next(f.address.substr(0, 100));
        if (f.success) where += " AND l.success = " + p.next(*f.success ? "true" : "false") + "::boolean";
        if (!f.from.empty()) where += " AND l.at >= " + p.next(f.from.substr(0, 40)) + "::timestamptz";
        if (!f.to.empty()) where += " AND l.at < " + p.next(f.to.substr(0, 40)) + "::timestamptz";
        const std::string limit = p.next(std::to_string(page.page_size));
        const std::string offset = p.next(std::to_string((page.page - 1) * page.page_size));
        auto r = pg::exec(tx,
                          "SELECT json_build_object('id', l.id, 'at', l.at, 'account', l.account, 'user_id', l.user_id,"
                          " 'address', l.address, 'user_agent', l.user_agent, 'success', l.success, 'reason', l.reason)::text,"
                          " count(*) OVER () FROM login_log l WHERE " + where +
                              " ORDER BY l.at DESC, l.id DESC LIMIT " + limit + "::bigint OFFSET " + offset + "::bigint",
                          p);
        return paged(r, page);
    });
}

}  // namespace twindraw::accounts
