// Housekeeping's TTL over a real sqlite-store and a real memory-queue: a task
// that another process retries between the TTL's list of expired tasks and
// its delete must survive the pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/service/housekeeping.h"
#include "task_store_access.h"
#include "watched_store.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using sf::TaskStatus;

namespace {

constexpr std::int64_t kDay = 86'400'000;

class HousekeepingTtl : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("scanorch-housekeeping-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        static sf::PluginLoader loader;
        if (!loader.find("memory-queue")) {
            ASSERT_TRUE(loader.load_file(MEMORY_QUEUE_PLUGIN).ok());
        }
        auto services = std::make_shared<sf::HostServices>(nullptr, dir_.string());
        auto q = loader.instantiate<sdk::QueueBackend>("memory-queue", R"({"rebuild_from_tasks":false})",
                                                       sf::HostApi::make(services, "memory-queue"));
        ASSERT_TRUE(q) << q.error().message;
        queue_ = std::move(q).value();
        db_ = std::make_shared<scanorch::testing::WatchedStore>(
            scanorch::testing::open_store_plugin(dir_, SQLITE_STORE_PLUGIN));
    }
    void TearDown() override {
        queue_.reset();
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::shared_ptr<sf::TaskStore> task_store(std::uint32_t store_abi_minor) {
        return std::make_shared<sf::TaskStore>(db_, dir_ / "exports", store_abi_minor);
    }

    // A finished task nobody has read for two days.
    static sf::TaskRecord finished(const std::string& id) {
        sf::TaskRecord t;
        t.task_id = id;
        t.scan_type = sdk::ScanType::trusted_basic;
        t.targets = "192.0.2.1";
        t.status = TaskStatus::failed;
        t.phase = sf::TaskPhase::done;
        t.dead_letter = true;
        t.created_at = sf::now_ms() - 3 * kDay;
        t.updated_at = t.created_at + 1000;
        t.completed_at = t.created_at + 1000;
        t.last_accessed_at = sf::now_ms() - 2 * kDay;
        return t;
    }

    sf::HousekeepingReport pass(const std::shared_ptr<sf::TaskStore>& store) {
        sf::HousekeepingSettings h;
        h.ttl_seconds = 86'400;
        sf::Housekeeping hk(h, 30'000, queue_, store, std::make_shared<sf::ScannerPool>(sf::ScannersConfig{}), nullptr);
        return hk.pass();
    }

    std::filesystem::path dir_;
    std::shared_ptr<sdk::QueueBackend> queue_;
    std::shared_ptr<scanorch::testing::WatchedStore> db_;
};

// `scanorchctl dlq retry` in another process puts a dead task back in the
// queue right after the TTL listed it: the retried task is no longer
// expired, and the pass must not delete it (nor its export).
TEST_F(HousekeepingTtl, ATaskRetriedBetweenTheListAndTheDeleteIsKept) {
    auto store = task_store(SCANORCH_SDK_ABI_MINOR);
    ASSERT_TRUE(store->create(finished("idle"), "v1:a").ok());
    ASSERT_TRUE(store->create(finished("retried"), "v1:b").ok());
    std::filesystem::create_directories(store->dir("retried"));
    auto other_process = scanorch::testing::open_task_store(dir_, SQLITE_STORE_PLUGIN);
    bool listed = false;
    db_->watched().after_expired = [&](const std::vector<std::string>& ids) {
        listed = std::find(ids.begin(), ids.end(), "retried") != ids.end();
        auto r = other_process->update("retried", [](sf::TaskRecord& t) {
            t.status = TaskStatus::queued;
            t.phase = sf::TaskPhase::queued;
            t.dead_letter = false;
            t.completed_at = 0;
            return true;
        });
        ASSERT_TRUE(r) << r.error().message;
    };
    const auto report = pass(store);
    ASSERT_TRUE(report.ran);
    EXPECT_TRUE(listed) << "the race this test is about did not happen";
    EXPECT_EQ(report.removed, 1u);
    EXPECT_EQ(store->load("idle").error().kind, sdk::ErrorKind::not_found);
    auto kept = store->load("retried");
    ASSERT_TRUE(kept) << "the retried task was deleted: " << kept.error().message;
    EXPECT_EQ(kept->status, TaskStatus::queued);
    EXPECT_EQ(store->payload("retried").value_or(""), "v1:b");
    EXPECT_TRUE(std::filesystem::exists(store->dir("retried"))) << "its files stay with it";
}

// A store plugin built before ABI 1.4 is never asked for TaskRemoval: the
// TTL still removes what expired, with remove() as before.
TEST_F(HousekeepingTtl, AStoreWithoutConditionalRemovalStillExpiresTasks) {
    auto store = task_store(3);
    ASSERT_TRUE(store->create(finished("idle-1"), "v1:a").ok());
    ASSERT_TRUE(store->create(finished("idle-2"), "v1:b").ok());
    auto fresh = finished("fresh");
    fresh.last_accessed_at = sf::now_ms();
    ASSERT_TRUE(store->create(fresh, "v1:c").ok());
    const auto report = pass(store);
    ASSERT_TRUE(report.ran);
    EXPECT_EQ(report.removed, 2u);
    EXPECT_EQ(store->load("idle-1").error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(store->load("idle-2").error().kind, sdk::ErrorKind::not_found);
    EXPECT_TRUE(store->load("fresh").ok());
}

}  // namespace
