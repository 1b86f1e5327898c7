#include "scanorch/framework/service/core_metrics.h"

namespace scanorch::framework {

CoreMetrics::CoreMetrics(prometheus::Registry& r)
    : active_(prometheus::BuildGauge()
                  .Name("nessus_scanner_active_scans")
                  .Help("Scans running on each scanner")
                  .Register(r)),
      capacity_(prometheus::BuildGauge()
                    .Name("nessus_scanner_capacity")
                    .Help("max_concurrent_scans of each scanner")
                    .Register(r)),
      utilization_(prometheus::BuildGauge()
                       .Name("nessus_scanner_utilization_pct")
                       .Help("Running scans as a percentage of capacity")
                       .Register(r)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("nessus_scanner_queue_depth")
                       .Help("Tasks waiting in each scanner's queue")
                       .Register(r)),
      enabled_(
          prometheus::BuildGauge().Name("nessus_scanner_enabled").Help("1 when the scanner is enabled").Register(r)),
      circuit_open_(prometheus::BuildGauge()
                        .Name("nessus_scanner_circuit_breaker_open")
                        .Help("1 while the scanner's circuit breaker is open")
                        .Register(r)),
      global_depth_(prometheus::BuildGauge()
                        .Name("nessus_global_queue_depth")
                        .Help("Tasks in the global queue")
                        .Register(r)
                        .Add({})),
      dlq_depth_(prometheus::BuildGauge()
                     .Name("nessus_dead_letter_queue_depth")
                     .Help("Tasks in the dead-letter queue")
                     .Register(r)
                     .Add({})),
      auth_failures_(prometheus::BuildCounter()
                         .Name("nessus_auth_failures_total")
                         .Help("Trusted scans whose authentication failed")
                         .Register(r)),
      ttl_deletions_(prometheus::BuildCounter()
                         .Name("ttl_deletions_total")
                         .Help("Tasks removed by TTL housekeeping")
                         .Register(r)
                         .Add({})),
      tasks_(prometheus::BuildCounter()
                 .Name("scanorch_tasks_finished_total")
                 .Help("Tasks that ended, by scanner and status")
                 .Register(r)),
      reconciled_(
          prometheus::BuildCounter()
              .Name("scanorch_reconciled_tasks_total")
              .Help("Repairs by housekeeping: tasks the queue backend lost, re-queued or failed; client slots freed")
              .Register(r)) {
    for (const char* action : {"requeued", "failed", "slot_freed"}) reconciled_.Add({{"action", action}});
}

void CoreMetrics::refresh(const std::vector<sdk::ScannerSnapshot>& scanners, std::uint64_t global_queued,
                          std::uint64_t dead_letter) {
    for (const auto& s : scanners) {
        const prometheus::Labels l{{"scanner_instance", s.instance_id}};
        active_.Add(l).Set(s.running);
        capacity_.Add(l).Set(s.capacity);
        utilization_.Add(l).Set(s.capacity ? 100.0 * s.running / s.capacity : 0);
        queue_depth_.Add(l).Set(static_cast<double>(s.queued));
        enabled_.Add(l).Set(s.enabled ? 1 : 0);
        circuit_open_.Add(l).Set(s.circuit == sdk::CircuitState::open ? 1 : 0);
    }
    global_depth_.Set(static_cast<double>(global_queued));
    dlq_depth_.Set(static_cast<double>(dead_letter));
}

void CoreMetrics::init_scanner(const std::string& scanner) {
    for (const char* type : {"trusted_basic", "trusted_privileged"}) {
        auth_failures_.Add({{"scanner_instance", scanner}, {"scan_type", type}});
    }
    for (const char* status : {"completed", "failed", "cancelled"}) {
        tasks_.Add({{"scanner_instance", scanner}, {"status", status}});
    }
}

void CoreMetrics::auth_failure(const std::string& scanner, const std::string& scan_type) {
    auth_failures_.Add({{"scanner_instance", scanner}, {"scan_type", scan_type}}).Increment();
}

void CoreMetrics::ttl_deletion(std::uint64_t n) { ttl_deletions_.Increment(static_cast<double>(n)); }

void CoreMetrics::reconciled(const std::string& action, std::uint64_t n) {
    reconciled_.Add({{"action", action}}).Increment(static_cast<double>(n));
}

void CoreMetrics::task_finished(const std::string& scanner, const std::string& status) {
    tasks_.Add({{"scanner_instance", scanner}, {"status", status}}).Increment();
}

}  // namespace scanorch::framework
