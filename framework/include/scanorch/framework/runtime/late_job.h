// Jobs that run only if what they wait on is still going after a delay.
// A run records its `exporting` phase this way: most exports end within a
// second or two, and recording a phase that short is a durable write no
// reader ever sees; a slow one is still shown while it lasts.
//
// One timer thread (LateJobs) waits for every job's delay; a job that comes
// due runs on a ThreadCache thread, so a slow job holds up no other. A
// thousand scans exporting at once cost one sleeping thread, not a
// thousand. LateJob::settle() ends the wait: a job not yet begun never
// runs; one that has begun is waited for, so whatever it wrote happened
// before settle() returns. That wait relies on ThreadCache never making a
// job wait for a thread: a run settling on one cache thread waits for a
// job on another.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "scanorch/framework/runtime/thread_cache.h"

namespace scanorch::framework {

class LateJobs;

/// One job's handle: settles when it goes.
class LateJob {
public:
    ~LateJob();
    LateJob(LateJob&&) noexcept = default;
    LateJob& operator=(LateJob&&) = delete;
    LateJob(const LateJob&) = delete;
    LateJob& operator=(const LateJob&) = delete;

    /// Cancels the job if it has not begun, waits for it if it has; true
    /// when it ran (or began and threw: its own errors are its to report).
    /// Any later call answers the same.
    bool settle();

private:
    friend class LateJobs;
    enum class Phase { waiting, running, ran, cancelled };
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        Phase phase = Phase::waiting;
        std::function<void()> job;  ///< dropped once it ran or was cancelled: what it holds goes with it
    };
    explicit LateJob(std::shared_ptr<State> s) : s_(std::move(s)) {}
    std::shared_ptr<State> s_;
};

class LateJobs {
public:
    explicit LateJobs(std::shared_ptr<ThreadCache> threads);
    /// Jobs still waiting are cancelled.
    ~LateJobs();
    LateJobs(const LateJobs&) = delete;
    LateJobs& operator=(const LateJobs&) = delete;

    /// `job` runs `delay` from now unless its handle is settled first.
    /// When no thread can be had as it comes due, it is dropped (and
    /// settle() says it did not run): what a late job does is what a step
    /// shows, never what it needs.
    LateJob after(std::chrono::milliseconds delay, std::function<void()> job);

    /// Jobs waiting for their delay (cancelled ones go as their time comes).
    std::size_t waiting() const;

private:
    void loop();
    void start(const std::shared_ptr<LateJob::State>& s);

    std::shared_ptr<ThreadCache> threads_;
    mutable std::mutex mu_;
    std::condition_variable cv_;  ///< an earlier job, or closing
    std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<LateJob::State>> due_;
    bool closing_ = false;
    std::thread timer_;  ///< last: started once the rest is
};

}  // namespace scanorch::framework
