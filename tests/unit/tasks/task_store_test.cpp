#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/tasks/task_store.h"

namespace sf = scanorch::framework;
using sf::TaskStatus;

namespace {
struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("scanorch-store-" + std::to_string(::getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};
sf::TaskRecord task(const std::string& id) {
    sf::TaskRecord t;
    t.task_id = id;
    t.scan_type = scanorch::sdk::ScanType::trusted_basic;
    t.targets = "192.0.2.1";
    t.name = "weekly";
    t.created_at = 1700000000000;
    return t;
}
}  // namespace

TEST(TaskStore, CreateLoadUpdateRemove) {
    TempDir d;
    sf::TaskStore store(d.path);
    ASSERT_TRUE(store.create(task("t-1"), "v1:sealed").ok());
    auto again = store.create(task("t-1"), "x");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().message, "task 't-1' already exists");

    auto loaded = store.load("t-1");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->targets, "192.0.2.1");
    EXPECT_EQ(loaded->status, TaskStatus::queued);
    EXPECT_EQ(store.payload("t-1").value_or(""), "v1:sealed");

    auto updated = store.update("t-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        t.scan = {"s1", "42"};
        return true;
    });
    ASSERT_TRUE(updated);
    EXPECT_EQ(store.load("t-1")->scan, (sf::ScanRef{"s1", "42"}));
    EXPECT_GT(store.load("t-1")->updated_at, 0) << "every write is stamped";
    // No temp files are left behind.
    for (const auto& e : std::filesystem::directory_iterator(store.dir("t-1"))) {
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    }
    EXPECT_EQ(store.ids(), std::vector<std::string>{"t-1"});
    ASSERT_TRUE(store.remove("t-1").ok());
    EXPECT_EQ(store.load("t-1").error().kind, scanorch::sdk::ErrorKind::not_found);
}

TEST(TaskStore, RefusesPathTricks) {
    TempDir d;
    sf::TaskStore store(d.path);
    EXPECT_EQ(store.load("../etc/passwd").error().kind, scanorch::sdk::ErrorKind::invalid_input);
    EXPECT_FALSE(store.create(task("a/b"), "").ok());
    EXPECT_FALSE(sf::TaskStore::valid_id(""));
    for (const char* bad : {".", "..", ".hidden", "-lead", "_lead", "a.b", "a b", "a\\b", "t-1\n"}) {
        EXPECT_FALSE(sf::TaskStore::valid_id(bad)) << bad;
    }
    EXPECT_FALSE(sf::TaskStore::valid_id(std::string(65, 'a')));
    EXPECT_TRUE(sf::TaskStore::valid_id(std::string(64, 'a')));
    EXPECT_TRUE(sf::TaskStore::valid_id("0b5e7c1a-4f1e-4e3c-9f6f-2f7d0c8e9a11"));
}

