// Runs uploaded imports one at a time on a worker thread, so the upload request
// answers at once (202) and the page polls the job's progress.
#pragma once

#include "geo/pg.hpp"
#include "workflows/import-objects.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace twindraw::server {

class ImportQueue {
public:
    explicit ImportQueue(pg::Pool& pool);
    ~ImportQueue();  // finishes the running job, drops queued ones (they stay "queued")
    /// Takes ownership of the file at path (deleted after the run). The job runs as the
    /// thread's current actor (the importing user, with its data scope).
    void submit(long long job_id, std::string path, import::ImportOptions options);

private:
    struct Item {
        long long id;
        std::string path;
        import::ImportOptions options;
        std::optional<pg::Actor> actor;
    };
    void work();

    pg::Pool& pool_;
    std::deque<Item> queue_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace twindraw::server
