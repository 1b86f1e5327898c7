#include "scanorch/framework/runtime/thread_cache.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <thread>

namespace scanorch::framework {

ThreadCache::ThreadCache(std::chrono::milliseconds keep_idle) : keep_idle_(keep_idle) {}

ThreadCache::~ThreadCache() {
    std::unique_lock lock(mu_);
    closing_ = true;
    work_.notify_all();
    gone_.wait(lock, [&] { return live_ == 0; });
}

void ThreadCache::run(std::function<void()> job) {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
    // Each waiting thread takes one job; a job beyond them gets a new thread.
    if (idle_ >= jobs_.size()) {
        work_.notify_one();
        return;
    }
    try {
        std::thread([this] { loop(); }).detach();
    } catch (...) {
        jobs_.pop_back();
        throw;
    }
    ++live_;
}

void ThreadCache::loop() {
    std::unique_lock lock(mu_);
    while (true) {
        if (!jobs_.empty()) {
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            try {
                job();
            } catch (const std::exception& e) {  // a job's own bug must not end the process
                spdlog::error("a job on a cached thread failed: {}", e.what());
            } catch (...) {
                spdlog::error("a job on a cached thread failed");
            }
            job = nullptr;  // what it holds goes before the thread waits
            lock.lock();
            continue;
        }
        if (closing_) break;
        ++idle_;
        const bool woken = work_.wait_for(lock, keep_idle_, [&] { return !jobs_.empty() || closing_; });
        --idle_;
        if (!woken) break;
    }
    // The last this thread does with the cache: once live_ is 0 the
    // destructor may return, and nothing here touches it after the unlock.
    --live_;
    gone_.notify_all();
}

std::size_t ThreadCache::threads() const {
    std::lock_guard lock(mu_);
    return live_;
}

std::size_t ThreadCache::idle() const {
    std::lock_guard lock(mu_);
    return idle_;
}

}  // namespace scanorch::framework
