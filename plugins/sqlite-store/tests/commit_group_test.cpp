// Writers sharing commits on a real SQLite file: every write that returned is
// in the database, a writer's failure stays its own, a failed COMMIT fails
// every writer of that transaction and leaves none of their rows, and
// concurrent writers do share transactions.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "../src/sqlite_connection.h"
#include "scanorch/store_sql/commit_group.h"

namespace ss = scanorch::store_sql;
using scanorch::sqlite_store::SqliteConnection;
using scanorch::sqlite_store::SqliteOptions;

namespace {

struct Db {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("commit-group-" + std::to_string(::getpid()) + "-" +
                                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    SqliteOptions o;
    Db() {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        o.path = (dir / "t.sqlite").string();
        SqliteConnection(o).run("CREATE TABLE t (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL)", {}, {});
    }
    ~Db() { std::filesystem::remove_all(dir); }
    ss::ConnectionFactory factory() const {
        return [o = o] { return std::make_unique<SqliteConnection>(o); };
    }
    std::int64_t count(const std::string& where = "1 = 1") const {
        std::int64_t n = 0;
        SqliteConnection(o).run("SELECT count(*) FROM t WHERE " + where, {},
                                [&](const ss::Row& r) { n = r.integer(0); });
        return n;
    }
};

constexpr const char* kInsert = "INSERT INTO t (id, txn) VALUES (?, 0)";

// `threads` writers at once, each inserting `each` rows (ids 1 up) through
// the group; returns how many writes failed.
int insert_concurrently(ss::CommitGroup& group, int threads, int each) {
    std::atomic<int> failures{0};
    std::vector<std::thread> running;
    running.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                const std::int64_t id = t * each + i + 1;
                try {
                    group.write([&](ss::Connection& c) { c.run(kInsert, {ss::Value(id)}, {}); });
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : running) th.join();
    return failures.load();
}

// The real connection, counting the transactions it commits.
class Counting final : public ss::Connection {
public:
    Counting(const SqliteOptions& o, std::atomic<int>& commits) : c_(o), commits_(commits) {}
    std::int64_t run(const std::string& sql, const std::vector<ss::Value>& params, const ss::RowFn& on_row) override {
        const auto n = c_.run(sql, params, on_row);
        if (sql == "COMMIT") ++commits_;
        return n;
    }
    bool healthy() const override { return c_.healthy(); }

private:
    SqliteConnection c_;
    std::atomic<int>& commits_;
};

}  // namespace

TEST(CommitGroup, EveryReturnedWriteIsThereAndConcurrentWritersShareCommits) {
    Db db;
    std::atomic<int> commits{0};
    ss::Pool pool([&, o = db.o] { return std::make_unique<Counting>(o, commits); }, 4, true);
    ss::CommitGroup group(pool, "BEGIN IMMEDIATE", true);
    constexpr int kThreads = 16, kEach = 50;
    EXPECT_EQ(insert_concurrently(group, kThreads, kEach), 0);
    EXPECT_EQ(db.count(), kThreads * kEach) << "a write that returned is not in the database";
    EXPECT_LT(commits.load(), kThreads * kEach) << "16 concurrent writers never shared a commit";
    EXPECT_GT(commits.load(), 0);
}

// The real connection, keeping the most writers one of its transactions
// carried (a connection is used by one writer at a time).
class BatchSizes final : public ss::Connection {
public:
    BatchSizes(const SqliteOptions& o, std::atomic<std::size_t>& largest) : c_(o), largest_(largest) {}
    std::int64_t run(const std::string& sql, const std::vector<ss::Value>& params, const ss::RowFn& on_row) override {
        const auto n = c_.run(sql, params, on_row);
        if (sql == "SAVEPOINT writer") ++writers_;
        if (sql == "COMMIT") {
            auto seen = largest_.load();
            while (writers_ > seen && !largest_.compare_exchange_weak(seen, writers_)) {
            }
            writers_ = 0;
        }
        return n;
    }
    bool healthy() const override { return c_.healthy(); }

private:
    SqliteConnection c_;
    std::atomic<std::size_t>& largest_;
    std::size_t writers_ = 0;
};

// More writers at once than one transaction carries: the leader of each
// transaction hands over to the next writer in line, every writer returns
// with its row written, and no transaction goes past the bound.
TEST(CommitGroup, MoreWritersThanABatchTakeTurnsLeadingWithinTheBound) {
    Db db;
    std::atomic<std::size_t> largest{0};
    ss::Pool pool([&, o = db.o] { return std::make_unique<BatchSizes>(o, largest); }, 4, true);
    ss::CommitGroup group(pool, "BEGIN IMMEDIATE", true);
    constexpr int kThreads = 200, kEach = 5;
    EXPECT_EQ(insert_concurrently(group, kThreads, kEach), 0);
    EXPECT_EQ(db.count(), kThreads * kEach) << "a write that returned is not in the database";
    EXPECT_LE(largest.load(), ss::CommitGroup::kMaxBatch);
    EXPECT_GT(largest.load(), 1u) << "200 concurrent writers never shared a commit";
}

// SQLite's memory counting takes one process-wide mutex on every allocation
// of every connection; the store turns it off before its first connection
// (nothing reads those counters). With it on, a connection that has read a
// row holds memory the counter shows.
TEST(SqliteConnection, SqliteMemoryCountingIsOffOnceAConnectionIsOpen) {
    Db db;
    SqliteConnection c(db.o);
    c.run("SELECT count(*) FROM t", {}, {});
    sqlite3_int64 used = -1, highest = -1;
    ASSERT_EQ(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highest, 0), SQLITE_OK);
    EXPECT_EQ(used, 0) << "SQLite still counts its memory, under its global mutex";
}

