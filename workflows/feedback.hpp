// Feedback (SYS-6): any signed-in user submits a question; administrators view, reply,
// close and delete. A technical question is to be answered within 2 working days, a
// business question within 5, counted on the working-day calendar from the day of
// submission (China time); the due date is fixed at submission and flagged provisional
// when it falls in a year whose holidays are not yet announced.
// States: open → replied → closed (open → closed too); reply is allowed while open or
// replied; anything on a closed item is Error(Conflict, "bad_state").
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::feedback {

/// Working days allowed for an answer: technical 2, business 5.
int answer_days(const std::string& kind);

struct Query {
    std::string keyword;  // title, content, contact or submitter name
    std::string status;   // "" | open | replied | closed
    std::string kind;     // "" | technical | business
    bool overdue_only = false;
    long long user_id = 0;  // > 0: only this submitter's
    long long page = 1;
    long long page_size = 20;
};

/// {items:[{id, kind, kind_label, title, content, contact, status, status_label,
/// submitted_at, due_date, due_provisional, working_days_left, overdue, answered_late,
/// reply, replied_at, replier_name, user_id, user_name, unit_name}], total, overdue, ...}
nlohmann::json list(pg::Pool& pool, const Query& q);
/// One item; a non-manager sees only their own (else NotFound).
nlohmann::json get(pg::Pool& pool, long long id, long long viewer_id, bool manage);
/// body: {kind, title, content, contact?}; the submitter and unit are the caller's.
nlohmann::json submit(pg::Pool& pool, long long user_id, long long unit_id, const nlohmann::json& body);
/// body: {reply}; notifies the submitter through messages::send.
nlohmann::json reply(pg::Pool& pool, long long id, const nlohmann::json& body);
nlohmann::json close(pg::Pool& pool, long long id);
void remove(pg::Pool& pool, long long id);

}  // namespace twindraw::feedback
