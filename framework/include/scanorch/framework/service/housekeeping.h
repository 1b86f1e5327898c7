// Housekeeping, one process at a time across the deployment (a lock in the
// queue backend's shared state):
// - TTL: finished tasks not read for ttl_seconds are removed with their
//   findings (and each process removes its own export files of them);
// - queue wait: a task that never started and waited past
//   max_queue_wait_seconds fails with that reason;
// - reconciliation: the task store is the truth about which tasks exist, the
//   queue backend about who holds them. A task that is not finished but that
//   the backend neither queues nor leases (lost in a Redis restart without
//   persistence, or a crash between two steps) is queued again — to the
//   scanner that owns its scan, if it has one — after a grace period that
//   covers every legitimate moment between a record write and a queue
//   operation. Client slots naming tasks that have ended are freed.
#pragma once

#include <cstdint>
#include <memory>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/queue_backend.h"

namespace scanorch::framework {

struct HousekeepingReport {
    std::uint64_t removed = 0;        ///< by TTL
    std::uint64_t expired = 0;        ///< failed after max_queue_wait
    std::uint64_t requeued = 0;       ///< lost by the backend, queued again
    std::uint64_t slots_freed = 0;    ///< client slots of ended tasks
    std::uint64_t exports_swept = 0;  ///< this process's export directories of removed tasks
    bool ran = false;                 ///< false when another process held the lock
};

class Housekeeping {
public:
    Housekeeping(HousekeepingSettings settings, std::int64_t lease_ms, std::shared_ptr<sdk::QueueBackend> queue,
                 std::shared_ptr<TaskStore> store, std::shared_ptr<ScannerPool> pool,
                 std::shared_ptr<CoreMetrics> metrics);

    HousekeepingReport pass();

private:
    void reconcile(const TaskRecord& t, const std::string& payload, const std::vector<std::string>& held,
                   HousekeepingReport& report);
    void free_client_slots(const std::map<std::string, std::uint32_t>& caps, HousekeepingReport& report);

    HousekeepingSettings h_;
    std::int64_t grace_ms_;
    std::shared_ptr<sdk::QueueBackend> queue_;
    std::shared_ptr<TaskStore> store_;
    std::shared_ptr<ScannerPool> pool_;
    std::shared_ptr<CoreMetrics> metrics_;
};

}  // namespace scanorch::framework
