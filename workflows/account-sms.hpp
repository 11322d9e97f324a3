// SMS codes for the second factor and password reset (AUTH-2, AUTH-3): six random
// digits, stored hashed, valid 5 minutes, 5 attempts, at most one per minute per user
// and purpose; delivered by POSTing {"phone","text"} as JSON to a configured gateway.
#pragma once

#include "geo/pg.hpp"

#include <string>

namespace twindraw::accounts {

/// POSTs {"phone": phone, "text": text} to gateway_url (libcurl, 10 s timeout).
/// Throws Error(Unavailable, "sms_failed") unless the gateway answers 2xx.
void send_sms(const std::string& gateway_url, const std::string& phone, const std::string& text);

/// Creates a code for (user, purpose) and sends it. purpose: "login" or "reset".
/// Throws Error(TooMany, "sms_too_soon") within a minute of the previous code.
void send_sms_code(pg::Pool& pool, const std::string& gateway_url, long long user_id, const std::string& phone,
                   const std::string& purpose);

/// Uses up a live code of (user, purpose) if `code` matches it; a wrong code costs one
/// of its 5 attempts. Runs inside the caller's transaction.
bool consume_sms_code(pqxx::transaction_base& tx, long long user_id, const std::string& purpose, const std::string& code);

}  // namespace twindraw::accounts
