#include <gtest/gtest.h>

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/tasks/task_store.h"
#include "task_store_access.h"
#include "watched_store.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using sf::TaskStatus;

namespace {
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("scanorch-store-" + std::to_string(::getpid()));
    TempDir() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// A real sqlite-store over the data dir: each call is another plugin
// instance and connection pool, as another process on the host would have.
std::shared_ptr<sf::TaskStore> open_store(const std::filesystem::path& data_dir) {
    return scanorch::testing::open_task_store(data_dir, SQLITE_STORE_PLUGIN);
}

sf::TaskRecord task(const std::string& id, std::int64_t created_at = 1700000000000) {
    sf::TaskRecord t;
    t.task_id = id;
    t.scan_type = sdk::ScanType::trusted_basic;
    t.targets = "192.0.2.1";
    t.name = "weekly";
    t.created_at = created_at;
    return t;
}
}  // namespace

TEST(TaskStore, CreateLoadUpdateRemove) {
    TempDir d;
    auto store = open_store(d.path);
    ASSERT_TRUE(store->create(task("t-1"), "v1:sealed").ok());
    auto again = store->create(task("t-1"), "x");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(again.error().message.find("t-1"), std::string::npos) << again.error().message;

    auto loaded = store->load("t-1");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->targets, "192.0.2.1");
    EXPECT_EQ(loaded->status, TaskStatus::queued);
    EXPECT_EQ(store->payload("t-1").value_or(""), "v1:sealed");

    auto updated = store->update("t-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        t.scan = {"s1", "42"};
        return true;
    });
    ASSERT_TRUE(updated);
    EXPECT_EQ(store->load("t-1")->scan, (sf::ScanRef{"s1", "42"}));
    EXPECT_GT(store->load("t-1")->updated_at, 0) << "every write is stamped";
    EXPECT_EQ(store->payload("t-1").value_or(""), "v1:sealed") << "an update never touches the payload";

    // An export of this process goes with the task.
    std::ofstream(store->export_path("t-1", "a1")) << "<x/>";
    ASSERT_TRUE(std::filesystem::exists(store->dir("t-1")));
    ASSERT_TRUE(store->remove("t-1").ok());
    EXPECT_EQ(store->load("t-1").error().kind, sdk::ErrorKind::not_found);
    EXPECT_FALSE(std::filesystem::exists(store->dir("t-1")));
}

TEST(TaskStore, AnExportPathsDirectoryIsMadeEvenAfterTheExportsDirectoryWentAway) {
    TempDir d;
    auto store = open_store(d.path);
    const auto first = store->export_path("t-1", "a1");
    EXPECT_TRUE(std::filesystem::is_directory(first.parent_path()));
    EXPECT_EQ(store->export_path("t-1", "a2").parent_path(), first.parent_path()) << "one directory per task";
    // Removed under the running daemon (an operator cleaning up): made again
    // with its parents, not a failed export.
    std::filesystem::remove_all(first.parent_path().parent_path());
    const auto again = store->export_path("t-2", "a1");
    EXPECT_TRUE(std::filesystem::is_directory(again.parent_path()));
    EXPECT_TRUE(std::ofstream(again) << "<x/>");
}

// A row holds the whole record and, for list pages, a summary: the same
// record without its large parts. Both come from one encoding per write.
TEST(TaskStore, ASummaryIsTheRecordWithoutItsLargeParts) {
    TempDir d;
    auto store = open_store(d.path);
    auto t = task("t-sum");
    t.description = "a long description";
    ASSERT_TRUE(store->create(t, "").ok());
    ASSERT_TRUE(store->update("t-sum", [](sf::TaskRecord& r) {
        r.status = TaskStatus::failed;
        r.error = "the export could not be read";
        r.failure = sf::FailureKind::validation;
        r.validation_warnings = {"w1", "w2"};
        r.validation_stats = sdk::ValidationStats{};
        r.validation_stats->hosts_scanned = 3;
        r.scan = {"s1", "42"};
        return true;
    }));
    const auto row = store->db().tasks().get("t-sum");
    ASSERT_TRUE(row) << row.error().message;
    auto whole = sf::task_from_json(Poco::JSON::Parser().parse(row->document).extract<Poco::JSON::Object::Ptr>());
    auto summary = sf::task_from_json(Poco::JSON::Parser().parse(row->summary).extract<Poco::JSON::Object::Ptr>());
    ASSERT_TRUE(whole) << whole.error().message;
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(whole->description, "a long description");
    EXPECT_EQ(whole->error, "the export could not be read");
    EXPECT_EQ(whole->validation_warnings.size(), 2u);
    ASSERT_TRUE(whole->validation_stats);
    EXPECT_EQ(whole->validation_stats->hosts_scanned, 3u);
    EXPECT_TRUE(summary->description.empty());
    EXPECT_TRUE(summary->error.empty());
    EXPECT_TRUE(summary->validation_warnings.empty());
    EXPECT_FALSE(summary->validation_stats);
    // The rest is the record itself.
    EXPECT_EQ(summary->status, TaskStatus::failed);
    EXPECT_EQ(summary->failure, sf::FailureKind::validation);
    EXPECT_EQ(summary->scan, (sf::ScanRef{"s1", "42"}));
    EXPECT_EQ(summary->name, "weekly");
    EXPECT_EQ(summary->targets, "192.0.2.1");
}

