// The data dictionary (SYS-4): categories (code, name, remark, order) and their entries
// (code, label, order, enabled, remark), keyword search, and maintenance. Lists the code
// relies on (risk and credit levels, enterprise kinds) are fixed in registry-schema and
// are not repeated here. Category and entry changes are audited.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::dictionary {

/// {items:[{id, code, name, remark, sort_order, entries, enabled_entries}]}
nlohmann::json list_categories(pg::Pool& pool, const std::string& keyword);
/// body: {code, name, remark?, sort_order?}; 409 "duplicate" on a used code or name.
nlohmann::json save_category(pg::Pool& pool, long long id, const nlohmann::json& body);
/// Deletes a category and its entries.
void delete_category(pg::Pool& pool, long long id);

struct EntryQuery {
    long long category_id = 0;  // 0: every category
    std::string category_code;  // alternative to the id
    std::string keyword;        // code, label or remark
    std::optional<bool> enabled;
    long long page = 1;
    long long page_size = 50;
};
/// {items:[{id, category_id, category_code, category_name, code, label, sort_order,
/// enabled, remark}], total, page, page_size}, by category order then entry order.
nlohmann::json list_entries(pg::Pool& pool, const EntryQuery& q);
/// body: {category_id (on create), code, label, sort_order?, enabled?, remark?}
nlohmann::json save_entry(pg::Pool& pool, long long id, const nlohmann::json& body);
void delete_entry(pg::Pool& pool, long long id);

}  // namespace twindraw::dictionary
