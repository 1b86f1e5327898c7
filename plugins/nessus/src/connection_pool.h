// Persistent connections to one scanner: a request borrows a connected
// session and gives it back once its answer was read in full, so polls and
// downloads skip the TCP (and TLS) handshake. Idle sessions are closed after
// `keep_alive`, by a reaper thread shared by every pool of the process, even
// when no request comes: many servers (nessusd behind a proxy, the
// emulator) hold a thread per open connection, so an idle client must not
// keep one.
//
// A kept connection the server closed meanwhile fails on the next request.
// So a session is only lent again when its socket has nothing to read (a
// server that closed it has sent its FIN, or its TLS close_notify, by then),
// and a request that may be sent twice (RFC 9110 9.2.2: GET, HEAD, PUT,
// DELETE) is sent once more, on a new connection, when a kept one fails
// before any answer.
// A POST is never sent again here: it only rides on a session idle for
// under a second (kMaxIdleForPost, by the client's clock), far shorter than
// the keep-alive timeouts servers use (5 s and more), so the server is not
// closing it as the POST arrives. One that fails anyway is the POST's
// failure, as on a new connection: whether to send it again is the
// worker's retry policy's decision, as after any other failure.
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
    /// Which kept sessions a request may ride on.
    enum class Reuse {
        any,     ///< any kept one: the request may be sent again if it fails (GET, HEAD, PUT, DELETE)
        recent,  ///< one idle for under kMaxIdleForPost only (POST)
        none,    ///< always a new connection (a second attempt)
    };
    /// A session idle this long or longer is not used for a request that may
    /// not be sent twice.
    static constexpr std::chrono::milliseconds kMaxIdleForPost{1000};

    /// The most recently used kept session that `reuse` allows and whose
    /// server has not closed it, else a new one. Kept sessions found closed
    /// are dropped.
    Lease take(Reuse reuse);
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
