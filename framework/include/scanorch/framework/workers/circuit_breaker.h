// A scanner's circuit breaker, kept in the queue backend's shared state
// (circuit_state.h: the host's key and format) so
// every worker process of the scanner sees the same circuit: N consecutive
// scanner failures open it (no new scans for open_ms), then one trial scan
// (half-open) closes it again or re-opens it. Validation and authentication
// verdicts are not scanner failures.
//
// The trial belongs to the breaker that took it for as long as that breaker
// says so: its worker's heartbeat calls keep_trial() (a scan may run for
// hours), which writes a new half-open time each beat. Another breaker takes
// the trial over once it has seen that time stand still for trial_lease_ms
// on its own steady clock (its owner died), so clocks that differ between
// hosts cannot start a second trial beside a live one. Only a breaker with
// no scan of its own running takes a trial: it must be able to start it.
//
// A closed circuit is read from the backend at most once a second per
// breaker: the dispatcher asks before every claim, and a round trip per
// claim and per idle wait was a large share of a big pool's Redis traffic.
// This worker's own records update it at once; another process's opening
// of the circuit is seen within that second. An open or half-open circuit
// is read every time (its transitions are timed).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "scanorch/framework/workers/circuit_state.h"
#include "scanorch/sdk/queue_backend.h"

namespace scanorch::framework {

class CircuitBreaker {
public:
    CircuitBreaker(std::shared_ptr<sdk::QueueBackend> queue, std::string scanner, std::uint32_t failures,
                   std::int64_t open_ms, std::int64_t trial_lease_ms)
        : queue_(std::move(queue)),
          scanner_(std::move(scanner)),
          failures_(failures),
          open_ms_(open_ms),
          trial_lease_ms_(trial_lease_ms),
          id_(random_id()) {}

    /// May a new scan start? `active` is how many this worker runs now: a
    /// half-open circuit allows one trial at a time.
    bool allows(std::uint32_t active);
    void record(bool failed);
    /// When this breaker holds the half-open circuit's trial: renews it, so
    /// no other process takes it over while this one lives. Otherwise a
    /// no-op without a round trip. Call at least every trial_lease_ms / 2.
    void keep_trial();
    /// A stopping worker's breaker gives back the trial it holds: the circuit
    /// goes back to open and due, so another process takes the trial at once
    /// instead of after a lease. No-op without a trial.
    void release_trial();

private:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kClosedFresh{1000};

    static constexpr int kWriteAttempts = 8;

    /// Non-zero, random: this breaker's name as a trial's owner.
    static std::uint64_t random_id();
    std::optional<CircuitRead> read();
    bool mine(const CircuitInfo& c) const { return c.state == sdk::CircuitState::half_open && c.owner == id_; }
    /// The circuit, when it is this breaker's trial; a round trip only when
    /// this breaker may hold one. trial_mu_ held.
    std::optional<CircuitRead> held_trial();
    /// Whether an open circuit opened at `opened_at_ms` has waited long
    /// enough; a time further in the future than open_ms (a damaged value, a
    /// clock far ahead) counts as waited, so it cannot hold a circuit forever.
    bool open_time_over(std::int64_t opened_at_ms) const;
    /// Keeps `c` when it is closed, unless this breaker wrote since
    /// `generation` was taken (a read that began before the write).
    void remember(const CircuitInfo& c, std::uint64_t generation);
    void wrote(const std::optional<CircuitInfo>& c);

    std::shared_ptr<sdk::QueueBackend> queue_;
    std::string scanner_;
    std::uint32_t failures_;
    std::int64_t open_ms_;
    std::int64_t trial_lease_ms_;
    const std::uint64_t id_;
    std::mutex trial_mu_;  ///< held across the read-decide-write of allows(), keep_trial() and release_trial()
    std::mutex mu_;
    std::optional<CircuitInfo> closed_;  ///< the last closed state seen or written
    Clock::time_point closed_at_;
    std::uint64_t generation_ = 0;  ///< this breaker's writes so far
    /// This breaker may hold the trial (it took one, or tried to and the
    /// outcome is unknown): keep_trial() and release_trial() read the circuit
    /// only then. Ownership itself is the circuit's owner field.
    bool may_hold_trial_ = false;
    /// Another breaker's trial as last seen, and since when (this process's
    /// clock) it has not changed.
    std::optional<std::pair<std::int64_t, std::uint64_t>> observed_;  ///< (opened_at_ms, owner)
    Clock::time_point observed_since_;
};

}  // namespace scanorch::framework
