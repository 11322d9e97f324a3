// LISTEN on the change channels of migration 0028 (twindraw_auth, twindraw_tile_dirty)
// on a connection of its own, in a background thread, feeding ChangeSignals; after a
// tile notification it consumes the expiry queue itself (ChangeSignals::expire_tiles).
// While connected it also does so every `poll` (a fallback should a notification ever
// be missed); when the connection fails it clears
// ChangeSignals::listening (caches bypassed) and reconnects every second.
#pragma once

#include "server/change-signals.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace twindraw::server {

class ChangeListener {
public:
    ChangeListener(std::string database_url, std::shared_ptr<ChangeSignals> signals,
                   std::chrono::milliseconds poll = std::chrono::seconds(2));
    ~ChangeListener();
    ChangeListener(const ChangeListener&) = delete;
    ChangeListener& operator=(const ChangeListener&) = delete;

    /// Waits up to `timeout` for the first LISTEN to be in place.
    bool wait_listening(std::chrono::milliseconds timeout);

private:
    void run();

    std::string url_;
    std::shared_ptr<ChangeSignals> signals_;
    std::chrono::milliseconds poll_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace twindraw::server
