// Tasks kept by scanorch before the store plugin: data_dir/tasks/{id}/
// task.json, payload.sealed and scan-*.nessus. `scanorchctl db migrate`
// brings them into the store, so an upgrade loses no task, no DLQ retry and
// no result: each record and its sealed payload become a row, its export
// moves to data_dir/exports/{id}/, and a finished task's export is read
// once more by the validator to index its findings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

struct LegacyImport {
    std::uint64_t imported = 0;         ///< rows created
    std::uint64_t already = 0;          ///< in the store already (an earlier, interrupted import); finished here
    std::uint64_t indexed = 0;          ///< finished tasks whose findings were indexed
    std::vector<std::string> problems;  ///< one line per task that could not be imported, naming it and why
    bool archived = false;              ///< data_dir/tasks renamed to tasks.imported (only when no problem)
};

/// How many task directories data_dir/tasks holds (0 when there is none):
/// the daemons warn at start while there are some.
std::size_t legacy_task_count(const std::filesystem::path& data_dir);

/// Imports data_dir/tasks into `store`. Safe to run again after an
/// interruption: a task already in the store keeps its row, and what the
/// interrupted run left undone is finished (an export still in the old
/// directory moves; a finished task's findings missing from the index, or
/// fewer than its validation counted, are indexed again). With a
/// validator, finished tasks' exports are indexed (validator_abi_minor
/// >= 3); without one, they are imported unindexed. The old directory is
/// renamed to data_dir/tasks.imported once every task is in, never deleted.
LegacyImport import_legacy_tasks(const std::filesystem::path& data_dir, TaskStore& store, sdk::Validator* validator,
                                 std::uint32_t validator_abi_minor);

}  // namespace scanorch::framework
