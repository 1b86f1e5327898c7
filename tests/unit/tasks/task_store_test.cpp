#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "scanorch/framework/tasks/task_store.h"

namespace sf = scanorch::framework;

namespace {
struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("scanorch-store-" + std::to_string(::getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};
sf::TaskRecord task(const std::string& id) {
    sf::TaskRecord t;
    t.task_id = id;
    t.scan_type = "trusted_basic";
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
    EXPECT_EQ(loaded->status, "queued");
    EXPECT_EQ(store.payload("t-1").value_or(""), "v1:sealed");

    auto updated = store.update("t-1", [](sf::TaskRecord& t) {
        t.status = "running";
        t.scan_id = "42";
        return true;
    });
    ASSERT_TRUE(updated);
    EXPECT_EQ(store.load("t-1")->scan_id, "42");
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
    ASSERT_EQ(api.load("t-3")->status, "queued");
    ASSERT_EQ(api.load("t-3")->status, "queued");  // now from the cache
    for (const char* status : {"running", "completed"}) {
        ASSERT_TRUE(worker.update("t-3", [&](sf::TaskRecord& t) {
            t.status = status;
            return true;
        }));
        EXPECT_EQ(api.load("t-3")->status, status);
    }
    // The same size and the same second: only the file's identity differs.
    auto t = *api.load("t-3");
    t.status = "cancelled";
    t.name = "weekl";  // "completed" -> "cancelled" is one byte longer, the name one shorter
    std::ostringstream text;
    t.to_json()->stringify(text, 2);
    ASSERT_TRUE(sf::write_file_atomically(api.dir("t-3") / "task.json", text.str()).ok());
    EXPECT_EQ(api.load("t-3")->status, "cancelled");
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
    t.validation_stats = new Poco::JSON::Object;
    t.validation_stats->set("hosts_scanned", 1);
    ASSERT_TRUE(store.create(t, "").ok());
    ASSERT_EQ(store.load("t-4")->validation_stats->getValue<int>("hosts_scanned"), 1);
    ASSERT_TRUE(store.update("t-4", [](sf::TaskRecord& r) {
        r.validation_stats->set("hosts_scanned", 99);
        r.status = "failed";
        return false;
    }));
    const auto after = store.load("t-4");
    EXPECT_EQ(after->status, "queued");
    EXPECT_EQ(after->validation_stats->getValue<int>("hosts_scanned"), 1);
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
        t.status = "completed";
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
