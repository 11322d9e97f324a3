// Generic list/detail/create/update/delete over the registry descriptors. SQL is
// assembled from the descriptor's static names; every value is a $n parameter.
// Each command runs in one transaction; validation happens before any write.
#pragma once

#include "geo/error.hpp"
#include "geo/pg.hpp"
#include "workflows/registry-schema.hpp"
#include "workflows/registry-validate.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace twindraw::registry {

/// A 422 carrying every field problem at once; field()/message() are the first.
class ValidationError : public Error {
public:
    explicit ValidationError(std::vector<FieldError> errors)
        : Error(Kind::Invalid, errors.at(0).code, errors.at(0).message, errors.at(0).field),
          errors_(std::move(errors)) {}
    const std::vector<FieldError>& errors() const { return errors_; }

private:
    std::vector<FieldError> errors_;
};

struct ListQuery {
    long long page = 1;        // from 1
    long long page_size = 20;  // 1..100 for pages
    std::string sort;          // a sortable field, or "" for the entity's default
    bool desc = false;
    std::string q;             // keyword over searchable fields
    std::map<std::string, std::string> filters;  // filterable field -> exact value
};

struct ListResult {
    nlohmann::json items = nlohmann::json::array();
    long long total = 0;
};

/// Throws Error(BadRequest) for an unknown sort or filter field or bad paging.
ListResult list(pg::Pool& pool, const Entity& e, const ListQuery& query);

/// Calls fn for every row matching query (ignoring paging), in the list's order,
/// at most `limit` rows; throws Error(TooLarge, "export_too_large") above it.
void for_each(pg::Pool& pool, const Entity& e, const ListQuery& query, long long limit,
              const std::function<void(const nlohmann::json&)>& fn);

/// Throws Error(NotFound) when absent, Error(BadRequest) for a malformed key.
nlohmann::json get(pg::Pool& pool, const Entity& e, const std::string& key);

/// Validates (ValidationError 422, with the USCC, references and coordinates
/// checked), inserts and returns the stored record.
nlohmann::json create(pg::Pool& pool, const Entity& e, const nlohmann::json& body);

/// Changes the fields present in body; the others stay.
nlohmann::json update(pg::Pool& pool, const Entity& e, const std::string& key, const nlohmann::json& body);

/// Throws Error(Conflict, "in_use") when other rows still refer to it.
void remove(pg::Pool& pool, const Entity& e, const std::string& key);

/// Counts of the main registry tables, for the home page.
nlohmann::json counts(pg::Pool& pool);

}  // namespace twindraw::registry
