// The names of the small shared keys (queue backend key/value state) that
// several processes agree on. One home, so a writer and a reader can never
// spell one differently.
#pragma once

#include <cstdint>
#include <string>

namespace scanorch::framework::shared_keys {

/// Moving average of finished scans' durations (ms), per scanner or "all".
inline std::string duration(const std::string& scanner) {
    return "scanorch:duration:" + (scanner.empty() ? "all" : scanner);
}

/// An idempotency key of one client: "<task id> <fingerprint>".
inline std::string idempotency(const std::string& client, const std::string& key) {
    return "scanorch:idempotency:" + client + ":" + key;
}

/// Slot `index` of a client's concurrent-scan cap; the value names the task holding it.
inline std::string client_slot(const std::string& client, std::uint32_t index) {
    return "scanorch:client_slot:" + client + ":" + std::to_string(index);
}

/// The shared counter of a client's submissions in 5-minute bucket `window`
/// (a counter, not a key/value entry: sdk::SharedCounters).
inline std::string submissions(const std::string& client, std::int64_t window) {
    return "scanorch:submissions:" + client + ":" + std::to_string(window);
}

/// A scanner's circuit-breaker state (workers/circuit_state.h has its format).
inline std::string circuit(const std::string& scanner) { return "scanorch:circuit:" + scanner; }

/// Housekeeping runs in one process at a time.
inline std::string housekeeping_lock() { return "scanorch:lock:housekeeping"; }

}  // namespace scanorch::framework::shared_keys
