// The store contract (sdk/store.h) in SQL that SQLite and PostgreSQL both
// speak: one schema, one set of queries, keyset cursors. A plugin supplies
// the connections and its dialect's few differences.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/task_removal.h"
#include "scanorch/sdk/task_stamps.h"
#include "scanorch/store_sql/commit_group.h"
#include "scanorch/store_sql/connection.h"
#include "scanorch/store_sql/pool.h"

namespace scanorch::store_sql {

/// The newest schema version this code knows.
std::uint32_t latest_schema_version() noexcept;

/// Brings the database to the latest schema in one transaction, under the
/// dialect's migration lock, so processes starting together migrate once.
/// Refuses (permanent) a database whose schema is newer than this code.
/// Returns the version it is at.
std::uint32_t migrate(Connection& c, const Dialect& d);

class SqlTasks final : public sdk::TaskTable, public sdk::TaskStamps, public sdk::TaskRemoval {
public:
    SqlTasks(Pool& pool, CommitGroup& group, const Dialect& d) : pool_(pool), group_(group), d_(d) {}
    sdk::Result<sdk::TaskStamp> stamp(const std::string& task_id) noexcept override;
    sdk::Result<bool> remove_if_expired(const std::string& task_id, std::int64_t idle_before_ms) noexcept override;
    void* extension(std::string_view id) noexcept override {
        if (id == sdk::kStoreTaskStamps) return static_cast<sdk::TaskStamps*>(this);
        if (id == sdk::kStoreTaskRemoval) return static_cast<sdk::TaskRemoval*>(this);
        return nullptr;
    }
    sdk::Result<sdk::StoredTask> create(const sdk::StoredTask& task) noexcept override;
    sdk::Result<sdk::StoredTask> get(const std::string& task_id) noexcept override;
    sdk::Result<sdk::UpdateResult> update(const sdk::StoredTask& next, const sdk::WriteGuard& guard) noexcept override;
    sdk::Result<void> touch(const std::string& task_id, std::int64_t at_ms) noexcept override;
    sdk::Result<bool> remove(const std::string& task_id) noexcept override;
    sdk::Result<sdk::TaskPage> list(const sdk::TaskQuery& query) noexcept override;
    sdk::Result<std::vector<std::string>> expired(std::int64_t idle_before_ms, std::uint32_t limit) noexcept override;

    /// Runs the dialect's refresh_task_statistics; a failure (another
    /// process holds the write lock) only postpones it.
    void refresh_statistics(Connection& c) noexcept;

private:
    Pool& pool_;
    CommitGroup& group_;  ///< creates, updates and touches: the small writes that share commits
    const Dialect& d_;
    std::atomic<std::uint64_t> created_{0};
};

class SqlFindings final : public sdk::FindingIndex {
public:
    SqlFindings(Pool& pool, CommitGroup& group, const Dialect& d) : pool_(pool), group_(group), d_(d) {}
    sdk::Result<bool> append(const std::string& task_id, const std::string& lease_token,
                             const std::vector<sdk::Finding>& batch) noexcept override;
    sdk::Result<bool> clear(const std::string& task_id, const std::string& lease_token) noexcept override;
    sdk::Result<sdk::FindingPage> page(const sdk::FindingPageQuery& query) noexcept override;
    sdk::Result<sdk::FindingHits> search(const sdk::FindingSearch& query) noexcept override;
    sdk::Result<sdk::Comparison> compare(const std::string& older_task_id, const std::string& newer_task_id,
                                         sdk::Severity min_severity) noexcept override;

private:
    Pool& pool_;
    CommitGroup& group_;  ///< small batches and clears share the task writes' commits
    const Dialect& d_;
};

/// A store over a pool: what each plugin class derives from.
class SqlStore : public sdk::Store {
public:
    /// Migrates through one connection of the pool; throws DbError on failure.
    SqlStore(ConnectionFactory factory, std::size_t pool_size, Dialect dialect);

    sdk::Result<void> ping() noexcept override;
    sdk::Result<std::uint32_t> schema_version() noexcept override;
    sdk::TaskTable& tasks() noexcept override { return tasks_; }
    sdk::FindingIndex& findings() noexcept override { return findings_; }

private:
    Dialect dialect_;
    Pool pool_;
    CommitGroup group_{pool_, dialect_.begin_write, dialect_.one_writer};
    SqlTasks tasks_{pool_, group_, dialect_};
    SqlFindings findings_{pool_, group_, dialect_};
};

}  // namespace scanorch::store_sql
