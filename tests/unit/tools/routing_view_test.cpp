// ScannerPool's routing view over a real memory-queue: shared between
// submissions rather than copied for each, and copied only when a placement
// is noted while a submission still routes on it, which must not see it
// change; the next submission sees the placement.
#include <gtest/gtest.h>

#include <chrono>

#include "memory_queue_plugin.h"
#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/service/scanner_pool.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

class RoutingView : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(q_.queue) << "memory-queue did not load from " << MEMORY_QUEUE_PLUGIN; }

    static sf::ScannerPool pool() {
        return sf::ScannerPool(sf::parse_scanners_config(R"(scanners:
  - {instance_id: s1, scanner_type: nessus, url: "http://127.0.0.1:9/vs/s1", max_concurrent_scans: 2}
  - {instance_id: s2, scanner_type: nessus, url: "http://127.0.0.1:9/vs/s2", max_concurrent_scans: 2}
)",
                                                         "scanners.yaml"));
    }

    // The view is read again once it is older than kRoutingStaleness (200 ms
    // here): a test stalled that long by the machine proves nothing.
    static bool stalled(std::chrono::steady_clock::time_point since) {
        return std::chrono::steady_clock::now() - since >= sf::ScannerPool::kRoutingStaleness;
    }

    sdk::QueueBackend& queue() { return *q_.queue; }  // after SetUp() checked it

    scanorch::testing::TestQueue q_{"routing-view", MEMORY_QUEUE_PLUGIN};
};

}  // namespace

TEST_F(RoutingView, APlacementNotedWhileAViewIsHeldShowsInTheNextViewOnly) {
    const auto p = pool();
    const auto start = std::chrono::steady_clock::now();
    auto held = p.routing_state(queue());
    ASSERT_TRUE(held) << held.error().message;
    ASSERT_EQ((*held)->scanners.size(), 2u);
    EXPECT_EQ((*held)->scanners[0].queued, 0u);

    p.note_queued("s1");
    p.note_queued("");
    EXPECT_EQ((*held)->scanners[0].queued, 0u) << "a submission routing on the view saw it change";
    EXPECT_EQ((*held)->global, 0u);

    auto next = p.routing_state(queue());
    ASSERT_TRUE(next) << next.error().message;
    if (stalled(start)) GTEST_SKIP() << "stalled past the view's staleness: the view was read again";
    EXPECT_EQ((*next)->scanners[0].queued, 1u) << "the placement is in the next view";
    EXPECT_EQ((*next)->scanners[1].queued, 0u);
    EXPECT_EQ((*next)->global, 1u);
}

TEST_F(RoutingView, SubmissionsOneAfterAnotherShareOneViewWithoutCopies) {
    const auto p = pool();
    const auto start = std::chrono::steady_clock::now();
    std::weak_ptr<const sf::PoolState> first;  // not a holder: the count stays the view's own
    {
        auto view = p.routing_state(queue());
        ASSERT_TRUE(view) << view.error().message;
        first = *view;
    }  // let go of, as Submission::route() does before the placement is noted
    for (int i = 0; i < 3; ++i) p.note_queued("s2");
    auto view = p.routing_state(queue());
    ASSERT_TRUE(view) << view.error().message;
    if (stalled(start)) GTEST_SKIP() << "stalled past the view's staleness: the view was read again";
    ASSERT_FALSE(first.expired()) << "nobody held the view, yet it was copied";
    EXPECT_EQ(view->get(), first.lock().get());
    EXPECT_EQ((*view)->scanners[1].queued, 3u);
}
