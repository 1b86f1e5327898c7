// Threads for work that blocks for long (a scan's run: minutes to hours of
// polls and downloads), kept for reuse. A run that ends leaves its thread
// waiting for the next run a while instead of exiting: a pool of hundreds of
// scanners starts and ends scans by the hundred a minute, and creating a
// thread for each (its stack mapped, faulted in and unmapped, the TLBs of
// every core flushed) was a visible part of a scan's CPU.
//
// Every job gets a thread at once (a waiting one, else a new one): a run
// must never wait behind other runs, so there is no bound here; the number
// of runs is bounded where they are claimed (each scanner's slots).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace scanorch::framework {

class ThreadCache {
public:
    /// `keep_idle`: how long a thread with nothing to run waits for a job
    /// before it exits.
    explicit ThreadCache(std::chrono::milliseconds keep_idle = std::chrono::seconds(30));
    /// Waits for the running jobs to return and every thread to exit; so
    /// it must not run on one of the cache's own threads.
    ~ThreadCache();
    ThreadCache(const ThreadCache&) = delete;
    ThreadCache& operator=(const ThreadCache&) = delete;

    /// Runs `job` on a waiting thread, or on a new one when none waits.
    /// Throws std::system_error when no thread can be created (the job is
    /// not run).
    void run(std::function<void()> job);

    /// Threads alive now (running a job or waiting for one).
    std::size_t threads() const;
    /// Threads waiting for a job.
    std::size_t idle() const;

private:
    void loop();

    const std::chrono::milliseconds keep_idle_;
    mutable std::mutex mu_;
    std::condition_variable work_;  ///< a job arrived, or closing
    std::condition_variable gone_;  ///< a thread exited
    std::deque<std::function<void()>> jobs_;
    std::size_t live_ = 0;
    std::size_t idle_ = 0;
    bool closing_ = false;
};

}  // namespace scanorch::framework
