// The `store` plugin kind: where tasks and their findings live, so that API
// and worker processes on different hosts share state without a shared
// filesystem, and queries read an index instead of re-parsing exports.
//
// A Store is two small interfaces a backend implements together:
// - TaskTable: one row per task. The host's full record travels as an
//   opaque document (its own JSON codec) next to the few columns queries
//   filter and sort on; the columns are the truth for what they hold, and the
//   host overlays them on the document when it reads a row back.
// - FindingIndex: the typed findings of a task's export, written once in
//   batches while the run still holds its lease, then paged and searched.
//
// THE CONTRACT (tests/store_contract checks it for every backend):
// - Every write is atomic; an update is conditional (WriteGuard) and a lost
//   condition writes nothing and says which condition lost (UpdateOutcome).
//   That is how a worker's writes are fenced by its lease token, and how a
//   read-modify-write detects a write in between (revision).
// - Paging is by keyset: a page returns an opaque cursor; passing it back
//   continues after the last row returned, with no row twice and none
//   skipped, while other writers insert rows (tasks newer than the cursor,
//   or findings of other tasks).
// - A value read back that this backend cannot map to a type here (a status
//   word a newer version wrote, a severity out of range) is an error naming
//   the task and the value, never a silently different value.
// - Backends must be safe to call from many threads, and from many processes
//   sharing the same database.
// - Times are milliseconds since the Unix epoch, from the host's clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

// ------------------------------------------------------------------ tasks

/// Where a task is in its life, as far as queries care (the host's phases are
/// finer and live in the document).
enum class TaskState : std::uint32_t {
    queued = 1,
    running = 2,
    completed = 3,
    failed = 4,
    cancelled = 5,
};

constexpr std::string_view to_string(TaskState s) noexcept {
    switch (s) {
        case TaskState::queued: return "queued";
        case TaskState::running: return "running";
        case TaskState::completed: return "completed";
        case TaskState::failed: return "failed";
        case TaskState::cancelled: return "cancelled";
    }
    return "queued";
}

constexpr std::optional<TaskState> parse_task_state(std::string_view s) noexcept {
    if (s == "queued") return TaskState::queued;
    if (s == "running") return TaskState::running;
    if (s == "completed") return TaskState::completed;
    if (s == "failed") return TaskState::failed;
    if (s == "cancelled") return TaskState::cancelled;
    return std::nullopt;
}

constexpr bool is_terminal(TaskState s) noexcept {
    return s == TaskState::completed || s == TaskState::failed || s == TaskState::cancelled;
}

/// One task row.
struct StoredTask {
    std::string task_id;  ///< ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$
    std::string client;   ///< submitting client; "" = anonymous
    TaskState status = TaskState::queued;
    std::string scanner;      ///< scanner instance running it (or expected to); "" = none yet
    std::string pool;         ///< scanner pool asked for or assigned; "" = any
    std::string targets;      ///< as submitted
    std::string lease_token;  ///< the claim that may write the task; "" while queued
    std::int64_t created_at_ms = 0;
    std::int64_t updated_at_ms = 0;
    std::int64_t completed_at_ms = 0;  ///< 0 until terminal
    std::int64_t last_accessed_at_ms = 0;
    std::string document;        ///< the host's whole record (opaque to the store)
    std::string summary;         ///< the host's list view of it, small (opaque to the store)
    std::string payload;         ///< the sealed queue payload; written by create(), never by update()
    std::uint64_t revision = 0;  ///< set by the store: 1 when created, +1 on every update()
};

/// The conditions an update() must meet to write. Every set condition must
/// hold; none set = an unconditional write.
struct WriteGuard {
    std::uint64_t revision = 0;              ///< the row's revision must equal this (0 = any)
    std::optional<std::string> lease_token;  ///< the row's lease_token must equal this
    bool unless_terminal = false;            ///< refuse when the row is completed, failed or cancelled
};

enum class UpdateOutcome : std::uint32_t {
    written = 1,
    stale = 2,   ///< the revision moved: someone wrote in between; read again and retry
    fenced = 3,  ///< another claim holds the task now: this writer must not touch it
    ended = 4,   ///< the task is terminal and the guard asked unless_terminal
};

constexpr std::string_view to_string(UpdateOutcome o) noexcept {
    switch (o) {
        case UpdateOutcome::written: return "written";
        case UpdateOutcome::stale: return "stale";
        case UpdateOutcome::fenced: return "fenced";
        case UpdateOutcome::ended: return "ended";
    }
    return "stale";
}

struct UpdateResult {
    UpdateOutcome outcome = UpdateOutcome::stale;
    StoredTask current;  ///< the row after the write, or as found when it was refused
};

