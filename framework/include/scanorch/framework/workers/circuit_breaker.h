// A scanner's circuit breaker, kept in the queue backend's shared state so
// every worker process of the scanner sees the same circuit: N consecutive
// scanner failures open it (no new scans for open_ms), then one trial scan
// (half-open) closes it again or re-opens it. Validation and authentication
// verdicts are not scanner failures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "scanorch/sdk/queue.h"

namespace scanorch::framework {

class CircuitBreaker {
public:
    CircuitBreaker(std::shared_ptr<sdk::Queue> queue, std::string scanner, std::uint32_t failures, std::int64_t open_ms)
        : queue_(std::move(queue)), scanner_(std::move(scanner)), failures_(failures), open_ms_(open_ms) {}

    /// May a new scan start? `active` is how many this worker runs now: a
    /// half-open circuit allows one trial at a time.
    bool allows(std::uint32_t active);
    void record(bool failed);

private:
    std::shared_ptr<sdk::Queue> queue_;
    std::string scanner_;
    std::uint32_t failures_;
    std::int64_t open_ms_;
};

}  // namespace scanorch::framework
