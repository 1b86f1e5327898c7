// One run of one task on one scanner, as steps:
//
//   take_over -> open_credentials -> wait_for_client_slot -> ensure_scan
//             -> await_scan -> export -> validate -> finish
//
// Each step returns the next step or an ending: completed, failed (with a
// FailureKind), cancelled, handed back (the worker is stopping), moved to the
// scanner that owns the task's scan, or lost (the lease passed to another
// worker). Stop, cancel and a lost lease are checked in one place
// (checkpoint()); every write to the record is fenced by the lease
// (HeldTask::write). The lease itself is renewed by the worker's heartbeat,
// whatever step is running.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/runtime/late_job.h"
#include "scanorch/framework/runtime/thread_cache.h"
#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/tasks/credential_sealer.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/tools/scope_policy.h"
#include "scanorch/framework/workers/circuit_breaker.h"
#include "scanorch/framework/workers/held_task.h"
#include "scanorch/framework/workers/scan_board.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/scanner.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

struct WorkerOptions {
    std::int64_t lease_ms = 60'000;
    std::int64_t poll_ms = 2'000;        ///< scan status polling
    std::int64_t progress_write_ms = 0;  ///< progress recorded at most this often (0: every change)
    /// A run waiting on the scan board checks for a cancel (and a lost
    /// lease) at least this often; without the board, at every poll.
    std::int64_t cancel_check_ms = 5'000;
    std::int64_t retry_base_ms = 1'000;  ///< retries wait base, 2x base, 4x base
    int retries = 3;
    std::uint32_t circuit_failures = 5;  ///< consecutive failures that open the circuit
    std::int64_t circuit_open_ms = 300'000;
    bool delete_scans = true;  ///< remove finished scans from the scanner
    /// When the workers of this process last returned lapsed leases: the
    /// reclaim covers every scanner, so one worker per process does it every
    /// few seconds, not each of them. Null: each worker keeps its own.
    std::shared_ptr<std::atomic<std::int64_t>> last_reclaim_ms;
};

/// What every run of one worker shares.
struct WorkerDeps {
    ScannerConfig scanner;
    std::shared_ptr<sdk::Scanner> plugin;
    std::shared_ptr<sdk::QueueBackend> queue;
    std::shared_ptr<sdk::Validator> validator;  ///< null: exports are not checked
    std::uint32_t validator_abi_minor = 0;      ///< what the validator plugin may be asked (findings from 1.3)
    std::shared_ptr<TaskStore> store;
    std::shared_ptr<CredentialSealer> sealer;
    std::shared_ptr<CoreMetrics> metrics;
    std::shared_ptr<const ScannersConfig> pool;  ///< every scanner, to find who owns a scan
    std::shared_ptr<const ScopePolicy> scope;    ///< checked again when a scan starts; null = not checked
    WorkerOptions options;
    /// Runs each claimed task; shared by the process's workers so a thread
    /// that ran one scanner's scan runs the next of any. Null: the worker
    /// keeps its own.
    std::shared_ptr<ThreadCache> threads;
    /// Waits out the delay of each run's late writes (the `exporting`
    /// phase of a slow export). Null: the worker keeps its own.
    std::shared_ptr<LateJobs> late_jobs;
    std::uint32_t scanner_abi_minor = 0;  ///< what the scanner plugin may be asked (its scan list from 2.1)
    std::uint32_t queue_abi_minor = 0;    ///< what the queue plugin may be asked (slots given back from 2.2)
};

/// Sleeps up to ms; returns false when the worker is stopping. Shared by
/// every run so a stop wakes them all.
using Sleeper = std::function<bool(std::int64_t ms)>;

class TaskRun {
public:
    /// `board`: the worker's listings of its scanner's scans; null: every
    /// run polls its own scan each poll interval. `free_slot`: gives the
    /// scanner slot back (HeldTask::vacate), called when what follows the
    /// scan's end (export, validation, the ending) is still going two
    /// seconds on, so the scanner's next scan need not wait for a slow
    /// export; empty: the slot goes with the task's ending.
    TaskRun(const WorkerDeps& deps, CircuitBreaker& circuit, const std::atomic<bool>& stopping, Sleeper sleep,
            std::shared_ptr<HeldTask> held, ScanBoard* board = nullptr, std::function<void()> free_slot = {});

    /// Runs the task to one of its endings; never throws.
    void run() noexcept;

private:
    enum class Step { open_credentials, wait_for_client_slot, ensure_scan, await_scan, export_results, validate };
    struct Failed {
        FailureKind kind;
        std::string message;
        bool scanner_fault;
    };
    struct Completed {};
    struct Cancelled {};
    struct HandedBack {
        /// False when take_over() could not write the record: it never
        /// carried this claim's token, so the hand-back releases the claim
        /// without writing (a fenced write would read as a lost lease).
        bool record_taken_over = true;
    };
    struct MoveToOwner {};
    struct Lost {};
    using Ending = std::variant<Completed, Failed, Cancelled, HandedBack, MoveToOwner, Lost>;
    using Next = std::variant<Step, Ending>;

    Next take_over();
    Next open_credentials();
    Next wait_for_client_slot();
    Next ensure_scan();
    Next await_scan();
    Next export_results();
    Next validate();
    Next step(Step s);

    /// Stop, lost lease or cancel, in that order; nullopt to go on.
    std::optional<Ending> checkpoint();
    /// The ending a fenced write implies, or nullopt when it was written.
    std::optional<Ending> after_write(WriteOutcome w);
    WriteOutcome write(const std::function<bool(TaskRecord&)>& change);
    Ending fail(sdk::Error e, bool scanner_fault);

    template <class F>
    auto with_retry(const char* what, F&& f) -> decltype(f());

    void conclude(const Ending& e);
    void complete();
    void fail_task(const Failed& f);
    void record_results(TaskRecord& t) const;
    void record_progress(TaskRecord& t) const;
    void cancel();
    void hand_back(const HandedBack& how);
    void move_to_owner();
    void forget_scan();  ///< stops and deletes this run's scan on the scanner
    void record_duration();
    void watch_scan();  ///< on the board, if there is one, from here on

    const WorkerDeps& d_;
    CircuitBreaker& circuit_;
    const std::atomic<bool>& stopping_;
    Sleeper sleep_;
    std::shared_ptr<HeldTask> held_;
    const std::string id_;

    TaskRecord task_;           ///< as of the last write or take-over
    sdk::ScanRequest request_;  ///< credentials only until the scan is created
    ScanRef scan_;              ///< the scan this run created or resumed
    std::string export_path_;
    bool export_unrecorded_ = false;    ///< exported, but the path goes with the ending
    bool progress_unrecorded_ = false;  ///< the last poll's progress goes with the next write
    int polled_progress_ = -1;          ///< the scanner's last answer, recorded or not
    std::optional<sdk::ValidationResult> verdict_;
    ScanBoard* board_;
    const std::function<void()> free_slot_;
    std::optional<LateJob> slot_job_;  ///< frees the slot if the scan's aftermath is slow; settled before the ending
    bool resumed_ = false;             ///< the scan was made by an earlier run
    std::unique_ptr<ScanBoard::Watch> watch_;
};

}  // namespace scanorch::framework
