// A fixed-size pool of connections. A caller holds one for the length of a
// call (a transaction never spans two connections); a connection found
// broken is dropped and a new one made on the next lease.
//
// A database that lets one writer in at a time (SQLite) gets its writers
// queued here, in the process, before they reach it: SQLite's busy handler
// makes a second writer sleep 1, 2, 5, 10 ... 100 ms between tries, so under
// a steady stream of writes (a pool's workers and a burst of submissions) a
// write waited tens of milliseconds for a lock held a fraction of one. A
// mutex hands the lock over as soon as it is free. Writers of other
// processes still meet at the database (busy_timeout).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "scanorch/store_sql/connection.h"

namespace scanorch::store_sql {

class Pool {
public:
    /// one_writer: queue write_lease() callers on one mutex (see above).
    Pool(ConnectionFactory factory, std::size_t size, bool one_writer);

    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> c, std::unique_lock<std::mutex> writing = {})
            : pool_(&pool), c_(std::move(c)), writing_(std::move(writing)) {}
        Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)), writing_(std::move(o.writing_)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (c_) pool_->give_back(std::move(c_));
        }
        Connection& operator*() const { return *c_; }
        Connection* operator->() const { return c_.get(); }

    private:
        Pool* pool_;
        std::unique_ptr<Connection> c_;
        std::unique_lock<std::mutex> writing_;  ///< the writers' turn, when the pool queues them; released last
    };

    /// Waits for a free connection; makes one when fewer than `size` exist.
    /// Throws DbError when a new connection cannot be made.
    Lease lease();

    /// A lease for a call that writes: as lease(), after this process's
    /// earlier writers when the pool queues them. A write lease must not
    /// be asked for while holding another (it would wait for itself).
    Lease write_lease();

private:
    std::unique_ptr<Connection> take();

    void give_back(std::unique_ptr<Connection> c);

    ConnectionFactory factory_;
    std::size_t size_;
    bool one_writer_ = false;
    std::mutex writer_mu_;  ///< held by the write lease in use when one_writer_
    std::size_t open_ = 0;  ///< made and not dropped, idle or leased
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

/// A transaction on one connection: rolled back unless committed.
class Transaction {
public:
    Transaction(Connection& c, const std::string& begin) : c_(c) { c_.run(begin); }
    ~Transaction() {
        if (open_) {
            try {
                c_.run("ROLLBACK");
            } catch (...) {  // the connection is gone; the database rolled back for us
            }
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        c_.run("COMMIT");
        open_ = false;
    }

private:
    Connection& c_;
    bool open_ = true;
};

}  // namespace scanorch::store_sql
