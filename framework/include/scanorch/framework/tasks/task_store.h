// The host's tasks in the store plugin (sdk/store.h): one row per task, the
// whole TaskRecord as its document (task_codec.h), the columns queries filter
// on, the sealed queue payload, and the task's findings. The database is the
// truth, shared by every process of a deployment; nothing here needs a
// shared filesystem.
//
// Read-modify-write goes through update(): the row's revision guards the
// write, and a write that lost to another process reads again and re-applies
// the change, so API and worker processes never lose each other's changes.
//
// Exports are the one thing on local disk: exports_dir/{task_id}/ (default
// data_dir/exports), on the worker that downloaded them. No query reads them
// (findings are indexed while the worker validates), so they need not be
// shared; an operator who wants the raw files in one place points
// exports_dir at a share.
//
// load_shared() keeps the records it decoded, keyed by the row's revision
// and read time. An exact read of an unchanged task costs one small read of
// that stamp (sdk::TaskStamps, when the store offers it; else the row) and no
// JSON parse, and returns the same instance.
//
// A status poll (Freshness::poll, get_scan_status) may skip even that stamp
// read: it is answered from memory while the record was read or validated
// less than `poll_staleness` (default one second) ago. So a poll sees every
// write this process made at once (update(), touch() and remove() refresh or
// fence the cached entry before they return), and every write another
// process made at most `poll_staleness` after it committed. Why a time
// bound and not a change feed (PRAGMA data_version, LISTEN/NOTIFY): see
// load_shared() in task_store.cpp and docs/ARCHITECTURE.md, "The store".
// Every other read is exact.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scanorch/framework/tasks/task.h"
#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/task_removal.h"
#include "scanorch/sdk/task_stamps.h"

namespace Poco::JSON {
class Parser;
}

namespace scanorch::framework {

/// list_tasks' order: newest first, then task id (both descending).
struct ListPosition {
    std::int64_t created_at = 0;
    std::string task_id;
};

/// What list() asks for; text filters on the columns are exact.
struct TaskListQuery {
    std::optional<std::vector<std::string>> clients;  ///< visible clients ("" = anonymous); nullopt = all
    std::vector<TaskStatus> statuses;                 ///< empty = any
    std::string scanner;
    std::string pool;
    std::string targets;
    std::int64_t created_from = 0;    ///< inclusive; 0 = none
    std::int64_t created_before = 0;  ///< exclusive; 0 = none
    std::optional<ListPosition> after;
    /// A further test on each task's targets text as submitted (e.g. overlap
    /// with one target), applied to the stored column as rows are read, so
    /// a row that fails it is never decoded; null = none. Called once per
    /// distinct text in a call: it must depend on the text alone.
    std::function<bool(const std::string& targets)> accept_targets;
    std::uint32_t limit = 100;
    /// With `accept_targets`, stop after examining this many rows and return
    /// what matched, with the position reached (sparse matches never make one
    /// call read the whole table).
    std::uint32_t scan_budget = 20'000;
};

struct TaskList {
    std::vector<TaskRecord> tasks;
    /// Where the next page starts; nullopt when nothing is left.
    std::optional<ListPosition> next;
};

/// How current a read must be.
enum class Freshness {
    exact,  ///< every write committed before the call, from any process
    poll,   ///< this process's writes at once; other processes' within poll_staleness
};

class TaskStore {
public:
    static constexpr std::chrono::milliseconds kPollStaleness{1000};
    /// At most this many tasks have a record (or a fence of this process's
    /// write) in the cache.
    static constexpr std::size_t kCacheEntries = 4096;

    /// `exports_dir`: where this process keeps the exports it downloads.
    /// `store_abi_minor`: what the store plugin may be asked (TaskStamps from
    /// 1.3, TaskRemoval from 1.4).
    /// `poll_staleness`: how old a Freshness::poll answer may be about
    /// another process's writes (0: every poll is exact).
    TaskStore(std::shared_ptr<sdk::Store> db, std::filesystem::path exports_dir,
              std::uint32_t store_abi_minor = SCANORCH_SDK_ABI_MINOR,
              std::chrono::milliseconds poll_staleness = kPollStaleness);

    sdk::Store& db() { return *db_; }
    sdk::FindingIndex& findings() { return db_->findings(); }

    /// This process's directory for a task's exports.
    std::filesystem::path dir(const std::string& task_id) const;
    /// Where an attempt's export goes; `attempt` names the claim (its lease
    /// token), so concurrent or stale attempts never share a file.
    std::filesystem::path export_path(const std::string& task_id, const std::string& attempt) const;

    /// Writes a new task; fails with invalid_input if it already exists.
    sdk::Result<void> create(const TaskRecord& task, const std::string& sealed_payload);
    sdk::Result<TaskRecord> load(const std::string& task_id) const;
    /// The same, without a copy: while the task is unchanged every call
    /// returns the same instance, so callers may key what they derive from a
    /// record on its address.
    sdk::Result<std::shared_ptr<const TaskRecord>> load_shared(const std::string& task_id,
                                                               Freshness freshness = Freshness::exact) const;
    /// The sealed payload written at create().
    sdk::Result<std::string> payload(const std::string& task_id) const;

    /// Load, change, save, atomically against every other writer. `change`
    /// returns false to leave the task as it was; it may run more than once
    /// (first on the record this process last wrote or read, then again on
    /// the row when that was not the latest, or when it declined to write):
    /// whatever it records in captured variables must be reset at its top.
    /// Stamps updated_at on every write.
    sdk::Result<TaskRecord> update(const std::string& task_id, const std::function<bool(TaskRecord&)>& change);
    /// Records a read (last_accessed_at, for the TTL) without counting as a
    /// change of the task: updated_at is what reconciliation's grace period
    /// is measured from, and a client polling a lost task must not keep it lost.
    sdk::Result<void> touch(const std::string& task_id, std::int64_t at);

