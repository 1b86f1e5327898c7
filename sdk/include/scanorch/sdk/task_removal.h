// An optional interface of a store's TaskTable (ABI 1.4), reached through
// TaskTable::extension(kStoreTaskRemoval): the TTL's delete, decided by the
// database at the moment it deletes. A host lists expired() tasks and then
// removes them one by one; a task retried, re-run or read in between must
// survive, and TaskTable::remove() cannot know that.
#pragma once

#include <cstdint>
#include <string>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE TaskRemoval {
public:
    virtual ~TaskRemoval() = default;
    /// Deletes the task and its findings, as remove() does, only if the row
    /// still meets expired()'s test against `idle_before_ms` (terminal, and
    /// last read, or never read and completed, before it), checked and
    /// deleted as one atomic step. false: the task is gone or no longer
    /// expired (nothing deleted). Same threading rules as TaskTable.
    virtual Result<bool> remove_if_expired(const std::string& task_id, std::int64_t idle_before_ms) noexcept = 0;
};

}  // namespace scanorch::sdk