/// list(): newest first (created_at, then task_id, both descending).
struct TaskQuery {
    /// Clients whose tasks the caller may see ("" = anonymous tasks);
    /// nullopt = every task (an operator, or a host without clients).
    std::optional<std::vector<std::string>> clients;
    std::vector<TaskState> statuses;     ///< empty = any
    std::string scanner;                 ///< exact; "" = any
    std::string pool;                    ///< exact; "" = any
    std::string targets;                 ///< exact text as submitted; "" = any
    std::int64_t created_from_ms = 0;    ///< inclusive; 0 = no bound
    std::int64_t created_before_ms = 0;  ///< exclusive; 0 = no bound
    std::uint32_t limit = 100;           ///< 1..1000
    std::string cursor;                  ///< next_cursor of the previous page; "" = the first page
    bool with_document = false;          ///< also return document and payload (else only summary)
};

struct TaskPage {
    std::vector<StoredTask> tasks;
    std::string next_cursor;  ///< "" when this was the last page
};

class SCANORCH_SDK_VISIBLE TaskTable {
public:
    virtual ~TaskTable() = default;

    /// Inserts a new task (revision 1); invalid_input if the id exists or is
    /// not a valid id.
    virtual Result<StoredTask> create(const StoredTask& task) noexcept = 0;
    /// not_found when absent.
    virtual Result<StoredTask> get(const std::string& task_id) noexcept = 0;
    /// Replaces the row with `next` (every field but payload and created_at)
    /// when `guard` holds, as one atomic step. last_accessed_at never moves
    /// back. not_found when the task is gone.
    virtual Result<UpdateResult> update(const StoredTask& next, const WriteGuard& guard) noexcept = 0;
    /// Records a read (for the TTL): sets last_accessed_at if later, without
    /// counting as a change (revision and updated_at stay). not_found when absent.
    virtual Result<void> touch(const std::string& task_id, std::int64_t at_ms) noexcept = 0;
    /// Deletes the task and its findings; false if it was not there.
    virtual Result<bool> remove(const std::string& task_id) noexcept = 0;
    /// A page of tasks; see TaskQuery. invalid_input for a cursor this
    /// backend did not write.
    virtual Result<TaskPage> list(const TaskQuery& query) noexcept = 0;
    /// TTL: ids of terminal tasks last read (or, never read, completed)
    /// before `idle_before_ms`, oldest first, at most `limit`.
    virtual Result<std::vector<std::string>> expired(std::int64_t idle_before_ms, std::uint32_t limit) noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

// --------------------------------------------------------------- findings

/// Nessus's 0..4 scale, which every scanner plugin maps its own onto.
enum class Severity : std::uint32_t { info = 0, low = 1, medium = 2, high = 3, critical = 4 };

constexpr std::string_view to_string(Severity s) noexcept {
    switch (s) {
        case Severity::info: return "info";
        case Severity::low: return "low";
        case Severity::medium: return "medium";
        case Severity::high: return "high";
        case Severity::critical: return "critical";
    }
    return "info";
}

constexpr std::optional<Severity> parse_severity(std::string_view s) noexcept {
    if (s == "info") return Severity::info;
    if (s == "low") return Severity::low;
    if (s == "medium") return Severity::medium;
    if (s == "high") return Severity::high;
    if (s == "critical") return Severity::critical;
    return std::nullopt;
}

/// One result of one check on one host and port: what a validator emits
/// while it streams an export.
struct Finding {
    std::uint64_t seq = 0;   ///< position in the task's export, from 0: the paging order
    std::string host;        ///< the host as the scanner names it
    std::string host_ip;     ///< its address when known ("" = unknown); network searches use it
    std::uint32_t port = 0;  ///< 0 for host-level results
    std::string protocol;    ///< "tcp", "udp", "icmp", ...
    std::string service;     ///< the scanner's service name ("www", "ssh", "general")
    std::uint64_t plugin_id = 0;
    std::string plugin_name;
    std::string plugin_family;
    Severity severity = Severity::info;
    std::string risk_factor;  ///< the scanner's own word ("None", "Medium", ...)
    std::optional<double> cvss3_base_score;
    std::optional<double> cvss_base_score;
    std::vector<std::string> cves;
    std::string synopsis;
    std::string solution;
    std::string description;
    std::string see_also;
    std::string plugin_output;    ///< the check's output for this host and port (the producer may cap it)
    std::int64_t seen_at_ms = 0;  ///< when the scanner saw it (the host's scan end, else the task's)
};

/// The filters of get_scan_results; every set filter must match.
struct FindingFilter {
    std::vector<Severity> severities;  ///< empty = any
    std::optional<Severity> min_severity;
    std::string host;  ///< exact host name; "" = any
    std::optional<std::uint64_t> plugin_id;
    std::optional<std::uint32_t> port;
    std::optional<double> min_cvss;  ///< on cvss3_base_score, else cvss_base_score
    std::string text;                ///< case-insensitive, in plugin_name, synopsis, description, plugin_output
};

struct FindingPageQuery {
    std::string task_id;
    FindingFilter filter;
    std::uint32_t limit = 50;  ///< 1..5000
    std::string cursor;        ///< "" = the first page
    bool with_text = true;     ///< description, see_also and plugin_output (the large fields)
    bool count = false;        ///< also count total_matching and total (costs a pass over the task)
};

struct FindingPage {
    std::vector<Finding> findings;
    std::string next_cursor;                      ///< "" when this was the last page
    std::optional<std::uint64_t> total_matching;  ///< when asked (count)
    std::optional<std::uint64_t> total;           ///< the task's findings, when asked (count)
};

/// search(): across completed tasks (a run that failed, was cut short or is being
/// retried may hold partial findings), task by task in an order the store
/// keeps stable (the order it stored them in, for the default stores), each
/// task's hits in seq order; the cursor resumes exactly after the last hit,
/// or after the part of the store the call examined: a store may bound one
/// call's work, and a page can then hold fewer than `limit` hits (even none)
/// and still have a next_cursor. Only an empty next_cursor ends the search. Every set criterion must match.
struct FindingSearch {
    std::string cve;  ///< exact, e.g. "CVE-2024-3094"
    std::optional<std::uint64_t> plugin_id;
    std::string host;     ///< exact host name or address
    std::string network;  ///< IPv4 CIDR ("192.0.2.0/24") on host_ip
    std::optional<Severity> min_severity;
    std::int64_t seen_from_ms = 0;    ///< inclusive; 0 = no bound
    std::int64_t seen_before_ms = 0;  ///< exclusive; 0 = no bound
    /// Clients whose tasks the caller may see ("" = anonymous); nullopt = all.
    std::optional<std::vector<std::string>> clients;
    std::uint32_t limit = 100;  ///< 1..5000
    std::string cursor;
};

struct FindingHit {
    std::string task_id;
    Finding finding;  ///< without the large text fields
};

struct FindingHits {
    std::vector<FindingHit> hits;
    std::string next_cursor;
};

/// How one (host, port, protocol, plugin) result differs between two scans.
enum class Change : std::uint32_t {
    added = 1,      ///< only in the newer scan
    fixed = 2,      ///< only in the older scan
    unchanged = 3,  ///< in both, same severity
    rerated = 4,    ///< in both, another severity
};

constexpr std::string_view to_string(Change c) noexcept {
    switch (c) {
        case Change::added: return "new";
        case Change::fixed: return "fixed";
        case Change::unchanged: return "unchanged";
        case Change::rerated: return "rerated";
    }
    return "unchanged";
}

struct FindingChange {
    Change change = Change::unchanged;
    std::uint32_t port = 0;
    std::string protocol;
    std::uint64_t plugin_id = 0;
    std::string plugin_name;
    std::optional<Severity> before;  ///< absent when added
    std::optional<Severity> after;   ///< absent when fixed
};

struct HostChanges {
    std::string host;
    std::uint64_t added = 0, fixed = 0, unchanged = 0, rerated = 0;
    std::vector<FindingChange> changes;  ///< every change but the unchanged ones
};

struct Comparison {
    std::string older_task_id, newer_task_id;
    std::uint64_t added = 0, fixed = 0, unchanged = 0, rerated = 0;
    std::vector<HostChanges> hosts;  ///< by host name
};

class SCANORCH_SDK_VISIBLE FindingIndex {
public:
    virtual ~FindingIndex() = default;

