// Organisation administration under permission system.org (SYS-1, SYS-8): units (the
// authority table) and their sections, created, edited and deleted by an administrator
// only below its own tier. Validation and storage are the registry's (entities
// "authorities" and "sections"); this file adds the tier rules:
//   scope all: anything;
//   district: units of its own county (left six digits of division_code), not its own
//     unit; sections of any unit of the county;
//   unit_tree: units under its own unit (parent_id inside the tree, area inside its
//     unit's area), not its own unit; sections of the units of the tree;
//   unit: no units; sections of its own unit; self: nothing.
// Outside: Error(Forbidden, "out_of_scope"); its own unit or above its tier:
// Error(Forbidden, "role_above_admin"). Moving a unit (a new division_code or parent_id)
// widens or narrows the scopes computed from it: only a system administrator (scope all
// with system.org) does it, otherwise Error(Forbidden, "system_admin_only") (issue 12).
// The generic registry routes (/api/authorities, /api/sections) write through these too.
#pragma once

#include "geo/pg.hpp"
#include "workflows/account-users.hpp"

#include <nlohmann/json.hpp>

namespace twindraw::accounts {

nlohmann::json create_unit(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body);
nlohmann::json update_unit(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body);
void delete_unit(pg::Pool& pool, const AdminScope& admin, long long id);

nlohmann::json create_section(pg::Pool& pool, const AdminScope& admin, const nlohmann::json& body);
nlohmann::json update_section(pg::Pool& pool, const AdminScope& admin, long long id, const nlohmann::json& body);
void delete_section(pg::Pool& pool, const AdminScope& admin, long long id);

}  // namespace twindraw::accounts
