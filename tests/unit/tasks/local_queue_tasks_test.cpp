// What the host hands a process-local queue every few seconds
// (local_queue_tasks), over a real sqlite-store seen through the SDK
// boundary: the same answer as a read of every whole row, with whole rows
// read only for tasks the previous answers did not already carry.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <map>

#include "scanorch/framework/tasks/local_queue_tasks.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "task_store_access.h"
#include "watched_store.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using sf::TaskStatus;

namespace {

struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("scanorch-lqt-" + std::to_string(::getpid()));
    TempDir() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

sf::TaskRecord task(const std::string& id, TaskStatus status, std::int64_t created) {
    sf::TaskRecord t;
    t.task_id = id;
    t.scan_type = sdk::ScanType::trusted_basic;
    t.targets = "192.0.2.1";
    t.status = status;
    t.queue = status == TaskStatus::running ? "nessus-1" : "";
    t.created_at = created;
    t.updated_at = created + 1;
    t.attempts = status == TaskStatus::queued ? 0 : 1;
    if (status == TaskStatus::failed) {
        t.error = "scanner refused the login of " + id;
        t.completed_at = created + 2;
        t.phase = sf::TaskPhase::done;
    }
    t.description = std::string(4000, 'd');  // a document far larger than its summary
    return t;
}

// Each answer's entries by task id, as the queue parses them.
std::map<std::string, std::string> entries(const std::string& json) {
    std::map<std::string, std::string> out;
    auto arr = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto o = arr->getObject(static_cast<unsigned>(i));
        std::ostringstream text;
        o->stringify(text);
        out[o->getValue<std::string>("task_id")] = text.str();
    }
    return out;
}

// The answer as a read of every whole row gives it (what the host sent
// before it kept anything between answers).
std::map<std::string, std::string> from_whole_rows(const sf::TaskStore& store) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    auto r = store.for_each({TaskStatus::queued, TaskStatus::running, TaskStatus::failed},
                            [&](const sf::TaskRecord& t, const std::string& payload) {
                                if (t.status == TaskStatus::failed && !t.dead_letter) return true;
                                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                                o->set("task_id", t.task_id);
                                o->set("status", std::string(sf::to_string(t.status)));
                                o->set("dead_letter", t.dead_letter);
                                o->set("error", t.error);
                                o->set("queue", t.queue);
                                o->set("created_at", t.created_at);
                                o->set("completed_at", t.completed_at);
                                o->set("updated_at", t.updated_at);
                                o->set("attempts", t.attempts);
                                o->set("payload", payload);
                                arr->add(o);
                                return true;
                            });
    EXPECT_TRUE(r.ok());
    std::ostringstream text;
    arr->stringify(text);
    return entries(text.str());
}

}  // namespace

TEST(LocalQueueTasks, ReadsWholeRowsOnlyForTasksNotHandedOutBefore) {
    TempDir d;
    auto db = std::make_shared<scanorch::testing::WatchedStore>(
        scanorch::testing::open_store_plugin(d.path, SQLITE_STORE_PLUGIN));
    auto store = std::make_shared<sf::TaskStore>(db, d.path / "exports");
    auto& watched = db->watched();
    auto dead = task("dead", TaskStatus::failed, 1000);
    dead.dead_letter = true;
    for (const auto& t : {task("q-1", TaskStatus::queued, 3000), task("q-2", TaskStatus::queued, 2000),
                          task("run-1", TaskStatus::running, 1500), dead, task("failed-only", TaskStatus::failed, 900),
                          task("done", TaskStatus::completed, 800)}) {
        ASSERT_TRUE(store->create(t, "v1:sealed-" + t.task_id).ok());
    }
    sf::LocalQueueTasks view(store);
    auto answer = [&](int expect_documents, const char* step) {
        const auto expected = from_whole_rows(*store);
        const int before = watched.documents_read.load();
        auto text = view.read();
        EXPECT_TRUE(text) << step;
        if (!text) return;
        EXPECT_EQ(watched.documents_read.load() - before, expect_documents) << step;
        EXPECT_EQ(entries(*text), expected) << step;
    };

    // First answer: every task the queue must hold is new to it; a failure
    // outside the dead-letter queue and a completed task are never read whole.
    answer(4, "first answer");
    EXPECT_EQ(entries(*view.read()).count("dead"), 1u);
    // Nothing changed: no whole row is read at all.
    answer(0, "unchanged store");
    answer(0, "unchanged store, again");

    // A new task and a changed one (a retry elsewhere) are read whole, the rest not.
    ASSERT_TRUE(store->create(task("q-3", TaskStatus::queued, 4000), "v1:sealed-q-3").ok());
    ASSERT_TRUE(store->update("q-1", [](sf::TaskRecord& t) {
        t.attempts = 2;
        t.error = "retried after a scanner restart";
        return true;
    }));
    answer(2, "one new, one changed");
    answer(0, "settled again");

    // A task that left the queue's view (completed, or its dead letter
    // purged) is gone from the answer without a whole read.
    ASSERT_TRUE(store->update("run-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::completed;
        t.phase = sf::TaskPhase::done;
        return true;
    }));
    ASSERT_TRUE(store->remove("dead").ok());
    answer(0, "tasks left the view");
    EXPECT_EQ(entries(*view.read()).size(), 3u);
}
