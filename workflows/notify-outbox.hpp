// Delivery of the notification outbox (issue 4 "Notifications"): e-mails through SMTP
// with libcurl and SMS through the configured HTTP gateway (accounts::send_sms), sent
// after the step committed, each row retried with exponential back-off until
// max_attempts. Rows of a channel that is not configured are marked 'skipped'.
#pragma once

#include "geo/pg.hpp"

#include <chrono>
#include <string>

namespace twindraw::notify {

struct OutboxSettings {
    std::string smtp_url;                  // smtp://host:port or smtps://host:port ("" : no e-mail)
    std::string smtp_from;                 // the From address
    std::string smtp_user, smtp_password;  // optional AUTH
    std::string sms_gateway_url;           // "" : no SMS
    int max_attempts = 6;
    std::chrono::seconds first_retry{30};  // then doubled each attempt, at most 1 h
};

/// Sends one e-mail (UTF-8 subject and body) through SMTP; throws Error(Unavailable,
/// "smtp_failed") when the server refuses or cannot be reached.
void send_mail(const OutboxSettings& s, const std::string& to, const std::string& subject, const std::string& body);

struct DeliveryCount {
    int sent = 0, retried = 0, failed = 0, skipped = 0;
};

/// Delivers up to limit due rows (FOR UPDATE SKIP LOCKED, so several servers may run
/// it); each outcome is written back at once.
DeliveryCount deliver_due(pg::Pool& pool, const OutboxSettings& s, int limit = 50);

}  // namespace twindraw::notify
