#include "server/change-signals.hpp"

#include "tiles/tile-service.hpp"

namespace twindraw::server {

void ChangeSignals::set_listening(bool on) {
    // Invalidate first, so that no lookup sees listening with entries from before.
    auth_changed();
    {
        std::lock_guard lock(mutex_);
        for (auto& weak : tiles_)
            if (auto s = weak.lock()) s->use_change_signal(on);
    }
    listening_.store(on, std::memory_order_release);
    auth_changed();
    tiles_changed();
}

void ChangeSignals::tiles_changed() {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < tiles_.size();) {
        if (auto s = tiles_[i].lock()) {
            s->mark_dirty();
            ++i;
        } else {
            tiles_.erase(tiles_.begin() + long(i));
        }
    }
}

void ChangeSignals::expire_tiles() {
    std::vector<std::shared_ptr<tiles::TileService>> services;
    {
        std::lock_guard lock(mutex_);
        for (auto& weak : tiles_)
            if (auto s = weak.lock()) services.push_back(std::move(s));
    }
    for (auto& s : services) {
        try {
            if (s->expiry_pending()) s->expire_if_dirty();
        } catch (const std::exception&) {
            // The mark stays; the next tile request consumes the queue (and reports).
        }
    }
}

void ChangeSignals::add_tiles(std::weak_ptr<tiles::TileService> service) {
    std::lock_guard lock(mutex_);
    if (auto s = service.lock()) s->use_change_signal(listening());
    tiles_.push_back(std::move(service));
}

}  // namespace twindraw::server
