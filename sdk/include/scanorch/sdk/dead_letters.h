// The dead-letter half of the `queue` plugin kind: tasks that failed for
// good wait here for an operator (scanorchctl dlq, the DLQ tools) to retry
// or drop them. Implemented together with Queue as a QueueBackend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE DeadLetters {
public:
    virtual ~DeadLetters() = default;

    /// Frees the claim's slot and moves its task to the dead-letter queue,
    /// in one step; not_found when the lease is no longer the caller's
    /// (queue.h's contract).
    virtual Result<void> dead_letter(const Claim& claim, const std::string& reason) noexcept = 0;

    /// Newest first.
    virtual Result<std::vector<DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept = 0;
    virtual Result<std::optional<DlqEntry>> dlq_get(const std::string& task_id) noexcept = 0;
    /// Removes one entry (the host re-enqueues it for a retry); false if absent.
    virtual Result<bool> dlq_remove(const std::string& task_id) noexcept = 0;
    /// Removes all entries; returns how many.
    virtual Result<std::uint64_t> dlq_purge() noexcept = 0;
};

}  // namespace scanorch::sdk
