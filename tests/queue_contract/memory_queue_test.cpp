// What only the memory queue does: rebuild itself from the task store.
#include <optional>

#include "queue_fixture.h"

using namespace contract;

class MemoryQueueRebuild : public QueueContract {};

TEST_P(MemoryQueueRebuild, RebuildsFromTheTaskStoreAtStart) {
    // What the host hands it (abi.h local_queue_tasks): the store's
    // unfinished tasks and dead-lettered failures, in no particular order.
    std::string tasks = "[";
    auto add = [&](const std::string& id, const std::string& status, const std::string& queue, long created,
                   bool dead_letter = false) {
        tasks += std::string(tasks.size() > 1 ? "," : "") + R"({"task_id":")" + id + R"(","status":")" + status +
                 R"(","queue":")" + queue + R"(","created_at":)" + std::to_string(created) +
                 R"(,"attempts":1,"dead_letter":)" + (dead_letter ? "true" : "false") +
                 R"(,"error":"boom","completed_at":)" + std::to_string(created + 1) + R"(,"payload":"payload-of-)" +
                 id + "\"}";
    };
    add("late", "queued", "s1", 300);
    add("early", "queued", "s1", 100);
    add("was-running", "running", "s1", 200);
    add("done", "completed", "s1", 50);
    add("global", "queued", "", 10);
    add("dead", "failed", "s1", 5, true);
    add("failed-not-dead", "failed", "s1", 6);
    tasks += "]";
    local_tasks_ = [&] { return std::optional<std::string>(tasks); };
    auto q = make();  // a fresh process over the same store
    ASSERT_TRUE(q);
    std::vector<std::string> order;
    for (int i = 0; i < 4; ++i) {
        auto c = q->claim("s1", 10, 1000);
        ASSERT_TRUE(c && c->has_value());
        order.push_back((*c)->task.task_id);
        if (order.back() == "early") {
            EXPECT_EQ((*c)->task.payload, "payload-of-early");
        }
    }
    EXPECT_EQ(order, (std::vector<std::string>{"was-running", "early", "late", "global"}));
    auto dlq = q->dlq_list(0, 10);
    ASSERT_TRUE(dlq);
    ASSERT_EQ(dlq->size(), 1u) << "only the failed task marked dead_letter";
    EXPECT_EQ((*dlq)[0].task.task_id, "dead");
    EXPECT_EQ((*dlq)[0].reason, "boom");
}

// A host that cannot read its store now: the queue keeps what it holds. A
// resync over "nothing known" must not empty the dead-letter queue.
TEST_P(MemoryQueueRebuild, AnUnreadableStoreChangesNothing) {
    local_tasks_ = [] { return std::optional<std::string>(); };
    auto q = make();
    ASSERT_TRUE(q);
    ASSERT_TRUE(q->enqueue(task("dead", "s1")));
    auto c = q->claim("s1", 10, 1000);
    ASSERT_TRUE(c && c->has_value());
    ASSERT_TRUE(q->dead_letter(**c, "boom"));
    ASSERT_TRUE(q->enqueue(task("kept", "s1")));
    now_ += 10'000;  // past the resync period
    ASSERT_TRUE(q->wait_for_work("s1", 10));
    auto dlq = q->dlq_list(0, 10);
    ASSERT_TRUE(dlq);
    ASSERT_EQ(dlq->size(), 1u);
    auto next = q->claim("s1", 10, 1000);
    ASSERT_TRUE(next && next->has_value());
    EXPECT_EQ((*next)->task.task_id, "kept");
}

// A store that could not be read at start is read again until it can be:
// the queue is rebuilt late rather than never. And a task that failed in
// another process (scanorchctl, an earlier run) joins the dead-letter queue.
TEST_P(MemoryQueueRebuild, RebuildsLateWhenTheStoreWasAwayAtStart) {
    bool away = true;
    const std::string tasks = R"([{"task_id":"late","status":"queued","queue":"s1","created_at":1,"payload":"p"},)"
                              R"({"task_id":"dead","status":"failed","dead_letter":true,"queue":"s1","created_at":1,)"
                              R"("completed_at":2,"error":"boom","payload":"q"}])";
    local_tasks_ = [&] { return away ? std::optional<std::string>() : std::optional<std::string>(tasks); };
    auto q = make();
    ASSERT_TRUE(q);
    auto none = q->claim("s1", 10, 1000);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value()) << "nothing known yet";
    away = false;
    now_ += 10'000;
    ASSERT_TRUE(q->wait_for_work("s1", 10));
    auto c = q->claim("s1", 10, 1000);
    ASSERT_TRUE(c && c->has_value()) << "rebuilt once the store answered";
    EXPECT_EQ((*c)->task.task_id, "late");
    auto dlq = q->dlq_list(0, 10);
    ASSERT_TRUE(dlq);
    ASSERT_EQ(dlq->size(), 1u);
    EXPECT_EQ((*dlq)[0].task.task_id, "dead");
}

INSTANTIATE_TEST_SUITE_P(Memory, MemoryQueueRebuild,
                         ::testing::Values(Backend{"memory", MEMORY_QUEUE_PLUGIN, "memory-queue",
                                                   [] { return std::string("{}"); }}),
                         [](const auto& info) { return info.param.name; });
