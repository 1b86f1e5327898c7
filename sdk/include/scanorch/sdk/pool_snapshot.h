// An optional queue interface: the live state of the whole scanner pool in one
// step, for routing a scan, the pool and queue status tools and /metrics.
//
// Why it exists: without it the host asks per scanner (depths() and a running
// set each), so on a remote backend one submission costs round trips per
// scanner and slows down linearly with the size of the pool. A backend that
// can answer for every scanner at once offers this interface through
// `QueueBackend::extension(kQueuePoolSnapshot)` (extensions.h); the host falls
// back to the per-scanner calls when it gets nullptr. (Circuit states are the
// host's keys in SharedState; it reads them with one kv_get_many.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

/// One scanner's share of the queue backend's state.
struct ScannerQueueState {
    std::string scanner_id;
    std::uint64_t queued = 0;   ///< tasks waiting in the scanner's own queue
    std::uint64_t running = 0;  ///< slots held (the running set's size)
};

/// The pool as the backend saw it at one instant (or as close to one as the
/// backend can do: the Redis backend reads it inside one script).
struct PoolQueueState {
    std::uint64_t global = 0;                 ///< tasks in the global queue
    std::uint64_t dead_letter = 0;            ///< entries in the dead-letter queue
    std::vector<ScannerQueueState> scanners;  ///< one per id asked for, in the order asked
};

/// Reached as `static_cast<QueuePoolSnapshot*>(queue.extension(kQueuePoolSnapshot))`;
/// a backend returns exactly that pointer type converted to void*. The object
/// is the queue itself (or owned by it) and lives as long as the queue.
///
/// CONTRACT (checked for every backend by the queue contract tests): for the
/// same state, every figure equals what depths(scanner_ids) and
/// circuit(id) report; it costs O(1) round trips to the backend whatever the
/// number of scanners; it is safe to call from many threads.
class SCANORCH_SDK_VISIBLE QueuePoolSnapshot {
public:
    virtual Result<PoolQueueState> pool_snapshot(const std::vector<std::string>& scanner_ids) noexcept = 0;

protected:
    // Never deleted through this interface: the queue owns it.
    ~QueuePoolSnapshot() = default;
};

}  // namespace scanorch::sdk
