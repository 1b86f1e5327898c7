// Small writes that share one commit.
//
// A durable commit waits for the disk (SQLite with synchronous=FULL syncs
// its log on every commit), and where the database takes one writer at a
// time every other writer waits for that sync too: a pool of hundreds of
// scans writing their state, and a client submitting scans, queued behind
// one another's syncs. Here a writer that arrives while another
// transaction is running waits, and the next transaction carries every
// writer waiting by then: one BEGIN, each writer's statements in a
// SAVEPOINT of its own, one COMMIT. A lone writer is not delayed at all.
//
// Each writer still succeeds or fails on its own: an error inside its work
// rolls back to its savepoint and reaches that writer only; a failed BEGIN
// or COMMIT reaches every writer of the transaction, none of whose writes
// is then in the database.
//
// For a database that admits many writers (PostgreSQL, which already
// shares log flushes between concurrent commits) every write simply runs
// in a transaction of its own.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "scanorch/store_sql/pool.h"

namespace scanorch::store_sql {

class CommitGroup {
public:
    /// shared: whether writers share transactions (see above); `begin`
    /// starts a write transaction.
    CommitGroup(Pool& pool, std::string begin, bool shared) : pool_(pool), begin_(std::move(begin)), shared_(shared) {}

    /// Runs `work` in a write transaction and returns once that is
    /// committed. Rethrows what `work` threw, or the DbError of a BEGIN or
    /// COMMIT that failed (transient when another writer's failure rolled
    /// the shared transaction back). `work` must do nothing but its
    /// statements: it may run on another writer's thread. `one_statement`:
    /// where nothing is shared, `work` runs as it is, without a
    /// transaction of its own (one round trip instead of three).
    void write(const std::function<void(Connection&)>& work, bool one_statement = false);
    /// Whether writers share transactions (a database of one writer at a time).
    bool shared() const { return shared_; }

    /// The most writers one transaction carries: a bound on how long a
    /// transaction holds the database and on the pages it dirties.
    static constexpr std::size_t kMaxBatch = 64;

private:
    // Each writer waits on its own condition: a finished transaction wakes
    // its writers and the one writer that leads the next, not every writer
    // waiting (hundreds of scans' threads would all wake, take the lock in
    // turn and sleep again, for every commit). It wakes them after letting go
    // of the lock, so a woken writer does not block on it again at once.
    struct Writer {
        explicit Writer(const std::function<void(Connection&)>* w) : work(w) {}
        const std::function<void(Connection&)>* work;
        std::exception_ptr error;
        bool done = false;  ///< its transaction ended (error or not)
        bool lead = false;  ///< it runs the next transaction
        std::condition_variable cv;
    };
    void run(const std::vector<std::shared_ptr<Writer>>& batch);

    Pool& pool_;
    std::string begin_;
    bool shared_;
    /// Guards waiting_, running_, and each Writer's done and lead (in the
    /// line or in a leader's batch). A Writer's error is written by its
    /// leader without it, before done, and read by the writer only after it
    /// saw done. Writers are woken after it is released; the leader's
    /// references keep their conditions alive until then.
    std::mutex mu_;
    std::deque<std::shared_ptr<Writer>> waiting_;  ///< in arrival order; its head leads next
    bool running_ = false;  ///< a writer leads a transaction (or has been told to): the waiting wait for it
};

}  // namespace scanorch::store_sql
