// Persistent connections to one scanner: a request borrows a connected
// session and gives it back once its answer was read in full, so polls and
// downloads skip the TCP (and TLS) handshake. Idle sessions are closed after
// `keep_alive`, by a reaper thread shared by every pool of the process, even
// when no request comes: many servers (nessusd behind a proxy, the
// emulator) hold a thread per open connection, so an idle client must not
// keep one.
//
// Only requests that may be sent twice take a used session: a kept
// connection the server closed meanwhile fails on the next request, and
// such a failure (no answer at all) is retried once on a new connection.
// RFC 9110 9.2.2: a POST is never retried that way, so a POST always opens
// a new connection (and may give it back for later requests).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>

namespace scanorch::nessus {

class IdleReaper;

class ConnectionPool {
public:
    using Clock = std::chrono::steady_clock;
    using Session = Poco::Net::HTTPClientSession;
    /// Makes a new, unconnected session (it connects on its first request).
    using Connect = std::function<std::unique_ptr<Session>()>;

    /// `keep_alive` 0: no session is ever kept (a connection per request).
    /// At most `max_idle` sessions are kept; more given back are closed.
    ConnectionPool(Connect connect, std::chrono::seconds keep_alive, std::size_t max_idle);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    struct Lease {
        std::unique_ptr<Session> session;
        bool reused = false;  ///< a kept connection: it may have been closed by the server meanwhile
    };
    /// The most recently used kept session when `may_reuse`, else a new one.
    Lease take(bool may_reuse);
    /// Keeps a session whose last exchange completed (answer read to its end,
    /// and the server did not ask to close); a session in any other state
    /// must be dropped instead.
    void give_back(std::unique_ptr<Session> session);

    /// Takes out the sessions idle for keep_alive or longer into `expired`
    /// (closed by the caller, outside its own locks); when the next one
    /// falls due (Clock::time_point::max() when none is kept).
    Clock::time_point take_expired(Clock::time_point now, std::vector<std::unique_ptr<Session>>& expired);
    std::size_t idle() const;
    bool keeps_connections() const { return keep_alive_.count() > 0 && max_idle_ > 0; }

private:
    struct Idle {
        std::unique_ptr<Session> session;
        Clock::time_point since;
    };
    Connect connect_;
    std::chrono::seconds keep_alive_;
    std::size_t max_idle_;
    mutable std::mutex mutex_;
    std::vector<Idle> idle_;  ///< oldest first
    std::shared_ptr<IdleReaper> reaper_;
};

/// One thread for the process that closes idle sessions when they fall due
/// and sleeps while none is kept. Shared by the pools alive; the last one
/// to go stops it.
class IdleReaper {
public:
    static std::shared_ptr<IdleReaper> shared();
    IdleReaper();
    ~IdleReaper();
    IdleReaper(const IdleReaper&) = delete;
    IdleReaper& operator=(const IdleReaper&) = delete;

    void add(ConnectionPool* pool);
    /// Waits for a pass over `pool` in progress: afterwards the reaper
    /// never touches it again.
    void remove(ConnectionPool* pool);
    /// A session was kept: it falls due at `due`.
    void due_at(ConnectionPool::Clock::time_point due);

private:
    void run();
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<ConnectionPool*> pools_;
    ConnectionPool::Clock::time_point next_ = ConnectionPool::Clock::time_point::max();
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace scanorch::nessus
