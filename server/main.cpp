// twindraw: the command line. Thin: parses options and calls the layers.
#include "geo/error.hpp"
#include "geo/pg-migrate.hpp"
#include "server/app.hpp"
#include "server/cli-audit.hpp"
#include "server/cli-draw.hpp"
#include "server/change-listener.hpp"
#include "server/cli.hpp"
#include "server/tile-port.hpp"
#include "server/import-queue.hpp"
#include "server/notify-worker.hpp"
#include "server/http-server.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>

using namespace twindraw;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

int wait_for_stop_signal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

}  // namespace

int main(int argc, char** argv) {
    // Block the stop signals before any thread starts, so only sigwait sees them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    CLI::App cli{"TwinDraw 双随机、一公开监管平台"};
    cli.require_subcommand(1);
    std::string database = env_or("TWINDRAW_DATABASE_URL", "");
    cli.add_option("--database", database, "PostgreSQL 连接串（默认取 TWINDRAW_DATABASE_URL 或 libpq 环境变量）");

    auto* serve = cli.add_subcommand("serve", "启动 HTTP 服务");
    server::ServerOptions sopt;
    sopt.port = static_cast<std::uint16_t>(std::stoi(env_or("TWINDRAW_PORT", "8080")));
    sopt.web_dir = env_or("TWINDRAW_WEB_DIR", "web/dist");
    std::string data_dir = env_or("TWINDRAW_DATA_DIR", "var");
    size_t pool_size = 8;
    serve->add_option("--address", sopt.address, "监听地址")->capture_default_str();
    serve->add_option("--port", sopt.port, "监听端口（0 表示任选空闲端口）")->capture_default_str();
    serve->add_option("--threads", sopt.threads, "HTTP 工作线程数")->capture_default_str();
    serve->add_option("--web-dir", sopt.web_dir, "前端静态文件目录")->capture_default_str();
    serve->add_option("--data-dir", data_dir, "数据目录（上传文件等）")->capture_default_str();
    serve->add_option("--pool-size", pool_size, "数据库连接池大小")->capture_default_str();
    std::string trusted_proxies = env_or("TWINDRAW_TRUSTED_PROXIES", "");
    serve->add_option("--trusted-proxies", trusted_proxies,
                      "可信反向代理地址（逗号分隔；只采信这些地址发来的 X-Forwarded-For，登录限制按真实客户端地址计数）")
        ->capture_default_str();
    // The tile port (server/tile-port.hpp): cached map tiles from an epoll listener.
    int tile_port = -1;
    server::TilePortOptions tile_opt;
    serve->add_option("--tile-port", tile_port, "瓦片端口：另开端口快速提供已缓存的 /tiles/ 瓦片（0 表示任选空闲端口；不设则不开）")->check(CLI::Range(0, 65535));
    serve->add_option("--tile-threads", tile_opt.threads, "瓦片端口的事件循环线程数")->capture_default_str();
    server::AuthSettings auth;
    auth.sms_gateway_url = env_or("TWINDRAW_SMS_GATEWAY_URL", "");
    long long idle_minutes = 30, absolute_hours = 12;
    serve->add_flag("--cookie-secure", auth.cookie_secure, "会话 Cookie 加 Secure 属性（经 HTTPS 访问时）");
    serve->add_option("--sms-gateway-url", auth.sms_gateway_url, "短信网关地址（POST JSON {phone,text}）");
    serve->add_option("--session-idle-minutes", idle_minutes, "会话空闲超时（分钟）")->capture_default_str()->check(CLI::Range(1, 24 * 60));
    serve->add_option("--session-max-hours", absolute_hours, "会话最长有效期（小时）")->capture_default_str()->check(CLI::Range(1, 24 * 30));
    // Notifications by e-mail and SMS, sent from the outbox after commit (issue 4).
    notify::OutboxSettings outbox;
    outbox.smtp_url = env_or("TWINDRAW_SMTP_URL", "");
    outbox.smtp_from = env_or("TWINDRAW_SMTP_FROM", "twindraw@localhost");
    outbox.smtp_user = env_or("TWINDRAW_SMTP_USER", "");
    outbox.smtp_password = env_or("TWINDRAW_SMTP_PASSWORD", "");
    serve->add_option("--smtp-url", outbox.smtp_url, "邮件服务器（smtp://主机:端口 或 smtps://…；空则不发邮件）");
    serve->add_option("--smtp-from", outbox.smtp_from, "通知邮件的发件地址")->capture_default_str();
    serve->add_option("--smtp-user", outbox.smtp_user, "邮件服务器登录名（可选）");

    auto* migrate = cli.add_subcommand("migrate", "执行数据库迁移");
    cli::register_data_commands(cli);
    cli::register_audit_commands(cli);
    cli::register_draw_commands(cli);

    CLI11_PARSE(cli, argc, argv);

    try {
        if (*migrate) {
            pqxx::connection conn(database);
            auto applied = pg::migrate(conn, [](const pg::Migration& m) {
                std::cout << "已执行迁移 " << m.version << " " << m.name << std::endl;
            });
            std::cout << "数据库结构版本：" << pg::latest_version() << (applied.empty() ? "（已是最新）" : "") << std::endl;
            return 0;
        }
        if (*serve) {
            for (size_t start = 0; start <= trusted_proxies.size();) {
                size_t comma = trusted_proxies.find(',', start);
                if (comma == std::string::npos) comma = trusted_proxies.size();
                std::string a = trusted_proxies.substr(start, comma - start);
                a.erase(0, a.find_first_not_of(' '));
                a.erase(a.find_last_not_of(' ') + 1);
                if (!a.empty()) sopt.trusted_proxies.push_back(a);
                start = comma + 1;
            }
            pg::Pool pool(database, pool_size);
            server::ImportQueue imports(pool);
            server::App app{pool, sopt.web_dir, data_dir};
            app.imports = &imports;
            server::Router router;
            auth.sessions.idle = std::chrono::minutes(idle_minutes);
            auth.sessions.absolute = std::chrono::hours(absolute_hours);
            app.auth = auth;
            server::register_all(router, app);
            sopt.authenticator = app.authenticator.get();
            outbox.sms_gateway_url = auth.sms_gateway_url;
            server::OutboxWorker outbox_worker(pool, outbox, std::chrono::seconds(5));
            // Keeps the session cache and the tile expiry check fresh (migration 0028).
            server::ChangeListener changes(database, app.signals);
            changes.wait_listening(std::chrono::seconds(5));
            // The tile port opens first, so that the pages hear of it (app.tile_port) from
            // the first request on the main port.
            std::unique_ptr<server::TilePort> tiles_port;
            if (tile_port >= 0) {
                tile_opt.address = sopt.address;
                tile_opt.port = static_cast<std::uint16_t>(tile_port);
                tile_opt.web_dir = sopt.web_dir;
                tile_opt.workers = std::max(1, sopt.threads);
                tiles_port = std::make_unique<server::TilePort>(router, app, tile_opt);
                tiles_port->start();
                app.tile_port = tiles_port->port();
            }
            server::HttpServer http(router, sopt);
            http.start();
            nlohmann::json up = {{"level", "info"}, {"msg", "listening"}, {"address", sopt.address},
                                 {"port", http.port()}, {"database", pg::redact_url(database)}};
            if (tiles_port) up["tile_port"] = tiles_port->port();
            std::cerr << up.dump() << std::endl;
            int sig = wait_for_stop_signal();
            std::cerr << nlohmann::json({{"level", "info"}, {"msg", "stopping"}, {"signal", sig}}).dump() << std::endl;
            if (tiles_port) tiles_port->stop();
            http.stop();
            return 0;
        }
        if (int rc = cli::run_audit_commands(database); rc >= 0) return rc;
        if (int rc = cli::run_draw_commands(database); rc >= 0) return rc;
        return cli::run_data_commands(database) < 0 ? 2 : 0;
    } catch (const Error& e) {
        std::cerr << "错误：" << e.message() << "（" << e.code() << "）" << std::endl;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "错误：" << e.what() << std::endl;
        return 1;
    }
}
