// The design document's per-scanner Prometheus metrics, in the host's
// registry. refresh() keeps the gauges current from a pool snapshot.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

#include "scanorch/sdk/types.h"

namespace scanorch::framework {

class CoreMetrics {
public:
    explicit CoreMetrics(prometheus::Registry& registry);

    void refresh(const std::vector<sdk::ScannerSnapshot>& scanners, std::uint64_t global_queued,
                 std::uint64_t dead_letter);
    /// Creates a scanner's labelled counters at zero (finished tasks by
    /// status, authentication failures by scan type) in a process that runs
    /// its worker, so its first event is an increase that rate()/increase()
    /// and the alert rules see, not a new series that starts at 1.
    void init_scanner(const std::string& scanner);
    void auth_failure(const std::string& scanner, const std::string& scan_type);
    void ttl_deletion(std::uint64_t n = 1);
    void task_finished(const std::string& scanner, const std::string& status);
    /// What housekeeping repaired: "requeued", "failed", "slot_freed".
    void reconciled(const std::string& action, std::uint64_t n);

private:
    prometheus::Family<prometheus::Gauge>& active_;
    prometheus::Family<prometheus::Gauge>& capacity_;
    prometheus::Family<prometheus::Gauge>& utilization_;
    prometheus::Family<prometheus::Gauge>& queue_depth_;
    prometheus::Family<prometheus::Gauge>& enabled_;
    prometheus::Family<prometheus::Gauge>& circuit_open_;
    prometheus::Gauge& global_depth_;
    prometheus::Gauge& dlq_depth_;
    prometheus::Family<prometheus::Counter>& auth_failures_;
    prometheus::Counter& ttl_deletions_;
    prometheus::Family<prometheus::Counter>& tasks_;
    prometheus::Family<prometheus::Counter>& reconciled_;
};

}  // namespace scanorch::framework