// list() keeps the records it decoded; a page read again must still show
// every change, whether this process or another one (another store over the
// same database) made it, and a task removed and made again under the same
// id is never served from what the old one left.
TEST(TaskStore, ListShowsEveryChangeToAPageItReadBefore) {
    TempDir d;
    auto a = open_store(d.path);
    auto b = open_store(d.path);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->create(task("p-" + std::to_string(i), 1700000000000 + i), "").ok());
    auto names = [&](const sf::TaskStore& s) {
        std::vector<std::string> out;
        auto page = s.list(sf::TaskListQuery{});
        EXPECT_TRUE(page) << page.error().message;
        if (page) {
            for (const auto& t : page->tasks)
                out.push_back(t.task_id + ":" + t.name + ":" + std::string(sf::to_string(t.status)));
        }
        return out;
    };
    EXPECT_EQ(names(*a), (std::vector<std::string>{"p-2:weekly:queued", "p-1:weekly:queued", "p-0:weekly:queued"}));
    ASSERT_TRUE(b->update("p-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        t.name = "renamed";
        return true;
    }));
    ASSERT_TRUE(a->update("p-0", [](sf::TaskRecord& t) {
        t.status = TaskStatus::cancelled;
        return true;
    }));
    EXPECT_EQ(names(*a),
              (std::vector<std::string>{"p-2:weekly:queued", "p-1:renamed:running", "p-0:weekly:cancelled"}));
    ASSERT_TRUE(a->touch("p-2", 1800000000000).ok());
    auto touched = a->list(sf::TaskListQuery{});
    ASSERT_TRUE(touched);
    EXPECT_EQ(touched->tasks[0].last_accessed_at, 1800000000000) << "a read moves last_accessed_at, not the revision";
    // Removed by the other process and made again: revision 1 again, another created_at.
    ASSERT_TRUE(b->remove("p-2").ok());
    auto again = task("p-2", 1700000000000 + 9);
    again.name = "second life";
    ASSERT_TRUE(b->create(again, "").ok());
    EXPECT_EQ(names(*a)[0], "p-2:second life:queued");
}

