// Descriptors of the registry entities (one list, two libraries, code tables).
// One descriptor drives the SQL of the generic repository, request validation,
// the OpenAPI document, the XLSX export and the forms of the web pages, so a field
// is declared once. Table and column names come only from here, never from requests.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace twindraw::registry {

enum class FieldType {
    Text,       // free text, max_len enforced
    Code,       // text matching a pattern (pattern enforced)
    Int,        // 64-bit integer
    Decimal,    // numeric
    Bool,
    Date,       // YYYY-MM-DD
    TextArray,  // tags
    IdArray,    // ids of another entity (ref)
    Point       // {"lon":..,"lat":..} stored as geometry(Point,4326) in column geom
};

struct Choice {
    std::string value;
    std::string label;  // Chinese
};

struct Field {
    std::string name;   // JSON name and column name
    std::string label;  // Chinese label for forms, lists and exports
    FieldType type = FieldType::Text;
    bool required = false;
    bool readonly = false;    // set by the database (ids, timestamps)
    bool searchable = false;  // part of the keyword search (q=)
    bool filterable = false;  // exact-match filter (?name=value)
    bool sortable = false;
    bool in_list = true;      // shown as a list column
    size_t max_len = 0;       // for Text/Code
    std::string pattern;      // ECMAScript regex for Code
    std::string check;        // named extra check: "uscc", "division", "lonlat_china"
    std::vector<Choice> choices;
    std::string ref;          // entity name referenced (for Code/Int/IdArray)
};

struct Entity {
    std::string name;    // URL segment: "subjects"
    std::string table;   // SQL table
    std::string label;   // 市场主体
    std::string key;     // primary key column ("id" or "code")
    bool key_generated;  // bigserial id, not given by the client
    std::string display; // field shown when referenced ("name")
    std::string default_sort;
    std::vector<Field> fields;

    const Field* field(const std::string& n) const {
        for (const auto& f : fields)
            if (f.name == n) return &f;
        return nullptr;
    }
};

/// All registry entities, in menu order.
const std::vector<Entity>& entities();

/// The entity named n, or nullptr.
const Entity* find_entity(const std::string& n);

/// Chinese label of a choice value of field f, or the value itself.
std::string choice_label(const Field& f, const std::string& value);

}  // namespace twindraw::registry
