// The draw routes through dispatch() on the small draw city (draw-fixture.hpp), as the
// fixture's drawer 抽取员张三 (city scope) or without a session; poppler's pdftotext for
// the printed record.
#pragma once

#include "draw-fixture.hpp"

#include "server/app.hpp"
#include "server/http-server.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace twindraw::testing {

class DrawApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        load_draw_city(db.url(), 800);
        app = std::make_unique<server::App>(server::App{db.pool(), "", data_dir.string()});
        server::register_all(router, *app);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(data_dir, ec);
    }

    server::Response call(const std::string& method, const std::string& target, const std::string& body = {},
                          bool signed_in = true, long long user_id = 77,
                          std::vector<std::string> permissions = {"draw.run", "draw.read", "draw.manage",
                                                                  "draw.witness"}) {
        server::Request req;
        req.method = method;
        auto q = target.find('?');
        req.path = target.substr(0, q);
        if (q != std::string::npos) req.query = server::parse_query(target.substr(q + 1));
        req.body = body;
        req.headers["content-type"] = "application/json";
        req.headers["host"] = "twindraw.example:8080";
        req.peer = "192.0.2.9";
        if (signed_in) {
            server::Principal p;
            p.user_id = user_id;
            p.identity_id = 1;
            p.unit_id = 900;
            p.stage = "ok";
            p.data_scope = "all";
            p.permissions = std::move(permissions);
            req.principal = p;
        }
        return server::dispatch(router, "", req);
    }
    static nlohmann::json parse(const server::Response& r) { return nlohmann::json::parse(r.body); }
    // SQL as the database owner: fixture steps the product may not take.
    void exec(const std::string& sql) {
        pqxx::connection c(db.url());
        pqxx::work tx(c);
        tx.exec(sql);
        tx.commit();
    }
    // Runs and confirms a draw of body; its id.
    long long confirmed_draw(const std::string& body = draw_body()) {
        auto r = call("POST", "/api/draws", body);
        EXPECT_EQ(r.status, 201) << r.body;
        const long long id = parse(r)["id"].get<long long>();
        // The 监督人员 (user 7801 of the draw city, not the drawer) enters the witness value.
        r = call("POST", "/api/draws/" + std::to_string(id) + "/witness",
                 R"({"witness":"00112233445566778899aabbccddeeff"})", true, 7801);
        EXPECT_EQ(r.status, 200) << r.body;
        r = call("PUT", "/api/draws-password", R"({"login_password":"Login@2026pw","draw_password":"Draw#2026"})");
        EXPECT_EQ(r.status, 200) << r.body;
        r = call("POST", "/api/draws/" + std::to_string(id) + "/confirm", R"({"password":"Draw#2026"})");
        EXPECT_EQ(r.status, 200) << r.body;
        return id;
    }
    // The draw of a committed attempt (POST /api/draws answered 201) after its 监督人员
    // (user 7801) entered the witness value: GET /api/draws/{id}, revealed.
    server::Response witnessed(const server::Response& committed) {
        EXPECT_EQ(committed.status, 201) << committed.body;
        if (committed.status != 201) return committed;
        const std::string id = std::to_string(parse(committed)["id"].get<long long>());
        auto r = call("POST", "/api/draws/" + id + "/witness", R"({"witness":"00112233445566778899aabbccddeeff"})",
                      true, 7801);
        EXPECT_EQ(r.status, 200) << r.body;
        return call("GET", "/api/draws/" + id);
    }
    // The drawer (77) gives up an attempt and the department head (7802) approves: the
    // drawer holds one attempt without a task at a time (issue 12 §3).
    void abandon(long long id) {
        auto r = call("POST", "/api/draws/" + std::to_string(id) + "/abandon", R"({"reason":"测试放弃"})");
        EXPECT_EQ(r.status, 200) << r.body;
        r = call("POST", "/api/draws/" + std::to_string(id) + "/abandon/approve", R"({"opinion":"同意"})", true, 7802,
                 {"draw.read", "draw.change.approve"});
        EXPECT_EQ(r.status, 200) << r.body;
    }
    // A PDF's text through pdftotext, without whitespace (common-pg.hpp).
    std::string pdf_text(const std::string& pdf_bytes) { return twindraw::testing::pdf_text(pdf_bytes, db.name()); }

    TempDatabase db;
    std::filesystem::path data_dir = std::filesystem::temp_directory_path() / ("twindraw-drawapi-" + db.name());
    std::unique_ptr<server::App> app;
    server::Router router;
};

}  // namespace twindraw::testing
