// What a process-local queue (memory-queue) holds, read from the task store:
// the answer to scanorch_host_api::local_queue_tasks. Such a queue keeps
// nothing of its own across a restart; the store does.
#pragma once

#include <optional>
#include <string>

#include "scanorch/framework/tasks/task_store.h"

namespace scanorch::framework {

/// The JSON array abi.h describes: every queued and running task, and every
/// failed task still in the dead-letter queue, with its sealed payload.
/// nullopt when the store cannot be read now.
std::optional<std::string> local_queue_tasks(const TaskStore& store);

}  // namespace scanorch::framework
