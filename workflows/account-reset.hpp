// Password reset through an SMS code (AUTH-3): a code is sent to the phone registered
// for an account; the code and a new password that meets the policy set the password
// and end every session of the account. Rate limited per account (one code a minute,
// five tries a code, account-sms.hpp) and per client address (ten reset requests or
// attempts in 15 minutes). Every request and attempt is in the login log.
#pragma once

#include "geo/pg.hpp"
#include "workflows/account-sessions.hpp"

#include <string>

namespace twindraw::accounts {

/// Sends a reset code to the account's phone. Answers alike whether or not the account
/// exists or has a phone (nothing to learn about accounts); Error(TooMany,
/// "reset_too_many") past the address limit, Error(TooMany, "sms_too_soon") within a
/// minute of the previous code, Error(Unavailable, "sms_failed") when the gateway fails.
void request_password_reset(pg::Pool& pool, const std::string& gateway_url, const std::string& account,
                            const ClientInfo& client);

/// Checks the code and sets the new password (no change required at next login);
/// revokes every session of the account. Error(Invalid, "weak_password"/"same_password",
/// field new_password) when the password fails the policy (the code is not used up);
/// Error(Invalid, "bad_code", field code) for a wrong, used or expired code or an
/// unknown account; Error(TooMany, "reset_too_many") past the address limit.
void reset_password_with_sms(pg::Pool& pool, const std::string& account, const std::string& code,
                             const std::string& new_password, const ClientInfo& client);

}  // namespace twindraw::accounts
