// Which of a task's findings have a plugin or a severity, kept as groups
// (schema 4) instead of two index entries per finding. A group is one
// batch's findings of one (plugin_id, severity): the batch's seq range
// [first_seq, last_seq] and the list of its members' seqs (as offsets from
// first_seq). Indexing a scan wrote an entry into (plugin_id, task_key, seq)
// and (task_key, severity, seq) for every finding, at random places in both
// trees: about half of PostgreSQL's work in indexing a large export
// (indexing_bench). A group row costs that once per batch and plugin.
//
// Invariants the reads rely on:
// - The groups of one batch share first_seq and last_seq, and the ranges
//   of a task's batches never overlap (a batch written again over part of
//   another one cuts that one: cut_groups).
// - Every stored finding is listed in the group of its batch, plugin and
//   severity. A group may list a seq whose row is gone or changed (never
//   after cut_groups, but reads do not depend on it): readers confirm each
//   candidate against the row itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/findings.h"
#include "scanorch/store_sql/connection.h"

namespace scanorch::store_sql {

/// The columns of finding_groups, in the order group_rows() gives them.
const std::vector<std::string>& group_columns();

/// The rows of one batch's groups (for Connection::insert_rows). `texts`
/// keeps the encoded lists the rows borrow: it must outlive the insert.
std::vector<Value> group_rows(std::int64_t task_key, const std::vector<sdk::Finding>& batch,
                              std::vector<std::string>& texts);

/// Takes the seqs in [lo, hi] out of the task's groups: the batches that
/// lie inside go, one reaching in from before keeps its part before lo,
/// and one reaching past hi keeps its part after hi as a batch of its own.
/// Reads and rewrites at most two batches' groups, found by key.
void cut_groups(Connection& c, std::int64_t task_key, std::int64_t lo, std::int64_t hi);

/// "3,17,18" from offsets; and back (sorted, whatever order they were
/// stored in). A malformed list is an internal error naming the task.
std::string encode_offsets(const std::vector<std::int64_t>& offsets);
std::vector<std::int64_t> decode_offsets(const std::string& text, std::int64_t task_key);

}  // namespace scanorch::store_sql
