// Well-known ids for the plugins' `extension(id)` hook: optional facts and
// interfaces a host may ask a plugin for without changing any existing
// interface. A new id is a minor ABI bump (this file is under the ABI lock),
// and the host asks for it only from plugins built for that minor or later.
// A plugin that does not know an id returns nullptr, which always means "no".
#pragma once

#include <string_view>

namespace scanorch::sdk {

/// QueueBackend: asked with this id, a backend whose queues live in one process's
/// memory (so an `api` process and a `worker` process could never see each
/// other's tasks) returns any non-null pointer. The host then refuses to run
/// `api` or `worker` mode on it and names a shared backend instead. Backends
/// shared across processes (Redis, a database) return nullptr, the default.
inline constexpr std::string_view kQueueProcessLocal = "scanorch.queue.process_local";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// QueueBackend: asked with this id, a backend that can count atomically across
/// every process sharing it returns a `SharedCounters*` (counters.h), valid
/// for the backend's lifetime. The host needs it for per-client submission
/// rates; without it a configured rate refuses to start, naming the backend.
inline constexpr std::string_view kQueueCounters = "scanorch.queue.counters";

/// QueueBackend: asked with this id, a backend that can report the state of every
/// scanner at once (queued, running, plus the global and dead-letter
/// depths) in a single round trip returns a `QueuePoolSnapshot*`
/// (pool_snapshot.h) converted to void*. The host then routes, answers the
/// pool status tools and refreshes /metrics with one call instead of a few
/// per scanner. nullptr (the default) keeps the per-scanner calls.
inline constexpr std::string_view kQueuePoolSnapshot = "scanorch.queue.pool_snapshot";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// Validator (ABI 1.3): asked with this id, a validator that can hand the
/// host every result of an export while it validates returns a
/// `FindingEmitter*` (findings.h) converted to void*, valid for the
/// validator's lifetime. The host then indexes findings from the
/// validator's single pass; nullptr (the default) means validate() only,
/// and the task's results cannot be queried from the index.
inline constexpr std::string_view kValidatorFindings = "scanorch.validator.findings";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// Store (ABI 1.3): asked of a store's TaskTable with this id, a backend that
/// can tell a task's revision without reading the row returns a
/// `TaskStamps*` (task_stamps.h) converted to void*, valid for the table's
/// lifetime. nullptr: the host reads the whole row each time.
inline constexpr std::string_view kStoreTaskStamps = "scanorch.store.task_stamps";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// Store (ABI 1.4): asked of a store's TaskTable with this id, a backend that
/// can delete a task only while it is still expired returns a `TaskRemoval*`
/// (task_removal.h) converted to void*, valid for the table's lifetime.
/// nullptr: the host's TTL falls back to remove(), which deletes a task
/// retried or read between the host's expired() and its remove().
inline constexpr std::string_view kStoreTaskRemoval = "scanorch.store.task_removal";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// Scanner (ABI 2.1): asked with this id, a scanner that can tell which of
/// its scans changed since an earlier question, all in one request, returns a
/// `ScanList*` (scan_list.h) converted to void*, valid for the scanner's
/// lifetime. A worker then watches its running scans with one listing per
/// poll interval and polls each scan only for its progress; nullptr (the
/// default) means a poll_scan per running scan per interval.
inline constexpr std::string_view kScannerScanList = "scanorch.scanner.scan_list";

}  // namespace scanorch::sdk

namespace scanorch::sdk {

/// QueueBackend (ABI 2.2): asked with this id, a backend that can free a
/// claim's scanner slot while the claim stays held returns a `SlotVacate*`
/// (slot_vacate.h) converted to void*, valid for the backend's lifetime. A
/// worker then frees the slot of a task whose scan has ended on the scanner
/// when its export and what follows are slow; nullptr (the default) keeps
/// the slot until the task ends.
inline constexpr std::string_view kQueueSlotVacate = "scanorch.queue.slot_vacate";

}  // namespace scanorch::sdk
