// HeldTask over the real memory-queue and sqlite-store plugins: a lease that
// went to another worker is lost, for good; a claim the run gave up itself
// is not; a claim of the same task adopted by its live run moves the record
// with it, and a lost or closed run adopts none.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "memory_queue_plugin.h"
#include "task_store_access.h"

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/service/forwarding_queue.h"
#include "scanorch/framework/workers/held_task.h"

namespace sdk = scanorch::sdk;
namespace sf = scanorch::framework;
using scanorch::testing::TestQueue;

namespace {

constexpr std::int64_t kLeaseMs = 60'000;

sdk::Claim claim_one(sdk::QueueBackend& q, const std::string& id) {
    sdk::QueueTask t;
    t.task_id = id;
    t.scanner_id = "east";
    t.payload = "{}";
    EXPECT_TRUE(q.enqueue(t));
    auto c = q.claim("east", 1, kLeaseMs);
    EXPECT_TRUE(c && c->has_value());
    return c && c->has_value() ? **c : sdk::Claim{};
}

/// Counts the renewals that reach the backend.
class CountingQueue final : public sf::ForwardingQueue {
public:
    using sf::ForwardingQueue::ForwardingQueue;
    sdk::Result<void> renew(sdk::Claim& c, std::int64_t lease_ms) noexcept override {
        ++renewals;
        return inner().renew(c, lease_ms);
    }
    std::atomic<int> renewals{0};
};

/// A memory-queue and a sqlite-store task store, both in one temporary
/// directory removed when the test ends; the task is created running under
/// the claim `first`, as a run's take-over leaves it.
class HeldTaskAdoption : public ::testing::Test {
protected:
    void SetUp() override {
        q_ = std::make_unique<TestQueue>("held-adopt-" + std::to_string(++counter_), MEMORY_QUEUE_PLUGIN);
        ASSERT_TRUE(q_->queue);
        store_ = scanorch::testing::open_task_store(q_->dir, SQLITE_STORE_PLUGIN);
        first_ = claim_one(*q_->queue, "t9");
        sf::TaskRecord t;
        t.task_id = "t9";
        t.scan_type = sdk::ScanType::untrusted;
        t.targets = "192.0.2.1";
        t.status = sf::TaskStatus::running;
        t.created_at = t.updated_at = sf::now_ms();
        t.lease_token = first_.lease_token;
        ASSERT_TRUE(store_->create(t, "{}"));
    }
    void TearDown() override {
        store_.reset();
        q_.reset();
    }

    /// The first lease lapses and the task comes back: a second claim of it.
    sdk::Claim claim_again() {
        EXPECT_TRUE(q_->queue->release(first_, "{}"));
        auto c = q_->queue->claim("east", 1, kLeaseMs);
        EXPECT_TRUE(c && c->has_value());
        return c && c->has_value() ? **c : sdk::Claim{};
    }
    std::string record_token() {
        auto t = store_->load("t9");
        EXPECT_TRUE(t);
        return t ? t->lease_token : std::string();
    }

    static inline int counter_ = 0;
    std::unique_ptr<TestQueue> q_;
    std::shared_ptr<sf::TaskStore> store_;
    sdk::Claim first_;
};

}  // namespace

TEST(HeldTask, RenewingALiveLeaseMovesItsExpiry) {
    const TestQueue q("held1", MEMORY_QUEUE_PLUGIN);
    ASSERT_TRUE(q.queue);
    sf::HeldTask held(claim_one(*q.queue, "t1"));
    const auto before = held.claim().lease_expires_at_ms;
    EXPECT_EQ(held.renew(*q.queue, 2 * kLeaseMs), sf::HeldTask::Renewal::held);
    EXPECT_GT(held.claim().lease_expires_at_ms, before);
    EXPECT_FALSE(held.lost());
}

TEST(HeldTask, ALeaseGoneWhileTheRunGoesOnIsLost) {
    const TestQueue q("held2", MEMORY_QUEUE_PLUGIN);
    ASSERT_TRUE(q.queue);
    const auto c = claim_one(*q.queue, "t2");
    sf::HeldTask held(c);
    CountingQueue counted(q.queue);
    // Another process ended the claim (a reclaim after a lapse would too).
    ASSERT_TRUE(q.queue->complete(c));
    EXPECT_EQ(held.renew(counted, kLeaseMs), sf::HeldTask::Renewal::lost_now);
    EXPECT_TRUE(held.lost());
    EXPECT_EQ(counted.renewals.load(), 1);
    // Told once: the next beats neither ask the backend again nor report it anew.
    EXPECT_EQ(held.renew(counted, kLeaseMs), sf::HeldTask::Renewal::lost);
    EXPECT_EQ(held.renew(counted, kLeaseMs), sf::HeldTask::Renewal::lost);
    EXPECT_EQ(counted.renewals.load(), 1) << "the backend was asked again";
    EXPECT_TRUE(held.lost());
}

