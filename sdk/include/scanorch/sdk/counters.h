// Shared counters: an optional interface of a queue backend, reached with
// `queue.extension(kQueueCounters)` (see extensions.h). The host counts with
// them what several processes must count together and exactly — today the
// scans each client submitted in a time window, for its submission rate.
//
// The pointer a backend returns stays valid as long as the backend instance
// and is safe to call from many threads, like the queue itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE SharedCounters {
public:
    virtual ~SharedCounters() = default;

    /// Adds `delta` to the counter `key` in ONE atomic step across every
    /// process that shares the backend, and returns the new value, never
    /// below 0 (a give-back that arrives after the counter was lost must not
    /// make room that was never taken). A counter that does not exist, or has
    /// expired, starts at 0 — and is not written at all when `delta <= 0`; its
    /// expiry is set when it starts, `ttl_ms` later by the host's clock
    /// (PluginContext::now_unix_ms, as for the queue's other state; 0 =
    /// never), and later adds do not move it. Keys are namespaced by the
    /// backend like the queue's key/value state, in a space of their own.
    virtual Result<std::int64_t> add(const std::string& key, std::int64_t delta, std::int64_t ttl_ms) noexcept = 0;

    /// The values of `keys`, in order, in one step (one round trip for a
    /// networked backend); 0 for a counter that does not exist or has expired.
    virtual Result<std::vector<std::int64_t>> read(const std::vector<std::string>& keys) noexcept = 0;

protected:
    SharedCounters() = default;
    SharedCounters(const SharedCounters&) = default;
    SharedCounters& operator=(const SharedCounters&) = default;
};

}  // namespace scanorch::sdk
