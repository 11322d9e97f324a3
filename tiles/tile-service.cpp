#include "tiles/tile-service.hpp"

#include "geo/error.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

namespace twindraw::tiles {

namespace fs = std::filesystem;

const std::vector<LayerInfo>& layers() {
    static const std::vector<LayerInfo> all = {
        {"base", "行政区划底图", "区县与乡镇（街道）边界及中文注记", {}},
        {"objects", "市场主体（按风险等级）", "检查对象名录库中的市场主体，按风险等级着色：低绿、一般蓝、较高橙、高红",
         {"risk", "division"}},
    };
    return all;
}

const LayerInfo& layer_info(const std::string& name) {
    for (const auto& l : layers())
        if (l.name == name) return l;
    throw Error(Error::Kind::NotFound, "unknown_layer", "图层不存在：" + name.substr(0, 40), "layer");
}

std::string Filters::canonical() const {
    std::string out;
    if (!division.empty()) out += "division=" + division;
    if (!risk.empty()) {
        if (!out.empty()) out += "&";
        out += "risk=";
        for (size_t i = 0; i < risk.size(); ++i) out += (i ? "," : "") + std::to_string(risk[i]);
    }
    return out;
}

Filters parse_filters(const LayerInfo& layer, const std::map<std::string, std::string>& query) {
    Filters f;
    for (const auto& [key, value] : query) {
        if (std::find(layer.filters.begin(), layer.filters.end(), key) == layer.filters.end())
            throw bad_request("bad_filter", "图层 " + layer.name + " 不支持筛选条件 " + key.substr(0, 40), key.substr(0, 40));
        if (value.empty()) continue;
        if (key == "risk") {
            std::stringstream in(value);
            std::string part;
            while (std::getline(in, part, ',')) {
                if (part.size() != 1 || part[0] < '1' || part[0] > '4')
                    throw bad_request("bad_filter", "风险等级应为 1 至 4 的整数，多个用逗号分隔", "risk");
                f.risk.push_back(part[0] - '0');
            }
            std::sort(f.risk.begin(), f.risk.end());
            f.risk.erase(std::unique(f.risk.begin(), f.risk.end()), f.risk.end());
        } else if (key == "division") {
            const bool digits = std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits || (value.size() != 6 && value.size() != 9))
                throw bad_request("bad_filter", "行政区划代码应为 6 位（区县）或 9 位（乡镇街道）数字", "division");
            f.division = value;
        }
    }
    return f;
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw Error(Error::Kind::Internal, "sha256_failed", "无法计算 SHA-256");
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

namespace {

std::optional<std::string> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

void write_file_atomically(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ostringstream tmp_name;
    tmp_name << p.filename().string() << ".tmp" << std::this_thread::get_id();
    const fs::path tmp = p.parent_path() / tmp_name.str();
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        if (!out) throw Error(Error::Kind::Internal, "tile_cache_write", "无法写入瓦片缓存");
    }
    fs::rename(tmp, p);
}

Box to_wgs84(const Box& m) {
    Box b;
    mercator_to_lonlat(m.minx, m.miny, b.minx, b.miny);
    mercator_to_lonlat(m.maxx, m.maxy, b.maxx, b.maxy);
    return b;
}

Box metatile_area(const Metatile& m, int buffer_px) {
    const Box first = tile_bounds(m.z, m.x0, m.y0);
    const Box last = tile_bounds(m.z, m.x0 + m.size - 1, m.y0 + m.size - 1);
    const double margin = buffer_px * (first.maxx - first.minx) / kTileSize;
    return {first.minx - margin, last.miny - margin, last.maxx + margin, first.maxy + margin};
}

// How far (pixels) a change can show beyond its box: point symbols on `objects`,
// labels on `base`.
double margin_px(const std::string& layer) { return layer == "base" ? kBufferPx : 8; }

}  // namespace

TileService::TileService(pg::Pool& pool, fs::path cache_dir, int meta_size)
    : pool_(pool), cache_dir_(std::move(cache_dir)) {
    if (meta_size <= 0)
        if (const char* env = std::getenv("TWINDRAW_TILE_METATILE")) meta_size = std::atoi(env);
    if (meta_size == 1 || meta_size == 2 || meta_size == 4 || meta_size == 8) meta_size_ = meta_size;
}

fs::path TileService::key_dir(const std::string& layer, const Filters& f, const std::string& scope) const {
    return cache_dir_ / layer / sha256_hex(f.canonical() + "|" + scope).substr(0, 16);
}

