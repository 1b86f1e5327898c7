// HeldTask's heartbeat side over the real memory-queue plugin: a lease that
// went to another worker is lost; a claim the run gave up itself is not.
#include <gtest/gtest.h>

#include <string>

#include "memory_queue_plugin.h"

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
    // Another process ended the claim (a reclaim after a lapse would too).
    ASSERT_TRUE(q.queue->complete(c));
    EXPECT_EQ(held.renew(*q.queue, kLeaseMs), sf::HeldTask::Renewal::lost_now);
    EXPECT_TRUE(held.lost());
    // Told once: the next beats neither ask the backend again nor report it anew.
    EXPECT_EQ(held.renew(*q.queue, kLeaseMs), sf::HeldTask::Renewal::lost);
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
