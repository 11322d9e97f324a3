// The draw parameters a task carries (TASK-1, DRAW-1/2/4/5): the object scope, the
// strata by risk level × credit level with a ratio or a count each, the inspector
// scope and the groups. Stored as JSON on inspection_task.draw_params; the shape is
// documented in docs/workflow.md for the draw to consume. Pure checks, no database.
#pragma once

#include "workflows/registry-validate.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace twindraw::flow {

/// Checks in against the documented shape and returns it normalised (every key
/// present, defaults filled, unknown keys refused). Problems are appended to errors
/// with fields named "draw_params.objects.strata[1].ratio" etc. An empty object (or
/// null) is accepted as "not yet set" and returned as {}.
nlohmann::json normalize_draw_params(const nlohmann::json& in, std::vector<registry::FieldError>& errors);

/// Whether normalised params are complete enough to submit the task for review:
/// at least one stratum and a group layout.
bool draw_params_complete(const nlohmann::json& params);

/// The ids and codes the params name, for existence checks against the database.
std::vector<long long> draw_param_item_ids(const nlohmann::json& params);
std::vector<long long> draw_param_authority_ids(const nlohmann::json& params);
std::vector<std::string> draw_param_division_codes(const nlohmann::json& params);
std::vector<std::string> draw_param_industry_codes(const nlohmann::json& params);

}  // namespace twindraw::flow