TEST(TaskStore, RefusesPathTricks) {
    TempDir d;
    auto store = open_store(d.path);
    EXPECT_EQ(store->load("../etc/passwd").error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_FALSE(store->create(task("a/b"), "").ok());
    EXPECT_FALSE(sf::TaskStore::valid_id(""));
    for (const char* bad : {".", "..", ".hidden", "-lead", "_lead", "a.b", "a b", "a\\b", "t-1\n"}) {
        EXPECT_FALSE(sf::TaskStore::valid_id(bad)) << bad;
    }
    EXPECT_FALSE(sf::TaskStore::valid_id(std::string(65, 'a')));
    EXPECT_TRUE(sf::TaskStore::valid_id(std::string(64, 'a')));
    EXPECT_TRUE(sf::TaskStore::valid_id("0b5e7c1a-4f1e-4e3c-9f6f-2f7d0c8e9a11"));
}

// Two stores on one database (two processes): the revision-guarded
// read-modify-write re-applies a change that lost, so none is lost.
TEST(TaskStore, ConcurrentUpdatesFromTwoProcessesLoseNothing) {
    TempDir d;
    auto a = open_store(d.path);
    auto b = open_store(d.path);
    ASSERT_TRUE(a->create(task("t-2"), "").ok());
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            auto& store = i % 2 ? *a : *b;
            for (int n = 0; n < 25; ++n) {
                auto r = store.update("t-2", [](sf::TaskRecord& t) {
                    ++t.attempts;
                    return true;
                });
                ASSERT_TRUE(r) << r.error().message;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(a->load("t-2")->attempts, 100u);
}

// load_shared() keeps what it decoded; a change made through another store
// (another process, another host) must still be seen at once, and a read
// recorded by touch() shows without a new revision.
TEST(TaskStore, LoadSeesEveryChangeFromAnywhere) {
    TempDir d;
    auto api = open_store(d.path);
    auto worker = open_store(d.path);
    ASSERT_TRUE(api->create(task("t-3"), "").ok());
    auto first = api->load_shared("t-3");
    ASSERT_TRUE(first);
    EXPECT_EQ(api->load_shared("t-3")->get(), first->get()) << "unchanged: the same instance";
    for (const auto status : {TaskStatus::running, TaskStatus::completed}) {
        ASSERT_TRUE(worker->update("t-3", [&](sf::TaskRecord& t) {
            t.status = status;
            return true;
        }));
        EXPECT_EQ(api->load("t-3")->status, status);
    }
    ASSERT_TRUE(worker->touch("t-3", 1800000000000).ok());
    EXPECT_EQ(api->load("t-3")->last_accessed_at, 1800000000000);
    ASSERT_TRUE(worker->remove("t-3").ok());
    EXPECT_EQ(api->load("t-3").error().kind, sdk::ErrorKind::not_found);
}

// A status poll (Freshness::poll) may answer from memory: this process's
// writes show in its very next poll, another process's once the poll's
// bound has passed since they committed; an exact read shows both at once.
// In one process (scanorchd all) a worker takes a task over right after
// its submission: that first update starts from the record as created
// instead of reading and parsing the row. Another process's write in
// between is not lost: the revision guard refuses the guess and the row is
// read.
TEST(TaskStore, TheFirstUpdateAfterACreateStartsFromTheCreatedRecord) {
    TempDir d;
    auto db = std::make_shared<scanorch::testing::WatchedStore>(
        scanorch::testing::open_store_plugin(d.path, SQLITE_STORE_PLUGIN));
    sf::TaskStore here(db, d.path / "exports");
    auto& watched = db->watched();
    ASSERT_TRUE(here.create(task("t-a"), "").ok());
    ASSERT_TRUE(here.update("t-a", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        return true;
    }));
    EXPECT_EQ(watched.documents_read.load(), 0) << "the take-over read the row it had just written";
    EXPECT_EQ(open_store(d.path)->load("t-a")->status, TaskStatus::running);

    ASSERT_TRUE(here.create(task("t-b"), "").ok());
    auto elsewhere = open_store(d.path);
    ASSERT_TRUE(elsewhere->update("t-b", [](sf::TaskRecord& t) {
        t.name = "renamed elsewhere";
        return true;
    }));
    const int before = watched.documents_read.load();
    ASSERT_TRUE(here.update("t-b", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        return true;
    }));
    EXPECT_EQ(watched.documents_read.load() - before, 1) << "the stale guess was not read again";
    const auto b = open_store(d.path)->load("t-b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, TaskStatus::running);
    EXPECT_EQ(b->name, "renamed elsewhere") << "the other process's write was lost";
}

// A store plugin whose create() answers without the row's revision gives
// the cache nothing to guard the next update with: that update reads the
// row, and a write another process made meanwhile survives it.
TEST(TaskStore, ACreateAnsweredWithoutARevisionIsNotTakenAsTheRecord) {
    TempDir d;
    auto db = std::make_shared<scanorch::testing::WatchedStore>(
        scanorch::testing::open_store_plugin(d.path, SQLITE_STORE_PLUGIN));
    db->watched().create_answers_no_revision = true;
    sf::TaskStore here(db, d.path / "exports");
    ASSERT_TRUE(here.create(task("t-c"), "").ok());
    ASSERT_TRUE(open_store(d.path)->update("t-c", [](sf::TaskRecord& t) {
        t.name = "renamed elsewhere";
        return true;
    }));
    ASSERT_TRUE(here.update("t-c", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        return true;
    }));
    const auto c = open_store(d.path)->load("t-c");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->status, TaskStatus::running);
    EXPECT_EQ(c->name, "renamed elsewhere") << "the update overwrote another process's write";
}

