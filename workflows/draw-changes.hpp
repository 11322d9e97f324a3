// Approved changes of a confirmed draw (DRAW-6, DRAW-9, WORK-6): replacing a drawn
// inspector who cannot inspect (岗位变动, 利益冲突, 健康原因, 回避, 其他) by a person chosen by
// hand from the inspector library — never redrawn — and removing an object from the list
// (注销, 吊销, 迁出, 其他) with an optional replacement chosen from the draw's candidates that
// were not drawn. A change is requested (draw.run), then approved or refused by the
// department head (draw.change.approve). The draw's own rows never change, so its
// published record still verifies; table draw_change records every change next to it,
// and on approval the jobs follow in the same transaction (inspectors of the group's
// open jobs replaced; the removed object's job cancelled, the added object's job made).
// See docs/appeals-changes.md.
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"
#include "workflows/flow-states.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace twindraw::drawchange {

/// pending 待审批 → approved 已批准 | refused 不予批准 (draw.change.approve).
const std::vector<flow::Transition>& transitions();
const flow::Transition& require_transition(const std::string& action, const std::string& from);

/// The changes of a draw (oldest first) and its current groups (the original result with
/// the approved changes applied): {draw_id, status, changes:[...], current_groups:[...],
/// reasons}. With public_view only approved changes and no user names.
nlohmann::json for_draw(pg::Pool& pool, const flow::FlowActor* actor, long long draw_id, bool public_view);

/// What a change may choose from: the eligible replacements of group_no (the draw's own
/// pool definition: active, not an expert, of its personnel categories, qualifications
/// and specialties, in its inspector scope, not recused generally or from an object of
/// the draw; not in the draw) and up
/// to 50 candidates of the draw that were not drawn and are in no open draw (name
/// filter q). With old_inspector_id (> 0) the replacements of that person (its group; a
/// leader from the leader library, in a joint draw the initiating department's).
/// {inspectors:[...], objects:[...]}.
nlohmann::json options(pg::Pool& pool, const flow::FlowActor& actor, long long draw_id, int group_no,
                       const std::string& q, long long old_inspector_id = 0);

/// Requests a change {kind: inspector|object, reason_code, reason, old_inspector_id,
/// new_inspector_id} or {kind: object, reason_code, reason, old_object_id,
/// new_object_id?}. 409 when the draw is not confirmed or closed, a change of the same
/// person/object is pending, or the object's job has started; 422 for an ineligible
/// choice. Tells the approvers of the drawing unit.
nlohmann::json request(pg::Pool& pool, const flow::FlowActor& actor, long long draw_id, const nlohmann::json& body);

/// The changes awaiting (state, default pending; "" all) in the actor's data scope.
nlohmann::json list(pg::Pool& pool, const flow::FlowActor& actor, const std::string& state, long long page,
                    long long page_size);

/// Approves (re-checking eligibility, then applying it to the jobs) or refuses
/// (opinion required) a pending change. Tells the requester and the inspectors concerned.
nlohmann::json decide(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool approve,
                      const nlohmann::json& body);

/// The changes matching `where` (an SQL condition on draw_change c and draw d, parameters
/// in p), oldest first, as on the draw page. For the task and work pages.
nlohmann::json rows_where(pqxx::transaction_base& tx, const flow::FlowActor& actor, const std::string& where,
                          const pg::Params& p);
}  // namespace twindraw::drawchange