TEST(TaskStore, ConcurrentUpdatesLoseNothing) {
    TempDir d;
    sf::TaskStore store(d.path);
    ASSERT_TRUE(store.create(task("t-2"), "").ok());
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            for (int n = 0; n < 25; ++n) {
                ASSERT_TRUE(store.update("t-2", [](sf::TaskRecord& t) {
                    ++t.attempts;
                    return true;
                }));
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(store.load("t-2")->attempts, 100u);
}

// load() keeps what it parsed; a change made through another store (another
// process, another host on the same data dir) or by replacing the file must
// still be seen at once.
TEST(TaskStore, LoadSeesEveryChangeFromAnywhere) {
    TempDir d;
    sf::TaskStore api(d.path), worker(d.path);
    ASSERT_TRUE(api.create(task("t-3"), "").ok());
    ASSERT_EQ(api.load("t-3")->status, TaskStatus::queued);
    ASSERT_EQ(api.load("t-3")->status, TaskStatus::queued);  // now from the cache
    for (const auto status : {TaskStatus::running, TaskStatus::completed}) {
        ASSERT_TRUE(worker.update("t-3", [&](sf::TaskRecord& t) {
            t.status = status;
            return true;
        }));
        EXPECT_EQ(api.load("t-3")->status, status);
    }
    // The same size and the same second: only the file's identity differs.
    auto t = *api.load("t-3");
    t.status = TaskStatus::cancelled;
    t.name = "weekl";  // "completed" -> "cancelled" is one byte longer, the name one shorter
    std::ostringstream text;
    sf::to_json(t)->stringify(text, 2);
    ASSERT_TRUE(sf::write_file_atomically(api.dir("t-3") / "task.json", text.str()).ok());
    EXPECT_EQ(api.load("t-3")->status, TaskStatus::cancelled);
    // Removed by another store: not found here either, not served from memory.
    ASSERT_TRUE(worker.remove("t-3").ok());
    EXPECT_EQ(api.load("t-3").error().kind, scanorch::sdk::ErrorKind::not_found);
}

// update() hands `change` a record of its own: a change it then drops (returns
// false) or fails to write must not show in later loads.
TEST(TaskStore, ADroppedChangeNeverReachesTheCache) {
    TempDir d;
    sf::TaskStore store(d.path);
    auto t = task("t-4");
    t.validation_stats = scanorch::sdk::ValidationStats{};
    t.validation_stats->hosts_scanned = 1;
    ASSERT_TRUE(store.create(t, "").ok());
    ASSERT_EQ(store.load("t-4")->validation_stats->hosts_scanned, 1u);
    ASSERT_TRUE(store.update("t-4", [](sf::TaskRecord& r) {
        r.validation_stats->hosts_scanned = 99;
        r.status = TaskStatus::failed;
        return false;
    }));
    const auto after = store.load("t-4");
    EXPECT_EQ(after->status, TaskStatus::queued);
    EXPECT_EQ(after->validation_stats->hosts_scanned, 1u);
}

// A client's unfinished tasks come from an index that create() feeds and
// unfinished_for() prunes; a data dir from before the index gets it built.
TEST(TaskStore, CountsAClientsUnfinishedTasksFromItsIndex) {
    TempDir d;
    sf::TaskStore store(d.path);
    auto for_client = [](const std::string& id, const std::string& client) {
        auto t = task(id);
        t.client = client;
        return t;
    };
    for (const auto& [id, client] : std::vector<std::pair<std::string, std::string>>{
             {"a-1", "agent a"}, {"a-2", "agent a"}, {"b-1", "agent/b"}, {"none", ""}}) {
        ASSERT_TRUE(store.create(for_client(id, client), "").ok());
    }
    auto sorted = [&](const std::string& client) {
        auto ids = store.unfinished_for(client);
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    EXPECT_EQ(sorted("agent a"), (std::vector<std::string>{"a-1", "a-2"}));
    EXPECT_EQ(sorted("agent/b"), std::vector<std::string>{"b-1"}) << "any client name is safe as a key";
    EXPECT_TRUE(sorted("nobody").empty());

    ASSERT_TRUE(store.update("a-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::completed;
        return true;
    }));
    EXPECT_EQ(sorted("agent a"), std::vector<std::string>{"a-2"}) << "an ended task no longer counts";
    ASSERT_TRUE(store.remove("a-2").ok());
    EXPECT_TRUE(sorted("agent a").empty()) << "a removed task no longer counts";
    std::size_t entries = 0;
    for (const auto& dir : std::filesystem::directory_iterator(d.path / "client_tasks")) {
        if (dir.is_directory()) entries += static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
    }
    EXPECT_EQ(entries, 1u) << "pruned entries are gone; b-1's stays";

    // A data dir written before the index existed: built from the tasks on first use.
    std::filesystem::remove_all(d.path / "client_tasks");
    ASSERT_TRUE(store.create(for_client("a-3", "agent a"), "").ok());
    std::filesystem::remove_all(d.path / "client_tasks");
    sf::TaskStore upgraded(d.path);
    EXPECT_EQ(upgraded.unfinished_for("agent a"), std::vector<std::string>{"a-3"});
    EXPECT_EQ(upgraded.unfinished_for("agent/b"), std::vector<std::string>{"b-1"});
}

// The codec: every field survives a round trip, and an unknown word is an
// error naming the field, never a silent default (a scan type read as
// "untrusted" would run a trusted scan without its checks).
TEST(TaskCodec, RoundTripsEveryFieldAndRefusesUnknownWords) {
    auto t = task("t-5");
    t.status = TaskStatus::failed;
    t.phase = sf::TaskPhase::done;
    t.failure = sf::FailureKind::authentication;
    t.scan = {"east", "17"};
    t.lease_token = "tok";
    t.authentication_status = scanorch::sdk::AuthStatus::failed;
    t.validation_warnings = {"w1"};
    scanorch::sdk::ValidationStats stats;
    stats.hosts_scanned = 3;
    stats.severity_breakdown.high = 2;
    stats.hosts.push_back({"192.0.2.1", true, 5, scanorch::sdk::HostAuth::failed, "plugin 21745"});
    t.validation_stats = stats;
    auto back = sf::task_from_json(sf::to_json(t));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->status, TaskStatus::failed);
    EXPECT_EQ(back->phase, sf::TaskPhase::done);
    EXPECT_EQ(back->failure, sf::FailureKind::authentication);
    EXPECT_EQ(back->scan, (sf::ScanRef{"east", "17"}));
    EXPECT_EQ(back->scan_type, scanorch::sdk::ScanType::trusted_basic);
    EXPECT_EQ(back->authentication_status, scanorch::sdk::AuthStatus::failed);
    ASSERT_TRUE(back->validation_stats);
    EXPECT_EQ(back->validation_stats->severity_breakdown.high, 2u);
    ASSERT_EQ(back->validation_stats->hosts.size(), 1u);
    EXPECT_EQ(back->validation_stats->hosts[0].auth, scanorch::sdk::HostAuth::failed);

    for (const char* field : {"scan_type", "status", "phase", "error_kind", "authentication_status"}) {
        auto o = sf::to_json(t);
        o->set(field, "nonsense");
        auto r = sf::task_from_json(o);
        ASSERT_FALSE(r) << field;
        EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
    }
    // A retry forgets everything the run produced.
    t.reset_run();
    EXPECT_TRUE(t.scan.empty());
    EXPECT_FALSE(t.authentication_status);
    EXPECT_FALSE(t.validation_stats);
    EXPECT_TRUE(t.validation_warnings.empty());
    EXPECT_EQ(t.failure, sf::FailureKind::none);
}