    /// Writes a batch of a task's findings, fenced: only while the task's
    /// lease_token equals `lease_token` (false = fenced, nothing written).
    /// A finding whose seq is already stored replaces it, so a batch sent
    /// twice is harmless. not_found when the task is gone.
    virtual Result<bool> append(const std::string& task_id, const std::string& lease_token,
                                const std::vector<Finding>& batch) noexcept = 0;
    /// Drops a task's findings before a new run indexes them, fenced like append.
    virtual Result<bool> clear(const std::string& task_id, const std::string& lease_token) noexcept = 0;
    /// A page of one task's findings in seq order. Severities outside 0..4
    /// in a row are an error naming the task and the value.
    virtual Result<FindingPage> page(const FindingPageQuery& query) noexcept = 0;
    virtual Result<FindingHits> search(const FindingSearch& query) noexcept = 0;
    /// Per host, how `newer` differs from `older`, keyed by (host, port,
    /// protocol, plugin id). Changes where neither side reaches
    /// `min_severity` are left out of the lists and the counts.
    virtual Result<Comparison> compare(const std::string& older_task_id, const std::string& newer_task_id,
                                       Severity min_severity) noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

// ------------------------------------------------------------------ store

class SCANORCH_SDK_VISIBLE Store {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_STORE;
    virtual ~Store() = default;

    /// Database reachable (for /ready). transient when not.
    virtual Result<void> ping() noexcept = 0;
    /// The schema version the database is at (migrations run in create()).
    virtual Result<std::uint32_t> schema_version() noexcept = 0;

    /// Live as long as the Store.
    virtual TaskTable& tasks() noexcept = 0;
    virtual FindingIndex& findings() noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
