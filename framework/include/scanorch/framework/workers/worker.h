// A worker serves exactly one scanner instance. It claims tasks atomically
// (scanner queue first, then global; never past max_concurrent_scans) and
// runs each on a thread of its own as a TaskRun (task_run.h), taken from the
// process's ThreadCache. A heartbeat thread
// renews the lease (and client slot) of every task it holds every third of
// a lease, whatever step each run is in, so a slow export or validation
// never loses its task. A task it claims again while still running it (its
// lease lapsed while the backend was away) is adopted by that run under the
// new lease: a worker never runs one task twice.
//
// Dispatch is event-driven (the queue wakes the worker when a task arrives
// or a slot frees); an idle worker only waits, so an idle pool of hundreds
// costs the queue backend one blocking wait per worker per second. stop() stops claiming and makes every run hand its
// task back: to the head of this scanner's queue when its scan runs here, else to the queue it came from.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "scanorch/framework/workers/circuit_breaker.h"
#include "scanorch/framework/workers/held_task.h"
#include "scanorch/framework/workers/task_run.h"

namespace scanorch::framework {

class Worker {
public:
    explicit Worker(WorkerDeps deps);
    ~Worker();

    void start();
    /// Stops claiming, hands unfinished tasks back, waits for every run to
    /// end and joins the worker's own threads.
    void stop();
    /// Tells the worker to stop without waiting for it: stopping a pool of
    /// hundreds calls this on all first, so their blocking waits for work
    /// end together rather than one after another in stop().
    void request_stop();

    std::uint32_t active() const { return active_.load(); }

private:
    struct Job {
        std::shared_ptr<HeldTask> held;
        std::shared_ptr<HeldTask> next;  ///< claimed again after the run chose its ending; renewed too
    };

    void dispatch_loop();
    void heartbeat_loop();
    /// Starts a run for the claim (or hands it to the run it belongs to);
    /// false when it could not and the claim went back to the queue.
    bool accept(sdk::Claim claim);
    void run_job(const sdk::Claim& claim);
    /// Scanner slots this worker's claims hold: a run whose scan ended gave
    /// its slot back (HeldTask::vacate) though it goes on. Under mu_.
    std::uint32_t slots_held_locked() const;
    bool has_room();
    bool sleep_for(std::int64_t ms);  ///< false when stopping

    WorkerDeps d_;
    CircuitBreaker circuit_;

    std::atomic<bool> stopping_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint32_t> active_{0};
    std::mutex mu_;
    std::condition_variable cv_;  ///< jobs_ changed, or stopping
    // Runs sleep between polls on their own condition: a run ending (cv_)
    // must not wake every other run of the worker only to sleep again.
    std::mutex sleep_mu_;
    std::condition_variable sleep_cv_;  ///< stopping
    std::thread dispatcher_;
    std::thread heartbeat_;
    /// Listings of the scanner's scans shared by the runs (scan_board.h);
    /// null when the scanner offers none: each run polls its own scan.
    std::unique_ptr<ScanBoard> board_;
    /// The queue backend's SlotVacate (ABI 2.2); null: a run keeps its slot to its end.
    sdk::SlotVacate* vacate_ = nullptr;
    std::map<std::string, Job> jobs_;  ///< by task id: one entry per run, gone when the run has ended
};

}  // namespace scanorch::framework
