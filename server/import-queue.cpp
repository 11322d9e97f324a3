#include "server/import-queue.hpp"

#include <filesystem>
#include <iostream>

namespace twindraw::server {

ImportQueue::ImportQueue(pg::Pool& pool) : pool_(pool), worker_([this] { work(); }) {}

ImportQueue::~ImportQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

void ImportQueue::submit(long long job_id, std::string path, import::ImportOptions options) {
    {
        std::lock_guard lock(mutex_);
        std::optional<pg::Actor> actor;
        if (const pg::Actor* a = pg::current_actor()) actor = *a;
        queue_.push_back({job_id, std::move(path), std::move(options), std::move(actor)});
    }
    wake_.notify_one();
}

void ImportQueue::work() {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            item = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            std::optional<pg::ActorScope> as_importer;
            if (item.actor) as_importer.emplace(*item.actor);
            import::run_job(pool_, item.id, item.path, item.options);
        } catch (const std::exception& e) {
            // The job row carries the user-facing outcome; the detail goes to the log.
            std::cerr << nlohmann::json({{"level", "warn"}, {"msg", "import failed"}, {"job", item.id}, {"what", e.what()}})
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                      << std::endl;
        }
        std::error_code ec;
        std::filesystem::remove(item.path, ec);
    }
}

}  // namespace twindraw::server
