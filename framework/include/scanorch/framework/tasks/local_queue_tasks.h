// What a process-local queue (memory-queue) holds, read from the task store:
// the answer to scanorch_host_api::local_queue_tasks. Such a queue keeps
// nothing of its own across a restart; the store does.
//
// The queue asks every few seconds, and nearly always for tasks it already
// holds: each answer reads the rows' small list views and their revisions,
// and reads a task's whole row (its document, for the error, and its sealed
// payload) only when this process has not handed that revision out before —
// a task the queue lacks, or one that changed since. The rest comes from
// what the previous answers read. Memory: the error and payload of every
// unfinished or dead-lettered task, as much as the queue itself holds.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "scanorch/framework/tasks/task_store.h"

namespace scanorch::framework {

class LocalQueueTasks {
public:
    explicit LocalQueueTasks(std::weak_ptr<const TaskStore> store) : store_(std::move(store)) {}

    /// The JSON array abi.h describes: every queued and running task, and
    /// every failed task still in the dead-letter queue, with its sealed
    /// payload. nullopt when the store cannot be read now (or is gone).
    /// Thread-safe.
    std::optional<std::string> read();

private:
    struct Handed {
        std::uint64_t revision = 0;
        std::string error;
        std::string payload;
    };

    std::weak_ptr<const TaskStore> store_;
    std::mutex mu_;
    std::unordered_map<std::string, Handed> handed_;  ///< by task id, as of the last answer
};

}  // namespace scanorch::framework
