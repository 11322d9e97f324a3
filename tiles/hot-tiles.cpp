#include "tiles/hot-tiles.hpp"

#include "tiles/tile-service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

namespace twindraw::tiles {

namespace {
std::int64_t mtime_ns(const struct stat& st) {
    return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}
}  // namespace

bool CachedTile::same_file(const struct stat& st) const {
    return dev == std::uint64_t(st.st_dev) && ino == std::uint64_t(st.st_ino) && size == std::uint64_t(st.st_size) &&
           mtime_ns == tiles::mtime_ns(st);
}

std::shared_ptr<const CachedTile> read_tile_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct Close {
        int fd;
        ~Close() { ::close(fd); }
    } close_fd{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    auto t = std::make_shared<CachedTile>();
    t->png.resize(size_t(st.st_size));
    size_t done = 0;
    while (done < t->png.size()) {
        ssize_t n = ::read(fd, t->png.data() + done, t->png.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return nullptr;  // shorter than its stat: being replaced, treat as missing
        done += size_t(n);
    }
    t->dev = std::uint64_t(st.st_dev);
    t->ino = std::uint64_t(st.st_ino);
    t->size = std::uint64_t(st.st_size);
    t->mtime_ns = mtime_ns(st);
    t->etag = "\"" + sha256_hex(t->png).substr(0, 32) + "\"";
    return t;
}

HotTiles::HotTiles(size_t max_bytes, size_t max_tile_bytes)
    : max_shard_bytes_(max_bytes / kShards), max_tile_bytes_(max_tile_bytes) {}

HotTiles::Shard& HotTiles::shard(const std::string& path) {
    return shards_[std::hash<std::string>{}(path) % kShards];
}

std::shared_ptr<const CachedTile> HotTiles::get(const std::string& path, const struct stat& st) {
    Shard& s = shard(path);
    std::lock_guard lock(s.mutex);
    auto it = s.slots.find(path);
    if (it == s.slots.end()) return nullptr;
    if (!it->second.tile->same_file(st)) {
        s.bytes -= it->second.tile->png.size();
        s.order.erase(it->second.at);
        s.slots.erase(it);
        return nullptr;
    }
    s.order.splice(s.order.begin(), s.order, it->second.at);
    return it->second.tile;
}

void HotTiles::put(const std::string& path, std::shared_ptr<const CachedTile> tile) {
    if (!tile || tile->png.size() > max_tile_bytes_ || max_shard_bytes_ == 0) return;
    Shard& s = shard(path);
    std::lock_guard lock(s.mutex);
    if (auto it = s.slots.find(path); it != s.slots.end()) {
        s.bytes -= it->second.tile->png.size();
        s.order.erase(it->second.at);
        s.slots.erase(it);
    }
    s.order.push_front(path);
    s.bytes += tile->png.size();
    s.slots.emplace(path, Shard::Slot{std::move(tile), s.order.begin()});
    while (s.bytes > max_shard_bytes_ && !s.order.empty()) {
        auto victim = s.slots.find(s.order.back());
        s.bytes -= victim->second.tile->png.size();
        s.slots.erase(victim);
        s.order.pop_back();
    }
}

void HotTiles::clear() {
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        s.slots.clear();
        s.order.clear();
        s.bytes = 0;
    }
}

}  // namespace twindraw::tiles
