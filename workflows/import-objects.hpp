// Batch import of the object library (BASE-1) from CSV, XLSX, GeoJSON, zipped
// Shapefile and GeoPackage (through geo/ogr-reader), with a job record the page polls
// and an error report per rejected row.
//
// A run reads the file once, streaming: each row is mapped (column-mapping), cleaned,
// validated like a form (registry::validate) and checked against the database's code
// tables (division, industry, enterprise type; a county may be given by name).
// Coordinates declared GCJ-02 are converted to WGS84. Good rows are COPYed into a
// temporary table, rows repeating an earlier row's key are rejected
// ("duplicate_in_file"), and one INSERT … ON CONFLICT (key) DO UPDATE … WHERE the
// row differs upserts the rest: importing the same file twice reports everything
// unchanged the second time and touches no row. All of it is one transaction, so a
// failure half-way leaves the registry as it was and the job "failed".
//
// Upsert keys: subjects by uscc (统一社会信用代码), products by licence_no. Venues and
// inspectors have no natural key and are refused (Unsupported, "kind_not_supported").
// Only mapped columns are written; an empty cell writes the column's default (or null).
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::import {

struct ImportOptions {
    std::string kind = "subjects";  // subjects | products
    /// csv | xlsx | geojson | shpzip | gpkg; "" = by the file name's extension, else
    /// by the file's content.
    std::string format;
    std::string crs = "wgs84";      // wgs84 (also CGCS2000) | gcj02
    std::string filename;           // as uploaded, shown in the job list
    /// Explicit header → field overrides (see column-mapping.hpp); "" ignores a column.
    std::map<std::string, std::string> mapping;
    /// Files larger than this are refused with TooLarge "file_too_large".
    std::uintmax_t max_bytes = 200ull * 1024 * 1024;
};

struct ImportSummary {
    long long id = 0;
    std::string kind, filename, format, crs;
    std::string status;  // queued | running | done | failed
    long long total = 0, done = 0;
    long long inserted = 0, updated = 0, unchanged = 0, rejected = 0;
    std::string message;     // Chinese: the outcome, or why the job failed
    std::string error_code;  // stable code when failed (file_too_large, not_a_table, ...)
    std::vector<std::string> ignored_columns;  // headers that matched no field
    std::string created_at, finished_at;       // ISO 8601, finished_at "" while open

    nlohmann::json to_json() const;
};

struct RowError {
    long long row_no = 0;  // as in the spreadsheet: header row 1, first data row 2
    std::string field;     // field name ("" for the whole row)
    std::string code;
    std::string message;   // Chinese
};

/// Records a queued job and returns its id. Throws Error(BadRequest) for an unknown
/// kind, format or crs ("bad_kind", "bad_format", "bad_crs"), Error(Unsupported,
/// "kind_not_supported") for venues and inspectors.
long long create_job(pg::Pool& pool, const ImportOptions& options);

/// Runs job `job_id` (created by create_job with the same options) on the file at
/// path. Progress (total, done) is written every ~2% on a separate connection.
/// Returns the final summary (status "done"). On failure the job is marked "failed"
/// with the error's code and Chinese message, nothing of the file is written, and the
/// error is thrown: Error(TooLarge, "file_too_large"), Error(Invalid, "empty_file"),
/// Error(Unsupported, "not_a_table"), Error(Invalid, "missing_column"),
/// Error(Conflict, "job_not_queued") when the job already ran, Error(NotFound) for an
/// unknown id; anything unexpected as Error(Internal, "import_failed").
ImportSummary run_job(pg::Pool& pool, long long job_id, const std::string& path, const ImportOptions& options);

/// create_job + run_job, for the CLI.
ImportSummary import_file(pg::Pool& pool, const std::string& path, ImportOptions options);

/// The job; Error(NotFound) when there is none.
ImportSummary get_job(pg::Pool& pool, long long job_id);

/// Newest jobs first.
std::vector<ImportSummary> list_jobs(pg::Pool& pool, int limit = 50, int offset = 0);

/// Rejected rows of a job in row order.
std::vector<RowError> list_errors(pg::Pool& pool, long long job_id, int limit = 1000, int offset = 0);

/// The error report as XLSX bytes: one sheet "错误报告" with the columns 行号, 字段,
/// 错误代码, 错误说明 (字段 shows the field's Chinese label). Error(NotFound) for an
/// unknown job.
std::string report_xlsx(pg::Pool& pool, long long job_id);

}  // namespace twindraw::import
