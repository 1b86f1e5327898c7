// The circuit breaker's cache of a closed circuit, over the real memory-queue
// plugin: a read that began before this breaker's own write must not put the
// older state back (the dispatcher reading "closed" while a run of the same
// process opens the circuit).
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/workers/circuit_breaker.h"

namespace sdk = scanorch::sdk;
namespace sf = scanorch::framework;

namespace {

// The real queue, with one circuit() read held back after it has read: the
// answer it then returns is older than whatever was written meanwhile.
class HeldReadQueue final : public sdk::Queue {
public:
    explicit HeldReadQueue(std::shared_ptr<sdk::Queue> q) : q_(std::move(q)) {}

    void hold_next_read() {
        std::lock_guard lock(mu_);
        hold_ = true;
    }
    void wait_until_held() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return held_; });
    }
    void release() {
        std::lock_guard lock(mu_);
        released_ = true;
        cv_.notify_all();
    }

    sdk::Result<sdk::CircuitInfo> circuit(const std::string& s) noexcept override {
        auto r = q_->circuit(s);
        std::unique_lock lock(mu_);
        if (hold_) {
            hold_ = false;
            held_ = true;
            cv_.notify_all();
            cv_.wait(lock, [&] { return released_; });
        }
        return r;
    }
    sdk::Result<void> set_circuit(const std::string& s, const sdk::CircuitInfo& i) noexcept override { return q_->set_circuit(s, i); }

    sdk::Result<void> ping() noexcept override { return q_->ping(); }
    sdk::Result<std::uint64_t> enqueue(const sdk::QueueTask& t) noexcept override { return q_->enqueue(t); }
    sdk::Result<void> enqueue_front(const sdk::QueueTask& t) noexcept override { return q_->enqueue_front(t); }
    sdk::Result<std::optional<sdk::Claim>> claim(const std::string& s, std::uint32_t m, std::int64_t l) noexcept override {
        return q_->claim(s, m, l);
    }
    sdk::Result<bool> wait_for_work(const std::string& s, std::int64_t t) noexcept override { return q_->wait_for_work(s, t); }
    sdk::Result<void> renew(sdk::Claim& c, std::int64_t l) noexcept override { return q_->renew(c, l); }
    sdk::Result<void> complete(const sdk::Claim& c) noexcept override { return q_->complete(c); }
    sdk::Result<void> release(const sdk::Claim& c, const std::string& p) noexcept override { return q_->release(c, p); }
    sdk::Result<void> dead_letter(const sdk::Claim& c, const std::string& r) noexcept override { return q_->dead_letter(c, r); }
    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override { return q_->reclaim_expired(); }
    sdk::Result<bool> remove(const std::string& id) noexcept override { return q_->remove(id); }
    sdk::Result<std::optional<std::uint64_t>> position(const std::string& id) noexcept override { return q_->position(id); }
    sdk::Result<std::vector<std::string>> running(const std::string& s) noexcept override { return q_->running(s); }
    sdk::Result<std::vector<sdk::QueueTask>> list(const std::string& s, std::uint64_t o, std::uint64_t l) noexcept override {
        return q_->list(s, o, l);
    }
    sdk::Result<sdk::QueueDepths> depths(const std::vector<std::string>& s) noexcept override { return q_->depths(s); }
    sdk::Result<std::vector<sdk::DlqEntry>> dlq_list(std::uint64_t o, std::uint64_t l) noexcept override { return q_->dlq_list(o, l); }
    sdk::Result<std::optional<sdk::DlqEntry>> dlq_get(const std::string& id) noexcept override { return q_->dlq_get(id); }
    sdk::Result<bool> dlq_remove(const std::string& id) noexcept override { return q_->dlq_remove(id); }
    sdk::Result<std::uint64_t> dlq_purge() noexcept override { return q_->dlq_purge(); }
    sdk::Result<std::optional<std::string>> kv_get(const std::string& k) noexcept override { return q_->kv_get(k); }
    sdk::Result<void> kv_set(const std::string& k, const std::string& v, std::int64_t t) noexcept override {
        return q_->kv_set(k, v, t);
    }
    sdk::Result<std::optional<std::string>> kv_set_if_absent(const std::string& k, const std::string& v,
                                                             std::int64_t t) noexcept override {
        return q_->kv_set_if_absent(k, v, t);
    }
    sdk::Result<bool> kv_delete_if(const std::string& k, const std::string& e) noexcept override { return q_->kv_delete_if(k, e); }

private:
    std::shared_ptr<sdk::Queue> q_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool hold_ = false, held_ = false, released_ = false;
};

std::shared_ptr<sdk::Queue> memory_queue(const std::filesystem::path& dir) {
    static sf::PluginLoader loader;
    if (!loader.find("memory-queue")) {
        auto loaded = loader.load_file(MEMORY_QUEUE_PLUGIN);
        if (!loaded.ok()) return nullptr;
    }
    auto services = std::make_shared<sf::HostServices>(nullptr, dir.string());
    auto q = loader.instantiate<sdk::Queue>("memory-queue", R"({"rebuild_from_tasks":false})",
                                            sf::HostApi::make(services, "memory-queue"));
    return q ? std::move(q).value() : nullptr;
}

}  // namespace

TEST(CircuitBreaker, AReadOlderThanItsOwnOpeningIsNotKept) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-circuit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto inner = memory_queue(dir);
    ASSERT_TRUE(inner);
    auto queue = std::make_shared<HeldReadQueue>(inner);
    sf::CircuitBreaker breaker(queue, "east", /*failures=*/1, /*open_ms=*/60'000);

    // The dispatcher asks; its read of "closed" is held back...
    queue->hold_next_read();
    auto asked = std::async(std::launch::async, [&] { return breaker.allows(0); });
    queue->wait_until_held();
    // ...while a run of the same worker fails and opens the circuit.
    breaker.record(true);
    ASSERT_EQ(inner->circuit("east")->state, sdk::CircuitState::open);
    queue->release();
    EXPECT_TRUE(asked.get()) << "the held read saw the circuit closed";

    EXPECT_FALSE(breaker.allows(0)) << "the older 'closed' was cached over this breaker's own opening";
    EXPECT_FALSE(breaker.allows(0));
    std::filesystem::remove_all(dir);
}

TEST(CircuitBreaker, ItsOwnClosingIsSeenAtOnce) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-circuit2-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto queue = memory_queue(dir);
    ASSERT_TRUE(queue);
    sf::CircuitBreaker breaker(queue, "east", 1, 60'000);
    EXPECT_TRUE(breaker.allows(0));  // closed, and now cached
    breaker.record(true);
    EXPECT_FALSE(breaker.allows(0)) << "its own opening must not wait for the cache to age";
    breaker.record(false);
    EXPECT_TRUE(breaker.allows(0));
    std::filesystem::remove_all(dir);
}