TEST(TaskStore, PollsSeeOwnWritesAtOnceAndOtherProcessesWithinTheBound) {
    using Clock = std::chrono::steady_clock;
    TempDir d;
    auto api = open_store(d.path);
    auto worker = open_store(d.path);
    ASSERT_TRUE(api->create(task("t-9"), "").ok());
    auto poll = [&] {
        auto r = api->load_shared("t-9", sf::Freshness::poll);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::make_shared<const sf::TaskRecord>();
    };
    ASSERT_EQ(poll()->status, TaskStatus::queued);

    // This process's writes, one after another inside one bound.
    for (const auto status : {TaskStatus::running, TaskStatus::queued, TaskStatus::running}) {
        ASSERT_TRUE(api->update("t-9", [&](sf::TaskRecord& t) {
            t.status = status;
            return true;
        }));
        EXPECT_EQ(poll()->status, status) << "a write of this process shows in its next poll";
    }
    ASSERT_TRUE(api->touch("t-9", 1800000000000).ok());
    EXPECT_EQ(poll()->last_accessed_at, 1800000000000);

    // Another process's write reaches a poll (waited for as a condition,
    // with a deadline far past the bound).
    ASSERT_EQ(poll()->error, "");
    ASSERT_TRUE(worker->update("t-9", [](sf::TaskRecord& t) {
        t.error = "written elsewhere";
        return true;
    }));
    const auto first_commit = Clock::now();
    while (poll()->error != "written elsewhere" && Clock::now() - first_commit < std::chrono::seconds(10)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(poll()->error, "written elsewhere") << "another process's write never reached a poll";

    // The bound itself: a poll begun once it has passed since the commit
    // cannot miss the write, however slow the machine.
    ASSERT_TRUE(worker->update("t-9", [](sf::TaskRecord& t) {
        t.status = TaskStatus::completed;
        return true;
    }));
    const auto committed = Clock::now();
    while (Clock::now() - committed <= sf::TaskStore::kPollStaleness) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(poll()->status, TaskStatus::completed);

    // An exact read never waits for the bound.
    ASSERT_TRUE(worker->update("t-9", [](sf::TaskRecord& t) {
        t.error = "written elsewhere again";
        return true;
    }));
    EXPECT_EQ(api->load("t-9")->error, "written elsewhere again");

    // A task removed here is gone for this process's next poll.
    ASSERT_TRUE(api->remove("t-9").ok());
    auto gone = api->load_shared("t-9", sf::Freshness::poll);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind, sdk::ErrorKind::not_found);
}

// Polls racing a write of this process: a read that began before the write
// and ends after it must not put the older record back, or the writer's
// next poll would miss its own write. The overlap is up to the scheduler,
// so this catches a broken ordering often rather than always.
TEST(TaskStore, APollRacingAWriteNeverHidesIt) {
    TempDir d;
    auto store = open_store(d.path);
    auto t = task("t-10");
    // A large record: each racing read spends long parsing it, so reads
    // that began before a write often end after it.
    t.validation_stats = sdk::ValidationStats{};
    t.validation_stats->hosts.resize(2000);
    t.validation_warnings.assign(2000, "warning text");
    ASSERT_TRUE(store->create(t, "").ok());
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i) {
        readers.emplace_back([&] {
            // Exact reads go to the store each time, so they overlap the writes.
            while (!done) (void)store->load_shared("t-10");
        });
    }
    std::uint32_t behind = 0;
    for (std::uint32_t n = 1; n <= 300; ++n) {
        ASSERT_TRUE(store->update("t-10", [&](sf::TaskRecord& t) {
            t.attempts = n;
            return true;
        }));
        auto seen = store->load_shared("t-10", sf::Freshness::poll);
        ASSERT_TRUE(seen);
        if ((*seen)->attempts < n) ++behind;
    }
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(behind, 0u) << "polls after this process's own write showed an older record";
}

