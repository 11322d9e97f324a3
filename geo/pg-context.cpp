#include "geo/pg-context.hpp"

namespace twindraw::pg {

namespace {
thread_local const Actor* current = nullptr;

std::string id_text(long long id) {
    return id > 0 ? std::to_string(id) : std::string();
}
}  // namespace

ActorScope::ActorScope(Actor actor) : previous_(current), actor_(std::move(actor)) {
    current = &actor_;
}

ActorScope::~ActorScope() {
    current = previous_;
}

const Actor* current_actor() {
    return current;
}

void apply_actor(pqxx::transaction_base& tx) {
    const Actor empty;
    const Actor& a = current ? *current : empty;
    // One round trip. set_config('role', ..., true) is SET LOCAL ROLE: it ends with the
    // transaction, so a pooled connection never keeps it.
    static const std::string base =
        "SELECT set_config('twindraw.user_id', $1, true), set_config('twindraw.identity_id', $2, true),"
        " set_config('twindraw.unit_id', $3, true), set_config('twindraw.address', $4, true),"
        " set_config('twindraw.data_scope', $5, true)";
    static const std::string restricted = base + ", set_config('role', 'twindraw_app', true)";
    // Scope all: twindraw_app_all, a member of twindraw_app whose policies let every row
    // through, so the planner drops the per-row check (0006_data_scope.sql).
    static const std::string restricted_all = base + ", set_config('role', 'twindraw_app_all', true)";
    tx.exec_params(!a.restricted ? base : a.data_scope == "all" ? restricted_all : restricted, id_text(a.user_id), id_text(a.identity_id), id_text(a.unit_id),
                   a.address, a.restricted ? a.data_scope : std::string());
}

}  // namespace twindraw::pg
