// Who is acting, for the database: the request's user, identity, unit and address are
// set on this thread while a request is handled (ActorScope) and written into every
// transaction opened through pg::with_transaction / pg::with_read as transaction-local
// settings (twindraw.user_id, twindraw.identity_id, twindraw.unit_id, twindraw.address).
// Row-level security policies and the audit trail read them with
// current_setting('twindraw.user_id', true); with no actor they are empty strings.
// A restricted actor (every signed-in request, see server dispatch(), and the imports it
// queues) also sets twindraw.data_scope and switches the transaction to the role
// twindraw_app, so the row-level security of data/migrations/0006_data_scope.sql
// applies although the server connects as the tables' owner. Without an actor, or with
// an unrestricted one (CLI, migrations, demo, tests that only name the author of
// changes for the audit trail), transactions run as the connecting role.
#pragma once

#include <pqxx/pqxx>

#include <string>

namespace twindraw::pg {

struct Actor {
    Actor() = default;
    Actor(long long user, long long identity, long long unit, std::string addr, std::string scope = {},
          bool restrict = false)
        : user_id(user), identity_id(identity), unit_id(unit), address(std::move(addr)), data_scope(std::move(scope)),
          restricted(restrict) {}

    long long user_id = 0;
    long long identity_id = 0;
    long long unit_id = 0;
    std::string address;
    std::string data_scope;   // all | district | unit_tree | unit | self | "" (none)
    bool restricted = false;  // run as twindraw_app under row-level security
};

/// Makes `actor` the current one on this thread until destroyed (nests).
class ActorScope {
public:
    explicit ActorScope(Actor actor);
    ~ActorScope();
    ActorScope(const ActorScope&) = delete;
    ActorScope& operator=(const ActorScope&) = delete;

private:
    const Actor* previous_;
    Actor actor_;
};

/// The current actor of this thread, or nullptr.
const Actor* current_actor();

/// Writes the current actor (or empty values) into tx's transaction-local settings.
void apply_actor(pqxx::transaction_base& tx);

}  // namespace twindraw::pg
