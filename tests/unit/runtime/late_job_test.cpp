// LateJob: runs only past its delay; settle() before that cancels it for
// good; settle() while it runs waits for it; the handle settles as it
// goes; jobs come due in order of their time, not of their scheduling,
// and a slow one holds up no other.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "scanorch/framework/runtime/late_job.h"

namespace sf = scanorch::framework;
using namespace std::chrono_literals;

namespace {

struct Rig {
    std::shared_ptr<sf::ThreadCache> threads = std::make_shared<sf::ThreadCache>(10s);
    sf::LateJobs jobs{threads};
};

}  // namespace

TEST(LateJob, SettledBeforeItsDelayItNeverRuns) {
    std::atomic<int> ran{0};
    Rig rig;
    {
        auto job = rig.jobs.after(1000ms, [&] { ++ran; });
        EXPECT_FALSE(job.settle());
        std::this_thread::sleep_for(1300ms);  // past the delay: a cancelled wait stays cancelled
        EXPECT_FALSE(job.settle()) << "a later settle answers the same";
    }
    EXPECT_EQ(ran.load(), 0);
    for (int i = 0; i < 500 && rig.jobs.waiting() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(rig.jobs.waiting(), 0u) << "the cancelled job never left the timer";
}

TEST(LateJob, PastItsDelayItRunsOnceAndSettleSaysSo) {
    std::atomic<int> ran{0};
    std::chrono::steady_clock::duration ran_after{};
    std::promise<void> begun;
    Rig rig;
    const auto start = std::chrono::steady_clock::now();
    auto job = rig.jobs.after(100ms, [&] {
        ran_after = std::chrono::steady_clock::now() - start;
        ++ran;
        begun.set_value();
    });
    ASSERT_EQ(begun.get_future().wait_for(10s), std::future_status::ready) << "it never ran";
    EXPECT_TRUE(job.settle());
    EXPECT_TRUE(job.settle());
    EXPECT_EQ(ran.load(), 1);
    EXPECT_GE(ran_after, 100ms) << "it ran before its delay";
}

TEST(LateJob, SettleWaitsForAJobThatHasBegun) {
    std::promise<void> begun;
    std::atomic<bool> finished{false};
    Rig rig;
    auto job = rig.jobs.after(10ms, [&] {
        begun.set_value();
        std::this_thread::sleep_for(300ms);
        finished = true;
    });
    ASSERT_EQ(begun.get_future().wait_for(10s), std::future_status::ready) << "it never ran";
    EXPECT_TRUE(job.settle());
    EXPECT_TRUE(finished.load()) << "settle returned while the job was still running";
}

TEST(LateJob, TheHandleCancelsAWaitingJobAsItGoes) {
    std::atomic<int> ran{0};
    Rig rig;
    {
        auto job = rig.jobs.after(1000ms, [&] { ++ran; });
    }
    std::this_thread::sleep_for(1300ms);
    EXPECT_EQ(ran.load(), 0);
}

// Scheduled late-first, they come due early-first; the first one blocks
// until the second has run: run in turn on one thread, they never would.
TEST(LateJob, JobsComeDueByTheirTimeAndASlowOneHoldsUpNoOther) {
    std::atomic<bool> early_begun{false};
    std::atomic<bool> early_begun_before_late{false};
    std::promise<void> late_ran;
    auto late_done = late_ran.get_future().share();
    std::atomic<bool> late_ran_beside{false};
    Rig rig;
    auto late = rig.jobs.after(1000ms, [&] {
        early_begun_before_late = early_begun.load();
        late_ran.set_value();
    });
    auto early = rig.jobs.after(50ms, [&, late_done] {
        early_begun = true;
        late_ran_beside = late_done.wait_for(10s) == std::future_status::ready;
    });
    ASSERT_EQ(late_done.wait_for(10s), std::future_status::ready) << "the later job never ran";
    EXPECT_TRUE(early.settle());
    EXPECT_TRUE(late.settle());
    EXPECT_TRUE(late_ran_beside.load()) << "the later job waited behind the earlier one, which still ran";
    EXPECT_TRUE(early_begun_before_late.load()) << "the job due 950 ms later began first";
}

TEST(LateJob, AThrowingJobStillSettles) {
    std::promise<void> begun;
    Rig rig;
    auto job = rig.jobs.after(1ms, [&] {
        begun.set_value();
        throw std::runtime_error("boom");
    });
    ASSERT_EQ(begun.get_future().wait_for(10s), std::future_status::ready) << "it never ran";
    EXPECT_TRUE(job.settle());
}

// Not an std::exception: the handle must still hear the job ended, or a
// run settling it would wait for ever.
TEST(LateJob, AJobThrowingAnythingStillSettles) {
    std::promise<void> begun;
    Rig rig;
    auto job = rig.jobs.after(1ms, [&] {
        begun.set_value();
        throw 42;
    });
    ASSERT_EQ(begun.get_future().wait_for(10s), std::future_status::ready) << "it never ran";
    EXPECT_TRUE(job.settle());
}

TEST(LateJob, ClosingTheTimerCancelsWhatStillWaits) {
    std::atomic<int> ran{0};
    auto threads = std::make_shared<sf::ThreadCache>(10s);
    auto jobs = std::make_unique<sf::LateJobs>(threads);
    auto job = jobs->after(10s, [&] { ++ran; });
    jobs.reset();
    EXPECT_FALSE(job.settle());
    EXPECT_EQ(ran.load(), 0);
}