    /// A page of tasks in list order.
    sdk::Result<TaskList> list(const TaskListQuery& query) const;
    /// Every task in one of `statuses`, whole and with its sealed payload,
    /// read a page at a time (`each` returns false to stop).
    using EachTask = std::function<bool(const TaskRecord& task, const std::string& payload)>;
    sdk::Result<void> for_each(const std::vector<TaskStatus>& statuses, const EachTask& each) const;
    /// The same tasks as their list view (the record without description,
    /// error, validation details; no payload) and the row's revision: no
    /// document is read or parsed.
    using EachSummary = std::function<bool(const TaskRecord& summary, std::uint64_t revision)>;
    sdk::Result<void> for_each_summary(const std::vector<TaskStatus>& statuses, const EachSummary& each) const;
    /// One task whole, with its sealed payload and the row's revision, in one read.
    struct Whole {
        TaskRecord record;
        std::string payload;
        std::uint64_t revision = 0;
    };
    sdk::Result<Whole> load_whole(const std::string& task_id) const;
    /// The ids of a client's unfinished tasks.
    sdk::Result<std::vector<std::string>> unfinished_for(const std::string& client) const;
    /// TTL: terminal tasks not read (or, never read, finished) since `idle_before`.
    sdk::Result<std::vector<std::string>> expired(std::int64_t idle_before, std::uint32_t limit) const;
    /// Removes a task, its findings and this process's files of it.
    sdk::Result<void> remove(const std::string& task_id);
    /// The TTL's remove: the same, only while the task still meets
    /// expired()'s test against `idle_before` (a task retried or read since
    /// the list was taken stays). Decided by the store in its delete
    /// (sdk::TaskRemoval); a store built before ABI 1.4 cannot, and then this
    /// is remove(). true: removed by this call; false: gone or kept.
    sdk::Result<bool> remove_expired(const std::string& task_id, std::int64_t idle_before);
    /// Removes this process's export directories whose task is gone (another
    /// process's housekeeping removed the row) and that were not written for
    /// ten minutes; nothing while the store holds no task at all (a wrong or
    /// new database). Returns how many.
    std::size_t sweep_local_exports() const;

    static bool valid_id(const std::string& task_id);
    /// Entries in the record cache: for tests and diagnostics.
    std::size_t cached() const;

private:
    using Clock = std::chrono::steady_clock;
    struct Cached {
        std::uint64_t revision = 0;
        std::int64_t last_accessed_at = 0;
        /// null: a fence left by this process's own write; the next read goes
        /// to the store.
        std::shared_ptr<const TaskRecord> record;
        /// Every write committed before this is in the entry: when the read
        /// it came from began, or when this process's write returned.
        Clock::time_point as_of;
    };
    /// list()'s records, decoded from summaries. A row's summary changes only
    /// with its revision, and (created_at, revision) never repeats for an id
    /// even if the task is removed and made again, so a page read again (an
    /// agent polling list_tasks) decodes only what changed since.
    struct Listed {
        std::uint64_t revision = 0;
        std::int64_t created_at = 0;
        TaskRecord record;
    };
    static constexpr std::size_t kListedEntries = 4096;

    sdk::Result<std::shared_ptr<const TaskRecord>> decode(const sdk::StoredTask& row) const;
    /// A list row's record: from listed_, or its summary decoded (and kept).
    sdk::Result<TaskRecord> listed(const sdk::StoredTask& row, Poco::JSON::Parser& parser) const;
    /// Keeps `entry` unless the cache already holds something newer (a read
    /// begun later, or a write of this process that ended after `entry`'s
    /// read began), or dropped something newer than it (evicted_as_of_).
    void remember(const std::string& task_id, Cached entry) const;
    /// Adds an entry for a task not in the cache, dropping the oldest while
    /// full. Under cache_mu_.
    void insert_locked(const std::string& task_id, Cached entry) const;
    /// Drops the cache entry remembered longest ago; false if none. Under cache_mu_.
    bool evict_oldest_locked() const;
    /// Notes that `task_id`'s entry is now as of `as_of`. Under cache_mu_.
    void aged_locked(const std::string& task_id, Clock::time_point as_of) const;
    /// After a write of this process committed by `written`: neither the
    /// cached record nor one read begun before then answers a poll.
    void fence(const std::string& task_id, Clock::time_point written) const;
    /// After a removal: fenced, and out of the list cache.
    void forget(const std::string& task_id) const;

    std::chrono::milliseconds poll_staleness_;

    std::shared_ptr<sdk::Store> db_;
    sdk::TaskStamps* stamps_ = nullptr;    ///< the store's cheap "did it change?", when it has one
    sdk::TaskRemoval* removal_ = nullptr;  ///< the store's conditional delete, when it has one
    std::filesystem::path exports_;
    mutable std::mutex cache_mu_;
    mutable std::unordered_map<std::string, Cached> cache_;
    /// cache_'s entries in the order they were remembered, each with the
    /// as_of it had then; an item whose entry has moved on since is skipped
    /// (and compacted away). Eviction takes the front: O(1) per entry.
    struct Aged {
        std::string task_id;
        Clock::time_point as_of;
    };
    mutable std::deque<Aged> ages_;
    /// The latest as_of among evicted entries. A read begun before it may be
    /// older than what was dropped (this process's own write), so it is not
    /// kept.
    mutable Clock::time_point evicted_as_of_{};
    mutable std::mutex listed_mu_;
    mutable std::unordered_map<std::string, Listed> listed_;
};

}  // namespace scanorch::framework
