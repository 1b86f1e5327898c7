// A queue plugin loaded from its .so with a clock the test controls.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/queue_backend.h"

namespace contract {

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

struct Backend {
    std::string name;
    std::string plugin_file;
    std::string plugin_name;
    std::function<std::string()> config;  ///< a fresh, empty queue each call
};

class QueueContract : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        data_dir_ = std::filesystem::temp_directory_path() /
                    ("scanorch-queue-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        std::filesystem::create_directories(data_dir_);
        config_ = GetParam().config();
        queue_ = make(config_);
        ASSERT_TRUE(queue_);
    }
    void TearDown() override {
        queue_.reset();
        std::filesystem::remove_all(data_dir_);
    }

    /// Another instance over the same queue (same config), or a fresh one.
    std::shared_ptr<sdk::QueueBackend> make() { return make(config_); }
    std::shared_ptr<sdk::QueueBackend> make(const std::string& config) {
        if (!loader_.find(GetParam().plugin_name)) {
            auto r = loader_.load_file(GetParam().plugin_file);
            EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        }
        auto services = std::make_shared<sf::HostServices>(nullptr, data_dir_.string(), [this] { return now_.load(); });
        if (local_tasks_) services->set_local_queue_tasks(local_tasks_);
        auto q = loader_.instantiate<sdk::QueueBackend>(GetParam().plugin_name, config,
                                                        sf::HostApi::make(services, GetParam().plugin_name));
        EXPECT_TRUE(q) << (q ? "" : q.error().message);
        return q ? std::move(q).value() : nullptr;
    }

    /// What the host offers a process-local queue to rebuild from (none by default).
    sf::HostServices::LocalQueueTasks local_tasks_;

    static sdk::QueueTask task(const std::string& id, const std::string& queue = "") {
        sdk::QueueTask t;
        t.task_id = id;
        t.scanner_id = queue;
        t.payload = "{\"task_id\":\"" + id + "\"}";
        return t;
    }

    sdk::Claim must_claim(const std::string& scanner, std::uint32_t max = 10, std::int64_t lease = 60000) {
        auto c = queue_->claim(scanner, max, lease);
        EXPECT_TRUE(c) << (c ? "" : c.error().message);
        EXPECT_TRUE(c && c->has_value()) << "nothing to claim for " << scanner;
        return c && c->has_value() ? **c : sdk::Claim{};
    }

    bool nothing(const std::string& scanner, std::uint32_t max = 10) {
        auto c = queue_->claim(scanner, max, 60000);
        return c && !c->has_value();
    }

    sf::PluginLoader loader_;
    std::filesystem::path data_dir_;
    std::atomic<std::int64_t> now_{1'700'000'000'000};
    std::shared_ptr<sdk::QueueBackend> queue_;
    std::string config_;
    static inline int counter_ = 0;
};

}  // namespace contract
