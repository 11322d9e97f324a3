// Reading the fields of a plan or task form from JSON, collecting every problem as a
// FieldError (422 with errors[]) instead of stopping at the first. Internal to the
// plan and task workflows.
#pragma once

#include "geo/pg.hpp"
#include "workflows/registry-validate.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::flow {

class Form {
public:
    explicit Form(const nlohmann::json& body) : body_(body) {}

    /// Text of 1..max characters (required) or 0..max (optional, "" when absent).
    std::string text(const char* key, const char* label, size_t max, bool required);
    /// One of choices.
    std::string choice(const char* key, const char* label, const std::vector<std::string>& choices);
    /// A positive id; 0 when absent and not required.
    long long id(const char* key, const char* label, bool required);
    /// Distinct positive ids, in the order given.
    std::vector<long long> ids(const char* key, const char* label);
    /// An integer in [lo, hi]; nullopt when absent and not required.
    std::optional<long long> integer(const char* key, const char* label, long long lo, long long hi, bool required);
    /// A number in (lo, hi] as its decimal text; nullopt when absent.
    std::optional<std::string> number(const char* key, const char* label, double lo, double hi);
    /// A YYYY-MM-DD calendar date (required).
    std::string date(const char* key, const char* label);
    /// Refuses keys outside allowed.
    void only(const std::vector<std::string>& allowed);

    void add(const std::string& field, const std::string& code, const std::string& message) {
        errors_.push_back({field, code, message});
    }
    std::vector<registry::FieldError>& errors() { return errors_; }
    /// Throws registry::ValidationError when any problem was found.
    void throw_if_errors() const;

private:
    bool present(const char* key) const { return body_.contains(key) && !body_[key].is_null(); }
    const nlohmann::json& body_;
    std::vector<registry::FieldError> errors_;
};

/// Ids among wanted that are not rows of table (a static table name).
std::vector<long long> missing_ids(pqxx::transaction_base& tx, const char* table, const std::vector<long long>& wanted);

/// "{1,2}" for a $n::bigint[] parameter.
std::string id_array(const std::vector<long long>& ids);

/// A JSON array of integers from a vector.
nlohmann::json json_ids(const std::vector<long long>& ids);

}  // namespace twindraw::flow
