#include "scanorch/store_sql/pool.h"

namespace scanorch::store_sql {

Pool::Pool(ConnectionFactory factory, std::size_t size) : factory_(std::move(factory)), size_(size < 1 ? 1 : size) {}

Pool::Lease Pool::lease() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(c));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(*this, factory_());
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
