#include "connection_pool.h"

#include <poll.h>

#include <algorithm>
#include <utility>

namespace scanorch::nessus {

ConnectionPool::ConnectionPool(Connect connect, std::chrono::seconds keep_alive, std::size_t max_idle)
    : connect_(std::move(connect)), keep_alive_(keep_alive), max_idle_(max_idle) {
    if (keeps_connections()) {
        reaper_ = IdleReaper::shared();
        reaper_->add(this);
    }
}

ConnectionPool::~ConnectionPool() {
    if (reaper_) reaper_->remove(this);
    // The kept sessions close with idle_.
}

namespace {

// Idle, a kept connection has nothing to read: something readable is the
// server's FIN (or TLS close_notify), a reset, or bytes nobody asked for.
// Either way it cannot carry a request. One poll(2) on the raw socket
// (Poco's Socket::poll is four system calls with epoll), which for TLS sees
// the alert's bytes as well.
bool server_closed(ConnectionPool::Session& session) {
    if (!session.connected()) return true;
    pollfd p{};
    p.fd = session.socket().impl()->sockfd();
    p.events = POLLIN | POLLRDHUP;
    const int n = ::poll(&p, 1, 0);
    return n != 0;  // readable, hung up, an error, or poll itself failed
}

}  // namespace

ConnectionPool::Lease ConnectionPool::take(Reuse reuse) {
    if (reuse != Reuse::none) {
        const auto max_idle_for = reuse == Reuse::any
                                      ? std::chrono::duration_cast<Clock::duration>(keep_alive_)
                                      : std::chrono::duration_cast<Clock::duration>(
                                            std::min<std::chrono::milliseconds>(kMaxIdleForPost, keep_alive_));
        std::unique_lock lock(mutex_);
        const auto now = Clock::now();
        // The most recent first: the least likely to have been closed by the
        // server. Older ones than a POST may take stay for later requests.
        while (!idle_.empty() && now - idle_.back().since < max_idle_for) {
            Idle last = std::move(idle_.back());
            idle_.pop_back();
            lock.unlock();
            if (!server_closed(*last.session)) {
                last.session->setKeepAlive(true);
                return {std::move(last.session), true};
            }
            last.session.reset();  // closed here, outside the lock
            lock.lock();
        }
    }
    auto session = connect_();
    session->setKeepAlive(keeps_connections());
    if (keeps_connections()) session->setKeepAliveTimeout(Poco::Timespan(keep_alive_.count(), 0));
    return {std::move(session), false};
}

void ConnectionPool::give_back(std::unique_ptr<Session> session) {
    if (!session || !keeps_connections() || !session->connected()) return;
    const auto now = Clock::now();
    std::unique_ptr<Session> surplus;
    {
        const std::lock_guard lock(mutex_);
        idle_.push_back({std::move(session), now});
        if (idle_.size() > max_idle_) {
            surplus = std::move(idle_.front().session);
            idle_.erase(idle_.begin());
        }
    }
    reaper_->due_at(now + keep_alive_);
}

ConnectionPool::Clock::time_point ConnectionPool::take_expired(Clock::time_point now,
                                                               std::vector<std::unique_ptr<Session>>& expired) {
    const std::lock_guard lock(mutex_);
    const auto fresh =
        std::find_if(idle_.begin(), idle_.end(), [&](const Idle& i) { return now - i.since < keep_alive_; });
    for (auto it = idle_.begin(); it != fresh; ++it) expired.push_back(std::move(it->session));
    idle_.erase(idle_.begin(), fresh);
    return idle_.empty() ? Clock::time_point::max() : idle_.front().since + keep_alive_;
}

std::size_t ConnectionPool::idle() const {
    const std::lock_guard lock(mutex_);
    return idle_.size();
}

// ------------------------------------------------------------------ reaper

std::shared_ptr<IdleReaper> IdleReaper::shared() {
    static std::mutex mutex;
    static std::weak_ptr<IdleReaper> current;
    const std::lock_guard lock(mutex);
    auto r = current.lock();
    if (!r) {
        r = std::make_shared<IdleReaper>();
        current = r;
    }
    return r;
}

IdleReaper::IdleReaper() : thread_([this] { run(); }) {}

IdleReaper::~IdleReaper() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void IdleReaper::add(ConnectionPool* pool) {
    const std::lock_guard lock(mutex_);
    pools_.push_back(pool);
}

void IdleReaper::remove(ConnectionPool* pool) {
    const std::lock_guard lock(mutex_);  // held by run() during a pass
    pools_.erase(std::remove(pools_.begin(), pools_.end(), pool), pools_.end());
}

void IdleReaper::due_at(ConnectionPool::Clock::time_point due) {
    {
        const std::lock_guard lock(mutex_);
        if (due >= next_) return;
        next_ = due;
    }
    wake_.notify_all();
}

void IdleReaper::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (next_ == ConnectionPool::Clock::time_point::max()) {
            wake_.wait(lock);
        } else {
            wake_.wait_until(lock, next_);
        }
        if (stopping_) break;
        const auto now = ConnectionPool::Clock::now();
        if (now < next_) continue;  // woken early: by a nearer due time, or spuriously
        next_ = ConnectionPool::Clock::time_point::max();
        std::vector<std::unique_ptr<ConnectionPool::Session>> expired;
        for (auto* pool : pools_) next_ = std::min(next_, pool->take_expired(now, expired));
        // Closed without the lock: a close (a TLS one especially) must not
        // hold up the requests of every scanner giving a connection back.
        lock.unlock();
        expired.clear();
        lock.lock();
    }
}

}  // namespace scanorch::nessus
