// The permission catalogue: every permission a route or a role may name, with its
// Chinese label, and the role data scopes (SYS-2). Two pseudo-permissions are not
// granted by roles: "public" (no session needed) and "authenticated" (any signed-in
// session); "session" is "authenticated" that also works while the first password has
// still to be changed.
#pragma once

#include <string>
#include <vector>

namespace twindraw::accounts {

struct PermissionInfo {
    std::string name;   // "registry.read"
    std::string label;  // "查看一单两库"
    std::string group;  // "一单两库"
};

const std::vector<PermissionInfo>& permission_catalogue();

/// True for a catalogue name or one of the pseudo-permissions.
bool is_known_route_permission(const std::string& name);

/// True for a catalogue name (what a role may hold).
bool is_grantable_permission(const std::string& name);

/// "all", "district", "unit_tree", "unit", "self" — widest first.
const std::vector<std::string>& data_scopes();

/// Rank of a scope: 0 for "all" up to 4 for "self"; -1 if unknown.
int scope_rank(const std::string& scope);

}  // namespace twindraw::accounts
