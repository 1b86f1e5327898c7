// A scanner's circuit-breaker state as the host keeps it in the queue
// backend's shared state (one key per scanner, shared_keys::circuit), and
// its one text format: "<state> <consecutive failures> <opened at, ms>", and
// for a half-open circuit " <trial owner>" (the breaker that holds the trial).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/shared_state.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

struct CircuitInfo {
    sdk::CircuitState state = sdk::CircuitState::closed;
    std::uint32_t consecutive_failures = 0;
    std::int64_t opened_at_ms = 0;  ///< 0 when closed; half-open: the trial's last renewal
    /// Half-open: the random id of the breaker holding the trial; 0 otherwise.
    /// A time says when, not who: two breakers can write the same one.
    std::uint64_t owner = 0;
    bool operator==(const CircuitInfo&) const = default;
};

/// The latest opened_at_ms a circuit may carry (about the year 33,000): far
/// beyond any clock, and far enough below INT64_MAX that arithmetic on it
/// cannot overflow. A larger or negative one is damaged.
inline constexpr std::int64_t kMaxCircuitStampMs = 1'000'000'000'000'000;

std::string encode_circuit(const CircuitInfo& c);
/// nullopt when `text` is not in the format, or its time is negative or past
/// kMaxCircuitStampMs (the caller names the key).
std::optional<CircuitInfo> decode_circuit(const std::string& text);

/// A circuit as read, with the text it was read from (nullopt: never
/// written), for a compare-and-set of the next state.
struct CircuitRead {
    CircuitInfo info;
    std::optional<std::string> raw;
};

/// One scanner's circuit; closed with no failures when never written. A
/// value not in the format (damaged, or from another version) reads as
/// closed and is logged, so one bad key can neither stop routing for the
/// pool nor keep its scanner stopped: the next state written replaces it.
sdk::Result<CircuitRead> read_circuit(sdk::SharedState& state, const std::string& scanner);
/// Every scanner's circuit in one step (kv_get_many), in the order asked.
sdk::Result<std::vector<CircuitInfo>> read_circuits(sdk::SharedState& state, const std::vector<std::string>& scanners);
/// Writes `next` only while the stored text is still `read.raw` (no other
/// process wrote since); true if written.
sdk::Result<bool> replace_circuit(sdk::SharedState& state, const std::string& scanner, const CircuitRead& read,
                                  const CircuitInfo& next);

}  // namespace scanorch::framework
