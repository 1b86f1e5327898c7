// data_dir/tasks/{task_id}/task.json, written atomically (temp file, fsync,
// rename, fsync of the directory), plus the files that belong to a task (its
// sealed queue payload, its export). Read-modify-write goes through update(),
// which holds an flock on the task's directory, so API and worker processes
// sharing a data dir never lose each other's changes.
//
// load() keeps the records it parsed, keyed by the file's identity (inode,
// size, modification and change times): every write replaces the file, so a
// record changed by any process on any host is read again, and a status poll
// of an unchanged task costs an open() and fstat() instead of a read and a
// JSON parse (open(), not stat(): on NFS only open() is sure to be fresh).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "scanorch/framework/tasks/task.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

class TaskStore {
public:
    explicit TaskStore(std::filesystem::path data_dir);

    const std::filesystem::path& root() const { return root_; }
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
    sdk::Result<std::shared_ptr<const TaskRecord>> load_shared(const std::string& task_id) const;
    /// The sealed payload written at create().
    sdk::Result<std::string> payload(const std::string& task_id) const;

    /// Load, change, save, under the task's lock. `change` returns false to
    /// leave the task as it was.
    /// Stamps updated_at on every write.
    sdk::Result<TaskRecord> update(const std::string& task_id, const std::function<bool(TaskRecord&)>& change);
    /// Records a read (last_accessed_at, for the TTL) without counting as a
    /// change of the task: updated_at is what reconciliation's grace period
    /// is measured from, and a client polling a lost task must not keep it lost.
    sdk::Result<void> touch(const std::string& task_id, std::int64_t at);

    /// Every task id in the store (unordered).
    std::vector<std::string> ids() const;

    /// The ids of a client's unfinished tasks, from an index beside the tasks
    /// (data_dir/client_tasks/<SHA-256 of the name>/<task id>): create() adds
    /// an entry, and this drops the entries whose task has ended or is gone, so
    /// the cost follows the client's open tasks rather than the whole store.
    /// The first call on a data dir without the index builds it from every task.
    std::vector<std::string> unfinished_for(const std::string& client) const;
    /// Removes a task and its files.
    sdk::Result<void> remove(const std::string& task_id);

    static bool valid_id(const std::string& task_id);

private:
    struct Stamp {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        timespec mtime{}, ctime{};
        bool operator==(const Stamp& o) const;
    };
    struct Cached {
        Stamp stamp;
        std::shared_ptr<const TaskRecord> record;
    };
    static constexpr std::size_t kCacheEntries = 4096;

    sdk::Result<std::shared_ptr<const TaskRecord>> read(const std::string& task_id, bool use_cache) const;
    sdk::Result<void> write(const TaskRecord& task) const;
    sdk::Result<TaskRecord> write_locked(const std::string& task_id, const std::function<bool(TaskRecord&)>& change,
                                         bool stamp);
    std::filesystem::path client_dir(const std::string& client) const;
    void index_for_client(const std::string& client, const std::string& task_id) const;
    void build_client_index() const;
    std::filesystem::path root_;
    std::filesystem::path client_root_;
    mutable std::mutex cache_mu_;
    mutable std::unordered_map<std::string, Cached> cache_;
};

/// Writes `content` to `path` atomically: temp file in the same directory,
/// fsync, rename, fsync of the directory. The file is whole or absent.
sdk::Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace scanorch::framework
