// An optional interface of a store's TaskTable (ABI 1.3), reached through
// TaskTable::extension(kStoreTaskStamps): what changed about a task, without
// reading it. A host that keeps decoded records answers a status poll of an
// unchanged task from memory after this one small read, instead of reading
// the whole row (its document and payload) each time.
#pragma once

#include <cstdint>
#include <string>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

/// A task row's version: revision moves on every update(), last_accessed_at
/// on touch(). Equal stamps mean an equal row.
struct TaskStamp {
    std::uint64_t revision = 0;
    std::int64_t last_accessed_at_ms = 0;
};

class SCANORCH_SDK_VISIBLE TaskStamps {
public:
    virtual ~TaskStamps() = default;
    /// not_found when the task is absent. Same threading rules as TaskTable.
    virtual Result<TaskStamp> stamp(const std::string& task_id) noexcept = 0;
};

}  // namespace scanorch::sdk
