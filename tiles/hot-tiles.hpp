// A small in-memory LRU of cached tile files (issue 5 benchmark): the bytes and ETag of
// recently served tiles, keyed by file path and checked against the file on every use
// (device, inode, size and modification time from one stat()), so that an expired
// (deleted) or re-rendered (renamed over) file is never answered from memory — whichever
// process changed it. Saves reading the file and hashing it for the ETag on each hit.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace twindraw::tiles {

struct CachedTile {
    std::string png;
    std::string etag;  // quoted
    // The file it was read from.
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool same_file(const struct stat& st) const;
};

/// Reads a tile file with its identity; nullopt when it does not exist.
std::shared_ptr<const CachedTile> read_tile_file(const std::string& path);

class HotTiles {
public:
    explicit HotTiles(size_t max_bytes = 64u << 20, size_t max_tile_bytes = 1u << 20);
    /// The entry for path if it is still that file (st: a fresh stat of path).
    std::shared_ptr<const CachedTile> get(const std::string& path, const struct stat& st);
    void put(const std::string& path, std::shared_ptr<const CachedTile> tile);
    void clear();

private:
    static constexpr int kShards = 16;
    struct Shard {
        std::mutex mutex;
        std::list<std::string> order;  // most recent first
        struct Slot {
            std::shared_ptr<const CachedTile> tile;
            std::list<std::string>::iterator at;
        };
        std::unordered_map<std::string, Slot> slots;
        size_t bytes = 0;
    };
    Shard& shard(const std::string& path);
    size_t max_shard_bytes_, max_tile_bytes_;
    Shard shards_[kShards];
};

}  // namespace twindraw::tiles
