// What the in-process caches of `twindraw serve` know about changes made elsewhere
// (issue 5 benchmark; AUTH-4 sessions, GIS-2 tile expiry). The session cache
// (server/auth-gate.*) and the tile service's expiry check (tiles/tile-service.*) keep
// their speed only while a ChangeListener (server/change-listener.hpp) holds LISTEN on
// the database's change channels; without one (tests calling dispatch(), a lost
// connection) the session cache is bypassed and every tile request asks PostgreSQL
// whether tile_dirty holds rows, as before.
//
// Three sources of change, each acted on before the next cached lookup:
//  - this process's own writes: dispatch() calls local_write() after every request with
//    a non-safe method, before its response is sent, so a logout, a disabled user or a
//    moved enterprise is seen by the very next request (no wait for the notification);
//  - other processes (the CLI, another server, SQL): NOTIFY from the triggers of
//    migration 0028, delivered to the listener after their commit (milliseconds);
//  - a fallback poll: the listener marks the tiles dirty every few seconds anyway.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace twindraw::tiles {
class TileService;
}

namespace twindraw::server {

class ChangeSignals {
public:
    /// Whether the change channels are listened to right now.
    bool listening() const { return listening_.load(std::memory_order_acquire); }
    /// Set by the listener when LISTEN is in place or the connection is lost; any
    /// transition invalidates the session cache and marks the tiles dirty (changes may
    /// have been missed in between).
    void set_listening(bool on);

    /// Session cache entries are valid only for the epoch they were made in.
    std::uint64_t auth_epoch() const { return auth_epoch_.load(std::memory_order_acquire); }
    void auth_changed() { auth_epoch_.fetch_add(1, std::memory_order_acq_rel); }

    /// Marks every registered tile service dirty (the next tile request consumes
    /// tile_dirty before looking in the cache).
    void tiles_changed();
    /// Consumes the expiry queue for every marked tile service, in the caller's thread
    /// (the listener's, so that requests seldom wait for it). Errors are left to the
    /// next request, which finds the mark still set.
    void expire_tiles();
    /// A tile service to signal; held weakly.
    void add_tiles(std::weak_ptr<tiles::TileService> service);

    /// This process committed (or may have committed) a change.
    void local_write() {
        auth_changed();
        tiles_changed();
    }

private:
    std::atomic<bool> listening_{false};
    std::atomic<std::uint64_t> auth_epoch_{1};
    std::mutex mutex_;
    std::vector<std::weak_ptr<tiles::TileService>> tiles_;
};

}  // namespace twindraw::server
