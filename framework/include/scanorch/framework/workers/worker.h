// A worker serves exactly one scanner instance: it claims tasks atomically
// (scanner queue first, then global; never past max_concurrent_scans), and
// runs each to the end on its own thread:
//   create -> launch -> poll -> export -> validate -> completed
//   or failed -> dead-letter queue.
// Transient errors are retried (1 s, 2 s, 4 s by default); consecutive
// scanner failures open the scanner's circuit for a while, then one trial
// scan (half-open) decides. Validation and authentication verdicts are not
// scanner failures. Dispatch is event-driven (the queue wakes the worker
// when a task arrives or a slot frees). stop() stops claiming and hands
// running tasks back to the head of their queue with their scanner-side
// scan id, so whoever claims them next resumes the same scan. The slot is
// released on every path.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/tasks/credential_sealer.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/queue.h"
#include "scanorch/sdk/scanner.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

struct WorkerOptions {
    std::int64_t lease_ms = 60'000;
    std::int64_t poll_ms = 2'000;          ///< scan status polling
    std::int64_t retry_base_ms = 1'000;    ///< retries wait base, 2x base, 4x base
    int retries = 3;
    std::uint32_t circuit_failures = 5;    ///< consecutive failures that open the circuit
    std::int64_t circuit_open_ms = 300'000;
    bool delete_scans = true;              ///< remove finished scans from the scanner
};

class Worker {
public:
    Worker(ScannerConfig scanner, std::shared_ptr<sdk::Scanner> plugin, std::shared_ptr<sdk::Queue> queue,
           std::shared_ptr<sdk::Validator> validator, std::shared_ptr<TaskStore> store,
           std::shared_ptr<CredentialSealer> sealer, std::shared_ptr<CoreMetrics> metrics, WorkerOptions options);
    ~Worker();

    void start();
    /// Stops claiming, hands unfinished tasks back, joins every thread.
    void stop();

    std::uint32_t active() const { return active_.load(); }

private:
    struct Job;
    void dispatch_loop();
    void run(sdk::Claim claim);
    // Runs one task; returns normally whatever happens to the task.
    void execute(sdk::Claim& claim);
    template <class F>
    auto with_retry(const std::string& what, F&& f) -> decltype(f());
    bool sleep_for(std::int64_t ms);  ///< false when stopping
    void record_scanner_outcome(bool failed);
    bool circuit_allows();
    void finish(sdk::Claim& claim, const std::string& status, const std::string& error, const std::string& error_kind);

    ScannerConfig scanner_;
    std::shared_ptr<sdk::Scanner> plugin_;
    std::shared_ptr<sdk::Queue> queue_;
    std::shared_ptr<sdk::Validator> validator_;
    std::shared_ptr<TaskStore> store_;
    std::shared_ptr<CredentialSealer> sealer_;
    std::shared_ptr<CoreMetrics> metrics_;
    WorkerOptions opt_;

    std::atomic<bool> stopping_{false};
    std::atomic<std::uint32_t> active_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread dispatcher_;
    std::map<std::string, std::thread> jobs_;  ///< by task id
    std::vector<std::thread> finished_;        ///< joined by the dispatcher
};

/// The queue payload of a task: what a worker needs to create the scan.
std::string make_payload(const TaskRecord& task, const std::string& sealed_credentials);

}  // namespace scanorch::framework
