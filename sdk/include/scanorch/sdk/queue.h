// The `queue` plugin kind: where tasks wait, who runs what, and the small
// shared state that every API and worker process must agree on.
//
// THE CONTRACT (the shared contract test suite checks it for every backend):
// - One FIFO per scanner plus one global FIFO, and a dead-letter queue.
// - claim() is ONE atomic step: take the head of the scanner's queue (else of
//   the global queue), add its id to the scanner's running set, and start a
//   lease, only while the running set is smaller than max_concurrent. No
//   scanner can ever exceed its limit, whatever the number of processes.
// - A lease that is not renewed lapses; reclaim_expired() then returns the
//   task to the HEAD of the queue it came from and frees the slot. A task is
//   never lost and never held by two workers at once.
// - complete(), release() and dead_letter() free the slot; they fail with
//   not_found when the lease is no longer the caller's (it lapsed and the
//   task was reclaimed), so a late worker cannot free someone else's slot.
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
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_QUEUE;
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
    virtual Result<std::optional<Claim>> claim(const std::string& scanner_id,
                                               std::uint32_t max_concurrent,
                                               std::int64_t lease_ms) noexcept = 0;

    /// Blocks up to timeout_ms until work may be claimable for the scanner
    /// (a task arrived or a slot was freed); true if woken, false on timeout.
    /// Spurious wake-ups are allowed: callers just try claim() again.
    virtual Result<bool> wait_for_work(const std::string& scanner_id,
                                       std::int64_t timeout_ms) noexcept = 0;

    /// Extends the lease to now + lease_ms; updates claim.lease_expires_at_ms.
    virtual Result<void> renew(Claim& claim, std::int64_t lease_ms) noexcept = 0;

    /// Done (either way): frees the slot and drops the lease.
    virtual Result<void> complete(const Claim& claim) noexcept = 0;

    /// Hands the task back to the head of the queue it came from, with its
    /// payload replaced by `payload` (e.g. to record the scanner's scan id).
    virtual Result<void> release(const Claim& claim, const std::string& payload) noexcept = 0;

    /// Frees the slot and moves the task to the dead-letter queue.
    virtual Result<void> dead_letter(const Claim& claim, const std::string& reason) noexcept = 0;

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

    // --- dead-letter queue -------------------------------------------------

    /// Newest first.
    virtual Result<std::vector<DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept = 0;
    virtual Result<std::optional<DlqEntry>> dlq_get(const std::string& task_id) noexcept = 0;
    /// Removes one entry (the host re-enqueues it for a retry); false if absent.
    virtual Result<bool> dlq_remove(const std::string& task_id) noexcept = 0;
    /// Removes all entries; returns how many.
    virtual Result<std::uint64_t> dlq_purge() noexcept = 0;

    // --- shared state --------------------------------------------------------

    virtual Result<CircuitInfo> circuit(const std::string& scanner_id) noexcept = 0;
    virtual Result<void> set_circuit(const std::string& scanner_id, const CircuitInfo& info) noexcept = 0;

    /// Small shared key/value store for coordination: idempotency keys,
    /// "one process at a time" locks, observed scan durations. ttl_ms 0 =
    /// no expiry. Keys are namespaced by the backend's prefix.
    virtual Result<std::optional<std::string>> kv_get(const std::string& key) noexcept = 0;
    virtual Result<void> kv_set(const std::string& key, const std::string& value,
                                std::int64_t ttl_ms) noexcept = 0;
    /// Sets only if absent. Returns nullopt when it was set, else the value
    /// already there (the caller lost the race).
    virtual Result<std::optional<std::string>> kv_set_if_absent(const std::string& key,
                                                                const std::string& value,
                                                                std::int64_t ttl_ms) noexcept = 0;
    /// Deletes only if the value equals `expected` (releasing a lock one
    /// holds); true if deleted.
    virtual Result<bool> kv_delete_if(const std::string& key, const std::string& expected) noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
