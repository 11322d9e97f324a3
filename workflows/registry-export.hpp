// A registry list as an Excel workbook: the list's filters and order, Chinese
// headers, choice values and references shown by their labels.
#pragma once

#include "workflows/registry-repo.hpp"

#include <string>

namespace twindraw::registry {

/// XLSX bytes of every row matching query (paging ignored), at most `limit` rows
/// (Error TooLarge "export_too_large" above).
std::string export_xlsx(pg::Pool& pool, const Entity& e, const ListQuery& query, long long limit = 200000);

}  // namespace twindraw::registry
