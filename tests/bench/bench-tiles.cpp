// In-process benchmark of cold `objects` tile rendering (issue 5, GIS-2): the tiles of
// whole 8×8 metatiles covering one district's subjects at z12–z16, rendered into an
// empty cache by TileService as 8×8 metatiles (one query, one Mapnik render, 64 tiles
// cut, encoded and stored per call) and one tile at a time (meta size 1: one query and
// one render with the same 128 px buffer per tile), against the real PostGIS database,
// without HTTP. Each mode gets a fresh cache directory and its own TileService; `threads`
// workers take whole metatiles in turn in both modes. Queries run under a restricted
// actor of scope `all` (role twindraw_app_all, as an admin's tile request does).
//   twindraw_bench_tiles --database URL [--district 500103] [--zooms 12-16] [--threads 2]
//                        [--modes 8,1] [--rounds 1]
// Prints tiles/s of each mode and the ratio. tests/bench/tiles-metatile.sh runs it.
#include "geo/pg-context.hpp"
#include "geo/pg.hpp"
#include "tiles/tile-grid.hpp"
#include "tiles/tile-service.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace twindraw;
namespace fs = std::filesystem;

namespace twindraw::tiles {
extern std::atomic<long long> g_render_ns, g_encode_ns, g_query_ns, g_write_ns, g_features, g_ds_ns;
}
namespace {

struct Options {
    std::string database;
    std::string district = "500103";
    int zmin = 12, zmax = 16;
    int threads = 2;
    std::vector<int> modes = {8, 1};
    int rounds = 1;
};

[[noreturn]] void usage() {
    std::cerr << "usage: twindraw_bench_tiles --database URL [--district CODE] [--zooms 12-16] [--threads N]"
                 " [--modes 8,1] [--rounds N]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    if (const char* env = std::getenv("TWINDRAW_DATABASE_URL")) o.database = env;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--database")
            o.database = next();
        else if (a == "--district")
            o.district = next();
        else if (a == "--zooms") {
            const std::string v = next();
            if (std::sscanf(v.c_str(), "%d-%d", &o.zmin, &o.zmax) != 2) usage();
        } else if (a == "--threads")
            o.threads = std::max(1, std::stoi(next()));
        else if (a == "--rounds")
            o.rounds = std::max(1, std::stoi(next()));
        else if (a == "--modes") {
            o.modes.clear();
            std::stringstream in(next());
            std::string part;
            while (std::getline(in, part, ',')) o.modes.push_back(std::stoi(part));
        } else
            usage();
    }
    if (o.database.empty()) usage();
    return o;
}

