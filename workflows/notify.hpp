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
/// about task_id in tx; unit is the receiving unit for "receive". Returns the number of
/// recipients (0: nobody to tell, no message).
size_t task_event(pqxx::transaction_base& tx, long long task_id, const std::string& event,
                  const std::string& opinion = "", long long unit = 0);

}  // namespace twindraw::notify
