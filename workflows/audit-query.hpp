// Reading the audit trail (AUDIT-1): search by person, entity, action and time,
// one row with its before/after, and the Excel export. Values travel as $n parameters.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::audit {

struct Query {
    long long page = 1;        // from 1
    long long page_size = 20;  // 1..100
    std::optional<long long> user_id;
    std::string entity;      // table name, e.g. "market_subject"
    std::string entity_id;
    std::string action;      // insert | update | delete
    std::string from, to;    // YYYY-MM-DD, inclusive, days in China Standard Time
};

/// Throws Error(BadRequest) naming the field for a bad action, date or paging.
void validate(const Query& q);

/// Chinese name of an audited table ("market_subject" → "市场主体"), or the name.
std::string entity_label(const std::string& entity);

/// The audited tables with their Chinese names, for a filter list.
nlohmann::json entity_labels();

struct Page {
    nlohmann::json items = nlohmann::json::array();
    long long total = 0;
};

/// Newest first. Items: id, at, user_id, user_name, identity_id, unit_id, unit_name,
/// address, action, entity, entity_label, entity_id.
Page list(pg::Pool& pool, const Query& q);

/// One row with before, after, the fields that changed, prev_hash and hash (hex).
/// Throws Error(NotFound).
nlohmann::json get(pg::Pool& pool, long long id);

/// The rows matching q (paging ignored) as an .xlsx; Error(TooLarge) above limit rows.
std::string export_xlsx(pg::Pool& pool, const Query& q, long long limit);

}  // namespace twindraw::audit
