// A store plugin loaded from its .so over a fresh, empty database per test,
// plus a way to reach that database with raw SQL (to plant rows a newer or
// broken writer could have left).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/store.h"

namespace contract {

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

struct Backend {
    std::string name;
    std::string plugin_file;
    std::string plugin_name;
    /// The plugin config for database number `n` (a new, empty one per n).
    std::function<std::string(int n)> config;
    /// Runs SQL on the database of `config`, bypassing the plugin.
    std::function<void(const std::string& config, const std::string& data_dir, const std::string& sql)> raw;
};

class StoreContract : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        data_dir_ = std::filesystem::temp_directory_path() /
                    ("scanorch-store-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_));
        std::filesystem::create_directories(data_dir_);
        config_ = GetParam().config(counter_);
        store_ = make();
        ASSERT_TRUE(store_);
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(data_dir_);
    }

    /// Another instance over the same database (as another process would open it).
    std::shared_ptr<sdk::Store> make() {
        auto r = open(config_);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? std::move(r).value() : nullptr;
    }
    sdk::Result<std::shared_ptr<sdk::Store>> open(const std::string& config) {
        if (!loader_.find(GetParam().plugin_name)) {
            auto r = loader_.load_file(GetParam().plugin_file);
            EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        }
        auto services = std::make_shared<sf::HostServices>(nullptr, data_dir_.string());
        return loader_.instantiate<sdk::Store>(GetParam().plugin_name, config,
                                               sf::HostApi::make(services, GetParam().plugin_name));
    }
    void raw(const std::string& sql) { GetParam().raw(config_, data_dir_.string(), sql); }
    /// Closes the store and rebuilds the database in a released schema's shape
    /// (store_contract_test.cpp), keeping the tasks' rows.
    void downgrade_to(int version);

    sdk::TaskTable& tasks() { return store_->tasks(); }
    sdk::FindingIndex& findings() { return store_->findings(); }

    sf::PluginLoader loader_;
    std::filesystem::path data_dir_;
    std::string config_;
    std::shared_ptr<sdk::Store> store_;
    static inline int counter_ = 0;
};

/// A page query for one task (the struct has defaults for the rest).
inline sdk::FindingPageQuery page_of(const std::string& task_id, sdk::FindingFilter filter = {}) {
    sdk::FindingPageQuery q;
    q.task_id = task_id;
    q.filter = std::move(filter);
    return q;
}

/// A task with every field set to something recognisable.
inline sdk::StoredTask sample_task(const std::string& id, std::int64_t created = 1'700'000'000'000) {
    sdk::StoredTask t;
    t.task_id = id;
    t.client = "team-a";
    t.status = sdk::TaskState::queued;
    t.scanner = "nessus-1";
    t.pool = "dmz";
    t.targets = "192.0.2.0/28, 198.51.100.7";
    t.lease_token = "";
    t.created_at_ms = created;
    t.updated_at_ms = created + 1;
    t.completed_at_ms = 0;
    t.last_accessed_at_ms = created + 2;
    t.summary = R"({"task_id":")" + id + R"(","name":"weekly ÄÖÜ scan"})";
    t.document = R"({"task_id":")" + id + R"(","validation_stats":{"hosts":[)" + std::string(20000, ' ') + "]}}";
    t.payload = R"({"sealed":"AAECAwQF+/=="})";
    return t;
}

}  // namespace contract
