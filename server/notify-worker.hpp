// The background worker that empties the notification outbox (issue 4
// "Notifications"): every interval, and at once when woken, it delivers the due rows
// (notify::deliver_due). Never in a request's path: a slow or failing mail server only
// delays the mail.
#pragma once

#include "workflows/notify-outbox.hpp"
#include "workflows/notify.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace twindraw::server {

class OutboxWorker {
public:
    OutboxWorker(pg::Pool& pool, notify::OutboxSettings settings, std::chrono::milliseconds interval);
    ~OutboxWorker();  // stops after the row being sent
    void wake();

private:
    void loop();
    pg::Pool& pool_;
    notify::OutboxSettings settings_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false, woken_ = false;
    std::thread thread_;
};

}  // namespace twindraw::server
