// Per-client submission rate (scanorch.yaml `limits:`): how many scans a
// client may submit in any hour, counted in the queue backend's shared
// counters so that every API process counts together.
//
// The hour slides: the estimate is this clock hour's count plus the previous
// hour's, weighted by how much of that hour still lies inside the last 60
// minutes. Two shared counters per client, no list of timestamps, and no
// burst of twice the limit across an hour boundary (a fixed window allows one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/queue.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

/// The sliding estimate: `current` submissions in this window so far,
/// `previous` in the window before, `elapsed_ms` into this one.
std::int64_t sliding_count(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms, std::int64_t window_ms);

/// Milliseconds from `elapsed_ms` until one more submission fits under
/// `limit` (0 = now), given the counts before it.
std::int64_t wait_for_room(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms, std::int64_t window_ms,
                           std::int64_t limit);

class SubmissionRate {
public:
    static constexpr std::int64_t kWindowMs = 3'600'000;

    /// Fails (invalid_input) when limits are set and `queue` offers no shared
    /// counters, naming the backend: a rate each process counted alone would
    /// let N API processes take N times the limit.
    static sdk::Result<std::shared_ptr<const SubmissionRate>> make(const LimitSettings& limits,
                                                                    std::shared_ptr<sdk::Queue> queue,
                                                                    const std::string& backend_name);

    /// The client's limit per hour; 0 = none.
    std::int64_t limit_for(const std::string& client) const;

    /// One submission counted against its client; given back when dropped
    /// uncommitted (the submission queued nothing).
    class Ticket {
    public:
        Ticket(sdk::SharedCounters* counters, std::string key) : counters_(counters), key_(std::move(key)) {}
        Ticket(Ticket&& o) noexcept : counters_(o.counters_), key_(std::move(o.key_)), committed_(o.committed_) {
            o.committed_ = true;
        }
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        Ticket& operator=(Ticket&&) = delete;
        ~Ticket();
        void commit() { committed_ = true; }

    private:
        sdk::SharedCounters* counters_;
        std::string key_;
        bool committed_ = false;
    };

    /// Counts one submission of `client`; nullopt when it has no limit;
    /// `capacity` (HTTP 429) naming the limit and the wait when it is used up.
    sdk::Result<std::optional<Ticket>> take(const std::string& client, std::int64_t now_ms) const;

private:
    SubmissionRate(LimitSettings limits, std::shared_ptr<sdk::Queue> queue, sdk::SharedCounters* counters)
        : limits_(std::move(limits)), queue_(std::move(queue)), counters_(counters) {}

    LimitSettings limits_;
    std::shared_ptr<sdk::Queue> queue_;  ///< keeps the counters alive
    sdk::SharedCounters* counters_;
};

}  // namespace scanorch::framework
