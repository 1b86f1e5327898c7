// What only the Redis queue does: survive a Redis restart, and keep the
// contract between separate connections (as separate processes would be).
#include <thread>

#include "queue_fixture.h"
#include "redis_server.h"

using namespace contract;
using scanorch::testing::RedisServer;

namespace {
std::string config_for(const RedisServer& r, const std::string& prefix) {
    return R"({"url":")" + r.url() + R"(","key_prefix":")" + prefix + R"(","timeout_ms":500})";
}
}  // namespace

class RedisQueue : public QueueContract {};

TEST_P(RedisQueue, ReconnectsAfterARedisRestart) {
    RedisServer own;  // its own server, to restart
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(REDIS_QUEUE_PLUGIN).ok());
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto q = loader.instantiate<sdk::QueueBackend>("redis-queue", config_for(own, "restart"),
                                                   sf::HostApi::make(services, "r"));
    ASSERT_TRUE(q);
    ASSERT_TRUE((*q)->enqueue(task("before", "s1")));
    own.stop();
    auto down = (*q)->ping();
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().kind, sdk::ErrorKind::transient) << down.error().message;
    auto failing = (*q)->enqueue(task("while-down", "s1"));
    ASSERT_FALSE(failing.ok());
    EXPECT_EQ(failing.error().kind, sdk::ErrorKind::transient);
    own.start();  // a restarted Redis with no persistence: empty, scripts unloaded
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
        back = (*q)->ping().ok();
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(back) << "never reconnected";
    ASSERT_TRUE((*q)->enqueue(task("after", "s1"))) << "scripts are loaded again on demand";
    auto c = (*q)->claim("s1", 1, 1000);
    ASSERT_TRUE(c && c->has_value());
    EXPECT_EQ((*c)->task.task_id, "after");
}

TEST_P(RedisQueue, SeparateConnectionsShareOneQueue) {
    // Two plugin instances = two connection pools, as two processes would have.
    auto other = make();
    ASSERT_TRUE(other);
    ASSERT_TRUE(queue_->enqueue(task("shared", "s1")));
    auto c = other->claim("s1", 1, 60000);
    ASSERT_TRUE(c && c->has_value());
    EXPECT_TRUE(nothing("s1", 1)) << "the slot taken through one connection counts for the other";
    ASSERT_TRUE(queue_->complete(**c).ok()) << "any process may end a hold it has the token for";
}

INSTANTIATE_TEST_SUITE_P(Redis, RedisQueue,
                         ::testing::Values(Backend{"redis", REDIS_QUEUE_PLUGIN, "redis-queue",
                                                   [] {
                                                       static int n = 0;
                                                       return R"({"url":")" + RedisServer::shared().url() +
                                                              R"(","key_prefix":"own-)" + std::to_string(++n) + R"("})";
                                                   }}),
                         [](const auto& info) { return info.param.name; });

// A bad URL is named in the error, its password never.
TEST(RedisQueueConfig, ErrorsNeverShowTheUrlPassword) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(REDIS_QUEUE_PLUGIN).ok());
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    for (const std::string& url : std::vector<std::string>{"http://:pw-not-for-logs@127.0.0.1:6379",
                                                           "redis://:pw-not-for-logs@127.0.0.1:6379/notadb"}) {
        auto q = loader.instantiate<sdk::QueueBackend>("redis-queue", R"({"url":")" + url + R"("})",
                                                       sf::HostApi::make(services, "r"));
        ASSERT_FALSE(q) << url;
        EXPECT_EQ(q.error().message.find("pw-not-for-logs"), std::string::npos) << q.error().message;
        EXPECT_NE(q.error().message.find(":***@127.0.0.1:6379"), std::string::npos) << q.error().message;
    }
}
