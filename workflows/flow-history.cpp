#include "workflows/flow-history.hpp"

#include "workflows/flow-states.hpp"

#include <algorithm>

namespace twindraw::flow {

bool FlowActor::has(const std::string& p) const {
    return std::find(permissions.begin(), permissions.end(), p) != permissions.end();
}

std::string scope_array(pqxx::transaction_base& tx, const FlowActor& actor) {
    if (actor.scope == "all") return "";
    pg::Params p;
    p.add(actor.unit_id ? std::optional<std::string>(std::to_string(actor.unit_id)) : std::nullopt)
        .add(actor.scope.empty() ? std::string("unit") : actor.scope);
    auto r = pg::exec(tx, "SELECT coalesce(array_agg(id ORDER BY id), '{}')::text FROM scope_units($1::bigint, $2)", p);
    return r[0][0].as<std::string>();
}

bool in_scope(pqxx::transaction_base& tx, const FlowActor& actor, long long unit) {
    if (actor.scope == "all") return true;
    pg::Params p;
    p.add(actor.unit_id ? std::optional<std::string>(std::to_string(actor.unit_id)) : std::nullopt)
        .add(actor.scope.empty() ? std::string("unit") : actor.scope)
        .add(unit);
    return pg::exec(tx, "SELECT EXISTS (SELECT 1 FROM scope_units($1::bigint, $2) s WHERE s.id = $3::bigint)", p)[0][0]
        .as<bool>();
}

void record(pqxx::transaction_base& tx, const std::string& entity, long long entity_id, const std::string& action,
            const std::string& from, const std::string& to, const std::string& opinion, const FlowActor& actor,
            long long unit) {
    auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    auto id = [](long long v) { return v ? std::optional<std::string>(std::to_string(v)) : std::nullopt; };
    pg::Params p;
    p.add(entity)
        .add(entity_id)
        .add(action)
        .add(opt(from))
        .add(opt(to))
        .add(opt(opinion))
        .add(id(actor.user_id))
        .add(id(unit));
    pg::exec(tx,
             "INSERT INTO flow_history(entity, entity_id, action, from_state, to_state, opinion, user_id, unit_id)"
             " VALUES ($1, $2::bigint, $3, $4, $5, $6, $7::bigint, $8::bigint)",
             p);
}

nlohmann::json history_of(pqxx::transaction_base& tx, const std::vector<std::string>& entities, long long entity_id,
                          const HistoryLabels& labels) {
    pg::Params p;
    p.add(pg::array_literal(entities)).add(entity_id);
    auto rows =
        pg::exec(tx,
                 "SELECT h.id, h.entity, h.entity_id, h.action, h.from_state, h.to_state, h.opinion, h.user_id,"
                 " u.name, h.unit_id, a.name, to_char(h.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                 " FROM flow_history h LEFT JOIN app_user_name u ON u.id = h.user_id"
                 " LEFT JOIN authority a ON a.id = h.unit_id"
                 " WHERE h.entity = ANY($1::text[]) AND h.entity_id = $2::bigint ORDER BY h.id",
                 p);
    nlohmann::json out = nlohmann::json::array();
    auto text = [](const pqxx::field& f) { return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.c_str()); };
    auto id = [](const pqxx::field& f) {
        return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<long long>());
    };
    for (const auto& r : rows) {
        const std::string entity = r[1].as<std::string>();
        auto label = [&](const pqxx::field& f) {
            return f.is_null() ? nlohmann::json(nullptr) : labels.state(entity, f.c_str());
        };
        out.push_back({{"id", r[0].as<long long>()},
                       {"entity", entity},
                       {"entity_id", r[2].as<long long>()},
                       {"action", r[3].as<std::string>()},
                       {"action_label", labels.action(entity, r[3].as<std::string>())},
                       {"from_state", text(r[4])},
                       {"to_state", text(r[5])},
                       {"from_label", label(r[4])},
                       {"to_label", label(r[5])},
                       {"opinion", text(r[6])},
                       {"user_id", id(r[7])},
                       {"user_name", text(r[8])},
                       {"unit_id", id(r[9])},
                       {"unit_name", text(r[10])},
                       {"at", r[11].as<std::string>()}});
    }
    return out;
}

nlohmann::json history(pqxx::transaction_base& tx, const std::vector<std::string>& entities, long long entity_id) {
    return history_of(
        tx, entities, entity_id,
        {[](const std::string&, const std::string& action) { return action_label(action); },
         [](const std::string& entity, const std::string& state) -> nlohmann::json {
             if (state.empty()) return nullptr;
             const Machine m = entity == "plan" ? Machine::Plan : entity == "task" ? Machine::Task : Machine::TaskUnit;
             return state_label(m, state);
         }});
}

size_t utf8_length(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace twindraw::flow
