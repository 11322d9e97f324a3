// The settings a task's draw carries beyond scope and strata (issue 12 §3 "Settings that
// do what they say"): the filter rules the task chose, the personnel categories of the
// inspector pool, and the most objects one group inspects. Each is applied by the draw
// or refused before it, and kept in the record (params, rules, population in words).
#pragma once

#include "workflows/draw-core.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::draw {

struct DrawRequest;

/// The filter rules a request may choose (draw_filter_rule codes).
inline const std::vector<std::string> kChoosableRules = {"in_open_draw", "inspected_this_year"};

/// Reads "exclusions" (filter rule codes), "inspectors.categories" and
/// "objects_per_group" of a draw request body into r. Error(Invalid) naming the field:
/// an unknown rule, a category the draw cannot honour (辅助专家 are not drawn into
/// groups), an objects_per_group outside 1..100000.
void parse_settings(const nlohmann::json& body, DrawRequest& r);

/// Whether a filter rule applies to this request: a locked rule always; a rule the
/// request may choose when the request lists it (a request without "exclusions" follows
/// the bureau's setting `enabled`); any other rule follows the setting.
bool rule_applies(const DrawRequest& r, const std::string& code, bool enabled, bool locked);

/// Where the rule's on/off came from, for the record: "locked", "request" or "setting".
std::string rule_source(const DrawRequest& r, const std::string& code, bool locked);

/// The number of groups: the request's, or more when objects_per_group caps how many
/// objects one group inspects — ceil(k / objects_per_group) over the k that the quotas
/// take from the frozen population (known before any randomness). Throws like quota_k.
int groups_for(const Record& rec, const DrawRequest& r);

/// "。每组至多 N 个检查对象，共 G 组" when objects_per_group is set, "" otherwise.
std::string group_words(const Record& rec, const DrawRequest& r);

/// The personnel categories in words ("行政执法人员、日常监管人员"), "" when unrestricted.
std::string category_words(const DrawRequest& r);

}  // namespace twindraw::draw
