// Announcements (SYS-5, HOME-1): an administrator drafts, edits, publishes and
// withdraws them; every signed-in user reads the published ones. States: draft →
// published → withdrawn → published again; a forbidden transition is Error(Conflict,
// "bad_state"). Changes are audited (announcement is a key table).
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::announcements {

struct Query {
    std::string keyword;  // in title or body
    std::string status;   // "" | draft | published | withdrawn (management list only)
    long long page = 1;
    long long page_size = 20;
};

/// Published announcements, pinned first then newest: {items:[{id, title, excerpt,
/// pinned, published_at, publisher_name}], total, page, page_size}.
nlohmann::json list_published(pg::Pool& pool, const Query& q);
/// Every announcement (management page), with status and body.
nlohmann::json list_all(pg::Pool& pool, const Query& q);
/// One announcement; unless manage is true only a published one (else NotFound).
nlohmann::json get(pg::Pool& pool, long long id, bool manage);
/// body: {title, body, pinned?, publish?} → the new announcement (draft unless publish).
nlohmann::json create(pg::Pool& pool, const nlohmann::json& body);
/// body: {title?, body?, pinned?}
nlohmann::json update(pg::Pool& pool, long long id, const nlohmann::json& body);
/// Publishes a draft or withdrawn announcement; withdraws a published one.
nlohmann::json publish(pg::Pool& pool, long long id);
nlohmann::json withdraw(pg::Pool& pool, long long id);
void remove(pg::Pool& pool, long long id);

/// "draft" → "草稿", …
std::string status_label(const std::string& status);

}  // namespace twindraw::announcements
