// Who is acting, for the database: the request's user, identity, unit and address are
// set on this thread while a request is handled (ActorScope) and written into every
// transaction opened through pg::with_transaction / pg::with_read as transaction-local
// settings (twindraw.user_id, twindraw.identity_id, twindraw.unit_id, twindraw.address).
// Row-level security policies and the audit trail read them with
// current_setting('twindraw.user_id', true); with no actor they are empty strings.
#pragma once

#include <pqxx/pqxx>

#include <string>

namespace twindraw::pg {

struct Actor {
    long long user_id = 0;
    long long identity_id = 0;
    long long unit_id = 0;
    std::string address;
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
