// ThreadCache: a finished job's thread runs the next job; jobs never wait
// behind one another; idle threads exit after their keep-idle time; the
// destructor waits for running jobs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "scanorch/framework/runtime/thread_cache.h"

namespace sf = scanorch::framework;
using namespace std::chrono_literals;

namespace {

// Polls `done` up to 10 s: thread exits and wake-ups take a moment.
template <class F>
bool eventually(F done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
}

}  // namespace

TEST(ThreadCache, AFinishedJobsThreadRunsTheNext) {
    sf::ThreadCache cache(10s);
    std::mutex mu;
    std::set<std::thread::id> ran_on;
    for (int i = 0; i < 20; ++i) {
        std::promise<void> done;
        cache.run([&] {
            {
                std::lock_guard lock(mu);
                ran_on.insert(std::this_thread::get_id());
            }
            done.set_value();
        });
        done.get_future().wait();
        ASSERT_TRUE(eventually([&] { return cache.idle() == 1; }));
    }
    EXPECT_EQ(ran_on.size(), 1u) << "one job at a time should have reused one thread";
    EXPECT_EQ(cache.threads(), 1u);
}

TEST(ThreadCache, JobsNeverWaitBehindOneAnother) {
    sf::ThreadCache cache(10s);
    constexpr int kJobs = 50;
    std::promise<void> release;
    const auto released = release.get_future().share();
    std::atomic<int> started{0};
    // Every job blocks until all have started: with fewer threads than jobs
    // this would never finish.
    for (int i = 0; i < kJobs; ++i) {
        cache.run([&, released] {
            ++started;
            released.wait();
        });
    }
    ASSERT_TRUE(eventually([&] { return started.load() == kJobs; })) << started.load() << " of " << kJobs;
    EXPECT_EQ(cache.threads(), static_cast<std::size_t>(kJobs));
    release.set_value();
    ASSERT_TRUE(eventually([&] { return cache.idle() == static_cast<std::size_t>(kJobs); }));
}

// Jobs arriving while some threads wait: each waiting thread takes one and
// the rest get new threads at once. A job left to a waiting thread that
// does not take it would start only after the keep-idle time (60 s here).
TEST(ThreadCache, MoreJobsThanWaitingThreadsAllStartAtOnce) {
    sf::ThreadCache cache(60s);
    constexpr int kWarm = 8;
    for (int i = 0; i < kWarm; ++i) cache.run([] {});
    ASSERT_TRUE(eventually([&] { return cache.idle() == cache.threads(); }));
    const auto warm = cache.threads();
    ASSERT_GE(warm, 1u);
    const int jobs = static_cast<int>(2 * warm + 1);
    std::promise<void> release;
    const auto released = release.get_future().share();
    std::atomic<int> started{0};
    for (int i = 0; i < jobs; ++i) {
        cache.run([&, released] {
            ++started;
            released.wait();
        });
    }
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (started.load() < jobs && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(started.load(), jobs) << "jobs waited for a thread with " << warm << " threads waiting";
    EXPECT_EQ(cache.threads(), static_cast<std::size_t>(jobs)) << "the waiting threads were not all used";
    release.set_value();
    ASSERT_TRUE(eventually([&] { return cache.idle() == cache.threads(); }));
}

TEST(ThreadCache, IdleThreadsExitAfterTheirKeepIdleTime) {
    sf::ThreadCache cache(100ms);
    std::atomic<int> ran{0};
    for (int i = 0; i < 5; ++i) cache.run([&] { ++ran; });
    ASSERT_TRUE(eventually([&] { return ran.load() == 5; }));
    EXPECT_TRUE(eventually([&] { return cache.threads() == 0; })) << cache.threads() << " threads stayed";
    // And a later job still runs, on a new thread.
    std::promise<void> done;
    cache.run([&] { done.set_value(); });
    EXPECT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

TEST(ThreadCache, TheDestructorWaitsForRunningJobs) {
    std::atomic<bool> finished{false};
    {
        sf::ThreadCache cache(10s);
        std::promise<void> started;
        cache.run([&] {
            started.set_value();
            std::this_thread::sleep_for(200ms);
            finished = true;
        });
        started.get_future().wait();
    }
    EXPECT_TRUE(finished.load()) << "the cache went while a job was still running";
}
