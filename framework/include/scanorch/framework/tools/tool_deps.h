// What the tool layer works with: the pool, the queue backend, the router,
// the task store, the sealer, the scope, metrics. Shared by its parts.
#pragma once

#include <cstdint>
#include <memory>

#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/framework/tasks/credential_sealer.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/tools/scope_policy.h"
#include "scanorch/framework/tools/submission_rate.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/store.h"

namespace prometheus {
class Registry;
}

namespace scanorch::framework {

struct ToolServiceDeps {
    std::shared_ptr<ScannerPool> pool;
    std::shared_ptr<sdk::QueueBackend> queue;
    std::shared_ptr<sdk::Router> router;
    std::shared_ptr<TaskStore> store;
    /// The store plugin's database: get_scan_results, search_findings and
    /// compare_scans read its task table and findings index. Filled in by
    /// the orchestrator; null = no store, and those tools answer with an
    /// error saying so.
    std::shared_ptr<sdk::Store> db;
    std::shared_ptr<CredentialSealer> sealer;
    std::shared_ptr<CoreMetrics> metrics;
    std::shared_ptr<prometheus::Registry> registry;
    /// Targets scans may touch; an empty policy refuses every scan.
    std::shared_ptr<const ScopePolicy> scope;
    /// Per-client submission rates; null = none configured.
    std::shared_ptr<const SubmissionRate> rate;
    std::int64_t idempotency_ttl_ms = 24 * 3600 * 1000;
};

}  // namespace scanorch::framework
