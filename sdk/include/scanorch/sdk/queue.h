// The task half of the `queue` plugin kind: where tasks wait and who runs
// what. A queue backend implements it together with DeadLetters
// (dead_letters.h) and SharedState (shared_state.h), as one QueueBackend
// (queue_backend.h). Each concern has its own header and contract; like
// every SDK interface they grow between majors only through extension().
//
// THE CONTRACT (the shared contract test suite checks it for every backend):
// - One FIFO per scanner plus one global FIFO.
// - claim() is ONE atomic step: take the head of the scanner's queue (else of
//   the global queue), add its id to the scanner's running set, and start a
//   lease, only while the running set is smaller than max_concurrent. No
//   scanner can ever exceed its limit, whatever the number of processes.
// - A lease that is not renewed lapses; reclaim_expired() then returns the
//   task to the HEAD of the queue it came from and frees the slot. A task is
//   never lost and never held by two workers at once.
// - complete(), release() and DeadLetters::dead_letter() free the slot; they
//   fail with not_found when the lease is no longer the caller's (it lapsed
//   and the task was reclaimed), so a late worker cannot free someone else's
//   slot.
// - Backends must be safe to call from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE Queue {
public:
    virtual ~Queue() = default;

    /// Backend reachable (for /ready). transient when not.
    virtual Result<void> ping() noexcept = 0;

    // --- tasks -------------------------------------------------------------

    /// Appends to task.scanner_id's queue (empty = global); returns the
    /// 1-based position in that queue. Wakes waiting workers.
    virtual Result<std::uint64_t> enqueue(const QueueTask& task) noexcept = 0;

    /// Puts a task back at the HEAD of its queue (hand-back on shutdown, or a
    /// retry that must keep its turn).
    virtual Result<void> enqueue_front(const QueueTask& task) noexcept = 0;

    /// The atomic claim described above; nullopt when the scanner is full or
    /// both queues are empty.
    virtual Result<std::optional<Claim>> claim(const std::string& scanner_id, std::uint32_t max_concurrent,
                                               std::int64_t lease_ms) noexcept = 0;

    /// Blocks up to timeout_ms until work may be claimable for the scanner
    /// (a task arrived or a slot was freed); true if woken, false on timeout.
    /// Spurious wake-ups are allowed: callers just try claim() again.
    virtual Result<bool> wait_for_work(const std::string& scanner_id, std::int64_t timeout_ms) noexcept = 0;

    /// Wakes at least one worker waiting in wait_for_work() for the scanner,
    /// in any process (e.g. when the host closed its circuit breaker); a
    /// woken worker that finds nothing claims nothing and waits again.
    virtual Result<void> wake(const std::string& scanner_id) noexcept = 0;

    /// Extends the lease to now + lease_ms; updates claim.lease_expires_at_ms.
    virtual Result<void> renew(Claim& claim, std::int64_t lease_ms) noexcept = 0;

    /// Done (either way): frees the slot and drops the lease.
    virtual Result<void> complete(const Claim& claim) noexcept = 0;

    /// Hands the task back to the head of the queue it came from, with its
    /// payload replaced by `payload` (e.g. to record the scanner's scan id).
    virtual Result<void> release(const Claim& claim, const std::string& payload) noexcept = 0;

    /// Returns every task whose lease lapsed to the head of its queue and
    /// frees its slot. Returns the tasks it moved. Safe to call from many
    /// processes at once.
    virtual Result<std::vector<QueueTask>> reclaim_expired() noexcept = 0;

    /// Removes a task that is still waiting (cancel); false if it was not queued.
    virtual Result<bool> remove(const std::string& task_id) noexcept = 0;

    /// 1-based position of a waiting task in its queue; nullopt if not queued.
    virtual Result<std::optional<std::uint64_t>> position(const std::string& task_id) noexcept = 0;

    /// Task ids holding a slot on the scanner.
    virtual Result<std::vector<std::string>> running(const std::string& scanner_id) noexcept = 0;

    /// Waiting tasks of one queue (empty scanner_id = global), head first.
    virtual Result<std::vector<QueueTask>> list(const std::string& scanner_id, std::uint64_t offset,
                                                std::uint64_t limit) noexcept = 0;

    virtual Result<QueueDepths> depths(const std::vector<std::string>& scanner_ids) noexcept = 0;
};

}  // namespace scanorch::sdk
