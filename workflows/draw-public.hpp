// What the public re-check page needs beyond the record's ids (issue 12 §4, VERIFY-1):
// names and registration numbers of the drawn objects, names, units and 执法证号 of the
// drawn inspectors. Public data only: no phone numbers, no addresses of people.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

namespace twindraw::draw {

/// From a public verification ({status, record: {object_kind, result_groups}}):
/// {"objects": {"<id>": {name, code}}, "inspectors": {"<id>": {name, unit, certificate_no}}}.
/// Empty maps unless the draw is confirmed: an unconfirmed or abandoned attempt names
/// nobody (its selection is not public). Reads only.
nlohmann::json public_names(pg::Pool& pool, const nlohmann::json& verification);

}  // namespace twindraw::draw