// The cache is full and this process writes a task while a read of it,
// begun before the write, is in flight; the cache then fills further and
// drops the write's entry. The read must not put the older record back, or
// this process's next poll would not show its own write.
TEST(TaskStore, AReadBegunBeforeAWriteCannotComeBackWhenTheCacheIsFull) {
    TempDir d;
    auto db = std::make_shared<scanorch::testing::WatchedStore>(
        scanorch::testing::open_store_plugin(d.path, SQLITE_STORE_PLUGIN));
    // A bound far past the test's run: no entry ages out of it meanwhile.
    sf::TaskStore here(db, d.path / "exports", SCANORCH_SDK_ABI_MINOR, std::chrono::minutes(1));
    ASSERT_TRUE(open_store(d.path)->create(task("t-x"), "").ok());  // not in here's cache: the read goes to the store
    db->watched().after_get = [&](const std::string&) {
        ASSERT_TRUE(here.update("t-x", [](sf::TaskRecord& t) {
            t.status = TaskStatus::running;
            return true;
        }));
        // Fences of this process's writes (touch() leaves one even for a
        // task that is not there) fill the cache past its bound.
        for (std::size_t i = 0; i <= sf::TaskStore::kCacheEntries; ++i) {
            (void)here.touch("f-" + std::to_string(i), 1800000000000);
        }
    };
    ASSERT_EQ(here.load_shared("t-x").value()->status, TaskStatus::queued) << "the read as it began";
    ASSERT_FALSE(db->watched().after_get) << "the write did not run inside the read";
    EXPECT_EQ(here.cached(), sf::TaskStore::kCacheEntries);
    auto polled = here.load_shared("t-x", sf::Freshness::poll);
    ASSERT_TRUE(polled) << polled.error().message;
    EXPECT_EQ((*polled)->status, TaskStatus::running)
        << "a poll after this process's write showed the record before it";
    // A read begun after the eviction is kept: the next poll needs no row.
    const int reads = db->watched().documents_read.load();
    EXPECT_EQ(here.load_shared("t-x", sf::Freshness::poll).value()->status, TaskStatus::running);
    EXPECT_EQ(db->watched().documents_read.load(), reads);
}

// The cache holds at most kCacheEntries tasks, however fast they come, and
// drops the one remembered longest ago: the task just written is still
// answered from memory, the first one is read again.
TEST(TaskStore, TheCacheKeepsItsBoundAndDropsTheOldestFirst) {
    TempDir d;
    auto db = std::make_shared<scanorch::testing::WatchedStore>(
        scanorch::testing::open_store_plugin(d.path, SQLITE_STORE_PLUGIN));
    sf::TaskStore here(db, d.path / "exports", SCANORCH_SDK_ABI_MINOR, std::chrono::minutes(1));
    ASSERT_TRUE(here.create(task("t-old"), "").ok());
    ASSERT_TRUE(here.create(task("t-first"), "").ok());
    for (std::size_t i = 0; i < sf::TaskStore::kCacheEntries + 100; ++i) {
        (void)here.touch("f-" + std::to_string(i), 1800000000000);
        // One task polled over and over meanwhile: its entry moves on each
        // time and stays, however many others come and go.
        if (i % 64 == 0) (void)here.load_shared("t-first");
    }
    EXPECT_EQ(here.cached(), sf::TaskStore::kCacheEntries);
    // A full cache still takes a created task: its take-over needs no row.
    const int reads = db->watched().documents_read.load();
    ASSERT_TRUE(here.create(task("t-last"), "").ok());
    ASSERT_TRUE(here.update("t-last", [](sf::TaskRecord& t) {
        t.status = TaskStatus::running;
        return true;
    }));
    EXPECT_EQ(here.cached(), sf::TaskStore::kCacheEntries);
    EXPECT_EQ(here.load_shared("t-last", sf::Freshness::poll).value()->status, TaskStatus::running);
    EXPECT_EQ(here.load_shared("t-first", sf::Freshness::poll).value()->status, TaskStatus::queued);
    EXPECT_EQ(db->watched().documents_read.load(), reads) << "a recently used task was dropped before older ones";
    EXPECT_EQ(here.load_shared("t-old", sf::Freshness::poll).value()->status, TaskStatus::queued);
    EXPECT_EQ(db->watched().documents_read.load(), reads + 1) << "the task left alone longest was kept";
}

// update() hands `change` a record of its own: a change it then drops
// (returns false) must not show in later loads.
TEST(TaskStore, ADroppedChangeNeverReachesTheCache) {
    TempDir d;
    auto store = open_store(d.path);
    auto t = task("t-4");
    t.validation_stats = sdk::ValidationStats{};
    t.validation_stats->hosts_scanned = 1;
    ASSERT_TRUE(store->create(t, "").ok());
    ASSERT_EQ(store->load("t-4")->validation_stats->hosts_scanned, 1u);
    ASSERT_TRUE(store->update("t-4", [](sf::TaskRecord& r) {
        r.validation_stats->hosts_scanned = 99;
        r.status = TaskStatus::failed;
        return false;
    }));
    const auto after = store->load("t-4");
    EXPECT_EQ(after->status, TaskStatus::queued);
    EXPECT_EQ(after->validation_stats->hosts_scanned, 1u);
}

