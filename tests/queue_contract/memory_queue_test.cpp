// What only the memory queue does: rebuild itself from the task store.
#include <fstream>

#include "queue_fixture.h"

using namespace contract;

class MemoryQueueRebuild : public QueueContract {};

TEST_P(MemoryQueueRebuild, RebuildsFromTheTaskStoreAtStart) {
    auto write_task = [&](const std::string& id, const std::string& status, const std::string& queue, long created) {
        const auto dir = data_dir_ / "tasks" / id;
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "task.json") << R"({"task_id":")" << id << R"(","status":")" << status << R"(","queue":")"
                                         << queue << R"(","created_at":)" << created << R"(,"attempts":1})";
        std::ofstream(dir / "payload.sealed") << "payload-of-" << id;
    };
    write_task("late", "queued", "s1", 300);
    write_task("early", "queued", "s1", 100);
    write_task("was-running", "running", "s1", 200);
    write_task("done", "completed", "s1", 50);
    write_task("global", "queued", "", 10);
    auto q = make();  // a fresh process over the same data dir
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
}

INSTANTIATE_TEST_SUITE_P(Memory, MemoryQueueRebuild,
                         ::testing::Values(Backend{"memory", MEMORY_QUEUE_PLUGIN, "memory-queue",
                                                   [] { return std::string("{}"); }}),
                         [](const auto& info) { return info.param.name; });
