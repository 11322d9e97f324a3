// The server of tests/bench/auth-load.sh. Serves register_all's routes like
// `twindraw serve`; with --nochecks every route is made public, so no session is looked
// up, no permission checked and no transaction switches to twindraw_app (no row-level
// security): the baseline "checks off" of the benchmark. This switch exists only in
// this binary, which is not built by default (EXCLUDE_FROM_ALL) and not installed.
#include "geo/pg.hpp"
#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/import-queue.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

using namespace twindraw;

namespace {
volatile std::sig_atomic_t stop = 0;
void on_signal(int) { stop = 1; }
}  // namespace

int main(int argc, char** argv) {
    std::string database = std::getenv("TWINDRAW_DATABASE_URL") ? std::getenv("TWINDRAW_DATABASE_URL") : "";
    server::ServerOptions sopt;
    sopt.access_log = false;
    sopt.web_dir = "";
    size_t pool_size = 8;
    bool nochecks = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--database") database = next();
        else if (a == "--port") sopt.port = static_cast<std::uint16_t>(std::stoi(next()));
        else if (a == "--threads") sopt.threads = std::stoi(next());
        else if (a == "--pool-size") pool_size = std::stoul(next());
        else if (a == "--nochecks") nochecks = true;
        else {
            std::cerr << "usage: twindraw_bench_server --database URL [--port N] [--threads N] [--pool-size N] [--nochecks]\n";
            return 2;
        }
    }
    pg::Pool pool(database, pool_size);
    server::ImportQueue imports(pool);
    server::App app{pool, "", "var"};
    app.imports = &imports;
    server::Router router;
    server::register_all(router, app);
    server::Router open;
    for (auto route : router.routes()) {
        route.permission = "public";
        open.add(std::move(route));
    }
    sopt.authenticator = app.authenticator.get();
    server::HttpServer http(nochecks ? open : router, sopt);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    http.start();
    std::cout << "listening on " << sopt.address << ":" << http.port() << (nochecks ? " (checks OFF)" : " (checks on)")
              << std::endl;
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    http.stop();
    return 0;
}