fs::path TileService::tile_path(const std::string& layer, const Filters& f, const std::string& scope,
                                const TileId& t) const {
    return key_dir(layer, f, scope) / std::to_string(t.z) / std::to_string(t.x) / (std::to_string(t.y) + ".png");
}

std::vector<LayerFeatures> TileService::query(const std::string& layer, const Box& area, int z, const Filters& f) {
    const Box g = to_wgs84(area);
    pg::Params p;
    p.add(g.minx).add(g.miny).add(g.maxx).add(g.maxy);
    if (layer == "objects") {
        std::string sql =
            "SELECT ST_X(geom), ST_Y(geom), risk_level FROM market_subject"
            " WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)";
        if (!f.risk.empty()) {
            std::vector<std::string> levels;
            for (int r : f.risk) levels.push_back(std::to_string(r));
            sql += " AND risk_level = ANY(" + p.next(pg::array_literal(levels)) + "::smallint[])";
        }
        if (!f.division.empty()) {
            const std::string ph = p.next(f.division);
            sql += " AND left(division_code, length(" + ph + ")) = " + ph;
        }
        LayerFeatures out{"subjects", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            auto rows = pg::exec(tx, sql, p);
            out.features.reserve(rows.size());
            for (const auto& row : rows) {
                Feature ft;
                lonlat_to_mercator(row[0].as<double>(), row[1].as<double>(), ft.x, ft.y);
                ft.kind = row[2].as<int>();
                out.features.push_back(std::move(ft));
            }
        });
        return {std::move(out)};
    }
    if (layer == "base") {
        // Simplified to a quarter pixel at this zoom; the label point is taken from the
        // full geometry so that it is the same in every metatile.
        const double tolerance = 360.0 / (kTileSize * double(1LL << z)) / 4;
        const std::string sql =
            "SELECT ST_AsBinary(ST_Transform(ST_SimplifyPreserveTopology(geom, " + p.next(std::to_string(tolerance)) +
            "::float8), 3857)), level, name, ST_X(pos), ST_Y(pos),"
            " pos && ST_MakeEnvelope($1, $2, $3, $4, 4326)"
            " FROM (SELECT geom, level, name, ST_PointOnSurface(geom) AS pos FROM division"
            "       WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND level >= 2) d"
            " ORDER BY level, name";
        LayerFeatures polygons{"divisions", {}}, labels{"labels", {}};
        pg::with_read(pool_, "tiles", [&](pqxx::transaction_base& tx) {
            for (const auto& row : pg::exec(tx, sql, p)) {
                pqxx::binarystring wkb(row[0]);
                Feature poly;
                poly.wkb.assign(reinterpret_cast<const char*>(wkb.data()), wkb.size());
                poly.kind = row[1].as<int>();
                polygons.features.push_back(std::move(poly));
                if (row[5].as<bool>()) {
                    Feature label;
                    lonlat_to_mercator(row[3].as<double>(), row[4].as<double>(), label.x, label.y);
                    label.kind = row[1].as<int>();
                    label.name = row[2].as<std::string>();
                    labels.features.push_back(std::move(label));
                }
            }
        });
        return {std::move(polygons), std::move(labels)};
    }
    throw Error(Error::Kind::NotFound, "unknown_layer", "图层不存在", "layer");
}

std::string TileService::render_area(const std::string& layer, const Box& area, int z, int width, int height,
                                     const Filters& f) {
    const double margin = kBufferPx * (area.maxx - area.minx) / width;
    const Box queried{area.minx - margin, area.miny - margin, area.maxx + margin, area.maxy + margin};
    return render_png(layer, area, width, height, query(layer, queried, z, f));
}

void TileService::render_and_store(const std::string& layer, const TileId& t, const Filters& f,
                                   const std::string& scope) {
    const Metatile m = metatile_of(t.z, t.x, t.y, meta_size_);
    auto data = query(layer, metatile_area(m, kBufferPx), t.z, f);
    auto pngs = render_metatile(layer, m, data);
    ++metatiles_rendered_;
    const fs::path dir = key_dir(layer, f, scope);
    if (!fs::exists(dir / "key.txt")) write_file_atomically(dir / "key.txt", f.canonical() + "|" + scope + "\n");
    // Tiles of the metatile that are still cached were not expired and are still right:
    // they keep their file (and ETag); only the missing ones are written.
    for (int row = 0; row < m.size; ++row)
        for (int col = 0; col < m.size; ++col) {
            const fs::path p = tile_path(layer, f, scope, {t.z, m.x0 + col, m.y0 + row});
            std::error_code ec;
            if (!fs::exists(p, ec)) write_file_atomically(p, pngs[row][col]);
        }
}

