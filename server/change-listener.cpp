#include "server/change-listener.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <functional>
#include <iostream>

namespace twindraw::server {

namespace {

class Receiver : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection_base& c, const std::string& channel, std::function<void()> act)
        : pqxx::notification_receiver(c, channel), act_(std::move(act)) {}
    void operator()(const std::string&, int) override { act_(); }

private:
    std::function<void()> act_;
};

void log(const char* level, const char* msg, const std::string& what = {}) {
    nlohmann::json line = {{"level", level}, {"msg", msg}};
    if (!what.empty()) line["what"] = what;
    std::cerr << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

}  // namespace

ChangeListener::ChangeListener(std::string database_url, std::shared_ptr<ChangeSignals> signals,
                               std::chrono::milliseconds poll)
    : url_(std::move(database_url)), signals_(std::move(signals)), poll_(poll) {
    thread_ = std::thread([this] { run(); });
}

ChangeListener::~ChangeListener() {
    stop_ = true;
    cv_.notify_all();
    thread_.join();
    signals_->set_listening(false);
}

bool ChangeListener::wait_listening(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return signals_->listening() || stop_.load(); }) &&
           signals_->listening();
}

void ChangeListener::run() {
    bool reported_failure = false;
    while (!stop_) {
        try {
            pqxx::connection conn(url_);
            // A silent reconnect would lose the notifications of the gap: fail instead,
            // so that the caches are bypassed until LISTEN is back (and then invalidated).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
            Receiver auth(conn, "twindraw_auth", [this] { signals_->auth_changed(); });
            bool tiles_notified = true;  // set_listening(true) below marks the tiles dirty
            Receiver tiles(conn, "twindraw_tile_dirty", [this, &tiles_notified] {
                signals_->tiles_changed();
                tiles_notified = true;
            });
            conn.get_notifs();  // LISTEN is sent when the receivers register
            {
                std::lock_guard lock(mutex_);
                signals_->set_listening(true);
            }
            cv_.notify_all();
            if (reported_failure) log("info", "change listener reconnected");
            reported_failure = false;
            auto last_poll = std::chrono::steady_clock::now();
            while (!stop_) {
                conn.await_notification(0, 200 * 1000);
                if (!conn.is_open()) throw pqxx::broken_connection("change listener connection closed");
                if (std::chrono::steady_clock::now() - last_poll >= poll_) {
                    signals_->tiles_changed();
                    tiles_notified = true;
                    last_poll = std::chrono::steady_clock::now();
                }
                // Consume the expiry queue here rather than in the next tile request.
                if (tiles_notified) {
                    tiles_notified = false;
                    signals_->expire_tiles();
                }
            }
            signals_->set_listening(false);
            return;
        } catch (const std::exception& e) {
            signals_->set_listening(false);
            if (!reported_failure) log("warn", "change listener lost its connection; caches bypassed", e.what());
            reported_failure = true;
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_.load(); });
    }
}

}  // namespace twindraw::server
