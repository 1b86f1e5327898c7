#include "scanorch/framework/runtime/late_job.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <vector>

namespace scanorch::framework {

LateJob::~LateJob() {
    if (s_) (void)settle();
}

bool LateJob::settle() {
    if (!s_) return false;  // moved from
    std::unique_lock lock(s_->mu);
    if (s_->phase == Phase::waiting) {
        s_->phase = Phase::cancelled;
        // What the job holds goes outside the lock: its destructors may take locks of their own.
        auto dropped = std::move(s_->job);
        lock.unlock();
        return false;
    }
    s_->cv.wait(lock, [&] { return s_->phase != Phase::running; });
    return s_->phase == Phase::ran;
}

LateJobs::LateJobs(std::shared_ptr<ThreadCache> threads) : threads_(std::move(threads)), timer_([this] { loop(); }) {}

LateJobs::~LateJobs() {
    {
        std::lock_guard lock(mu_);
        closing_ = true;
    }
    cv_.notify_all();
    timer_.join();
    for (auto& [due, s] : due_) {
        std::function<void()> dropped;
        std::lock_guard lock(s->mu);
        if (s->phase == LateJob::Phase::waiting) {
            s->phase = LateJob::Phase::cancelled;
            dropped = std::move(s->job);
        }
    }
}

LateJob LateJobs::after(std::chrono::milliseconds delay, std::function<void()> job) {
    auto s = std::make_shared<LateJob::State>();
    s->job = std::move(job);
    const auto due = std::chrono::steady_clock::now() + delay;
    bool earliest = false;
    {
        std::lock_guard lock(mu_);
        earliest = due_.empty() || due < due_.begin()->first;
        due_.emplace(due, s);
    }
    if (earliest) cv_.notify_one();
    return LateJob(std::move(s));
}

std::size_t LateJobs::waiting() const {
    std::lock_guard lock(mu_);
    return due_.size();
}

void LateJobs::loop() {
    std::unique_lock lock(mu_);
    while (!closing_) {
        if (due_.empty()) {
            cv_.wait(lock);
            continue;
        }
        const auto next = due_.begin()->first;
        if (std::chrono::steady_clock::now() < next) {
            cv_.wait_until(lock, next);
            continue;
        }
        std::vector<std::shared_ptr<LateJob::State>> ready;
        const auto now = std::chrono::steady_clock::now();
        while (!due_.empty() && due_.begin()->first <= now) {
            ready.push_back(std::move(due_.begin()->second));
            due_.erase(due_.begin());
        }
        // Outside the lock: new jobs are scheduled meanwhile, and starting
        // one may create a thread.
        lock.unlock();
        for (const auto& s : ready) start(s);
        lock.lock();
    }
}

void LateJobs::start(const std::shared_ptr<LateJob::State>& s) {
    {
        std::lock_guard lock(s->mu);
        if (s->phase != LateJob::Phase::waiting) return;  // settled first
        s->phase = LateJob::Phase::running;
    }
    // Whatever the job does, its handle hears it ended: settle() waits for
    // that, and the run waiting in it would otherwise never go on. What the
    // job holds goes first, so none of it outlives settle().
    const auto finish = [s](LateJob::Phase how) {
        {
            std::lock_guard lock(s->mu);
            s->phase = how;
        }
        s->cv.notify_all();
    };
    try {
        threads_->run([s, finish] {
            auto job = std::move(s->job);  // running: settle() leaves it alone now
            try {
                job();
            } catch (const std::exception& e) {
                spdlog::error("a late job failed: {}", e.what());
            } catch (...) {
                spdlog::error("a late job failed");
            }
            job = nullptr;
            finish(LateJob::Phase::ran);
        });
    } catch (const std::exception& e) {
        spdlog::warn("a late job is dropped: no thread to run it on ({})", e.what());
        s->job = nullptr;  // running, as far as settle() knows: no one else touches it
        finish(LateJob::Phase::cancelled);
    }
}

}  // namespace scanorch::framework