Tile TileService::get(const std::string& layer, const TileId& t, const Filters& f, const std::string& scope) {
    layer_info(layer);
    expire_dirty();
    const fs::path path = tile_path(layer, f, scope, t);
    auto found = [&]() -> std::optional<Tile> {
        if (auto bytes = read_file(path)) return Tile{*bytes, "\"" + sha256_hex(*bytes).substr(0, 32) + "\""};
        return std::nullopt;
    };
    {
        std::shared_lock lock(cache_mutex_);
        if (auto tile = found()) return *tile;
    }
    const Metatile m = metatile_of(t.z, t.x, t.y, meta_size_);
    const size_t slot =
        std::hash<std::string>{}(key_dir(layer, f, scope).string() + "/" + std::to_string(m.z) + "/" +
                                 std::to_string(m.x0) + "/" + std::to_string(m.y0)) % std::size(render_locks_);
    std::lock_guard render_lock(render_locks_[slot]);
    std::shared_lock lock(cache_mutex_);
    if (auto tile = found()) return *tile;  // rendered meanwhile by another request
    render_and_store(layer, t, f, scope);
    if (auto tile = found()) return *tile;
    throw Error(Error::Kind::Internal, "tile_cache_read", "无法读取瓦片缓存");
}

long long TileService::expire_dirty() {
    std::lock_guard consumer(expire_mutex_);
    std::map<std::string, std::vector<Box>> boxes;
    {
        // Not through with_transaction: the rows belong to no user and need no actor.
        auto lease = pool_.acquire("tiles-expire");
        pqxx::work tx(*lease);
        auto rows = pg::exec(tx,
                             "DELETE FROM tile_dirty RETURNING layer, ST_XMin(bbox), ST_YMin(bbox), ST_XMax(bbox),"
                             " ST_YMax(bbox)");
        for (const auto& row : rows)
            boxes[row[0].as<std::string>()].push_back(
                {row[1].as<double>(), row[2].as<double>(), row[3].as<double>(), row[4].as<double>()});
        tx.commit();
    }
    if (boxes.empty()) return 0;
    std::unique_lock lock(cache_mutex_);
    long long removed = 0;
    for (const auto& [layer, list] : boxes) removed += remove_tiles(layer, list);
    return removed;
}

long long TileService::remove_tiles(const std::string& layer, const std::vector<Box>& boxes) {
    const fs::path layer_dir = cache_dir_ / layer;
    std::error_code ec;
    if (!fs::is_directory(layer_dir, ec)) return 0;
    long long removed = 0;
    if (boxes.size() > 2000) {  // a bulk change: drop the layer's cache altogether
        removed = (long long)fs::remove_all(layer_dir, ec);
        return removed;
    }
    for (const auto& key : fs::directory_iterator(layer_dir, ec)) {
        if (!key.is_directory()) continue;
        for (const auto& box : boxes)
            for (int z = 0; z <= kMaxZoom; ++z) {
                const TileRange r = tiles_touching(box, z, margin_px(layer));
                const fs::path zdir = key.path() / std::to_string(z);
                if (!fs::is_directory(zdir, ec)) continue;
                if (r.count() <= 64) {
                    for (int x = r.x0; x <= r.x1; ++x)
                        for (int y = r.y0; y <= r.y1; ++y)
                            removed += fs::remove(zdir / std::to_string(x) / (std::to_string(y) + ".png"), ec);
                    continue;
                }
                // A large box: walk what is cached at this zoom instead of every tile it covers.
                for (const auto& xdir : fs::directory_iterator(zdir, ec)) {
                    const int x = std::atoi(xdir.path().filename().c_str());
                    if (x < r.x0 || x > r.x1) continue;
                    for (const auto& file : fs::directory_iterator(xdir.path(), ec)) {
                        const int y = std::atoi(file.path().stem().c_str());
                        if (y >= r.y0 && y <= r.y1) removed += fs::remove(file.path(), ec);
                    }
                }
            }
    }
    return removed;
}

}  // namespace twindraw::tiles
