// The public pages of publication (PUB-1), without login: published results (current
// version, and the earlier ones as 更正记录), the enterprises drawn in published tasks,
// the inspectors who inspected them (name and law-enforcement certificate number only)
// and the tasks; each queryable, paged (at most 100 a page) and exportable as XLSX or
// CSV. Everything is read from the publication snapshot (result_publication,
// result_version), so a job, task or enterprise that has no published result is never
// named here.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace twindraw::publication {

enum class Dataset { Results, Enterprises, Inspectors, Tasks };

struct PublicQuery {
    std::string q;         // enterprise name or USCC (results, enterprises), name (inspectors), task name (tasks)
    std::string uscc;      // exact 18-character code
    std::string district;  // six-digit county code
    std::string task;      // words of the task name
    std::string category;  // result category code (current version)
    std::string from, to;  // publication date range, YYYY-MM-DD
    long long page = 1;
    long long page_size = 20;
};

/// Throws Error(BadRequest) naming the parameter for a malformed query (page_size 1–100).
void check(const PublicQuery& q);

/// One page of the dataset: {items, total, page, page_size}.
nlohmann::json public_query(pg::Pool& pool, Dataset d, const PublicQuery& q);

/// One published result by publication id: the current version's content and
/// corrections:[{version, result_category_label, findings, reason, corrected_on}] holding
/// every earlier version (更正记录). 404 for an id that is not published.
nlohmann::json public_result(pg::Pool& pool, long long publication_id);

/// Options for the public query form: districts and categories that occur in published
/// results, and the published tasks.
nlohmann::json public_filters(pg::Pool& pool);

struct Table {
    std::string title;  // sheet and file name, Chinese
    std::vector<std::string> headers;
    std::vector<std::vector<std::string>> rows;
};

/// The whole filtered dataset (page ignored), at most max_rows rows.
Table public_table(pg::Pool& pool, Dataset d, const PublicQuery& q, long long max_rows);

/// RFC 4180 CSV in UTF-8 with a byte-order mark (so Excel reads the Chinese); a cell
/// starting with = + - @ is prefixed with ' so that no spreadsheet runs it as a formula.
std::string to_csv(const Table& t);

}  // namespace twindraw::publication
