// The fixture shared by the tile layer tests that call the tile routes in process
// (HeatTiles, PatrolTiles): a throwaway database loaded with the test's fixture SQL, the app
// with its routes, GET calls as a principal with registry.read in a given data scope, and
// small helpers for tile URLs, ETags, SQL, the tile at a place and counting pixels.
#pragma once

#include "common-pg.hpp"
#include "server/app.hpp"
#include "server/http-server.hpp"
#include "server/http-types.hpp"
#include "server/import-queue.hpp"
#include "tiles/tile-grid.hpp"
#include "tiles/tile-render.hpp"
#include "tiles/tile-service.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace twindraw::testing {

// The tile of zoom z that holds the WGS84 point.
inline tiles::TileId tile_at(double lon, double lat, int z) {
    auto r = tiles::tiles_touching({lon, lat, lon, lat}, z, 0);
    return {z, r.x0, r.y0};
}

// The pixels of img for which pred(r, g, b, a) holds.
template <class Pred>
long long count_pixels(const tiles::Rgba& img, Pred pred) {
    long long n = 0;
    for (size_t i = 0; i + 3 < img.pixels.size(); i += 4)
        n += pred(int(img.pixels[i]), int(img.pixels[i + 1]), int(img.pixels[i + 2]), int(img.pixels[i + 3]));
    return n;
}

class TileTestApi : public ::testing::Test {
protected:
    // The SQL run once before the app starts (the test's city, results, routes...).
    virtual const char* fixture_sql() const = 0;

    void SetUp() override {
        sql(fixture_sql());
        app = std::make_unique<server::App>(server::App{db.pool(), "", data_dir.string()});
        imports = std::make_unique<server::ImportQueue>(db.pool());
        app->imports = imports.get();
        server::register_all(router, *app);
    }

    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(data_dir, ec);
    }

    // GET target as user (77 unless told) of unit in that data scope, with registry.read.
    server::Response call(const std::string& target, const std::string& data_scope = "all", long long unit = 900,
                          long long user = 77) {
        server::Request req;
        req.method = "GET";
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = server::parse_query(target.substr(q + 1));
        req.peer = "192.0.2.8";
        server::Principal p;
        p.user_id = user;
        p.unit_id = unit;
        p.stage = "ok";
        p.data_scope = data_scope;
        p.permissions = {"registry.read"};
        req.principal = p;
        return server::dispatch(router, "", req);
    }

    static std::string url(const std::string& layer, const tiles::TileId& t, const std::string& query = {}) {
        return "/tiles/" + layer + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) +
               ".png" + (query.empty() ? "" : "?" + query);
    }

    static std::string etag(const server::Response& r) {
        for (const auto& [k, v] : r.headers)
            if (k == "ETag") return v;
        return {};
    }

    void sql(const std::string& statement) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(statement);
        tx.commit();
    }

    long long count(const std::string& query) {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1(query)[0].as<long long>();
    }

    TempDatabase db;
    std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("twindraw-tiletest-" + db.name());
    std::unique_ptr<server::App> app;
    std::unique_ptr<server::ImportQueue> imports;
    server::Router router;
};

}  // namespace twindraw::testing
