// Submitting a scan: parse -> authorize (scope, credentials, the client's
// cap) -> route -> persist + enqueue, under an idempotency guard that owns its
// key and gives it up on every path that queues nothing. Also the re-queue
// of an existing task (a dead-letter retry), which routes it again.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "scanorch/framework/tasks/task.h"
#include "scanorch/framework/tools/tool_deps.h"
#include "scanorch/sdk/targets.h"

namespace scanorch::framework {

/// Where a task was queued and when it may start.
struct Placement {
    std::string queue;             ///< scanner id, "" = global
    std::string scanner_instance;  ///< expected scanner, when known
    std::uint64_t position = 0;
    std::int64_t estimated_wait_s = 0;
    std::string reason;
};

class Submission {
public:
    explicit Submission(const ToolServiceDeps& deps) : d_(deps) {}

    sdk::Result<Poco::JSON::Object::Ptr> submit(sdk::ScanType type, const Poco::JSON::Object::Ptr& args,
                                                const sdk::CallContext& caller);

    /// A failed task queued again from nothing (dead-letter retry): the run's
    /// results forgotten, the scope checked again, routed again. not_found
    /// when the task's record is gone.
    sdk::Result<Placement> retry(const std::string& task_id, const std::string& payload);

    /// The slots a queue's tasks may run in, and how many are free, in one
    /// view of the pool.
    struct Room {
        std::uint64_t capacity = 0;
        std::uint64_t free = 0;
    };
    static Room room_for(const std::string& queue, const std::vector<sdk::ScannerSnapshot>& snapshot);
    /// Seconds until a task at `position` of `queue` may start.
    std::int64_t estimated_wait_s(const std::string& queue, std::uint64_t position, Room room) const;

private:
    struct Routed {
        sdk::RouteDecision decision;
        Room room;  ///< of the queue decided on, as the view routed on saw it
    };
    sdk::Result<Routed> route(const TaskRecord& t, const std::vector<sdk::targets::Target>& wanted) const;
    sdk::Result<void> check_scope(const std::vector<sdk::targets::Target>& wanted, const sdk::CallContext& c) const;
    Poco::JSON::Object::Ptr existing_answer(const TaskRecord& first) const;
    /// The observed average scan time of a queue (the workers keep it in
    /// the queue backend), read at most once a second per queue: it moves
    /// slowly, and a read per submission was a round trip of its own.
    std::int64_t average_scan_ms(const std::string& queue) const;

    const ToolServiceDeps& d_;
    struct Average {
        std::int64_t ms = 0;
        std::chrono::steady_clock::time_point read_at;
    };
    mutable std::mutex averages_mu_;
    mutable std::unordered_map<std::string, Average> averages_;  ///< one per queue name: bounded by the pool
};

}  // namespace scanorch::framework
