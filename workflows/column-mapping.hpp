// Maps the column headers of an imported file to the fields of a registry entity
// (BASE-1): by the field's own name and Chinese label and by the usual aliases of
// Chinese rosters (统一社会信用代码/社会信用代码/信用代码 → uscc, 经度/x → lon, ...),
// ignoring case, spaces and full-width punctuation; an explicit header → field map
// overrides. Also the clean-up of single cell values (风险等级 "高风险" → 4).
// Pure logic: no database, no file.
#pragma once

#include "workflows/registry-schema.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::import {

/// Pseudo fields that are not entity fields: the two halves of a Point field.
inline constexpr const char* kLon = "lon";
inline constexpr const char* kLat = "lat";

struct ColumnMapping {
    /// For each header (same order as given): the target field name (an entity field,
    /// or kLon/kLat), or nullopt when the column is ignored.
    std::vector<std::optional<std::string>> field_of_column;
    /// Headers that matched nothing (their columns are ignored).
    std::vector<std::string> unknown_headers;

    /// Index of the column mapped to field, or -1.
    int column_of(const std::string& field) const;
};

/// The comparison key of a header: lower-case ASCII, without white space (ASCII and
/// U+3000), without BOM, with full-width parentheses and brackets dropped along with
/// ASCII ones and '*' (a "required" marker in templates).
std::string header_key(const std::string& header);

/// Maps headers to e's fields. explicit_mapping (header → field name; a field name of
/// "" ignores that column) is applied first. Requires: every required, writable field
/// of e is mapped, and lon and lat are both mapped unless geometry_in_file (the file
/// has its own point geometry) or e has no Point field. Throws Error(Invalid,
/// "missing_column", message naming the column, field) for the first missing column,
/// Error(BadRequest, "bad_mapping") when explicit_mapping names an unknown field, and
/// Error(Invalid, "duplicate_column") when two columns map to the same field.
ColumnMapping map_columns(const registry::Entity& e, const std::vector<std::string>& headers,
                          const std::map<std::string, std::string>& explicit_mapping = {},
                          bool geometry_in_file = false);

/// Cleans a raw cell for field f: trims, normalises USCCs (upper case, no spaces),
/// turns choice labels into values (风险等级 低风险/一般风险/较高风险/高风险 → 1–4,
/// 信用等级 "A类" → "A"), 是/否 into true/false for Bool fields, "2020/1/2" and
/// "2020年1月2日" into "2020-01-02" for Date fields and drops a trailing ".0" that
/// spreadsheets add to whole numbers of Int fields. Unknown values are returned as given
/// (validation then reports them).
std::string normalise_value(const registry::Field& f, const std::string& raw);

}  // namespace twindraw::import
