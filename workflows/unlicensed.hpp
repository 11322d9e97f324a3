// Unlicensed business (无照经营, NET-1; seed 000 §5.6a, §7c–d): records of businesses
// found operating without a licence — where (a WGS84 point inside the city, from the
// inspector's GPS or a click on the supervisor's map), address, name or sign, what is
// done, the operator met on the spot, when and by whom — with evidence photos, a status
// 登记 → 处置中 → 已取缔 / 已办照, a list filtered by the time found (and district, status,
// keyword) and its Excel export. Every function runs in one transaction with the
// thread's actor, so the data scope (row-level security, 0026) applies. Bad fields throw
// registry::ValidationError (422, every field named); a record outside the scope is
// Error NotFound; a point outside the area of one's scope Error Forbidden out_of_scope.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::unlicensed {

/// Status codes in workflow order and their Chinese labels.
const std::vector<std::pair<std::string, std::string>>& statuses();
/// The label of a status code (the code itself when unknown).
std::string status_label(const std::string& status);

struct Filter {
    std::string from, to;       // YYYY-MM-DD, inclusive, China time (empty: open)
    std::string division_code;  // 6, 9 or 12 digits: records in that division or below it
    std::string status;         // one of statuses() or empty
    std::string q;              // in name, address, business, operator name
    long long page = 1;         // ≥ 1
    long long page_size = 20;   // 1..200
    // The phone's position (无照查看): each listed item then carries distance_m and 导航
    // links to Amap/Baidu/Tencent (geo/nav-links.hpp) from there.
    std::optional<std::pair<double, double>> from_lonlat;
};

/// Error(BadRequest) naming the parameter for a bad date, range, division or status.
void validate(const Filter& f);

/// {items (the page, newest found first; with from_lonlat nearest first, by the distance
/// on the sphere in SQL, each with distance_m and nav), total, page, page_size, points (every match:
/// id, name, lon, lat, status — at most 5000, for the map), points_truncated}.
nlohmann::json list(pg::Pool& pool, const Filter& f);

/// The matches as an .xlsx workbook (one sheet 无照经营, headers in Chinese). More than
/// limit matches: Error(TooLarge) export_too_large.
std::string export_xlsx(pg::Pool& pool, const Filter& f, long long limit);

/// One record with its photos (id, filename, content_type, size) and, for the actor,
/// the statuses it may move to (next_statuses).
nlohmann::json get(pg::Pool& pool, long long id);

/// body: {lon, lat, name, address, business, operator_name, operator_phone?,
/// operator_id_no?, found_at? ("YYYY-MM-DD HH:MM[:SS]" China time, not in the future;
/// default now), location_source? (gps|map, default map), accuracy_m?}. The finder is
/// the acting user (and its inspector record when it has one); the record belongs to
/// the actor's unit. 422 outside_city when no division of the city covers the point.
nlohmann::json create(pg::Pool& pool, const nlohmann::json& body);

/// body: {status, note?}: registered → handling | banned | licensed; handling → banned |
/// licensed. Anything else: Error(Conflict) invalid_transition naming the states.
nlohmann::json set_status(pg::Pool& pool, long long id, const nlohmann::json& body);

/// Stores an evidence photo (raw bytes; JPEG or PNG by their magic bytes, else
/// Error(Unsupported); empty → BadRequest; larger than max_bytes → TooLarge; at most 20
/// per record → Conflict too_many_photos). Returns {id, filename, content_type, size}.
nlohmann::json add_photo(pg::Pool& pool, const std::string& data_dir, long long record_id, const std::string& filename,
                         const std::string& bytes, size_t max_bytes);

struct Photo {
    std::string content_type, filename, bytes;
};
/// A photo of a record in scope; Error(NotFound) otherwise.
Photo get_photo(pg::Pool& pool, const std::string& data_dir, long long photo_id);

}  // namespace twindraw::unlicensed
