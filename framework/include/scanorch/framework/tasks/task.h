// One scan task as the task store keeps it: the typed domain of the task
// lifecycle. Text appears only in the codec (task_codec.h), used by the store
// and the tool layer, so no decision is ever taken on a spelled-out word.
//
// The lifecycle (one state machine, docs/ARCHITECTURE.md "Task lifecycle"):
//   queued -> [claimed -> waiting_for_client_slot] -> creating -> scanning
//          -> exporting -> validating -> completed | failed | cancelled
// (a resumed scan: queued -> claimed -> scanning; `launching` is only in
// records an earlier build wrote)
// A hand-back (worker stopping) or a lapsed lease returns a task to queued
// with its scan kept; a task's scan belongs to the scanner that created it.
//
// Never holds credentials: those travel sealed (credential_sealer.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

enum class TaskStatus : std::uint8_t { queued, running, completed, failed, cancelled };

enum class TaskPhase : std::uint8_t {
    queued,
    claimed,
    waiting_for_client_slot,
    creating,
    launching,
    scanning,
    exporting,
    validating,
    done,
};

/// Why a task failed: the SDK's error kinds, plus the verdicts of the
/// validator, which are not scanner faults.
enum class FailureKind : std::uint8_t {
    none,
    transient,
    permanent,
    auth,  ///< the scanner refused scanorch's own login
    invalid_input,
    not_found,
    capacity,  ///< e.g. waited past max_queue_wait without a scanner
    internal,
    forbidden,       ///< outside the target scope (checked again at start)
    validation,      ///< the export is not a usable result
    authentication,  ///< the scan's credentials did not log in to the targets
};

constexpr bool is_terminal(TaskStatus s) noexcept {
    return s == TaskStatus::completed || s == TaskStatus::failed || s == TaskStatus::cancelled;
}

constexpr FailureKind failure_kind(sdk::ErrorKind k) noexcept {
    switch (k) {
        case sdk::ErrorKind::transient: return FailureKind::transient;
        case sdk::ErrorKind::permanent: return FailureKind::permanent;
        case sdk::ErrorKind::auth: return FailureKind::auth;
        case sdk::ErrorKind::invalid_input: return FailureKind::invalid_input;
        case sdk::ErrorKind::not_found: return FailureKind::not_found;
        case sdk::ErrorKind::capacity: return FailureKind::capacity;
        case sdk::ErrorKind::internal: return FailureKind::internal;
        case sdk::ErrorKind::forbidden: return FailureKind::forbidden;
    }
    return FailureKind::internal;
}

/// A scan on a scanner. The scan id means something only on its scanner:
/// a task's scan is never polled, exported or deleted anywhere else.
struct ScanRef {
    std::string scanner;  ///< instance id of the scanner that created it
    std::string id;       ///< that scanner's own scan id

    bool empty() const { return id.empty(); }
    bool operator==(const ScanRef&) const = default;
};

/// A new task id: a random (version 4) UUID in its usual text form, from
/// the kernel's random source.
std::string new_task_id();

struct TaskRecord {
    std::string task_id;
    std::string trace_id;
    sdk::ScanType scan_type = sdk::ScanType::untrusted;
    std::string targets;
    std::string name;
    std::string description;
    std::string client;            ///< named API client that submitted it ("" = anonymous)
    std::uint32_t client_cap = 0;  ///< that client's max_concurrent_scans when submitted (0 = none)
    std::string idempotency_key;

    std::string requested_scanner;
    std::string requested_pool;
    std::string queue;             ///< queue it was put in: a scanner id, or "" for global
    std::string scanner_instance;  ///< scanner running it (or expected to)
    std::string scanner_url;
    std::string scanner_pool;

    TaskStatus status = TaskStatus::queued;
    TaskPhase phase = TaskPhase::queued;
    int progress = 0;         ///< 0..100
    ScanRef scan;             ///< the scan once created (lets a reclaimed task resume it)
    std::string lease_token;  ///< the claim that may write this task; "" while queued
    std::uint32_t attempts = 0;
    bool dead_letter = false;  ///< in the dead-letter queue (failed, not yet retried or purged)

    std::int64_t created_at = 0;  ///< ms since the epoch, like every time here
    std::int64_t queued_at = 0;   ///< put in a queue from nothing: submitted, or retried (max_queue_wait)
    std::int64_t updated_at = 0;  ///< last write by anyone (reconciliation's grace period)
    std::int64_t started_at = 0;
    std::int64_t completed_at = 0;
    std::int64_t last_accessed_at = 0;

    std::string error;
    FailureKind failure = FailureKind::none;
    std::string export_path;
    std::optional<sdk::AuthStatus> authentication_status;  ///< set once validated
    std::vector<std::string> validation_warnings;
    std::optional<sdk::ValidationStats> validation_stats;  ///< set once validated

    bool terminal() const { return is_terminal(status); }

    /// Forgets what a run produced (a retry starts from nothing).
    void reset_run();
};

}  // namespace scanorch::framework
