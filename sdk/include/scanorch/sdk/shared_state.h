// The shared-state half of the `queue` plugin kind: a small key/value store
// that every API and worker process sharing the backend agrees on.
// Implemented together with Queue as a QueueBackend.
//
// The host keeps here what must be one value across processes: idempotency
// keys, "one process at a time" locks, observed scan durations and each
// scanner's circuit-breaker state. The keys and their values' formats are
// the host's (the backend stores opaque strings); a backend namespaces them
// with its own prefix. Expiry follows the host's clock
// (PluginContext::now_unix_ms), so tests can move time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE SharedState {
public:
    virtual ~SharedState() = default;

    virtual Result<std::optional<std::string>> kv_get(const std::string& key) noexcept = 0;

    /// The values of `keys`, in order, in one step (one round trip for a
    /// networked backend); nullopt for an absent or expired key.
    virtual Result<std::vector<std::optional<std::string>>> kv_get_many(
        const std::vector<std::string>& keys) noexcept = 0;

    /// ttl_ms 0 = no expiry.
    virtual Result<void> kv_set(const std::string& key, const std::string& value, std::int64_t ttl_ms) noexcept = 0;

    /// Sets only if absent. Returns nullopt when it was set, else the value
    /// already there (the caller lost the race).
    virtual Result<std::optional<std::string>> kv_set_if_absent(const std::string& key, const std::string& value,
                                                                std::int64_t ttl_ms) noexcept = 0;

    /// Sets `key` to `value` only while its value is still `expected`
    /// (nullopt: absent or expired), in one step; true if set, false when
    /// another writer came first (read again and retry). What a
    /// read-modify-write shared by many processes needs, such as a circuit
    /// breaker counting failures or taking the one trial of a half-open
    /// circuit.
    virtual Result<bool> kv_compare_and_set(const std::string& key, const std::optional<std::string>& expected,
                                            const std::string& value, std::int64_t ttl_ms) noexcept = 0;

    /// Deletes only if the value equals `expected` (releasing a lock one
    /// holds); true if deleted.
    virtual Result<bool> kv_delete_if(const std::string& key, const std::string& expected) noexcept = 0;
};

}  // namespace scanorch::sdk