TEST(CommitGroup, AWritersErrorIsItsOwnAndItsStatementsAreUndone) {
    Db db;
    ss::Pool pool(db.factory(), 2, true);
    ss::CommitGroup group(pool, "BEGIN IMMEDIATE", true);
    group.write([](ss::Connection& c) { c.run(kInsert, {ss::Value(std::int64_t{1})}, {}); });
    // Two writers in flight at once; the second inserts a row and then
    // collides with id 1, so its whole work is undone, the first's kept.
    std::atomic<bool> go{false};
    std::thread a([&] {
        while (!go) std::this_thread::yield();
        group.write([](ss::Connection& c) { c.run(kInsert, {ss::Value(std::int64_t{2})}, {}); });
    });
    go = true;
    EXPECT_THROW(group.write([](ss::Connection& c) {
        c.run(kInsert, {ss::Value(std::int64_t{3})}, {});
        c.run(kInsert, {ss::Value(std::int64_t{1})}, {});  // the primary key is taken
    }),
                 ss::DbError);
    a.join();
    EXPECT_EQ(db.count("id = 2"), 1) << "another writer's write was lost with the failing one";
    EXPECT_EQ(db.count("id = 3"), 0) << "the failing writer's first statement was kept";
}

TEST(CommitGroup, AFailedBeginFailsTheWriteAndTheGroupRecovers) {
    Db db;
    ss::Pool pool(db.factory(), 2, true);
    // Another process holds the write lock past the busy timeout: BEGIN fails.
    db.o.busy_timeout_ms = 50;
    ss::Pool impatient(db.factory(), 1, true);
    ss::CommitGroup group(impatient, "BEGIN IMMEDIATE", true);
    SqliteConnection holder(db.o);
    holder.run("BEGIN IMMEDIATE", {}, {});
    EXPECT_THROW(group.write([](ss::Connection& c) { c.run(kInsert, {ss::Value(std::int64_t{7})}, {}); }), ss::DbError);
    holder.run("ROLLBACK", {}, {});
    group.write([](ss::Connection& c) { c.run(kInsert, {ss::Value(std::int64_t{8})}, {}); });
    EXPECT_EQ(db.count("id = 7"), 0);
    EXPECT_EQ(db.count("id = 8"), 1) << "the group did not run again after a failed transaction";
}

// The interrupted path, against a real process: a child writes through one
// group from eight threads and reports each write as write() returns; it is
// SIGKILLed mid-stream, with shared transactions open. Every write it
// reported is in the database, and the database is intact.
TEST(CommitGroup, AProcessKilledMidCommitLosesNoWriteItReported) {
    Db db;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        ss::Pool pool(db.factory(), 4, true);
        ss::CommitGroup group(pool, "BEGIN IMMEDIATE", true);
        std::mutex out;
        constexpr int kWriters = 8;
        std::vector<std::thread> threads;
        threads.reserve(kWriters);
        for (int t = 0; t < kWriters; ++t) {
            threads.emplace_back([&, t] {
                for (std::int64_t i = 0;; ++i) {
                    const std::int64_t id = t * 10'000'000 + i + 1;
                    group.write([&](ss::Connection& c) { c.run(kInsert, {ss::Value(id)}, {}); });
                    std::lock_guard lock(out);
                    if (::write(fds[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) ::_exit(1);
                }
            });
        }
        for (auto& th : threads) th.join();
        ::_exit(0);
    }
    ::close(fds[1]);
    std::vector<std::int64_t> reported;
    std::int64_t id = 0;
    while (reported.size() < 2000 && ::read(fds[0], &id, sizeof id) == static_cast<ssize_t>(sizeof id))
        reported.push_back(id);
    ::kill(child, SIGKILL);
    while (::read(fds[0], &id, sizeof id) == static_cast<ssize_t>(sizeof id))
        reported.push_back(id);  // sent before the kill
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended on its own";
    ASSERT_GE(reported.size(), 2000u);

    std::set<std::int64_t> stored;
    SqliteConnection check(db.o);
    std::string integrity;
    check.run("PRAGMA integrity_check", {}, [&](const ss::Row& r) { integrity = r.text(0); });
    EXPECT_EQ(integrity, "ok");
    check.run("SELECT id FROM t", {}, [&](const ss::Row& r) { stored.insert(r.integer(0)); });
    std::size_t missing = 0;
    for (auto r : reported) missing += stored.count(r) == 0;
    EXPECT_EQ(missing, 0u) << "of " << reported.size() << " writes reported done before the kill";
}
