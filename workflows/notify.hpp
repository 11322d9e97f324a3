// Notifications of the task flow (issue 4 "Notifications"; TASK-5..7, WORK-3, DRAW-1):
// submit, approve, return, receive, urge and draw confirmed send a system message (SQL
// notify_message: the rows of messages::send) in the step's own transaction, so the
// message exists exactly when the step was committed, and queue an e-mail and an SMS
// in the outbox (notify-outbox.hpp). Recipients are the users of the relevant units
// whose role holds the relevant permission (SQL notify_recipients, 0014). See
// docs/task-draw.md.
#pragma once

#include "geo/pg.hpp"

#include <string>
#include <vector>

namespace twindraw::notify {

/// The users to tell: active users of units whose role grants permission.
std::vector<long long> recipients(pqxx::transaction_base& tx, const std::vector<long long>& units,
                                  const std::string& permission);

/// Sends the message of event ("submit", "approve", "return", "receive", "urge", "draw")
/// ("deadline") about task_id in tx; unit is the receiving unit for "receive". Returns the number of
/// recipients (0: nobody to tell, no message).
size_t task_event(pqxx::transaction_base& tx, long long task_id, const std::string& event,
                  const std::string& opinion = "", long long unit = 0);

/// A work (task × unit) urged (WORK-5): a message, e-mail and SMS to the accounts of the
/// inspectors with unfinished jobs in that work (SQL notify_job_inspectors, 0023).
/// Returns the number told.
size_t work_urged(pqxx::transaction_base& tx, long long task_id, long long unit_id, const std::string& opinion);

/// "Deadline near": every approved task whose end date lies within `working_days`
/// working days from today (Chinese calendar, twindraw::calendar) and that was not yet
/// told is told once (event "deadline" to the executing units' work.receive and
/// job.submit holders). Runs without an actor (the outbox worker). Returns how many.
int deadline_near(pg::Pool& pool, int working_days = 3);

}  // namespace twindraw::notify