TEST(HeldTask, AClaimTheClosedRunGaveUpItselfIsNotLost) {
    const TestQueue q("held3", MEMORY_QUEUE_PLUGIN);
    ASSERT_TRUE(q.queue);
    const auto c = claim_one(*q.queue, "t3");
    sf::HeldTask held(c);
    // The run chose its ending, then dead-lettered its claim; a heartbeat
    // that had already listed the task renews it after that.
    held.close();
    ASSERT_TRUE(q.queue->dead_letter(c, "authentication failed"));
    EXPECT_EQ(held.renew(*q.queue, kLeaseMs), sf::HeldTask::Renewal::held) << "reported as lost to another worker";
    EXPECT_FALSE(held.lost());
}

TEST_F(HeldTaskAdoption, ALiveRunAdoptsTheNewClaimAndMovesTheRecordWithIt) {
    sf::HeldTask held(first_);
    const auto second = claim_again();
    ASSERT_NE(second.lease_token, first_.lease_token);
    ASSERT_TRUE(held.adopt(second, *store_));
    EXPECT_EQ(held.token(), second.lease_token);
    EXPECT_EQ(record_token(), second.lease_token);
    EXPECT_TRUE(held.holds_slot());
    // The new claim is the one renewed, and writes go under it.
    EXPECT_EQ(held.renew(*q_->queue, kLeaseMs), sf::HeldTask::Renewal::held);
    EXPECT_FALSE(held.lost());
    EXPECT_EQ(held.write(*store_,
                         [](sf::TaskRecord& t) {
                             t.progress = 40;
                             return true;
                         }),
              sf::WriteOutcome::written);
}

TEST_F(HeldTaskAdoption, ARunThatLostItsLeaseAdoptsNoLaterClaim) {
    // The heartbeat found the lease gone; the run may have chosen to end as
    // lost already. Adopting now would hand it the new claim to end with.
    sf::HeldTask held(first_);
    const auto second = claim_again();
    ASSERT_EQ(held.renew(*q_->queue, kLeaseMs), sf::HeldTask::Renewal::lost_now);
    EXPECT_FALSE(held.adopt(second, *store_));
    EXPECT_EQ(held.token(), first_.lease_token) << "the lost run took the new claim";
    EXPECT_EQ(record_token(), first_.lease_token) << "the record moved to a claim no run follows";
    EXPECT_TRUE(held.lost());
    // What the lost run's ending does with the claim it holds: the queue
    // refuses it, and still holds the new claim for the fresh run.
    (void)q_->queue->complete(held.claim());
    auto renewed = second;
    EXPECT_TRUE(q_->queue->renew(renewed, kLeaseMs)) << "the lost run's ending ended the new claim";
}

TEST_F(HeldTaskAdoption, AClosedRunAdoptsNoLaterClaim) {
    sf::HeldTask held(first_);
    const auto second = claim_again();
    held.close();
    EXPECT_FALSE(held.adopt(second, *store_));
    EXPECT_EQ(held.token(), first_.lease_token);
    EXPECT_EQ(record_token(), first_.lease_token);
}

TEST_F(HeldTaskAdoption, ARunWhoseRecordMovedOnAdoptsNoLaterClaim) {
    // Another worker took the task over in the store meanwhile: the new
    // claim must start a run with a take-over of its own.
    sf::HeldTask held(first_);
    const auto second = claim_again();
    ASSERT_TRUE(store_->update("t9", [](sf::TaskRecord& t) {
        t.lease_token = "someone-else";
        return true;
    }));
    EXPECT_FALSE(held.adopt(second, *store_));
    EXPECT_EQ(held.token(), first_.lease_token);
    EXPECT_EQ(record_token(), "someone-else");
}

TEST_F(HeldTaskAdoption, AClaimLostBeforeItsRunTakesNothingOver) {
    // A worker's next claim of a task waits for the run ahead of it and is
    // renewed meanwhile; lost there, its take-over must not write its dead
    // token over the live holder's.
    sf::HeldTask waiting(first_);
    const auto second = claim_again();  // the task's live claim, elsewhere
    ASSERT_TRUE(store_->update("t9", [&](sf::TaskRecord& t) {
        t.lease_token = second.lease_token;
        return true;
    }));
    ASSERT_EQ(waiting.renew(*q_->queue, kLeaseMs), sf::HeldTask::Renewal::lost_now);
    sf::TaskRecord after;
    EXPECT_EQ(waiting.take_over(
                  *store_, [](sf::TaskRecord&) {}, after),
              sf::WriteOutcome::fenced);
    EXPECT_EQ(record_token(), second.lease_token) << "a lost claim took the record from its live holder";
}
