// Per-client submission rate (scanorch.yaml `limits:`): how many scans a
// client may submit in any 60 minutes, counted in the queue backend's shared
// counters so that every API process counts together.
//
// Counts go into 5-minute buckets; a submission is allowed when it and the
// last 13 buckets' (this one included) stay within the limit. Those buckets
// cover every 60-minute span that ends now, so no 60 minutes ever hold more
// than the limit, at any boundary, in any order of arrival; the price is
// that a submission keeps counting for 60 to 65 minutes. Two round trips per
// submission (add to this bucket, read the other twelve), no timestamps kept.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

namespace submission_window {
inline constexpr std::int64_t kSpanMs = 3'600'000;       ///< "per hour"
inline constexpr std::int64_t kBucketMs = kSpanMs / 12;  ///< 5 minutes
inline constexpr std::size_t kBuckets = 13;              ///< cover any 60 minutes ending now
/// Bucket counts, oldest first; the last is the current bucket.
using Counts = std::array<std::int64_t, kBuckets>;

/// Submissions counted now.
std::int64_t total(const Counts& counts);
/// Milliseconds from `elapsed_ms` into the current bucket until one more
/// submission fits under `limit` (> 0): buckets leave the count as they age.
std::int64_t wait_for_room(const Counts& counts, std::int64_t elapsed_ms, std::int64_t limit);
}  // namespace submission_window

class SubmissionRate {
public:
    /// Fails (invalid_input) when limits are set and `queue` offers no shared
    /// counters, naming the backend: a rate each process counted alone would
    /// let N API processes take N times the limit.
    static sdk::Result<std::shared_ptr<const SubmissionRate>> make(const LimitSettings& limits,
                                                                   std::shared_ptr<sdk::QueueBackend> queue,
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

    /// For tests and tools: rates over `counters` directly.
    SubmissionRate(LimitSettings limits, std::shared_ptr<sdk::QueueBackend> queue, sdk::SharedCounters* counters)
        : limits_(std::move(limits)), queue_(std::move(queue)), counters_(counters) {}

private:
    LimitSettings limits_;
    std::shared_ptr<sdk::QueueBackend> queue_;  ///< keeps the counters alive
    sdk::SharedCounters* counters_;
};

}  // namespace scanorch::framework
