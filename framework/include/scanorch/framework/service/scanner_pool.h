// The scanners of scanners.yaml as the core sees them: configuration, the
// plugin instance (in worker processes), and live state read from the queue
// backend (running, queued, circuit) for routing, status tools and metrics.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/scanner.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

/// The pool and the queues around it, as one read of the queue backend saw them.
struct PoolState {
    std::vector<sdk::ScannerSnapshot> scanners;  ///< in scanners.yaml order
    std::uint64_t global = 0;                    ///< tasks in the global queue
    std::uint64_t dead_letter = 0;

    /// The same figures in the shape of Queue::depths().
    sdk::QueueDepths depths() const;
};

class ScannerPool {
public:
    /// How old the routing view may be before it is read again (see
    /// routing_state()): this, or kRoutingStalenessPerScanner per scanner
    /// when the pool is larger, so the reads cost the queue backend about
    /// the same whatever the pool's size (a read is a few commands per
    /// scanner: at 1 ms per scanner, reading a pool of 200 five times a
    /// second was two thirds of the commands Redis ran per scan).
    static constexpr std::chrono::milliseconds kRoutingStaleness{200};
    static constexpr std::chrono::milliseconds kRoutingStalenessPerScanner{5};

    explicit ScannerPool(ScannersConfig config)
        : config_(std::move(config)),
          routing_staleness_(std::max(
              kRoutingStaleness, kRoutingStalenessPerScanner * static_cast<std::int64_t>(config_.scanners.size()))) {}

    const ScannersConfig& config() const { return config_; }
    const ScannerConfig* find(const std::string& id) const { return config_.find(id); }
    std::vector<std::string> ids() const;
    std::vector<std::string> pools() const;

    /// Live state of every scanner and of the global and dead-letter queues;
    /// Error when the queue backend is unreachable. One call to the backend
    /// when it offers sdk::QueuePoolSnapshot, else a few per scanner.
    sdk::Result<PoolState> state(sdk::QueueBackend& queue) const;
    /// state() without the queue totals.
    sdk::Result<std::vector<sdk::ScannerSnapshot>> snapshot(sdk::QueueBackend& queue) const;

    /// The view a submission routes on: state() read at most once per
    /// routing_staleness and kept current in between with this process's own
    /// placements (note_queued). What it can miss for that long: other API
    /// processes' submissions and slots freed or taken by workers. Neither
    /// can break a scanner's limit (the queue's atomic claim enforces it);
    /// at worst a scan waits in a queue that looked shorter, or in the global
    /// queue while a slot had just been freed.
    /// Shared, not copied: a copy per submission was an allocation per
    /// scanner's name, URL and pool, a cost that grew with the pool. Hold it
    /// only while routing: note_queued() copies the view while anyone does.
    sdk::Result<std::shared_ptr<const PoolState>> routing_state(sdk::QueueBackend& queue) const;
    /// A task this process just queued on `queue_scanner` ("" = the global queue).
    void note_queued(const std::string& queue_scanner) const;

private:
    ScannersConfig config_;
    std::chrono::milliseconds routing_staleness_;
    mutable std::mutex routing_mu_;
    mutable std::shared_ptr<PoolState> routing_;  ///< null until read, or after a failed read
    mutable std::chrono::steady_clock::time_point routing_read_at_{};
};

}  // namespace scanorch::framework
