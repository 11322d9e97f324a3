// The tile service (GIS-2): layers and their filters, one database query and one
// Mapnik render per 8×8 metatile, the content-addressed disk cache, and its exact
// expiry from the tile_dirty table (data/migrations/0011_tiles.sql).
//
// Cache layout: <cache_dir>/<layer>/<key>/<z>/<x>/<y>.png where <key> is the first 16
// hex digits of SHA-256("<canonical filters>|<viewer scope>"); the ETag is the
// SHA-256 of the PNG bytes. The viewer scope is part of the key so that one unit's
// objects (row-level security) never reach another unit through the cache.
#pragma once

#include "geo/pg.hpp"
#include "tiles/hot-tiles.hpp"
#include "tiles/tile-grid.hpp"
#include "tiles/tile-render.hpp"

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace twindraw::tiles {

struct LayerInfo {
    std::string name;
    std::string title;     // Chinese, for WMTS and the map page
    std::string abstract;
    std::vector<std::string> filters;  // accepted query parameters
};
const std::vector<LayerInfo>& layers();
/// The layer of that name; Error(NotFound, "unknown_layer") otherwise.
const LayerInfo& layer_info(const std::string& name);

/// Validated filters. risk: risk levels 1..4 ("3,4"); division: a 6-digit county or
/// 9-digit town code whose subjects are shown; by: risk (default) or status, with year
/// (only with by=status). results and heat: year (2000..2100, the
/// year inspected), department (an authority id: results of that unit and the units
/// under it), task (a task id), category (result category codes, "07,08"), what
/// ("inspections", the default, or "problems").
struct Filters {
    std::vector<int> risk;
    std::string division;
    int year = 0;
    long long department = 0;
    long long task = 0;
    std::vector<std::string> category;
    std::string what;
    // patrol: the days whose check-ins count, date..date_to (YYYY-MM-DD; `date=D` alone or
    // `from=D1&to=D2`, at most 366 days; default today in China). date_to empty = date.
    std::string date;
    std::string date_to;
    /// objects: "status" colours subjects by their inspection jobs of `year` (default:
    /// this year in China); empty (by=risk, the default) by risk level.
    std::string by;
    /// Canonical text ("division=500103&risk=3,4"), the filter part of the cache key.
    std::string canonical() const;
};
/// Parses the query parameters of a tile request for `layer`; Error(BadRequest,
/// "bad_filter", field) for a malformed value or a parameter the layer does not take.
Filters parse_filters(const LayerInfo& layer, const std::map<std::string, std::string>& query);

/// What the renders of a TileService cost so far: thread CPU time per phase of
/// render_and_store (the query's time is the client side: libpqxx and the conversion of
/// rows, not the server's work), features queried, metatiles rendered, tiles written.
struct RenderStats {
    long long metatiles = 0, tiles_written = 0, features = 0;
    double query_s = 0, render_s = 0, encode_s = 0, store_s = 0;
};

struct Tile {
    std::string png;
    std::string etag;  // quoted, e.g. "\"3f2a...\""
};

class TileService {
public:
    /// meta_size: tiles per metatile side, 8 normally; TWINDRAW_TILE_METATILE (1, 2, 4
    /// or 8) overrides it for the benchmark (tests/bench/tiles-metatile.sh).
    TileService(pg::Pool& pool, std::filesystem::path cache_dir, int meta_size = 0);

    /// The tile from the cache, rendering its metatile first when it is missing. Expires
    /// stale tiles (expire_dirty, when dirty_pending) before looking. `scope` names the viewer's data scope.
    Tile get(const std::string& layer, const TileId& t, const Filters& f, const std::string& scope);

    /// The cache-hit path of get(): the cached tile (bytes and ETag, from the in-memory
    /// LRU when the file is unchanged) after the same expiry check, or null when it is
    /// not cached (nothing is rendered).
    std::shared_ptr<const CachedTile> lookup(const std::string& layer, const TileId& t, const Filters& f,
                                             const std::string& scope);

    /// Expiry check mode (server/change-signals.hpp). Off (the default): every get()
    /// asks PostgreSQL whether tile_dirty holds rows. On (while a listener holds LISTEN
    /// on twindraw_tile_dirty): tile_dirty is consumed only after mark_dirty(); a
    /// request that finds the mark waits for the consumption to finish.
    void use_change_signal(bool on);
    /// Something may have been added to tile_dirty (a notification, a local write, the
    /// fallback poll).
    void mark_dirty() { dirty_seq_.fetch_add(1, std::memory_order_acq_rel); }
    /// Consumes tile_dirty now if marked (or, without the signal, if it holds rows); a
    /// listener calls it right after marking, so requests rarely find the mark.
    void expire_if_dirty();
    /// Whether the next lookup() would first consume tile_dirty (or ask PostgreSQL).
    bool expiry_pending() const {
        return !signalled_.load(std::memory_order_acquire) ||
               clean_seq_.load(std::memory_order_acquire) < dirty_seq_.load(std::memory_order_acquire);
    }

    /// Consumes the tile_dirty rows and deletes the cached tiles they touch, at every
    /// zoom, for every filter and scope, holding the cache exclusively throughout.
    /// Returns the number of files removed.
    long long expire_dirty();

    /// Whether tile_dirty holds rows (get() consumes them only then).
    bool dirty_pending();

    /// The features of `layer` over an EPSG:3857 area at zoom z: one query.
    std::vector<LayerFeatures> query(const std::string& layer, const Box& area, int z, const Filters& f);

    /// One image of width×height over an EPSG:3857 area (tests: stitched comparisons).
    std::string render_area(const std::string& layer, const Box& area, int z, int width, int height, const Filters& f);

    /// The heat layer over a pixel window at zoom z: one query of the grid (with a task
    /// or category filter: of the result points, counted into the same cells), then the
    /// kernel (tiles/heat-render.hpp).
    Rgba render_heat(long long px0, long long py0, int width, int height, int z, const Filters& f);

    /// A category filter without a task, at the levels of heat::kCategoryGridMaxLevel and
    /// coarser, for a viewer who sees every result point: read the per-category grid
    /// heat_category_cell (migration 0032) instead of counting the points. On by default;
    /// tests turn it off to compare with the points' tile.
    void use_category_grid(bool on) { category_grid_ = on; }

    std::filesystem::path tile_path(const std::string& layer, const Filters& f, const std::string& scope,
                                    const TileId& t) const;

    long long metatiles_rendered() const { return metatiles_rendered_; }
    RenderStats stats() const;

    /// Renders the metatile that holds t (one query, one render) and writes its tiles
    /// that are not cached yet: what get() does on a miss, without reading the tile back
    /// (the benchmark tests/bench/bench-tiles.cpp calls it directly).
    void render_and_store(const std::string& layer, const TileId& t, const Filters& f, const std::string& scope);

private:
    std::filesystem::path key_dir(const std::string& layer, const Filters& f, const std::string& scope) const;
    long long remove_tiles(const std::string& layer, const std::vector<Box>& boxes);
    long long expire_consumed();  // expire_dirty() with expire_mutex_ held

    pg::Pool& pool_;
    std::filesystem::path cache_dir_;
    std::mutex expire_mutex_;          // one consumer of tile_dirty at a time
    std::shared_mutex cache_mutex_;    // renders share it; deleting stale tiles is exclusive
    std::mutex render_locks_[64];      // one render per metatile at a time
    std::atomic<long long> metatiles_rendered_{0};
    std::atomic<long long> tiles_written_{0}, features_{0}, query_ns_{0}, render_ns_{0}, encode_ns_{0}, store_ns_{0};
    std::atomic<bool> signalled_{false};
    std::atomic<unsigned long long> dirty_seq_{1}, clean_seq_{0};
    HotTiles hot_;
    int meta_size_ = kMetaSize;
    std::atomic<bool> category_grid_{true};
};

/// SHA-256 of bytes as lower-case hex.
std::string sha256_hex(const std::string& bytes);

}  // namespace twindraw::tiles