TEST(TaskStore, CountsAClientsUnfinishedTasks) {
    TempDir d;
    auto store = open_store(d.path);
    auto for_client = [](const std::string& id, const std::string& client) {
        auto t = task(id);
        t.client = client;
        return t;
    };
    for (const auto& [id, client] : std::vector<std::pair<std::string, std::string>>{
             {"a-1", "agent a"}, {"a-2", "agent a"}, {"b-1", "agent/b"}, {"none", ""}}) {
        ASSERT_TRUE(store->create(for_client(id, client), "").ok());
    }
    auto sorted = [&](const std::string& client) {
        auto ids = store->unfinished_for(client);
        EXPECT_TRUE(ids) << ids.error().message;
        std::sort(ids->begin(), ids->end());
        return *ids;
    };
    EXPECT_EQ(sorted("agent a"), (std::vector<std::string>{"a-1", "a-2"}));
    EXPECT_EQ(sorted("agent/b"), std::vector<std::string>{"b-1"});
    EXPECT_TRUE(sorted("nobody").empty());
    ASSERT_TRUE(store->update("a-1", [](sf::TaskRecord& t) {
        t.status = TaskStatus::completed;
        return true;
    }));
    EXPECT_EQ(sorted("agent a"), std::vector<std::string>{"a-2"}) << "an ended task no longer counts";
    ASSERT_TRUE(store->remove("a-2").ok());
    EXPECT_TRUE(sorted("agent a").empty()) << "a removed task no longer counts";
}

// list(): newest first, ties by id; a position resumes after that task
// even among tasks of the same millisecond; `accept_targets` filters as rows are
// read and a scan budget bounds one call over sparse matches.
TEST(TaskStore, ListsInOrderAndResumesAfterAPosition) {
    TempDir d;
    auto store = open_store(d.path);
    std::vector<std::string> expected;  // list order
    for (int ms = 0; ms < 6; ++ms) {
        for (int k = 0; k < 4; ++k) {
            const auto id = "t" + std::to_string(ms) + "-" + std::to_string(k);
            auto t = task(id, 1700000000000 + ms);
            t.targets = k == 3 ? "198.51.100.7" : "192.0.2.1";
            ASSERT_TRUE(store->create(t, "").ok());
        }
    }
    for (int ms = 5; ms >= 0; --ms) {
        for (int k = 3; k >= 0; --k) expected.push_back("t" + std::to_string(ms) + "-" + std::to_string(k));
    }
    std::vector<std::string> seen;
    std::optional<sf::ListPosition> after;
    int pages = 0;
    do {
        sf::TaskListQuery q;
        q.limit = 5;
        q.after = after;
        auto page = store->list(q);
        ASSERT_TRUE(page) << page.error().message;
        EXPECT_LE(page->tasks.size(), 5u);
        for (const auto& t : page->tasks) seen.push_back(t.task_id);
        after = page->next;
        ASSERT_LT(++pages, 10);
    } while (after);
    EXPECT_EQ(seen, expected);

    std::vector<std::string> odd;
    after.reset();
    pages = 0;
    do {
        sf::TaskListQuery q;
        q.limit = 2;
        q.after = after;
        q.scan_budget = 7;
        q.accept_targets = [](const std::string& targets) { return targets == "198.51.100.7"; };
        auto page = store->list(q);
        ASSERT_TRUE(page) << page.error().message;
        for (const auto& t : page->tasks) odd.push_back(t.task_id);
        after = page->next;
        ASSERT_LT(++pages, 20);
    } while (after);
    EXPECT_EQ(odd, (std::vector<std::string>{"t5-3", "t4-3", "t3-3", "t2-3", "t1-3", "t0-3"}));

    // The test reads the targets column: a row that fails it is never
    // decoded (this one's stored record is unreadable), and each distinct
    // text is tested once per call, however many tasks share it.
    sdk::StoredTask broken;
    broken.task_id = "t3-broken";
    broken.targets = "203.0.113.9";
    broken.created_at_ms = 1700000000000 + 3;
    broken.summary = broken.document = "{not json";
    ASSERT_TRUE(store->db().tasks().create(broken));
    int tested = 0;
    sf::TaskListQuery q;
    q.limit = 100;
    q.accept_targets = [&](const std::string& targets) {
        ++tested;
        return targets == "198.51.100.7";
    };
    auto page = store->list(q);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->tasks.size(), 6u);
    EXPECT_EQ(tested, 3);
    // Unfiltered, the row is read and its error names it: nothing is skipped silently.
    auto whole = store->list(sf::TaskListQuery{});
    ASSERT_FALSE(whole);
    EXPECT_NE(whole.error().message.find("t3-broken"), std::string::npos) << whole.error().message;
}

