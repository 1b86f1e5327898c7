#include "scanorch/store_sql/pool.h"

namespace scanorch::store_sql {

Pool::Pool(ConnectionFactory factory, std::size_t size, bool one_writer)
    : factory_(std::move(factory)), size_(size < 1 ? 1 : size), one_writer_(one_writer) {}

Pool::Lease Pool::lease() { return Lease(*this, take()); }

Pool::Lease Pool::write_lease() {
    // The turn first, then a connection: a writer waiting for its turn
    // holds no connection that a reader could use meanwhile.
    std::unique_lock<std::mutex> turn;
    if (one_writer_) turn = std::unique_lock(writer_mu_);
    auto c = take();
    return Lease(*this, std::move(c), std::move(turn));
}

std::unique_ptr<Connection> Pool::take() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    ++open_;
    lock.unlock();
    try {
        return factory_();
    } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
    }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mu_);
    if (c->healthy()) {
        idle_.push_back(std::move(c));
    } else {
        --open_;  // dropped: the next lease makes a fresh one
    }
    cv_.notify_one();
}

}  // namespace scanorch::store_sql
