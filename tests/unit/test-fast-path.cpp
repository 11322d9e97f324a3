// Pieces of the cached-tile fast path without a database (issue 5 benchmark): the
// buffered JSON access log and the stat-checked in-memory tile LRU.
#include "server/access-log.hpp"
#include "tiles/hot-tiles.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace twindraw;
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream b;
    b << in.rdbuf();
    return b.str();
}
}  // namespace

TEST(AccessLog, WritesOneValidJsonLinePerRequestWithEscapedFields) {
    const fs::path file = fs::temp_directory_path() / ("twindraw-access-" + std::to_string(::getpid()) + ".log");
    FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    {
        server::AccessLog log(::fileno(f));
        log.write("GET", "/tiles/objects/1/2/3.png", 200, 0.25, 145, "127.0.0.1", "tile");
        log.write("GET", "/a\"b\\c\n\x01/中文/\xff\xfe", 404, 1.5, 0, "::1");
        // Written by the background thread within ~100 ms, without a flush call.
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        const std::string now = slurp(file);
        EXPECT_EQ(std::count(now.begin(), now.end(), '\n'), 2) << now;
        for (int i = 0; i < 2000; ++i) log.write("HEAD", "/healthz", 200, 0.01, 15, "127.0.0.1");
    }  // the destructor writes the rest
    std::fclose(f);
    std::istringstream lines(slurp(file));
    std::string line;
    std::vector<nlohmann::json> rows;
    while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(rows.size(), 2002u);
    EXPECT_EQ(rows[0]["path"], "/tiles/objects/1/2/3.png");
    EXPECT_EQ(rows[0]["status"], 200);
    EXPECT_EQ(rows[0]["bytes"], 145);
    EXPECT_EQ(rows[0]["port"], "tile");
    EXPECT_DOUBLE_EQ(rows[0]["ms"].get<double>(), 0.25);
    EXPECT_EQ(rows[1]["path"], "/a\"b\\c\n\x01/中文/\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_FALSE(rows[1].contains("port"));
    EXPECT_EQ(rows[2001]["method"], "HEAD");
    fs::remove(file);
}

TEST(HotTiles, AnswersFromMemoryOnlyWhileTheFileIsUnchanged) {
    const fs::path dir = fs::temp_directory_path() / ("twindraw-hot-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "1.png").string();
    std::ofstream(path, std::ios::binary) << "first";
    auto tile = tiles::read_tile_file(path);
    ASSERT_TRUE(tile);
    EXPECT_EQ(tile->png, "first");
    EXPECT_EQ(tile->etag.size(), 34u);
    tiles::HotTiles hot(1 << 20);
    hot.put(path, tile);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(hot.get(path, st), tile);
    // Replaced by write-then-rename, as the tile cache does: another file, not served.
    std::ofstream(dir / "tmp", std::ios::binary) << "other";
    fs::rename(dir / "tmp", path);
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(hot.get(path, st), nullptr);
    EXPECT_EQ(hot.get(path, st), nullptr) << "the stale entry is dropped";
    EXPECT_EQ(tiles::read_tile_file((dir / "missing.png").string()), nullptr);
    // The byte budget evicts the least recently used.
    tiles::HotTiles small(16 * 100, 1000);  // 100 bytes per shard
    for (int i = 0; i < 200; ++i) {
        const std::string p = (dir / (std::to_string(i) + ".png")).string();
        std::ofstream(p, std::ios::binary) << std::string(60, 'x');
        small.put(p, tiles::read_tile_file(p));
    }
    int kept = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string p = (dir / (std::to_string(i) + ".png")).string();
        ASSERT_EQ(::stat(p.c_str(), &st), 0);
        kept += small.get(p, st) != nullptr;
    }
    EXPECT_LE(kept, 16);
    EXPECT_GE(kept, 1);
    fs::remove_all(dir);
}