// The TTL lists finished tasks not read since a time; unfinished ones never.
// sweep_local_exports() clears this process's files of tasks another
// process removed.
TEST(TaskStore, ExpiresFinishedTasksAndSweepsOrphanExports) {
    TempDir d;
    auto store = open_store(d.path);
    auto old_done = task("old-done");
    old_done.status = TaskStatus::completed;
    old_done.completed_at = 1000;
    old_done.last_accessed_at = 2000;
    auto old_open = task("old-open");
    old_open.last_accessed_at = 2000;
    auto fresh_done = task("fresh-done");
    fresh_done.status = TaskStatus::completed;
    fresh_done.completed_at = 1000;
    fresh_done.last_accessed_at = 9000;
    for (const auto& t : {old_done, old_open, fresh_done}) ASSERT_TRUE(store->create(t, "").ok());
    auto ids = store->expired(5000, 100);
    ASSERT_TRUE(ids) << ids.error().message;
    EXPECT_EQ(*ids, std::vector<std::string>{"old-done"});

    std::ofstream(store->export_path("old-done", "a")) << "x";
    std::ofstream(store->export_path("fresh-done", "a")) << "x";
    // Removed by another process's housekeeping: the row only, not this host's files.
    ASSERT_TRUE(store->db().tasks().remove("old-done"));
    EXPECT_EQ(store->sweep_local_exports(), 0u) << "an export written just now may be mid-download";
    const auto an_hour_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
    for (const char* id : {"old-done", "fresh-done"}) std::filesystem::last_write_time(store->dir(id), an_hour_ago);
    EXPECT_EQ(store->sweep_local_exports(), 1u);
    EXPECT_FALSE(std::filesystem::exists(store->dir("old-done")));
    EXPECT_TRUE(std::filesystem::exists(store->dir("fresh-done")));

    // Pointed at an empty database (a wrong DATABASE_URL): nothing is swept.
    auto empty = open_store(d.path / "other");
    std::filesystem::create_directories(d.path / "other" / "exports" / "kept");
    std::filesystem::last_write_time(d.path / "other" / "exports" / "kept", an_hour_ago);
    EXPECT_EQ(empty->sweep_local_exports(), 0u);
    EXPECT_TRUE(std::filesystem::exists(d.path / "other" / "exports" / "kept"));
}

