// Users, their identities and roles, the organisation tree and the login log, as the
// administration pages need them (SYS-1..3, SYS-7, SYS-8). Every function takes the
// acting administrator's scope: it sees and changes only users whose identities all
// lie in units of that scope, assigns only units inside it, grants administrative
// permissions (system.*, audit.*) only if it holds them, and an administrator role only
// of a narrower tier than its own.
// Outside the scope: Error(Forbidden, "out_of_scope").
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::accounts {

struct AdminScope {
    long long user_id = 0;
    long long unit_id = 0;
    std::string data_scope;  // of the acting identity
    std::vector<std::string> permissions;
};

struct Page {
    long long page = 1;
    long long page_size = 20;
};

struct UserFilter {
    std::string keyword;  // account, name, phone or certificate number
    long long unit_id = 0;
    long long role_id = 0;
    std::optional<bool> active;
};

/// {items:[user], total, page, page_size}
nlohmann::json list_users(pg::Pool& pool, const AdminScope& admin, const UserFilter& f, const Page& page);
/// One user with identities; NotFound, or Forbidden when outside the scope.
nlohmann::json get_user(pg::Pool& pool, const AdminScope& admin, long long id);
/// body: {account, name, password, phone?, email?, certificate_no?, inspector_id?,
/// identities:[{unit_id, role_id | role_code, section_id?, is_default?}]}. The initial
/// password passes the policy and must be changed at first login.
nlohmann::json create_user(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body);
/// body: any of name, phone, email, certificate_no, inspector_id, active. Disabling
/// ends the user's sessions.
nlohmann::json update_user(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body);
/// Replaces the user's identities (at least one).
nlohmann::json set_identities(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& identities);
/// Sets a new initial password (policy checked), to be changed at next login; ends sessions.
void reset_password(pg::Pool& pool, const AdminScope& admin, long long id, const std::string& password);

nlohmann::json list_roles(pg::Pool& pool, const std::string& keyword);
/// Creates (id 0) or updates a role: {code, name, description?, permissions:[], data_scope}.
/// Built-in roles keep their code.
nlohmann::json save_role(pg::Pool& pool, long long id, const nlohmann::json& body);
/// Deletes a custom role nobody holds; Conflict "in_use" / "builtin" otherwise.
void delete_role(pg::Pool& pool, long long id);
nlohmann::json role_members(pg::Pool& pool, long long id);

/// City → districts → units (nested by parent) → sections, with user counts; limited
/// to the units of the scope (with the divisions above them).
nlohmann::json org_tree(pg::Pool& pool, const AdminScope& admin);

struct LoginLogFilter {
    std::string account;
    std::string address;
    std::optional<bool> success;
    std::string from, to;  // ISO dates or timestamps
};
/// {items, total, page, page_size}, newest first; outside "all" scope only entries
/// of manageable users.
nlohmann::json login_log(pg::Pool& pool, const AdminScope& admin, const LoginLogFilter& f, const Page& page);

}  // namespace twindraw::accounts
