// Annual plans (PLAN-1..3, form D.1): create, edit and delete while undistributed,
// distribute to units, recall; joint plans published to the public page. Every
// command runs in one transaction, locks the plan, checks the actor's scope and the
// transition table (flow-states.hpp) and appends the flow history.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::flow {

struct PlanFilter {
    std::optional<long long> year;
    std::string state;        // draft | distributed | recalled | ""
    std::string plan_type;    // single | joint | ""
    std::string q;            // keyword in the name
    bool selectable = false;  // only distributed plans the actor's units may make tasks from
    long long page = 1, page_size = 20;
};

/// Throws Error(BadRequest) naming the field for a bad state, type or paging.
void validate(const PlanFilter& f);

/// {items, total}: the plans the actor's scope sees (initiated by its units, or
/// distributed to or cooperating with them once distributed), newest first. Each
/// item carries "actions": the transitions the actor may make now.
nlohmann::json list_plans(pg::Pool& pool, const FlowActor& actor, const PlanFilter& f);

/// One plan with its tasks and flow history. Error(NotFound) when not visible.
nlohmann::json get_plan(pg::Pool& pool, const FlowActor& actor, long long id);

/// Body: year, name, plan_type (single|joint), initiating_authority_id (default: the
/// actor's unit), cooperating_authority_ids (joint: at least one), item_ids,
/// object_scope, start_date, end_date, ratio, object_count, remark. 422 with errors[].
nlohmann::json create_plan(pg::Pool& pool, const FlowActor& actor, const nlohmann::json& body);

/// The given fields replace the plan's; only draft or recalled plans (else 409).
nlohmann::json update_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// Only draft or recalled plans without tasks (409 otherwise).
void delete_plan(pg::Pool& pool, const FlowActor& actor, long long id);

/// Body: unit_ids (default: the initiating and cooperating departments), opinion.
/// A joint plan is (re-)published: published_at = now, publish_version + 1.
nlohmann::json distribute_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// Body: opinion (the reason). A recalled plan can no longer be chosen for tasks.
nlohmann::json recall_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body);

/// The joint plans currently published (PLAN-3), for the public page: no login.
nlohmann::json public_plans(pg::Pool& pool, std::optional<long long> year);

}  // namespace twindraw::flow
