#include "server/notify-worker.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace twindraw::server {

OutboxWorker::OutboxWorker(pg::Pool& pool, notify::OutboxSettings settings, std::chrono::milliseconds interval)
    : pool_(pool), settings_(std::move(settings)), interval_(interval), thread_([this] { loop(); }) {}

OutboxWorker::~OutboxWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void OutboxWorker::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_all();
}

void OutboxWorker::loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
            if (stopping_) return;
            woken_ = false;
        }
        try {
            notify::deadline_near(pool_);
            auto n = notify::deliver_due(pool_, settings_);
            if (n.sent + n.retried + n.failed)
                std::cerr << nlohmann::json({{"level", n.failed ? "warn" : "info"},
                                             {"msg", "notify outbox"},
                                             {"sent", n.sent},
                                             {"retried", n.retried},
                                             {"failed", n.failed},
                                             {"skipped", n.skipped}})
                                 .dump()
                          << std::endl;
        } catch (const std::exception&) {
            // The database is away: try again at the next interval.
            std::cerr << nlohmann::json({{"level", "warn"}, {"msg", "notify outbox: database unavailable"}}).dump()
                      << std::endl;
        }
    }
}

}  // namespace twindraw::server
