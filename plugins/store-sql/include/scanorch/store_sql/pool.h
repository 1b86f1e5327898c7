// A fixed-size pool of connections. A caller holds one for the length of a
// call (a transaction never spans two connections); a connection found
// broken is dropped and a new one made on the next lease.
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
    Pool(ConnectionFactory factory, std::size_t size);

    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Connection> c) : pool_(&pool), c_(std::move(c)) {}
        Lease(Lease&& o) noexcept : pool_(o.pool_), c_(std::move(o.c_)) {}
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
    };

    /// Waits for a free connection; makes one when fewer than `size` exist.
    /// Throws DbError when a new connection cannot be made.
    Lease lease();

private:
    void give_back(std::unique_ptr<Connection> c);

    ConnectionFactory factory_;
    std::size_t size_;
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
