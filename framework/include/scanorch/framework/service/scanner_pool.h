// The scanners of scanners.yaml as the core sees them: configuration, the
// plugin instance (in worker processes), and live state read from the queue
// backend (running, queued, circuit) for routing, status tools and metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/sdk/queue.h"
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
    explicit ScannerPool(ScannersConfig config) : config_(std::move(config)) {}

    const ScannersConfig& config() const { return config_; }
    const ScannerConfig* find(const std::string& id) const { return config_.find(id); }
    std::vector<std::string> ids() const;
    std::vector<std::string> pools() const;

    /// Live state of every scanner and of the global and dead-letter queues;
    /// Error when the queue backend is unreachable. One call to the backend
    /// when it offers sdk::QueuePoolSnapshot, else a few per scanner.
    sdk::Result<PoolState> state(sdk::Queue& queue) const;
    /// state() without the queue totals.
    sdk::Result<std::vector<sdk::ScannerSnapshot>> snapshot(sdk::Queue& queue) const;

private:
    ScannersConfig config_;
};

}  // namespace scanorch::framework