// A group of tiles: one 8×8 metatile of the list (the unit a worker takes).
using Group = std::vector<tiles::TileId>;

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    pg::Pool pool(opt.database, size_t(opt.threads) + 1);

    // The district's subjects: extent and count; the admin's identity for the actor.
    tiles::Box wgs;
    long long subjects = 0, total = 0;
    pg::Actor actor;
    pg::with_read(pool, "bench", [&](pqxx::transaction_base& tx) {
        auto r = tx.exec_params1(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n FROM (SELECT ST_Extent(geom) e, count(*) n"
            " FROM market_subject WHERE left(division_code, 6) = $1) s",
            opt.district);
        if (r[0].is_null()) throw std::runtime_error("no subjects in district " + opt.district);
        wgs = {r[0].as<double>(), r[1].as<double>(), r[2].as<double>(), r[3].as<double>()};
        subjects = r[4].as<long long>();
        total = tx.exec1("SELECT count(*) FROM market_subject")[0].as<long long>();
        auto a = tx.exec1(
            "SELECT u.id, i.id, i.authority_id FROM app_user u JOIN user_identity i ON i.user_id = u.id"
            " WHERE u.account = 'admin' ORDER BY i.is_default DESC, i.id LIMIT 1");
        actor = pg::Actor(a[0].as<long long>(), a[1].as<long long>(), a[2].as<long long>(), "127.0.0.1", "all", true);
    });

    // Whole 8×8 metatiles covering the extent at each zoom (what a full map view or a
    // seeding run asks for): the same tiles in every mode.
    std::vector<Group> groups;
    long long ntiles = 0;
    for (int z = opt.zmin; z <= opt.zmax; ++z) {
        const tiles::TileRange r = tiles::tiles_touching(wgs, z, 0);
        const int n = 1 << z;
        for (int mx = r.x0 / 8 * 8; mx <= r.x1; mx += 8)
            for (int my = r.y0 / 8 * 8; my <= r.y1; my += 8) {
                Group g;
                for (int x = mx; x < std::min(mx + 8, n); ++x)
                    for (int y = my; y < std::min(my + 8, n); ++y) g.push_back({z, x, y});
                ntiles += (long long)g.size();
                groups.push_back(std::move(g));
            }
    }
    std::cout << "subjects: " << total << " in the database, " << subjects << " in district " << opt.district
              << "\ntiles: " << ntiles << " (" << groups.size() << " metatiles of 8x8, z" << opt.zmin << "-z"
              << opt.zmax << "), " << opt.threads << " threads" << std::endl;

    // The subjects' pages in PostgreSQL's cache before either mode runs, so that neither
    // pays for reading them from disk (cold means an empty tile cache here).
    pg::with_read(pool, "bench", [&](pqxx::transaction_base& tx) {
        tx.exec_params(
            "SELECT count(*), sum(risk_level) FROM market_subject WHERE geom && ST_Expand(ST_MakeEnvelope($1, "
            "$2, $3, $4, 4326), 0.05)",
            wgs.minx, wgs.miny, wgs.maxx, wgs.maxy);
    });

    // The database backends of the pool (all opened now): their CPU time counts too.
    std::vector<long long> backends;
    {
        std::vector<pg::Lease> leases;
        for (int i = 0; i < opt.threads + 1; ++i) leases.push_back(pool.acquire("bench"));
        for (auto& l : leases) {
            pqxx::nontransaction tx(*l);
            backends.push_back(tx.exec1("SELECT pg_backend_pid()")[0].as<long long>());
        }
    }
    auto cpu_seconds = [&] {  // this process and its backends (when local), user + system
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        double s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        for (long long pid : backends) {
            std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
            std::string stat;
            std::getline(in, stat);
            const auto close = stat.rfind(')');
            if (close == std::string::npos) continue;
            std::istringstream fields(stat.substr(close + 2));
            std::string field;
            long long ut = 0, st = 0;
            for (int i = 3; fields >> field; ++i) {  // field 3 is the state; 14 utime, 15 stime
                if (i == 14) ut = std::stoll(field);
                if (i == 15) {
                    st = std::stoll(field);
                    break;
                }
            }
            s += double(ut + st) / double(sysconf(_SC_CLK_TCK));
        }
        return s;
    };

    char tmpl[] = "/tmp/twindraw-bench-tiles-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    const fs::path work = tmpl;
    struct Result {
        double wall = 0, cpu = 0;
        std::map<int, double> zoom_wall;  // thread-seconds of the calls per zoom
        tiles::RenderStats stats;
    };
    std::map<int, Result> best;  // mode → the round with the least wall time
    for (int round = 0; round < opt.rounds; ++round)
        for (int mode : opt.modes) {
            const fs::path dir = work / ("cache-" + std::to_string(mode) + "-" + std::to_string(round));
            tiles::TileService service(pool, dir, mode);
            const tiles::Filters none;
            Result r;
            const double cpu0 = cpu_seconds();
            // All metatiles in one queue, lowest zoom (heaviest) first, so that both
            // workers stay busy to the end; the time of each call is added to its zoom.
            std::vector<std::map<int, double>> zoom_secs(size_t(opt.threads));
            std::atomic<size_t> next{0};
            const auto start = std::chrono::steady_clock::now();
            std::vector<std::thread> workers;
            for (int w = 0; w < opt.threads; ++w)
                workers.emplace_back([&, w] {
                    pg::ActorScope as(actor);
                    for (size_t i = next++; i < groups.size(); i = next++)
                        for (const auto& t : groups[i]) {
                            const tiles::Metatile m = tiles::metatile_of(t.z, t.x, t.y, mode);
                            if (m.x0 != t.x || m.y0 != t.y) continue;  // one call per metatile of this mode
                            const auto t0 = std::chrono::steady_clock::now();
                            service.render_and_store("objects", t, none, "all");
                            zoom_secs[size_t(w)][t.z] +=
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                        }
                });
            for (auto& t : workers) t.join();
            r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            for (const auto& per_thread : zoom_secs)
                for (const auto& [z, secs] : per_thread) r.zoom_wall[z] += secs;
            r.cpu = cpu_seconds() - cpu0;
            r.stats = service.stats();
            // Every tile of the list is in the cache now, each written once.
            long long files = 0;
            for (const auto& g : groups)
                for (const auto& t : g) files += fs::exists(service.tile_path("objects", none, "all", t));
            if (files != ntiles || r.stats.tiles_written != ntiles) {
                std::cerr << "mode " << mode << ": " << files << " of " << ntiles << " tiles cached, "
                          << r.stats.tiles_written << " written\n";
                return 1;
            }
            const auto& st = r.stats;
            std::printf(
                "round %d, %dx%d: %5lld renders, %7.1f tiles/s wall (%.2f s), %7.1f tiles per CPU-second"
                " (%.2f s, this process and its PostgreSQL backends)\n",
                round + 1, mode, mode, st.metatiles, double(ntiles) / r.wall, r.wall, double(ntiles) / r.cpu, r.cpu);
            std::printf(
                "   thread CPU s: query %.2f (client side), render %.2f, cut+encode %.2f, store %.2f;"
                " %lld features queried\n",
                st.query_s, st.render_s, st.encode_s, st.store_s, st.features);
            std::printf("   thread-seconds per zoom:");
            for (const auto& [z, secs] : r.zoom_wall) std::printf(" z%d %.2f", z, secs);
            std::printf("\n");
            std::fflush(stdout);
            if (!best.count(mode) || r.wall < best[mode].wall) best[mode] = r;
            fs::remove_all(dir);
        }
    fs::remove_all(work);
    std::printf("best of %d round(s), %lld tiles:\n", opt.rounds, ntiles);
    for (const auto& [mode, r] : best)
        std::printf("%dx%d: %8.1f tiles/s wall, %8.1f tiles per CPU-second\n", mode, mode, double(ntiles) / r.wall,
                    double(ntiles) / r.cpu);
    if (best.count(8) && best.count(1)) {
        const Result &a = best[8], &b = best[1];
        std::printf("per zoom, tiles per thread-second 8x8 vs 1x1:");
        for (const auto& [z, secs] : a.zoom_wall) {
            long long n = 0;
            for (const auto& g : groups)
                if (g.front().z == z) n += (long long)g.size();
            std::printf(" z%d %.0f/%.0f (%.2fx)", z, double(n) / secs, double(n) / b.zoom_wall.at(z),
                        b.zoom_wall.at(z) / secs);
        }
        std::printf("\nratio 8x8 / 1x1: %.2fx wall, %.2fx CPU (goal >= 5x)\n", b.wall / a.wall, b.cpu / a.cpu);
    }
    return 0;
}