// task.json is written straight into text (JsonWriter), not through Poco:
// the text must still be what Poco writes for the same document, byte for
// byte, and every field must come back as it went in, strange bytes and all.
TEST(TaskCodec, WritesPocosTextAndReadsEveryFieldBack) {
    sf::TaskRecord t = task("t-\"quoted\"/\\");
    t.trace_id = "trace\x01\x1f";
    t.name = "tab\there, newline\nthere, caf\xc3\xa9, DEL\x7f";
    t.description = std::string("nul\0inside", 10);
    t.client = "agent";
    t.client_cap = 4000000000U;
    t.idempotency_key = "key";
    t.requested_scanner = "east";
    t.requested_pool = "default";
    t.queue = "east";
    t.scanner_instance = "east";
    t.scanner_url = "https://192.0.2.9:8834/";
    t.scanner_pool = "default";
    t.status = TaskStatus::failed;
    t.phase = sf::TaskPhase::validating;
    t.progress = 73;
    t.scan = {"east", "1234"};
    t.lease_token = "tok";
    t.attempts = 3;
    t.dead_letter = true;
    t.queued_at = -1;
    t.updated_at = 1700000000123;
    t.started_at = 1700000000456;
    t.completed_at = 1700000000789;
    t.last_accessed_at = 1700000000999;
    t.error = "scanner said \"no\"\r\n";
    t.failure = sf::FailureKind::authentication;
    t.export_path = "/var/lib/scanorch/exports/t/scan.nessus";
    t.authentication_status = scanorch::sdk::AuthStatus::partial;
    t.validation_warnings = {"w1", "w\"2\""};
    scanorch::sdk::ValidationStats stats;
    stats.hosts_scanned = 2;
    stats.file_size_bytes = 123456;
    stats.file_size_mb = 0.12;
    stats.hosts.push_back({"192.0.2.1", true, 5, scanorch::sdk::HostAuth::failed, "plugin \"21745\""});
    t.validation_stats = stats;

    for (const auto& [text, what] :
         {std::pair{sf::task_json(t), "record"}, std::pair{sf::task_summary_json(t), "summary"},
          std::pair{sf::task_json(task("plain")), "a new record"}}) {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        const auto parsed = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
        std::ostringstream poco;
        parsed->stringify(poco);
        EXPECT_EQ(poco.str(), text) << what;
        // The stored format: every member, in this order, records and
        // summaries alike (a member left out would read back as empty).
        const std::vector<std::string> members = {"task_id",
                                                  "trace_id",
                                                  "scan_type",
                                                  "name",
                                                  "description",
                                                  "targets",
                                                  "status",
                                                  "phase",
                                                  "progress",
                                                  "scanner_instance",
                                                  "scanner_url",
                                                  "scanner_pool",
                                                  "requested_scanner",
                                                  "requested_pool",
                                                  "queue",
                                                  "scan_scanner",
                                                  "scan_id",
                                                  "lease_token",
                                                  "attempts",
                                                  "dead_letter",
                                                  "client",
                                                  "client_cap",
                                                  "idempotency_key",
                                                  "created_at",
                                                  "queued_at",
                                                  "updated_at",
                                                  "started_at",
                                                  "completed_at",
                                                  "last_accessed_at",
                                                  "error",
                                                  "error_kind",
                                                  "export_path",
                                                  "authentication_status",
                                                  "validation_warnings",
                                                  "validation_stats"};
        EXPECT_EQ(parsed->getNames(), members) << what;
        auto back = sf::task_from_json(parsed);
        ASSERT_TRUE(back) << what << ": " << back.error().message;
        // Written again from what was read: the same text, so every member
        // was read as it was written.
        EXPECT_EQ(std::string(what) == "summary" ? sf::task_summary_json(*back) : sf::task_json(*back), text) << what;
    }
    auto back = sf::task_from_json(sf::to_json(t));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->description, t.description);
    EXPECT_EQ(back->name, t.name);
    EXPECT_EQ(back->client_cap, 4000000000U);
    EXPECT_EQ(back->queued_at, -1);
    EXPECT_EQ(back->validation_warnings, t.validation_warnings);
    ASSERT_TRUE(back->validation_stats);
    EXPECT_EQ(back->validation_stats->hosts.at(0).auth_evidence, "plugin \"21745\"");
    EXPECT_DOUBLE_EQ(back->validation_stats->file_size_mb, 0.12);
}

// A scanner's error text, or a validator's evidence, with bytes that are not
// UTF-8: the record must stay readable (the JSON parser, and PostgreSQL's
// text columns, refuse such bytes), with U+FFFD in their place.
TEST(TaskCodec, ARecordWithBytesThatAreNotUtf8StaysReadable) {
    sf::TaskRecord t = task("t-bytes");
    t.status = TaskStatus::failed;
    t.error = "scanner said \xff\xfe, then \xc3";
    t.name = "caf\xc3\xa9 \xe9";
    scanorch::sdk::ValidationStats stats;
    stats.hosts.push_back({"host\x80", false, 1, scanorch::sdk::HostAuth::failed, "evidence \xc0\xaf"});
    t.validation_stats = stats;
    for (const auto& text : {sf::task_json(t), sf::task_summary_json(t)}) {
        auto back = sf::task_from_json(Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>());
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back->name, "caf\xc3\xa9 \xef\xbf\xbd");
    }
    auto back = sf::task_from_json(Poco::JSON::Parser().parse(sf::task_json(t)).extract<Poco::JSON::Object::Ptr>());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->error, "scanner said \xef\xbf\xbd\xef\xbf\xbd, then \xef\xbf\xbd");
    ASSERT_TRUE(back->validation_stats);
    EXPECT_EQ(back->validation_stats->hosts.at(0).name, "host\xef\xbf\xbd");
    EXPECT_EQ(back->validation_stats->hosts.at(0).auth_evidence, "evidence \xef\xbf\xbd\xef\xbf\xbd");

    // And through the store: written, then read by another process's store
    // (this one keeps the record it created).
    TempDir d;
    auto store = open_store(d.path);
    ASSERT_TRUE(store->create(t, "").ok());
    auto other = open_store(d.path);
    auto loaded = other->load("t-bytes");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->error, back->error);
}

TEST(TaskCodec, NewTaskIdsAreRandomVersionFourUuids) {
    std::set<std::string> seen;
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    for (int i = 0; i < 2000; ++i) {
        const auto id = sf::new_task_id();
        ASSERT_TRUE(std::regex_match(id, uuid)) << id;
        ASSERT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
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
