// The one place where the task domain becomes text and back: task.json in
// the store, the tool layer's answers, scanorchctl. Every word here is part
// of the stored format and of the tools' output schemas.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string_view>

#include "scanorch/framework/tasks/task.h"

namespace scanorch::framework {

std::string_view to_string(TaskStatus s) noexcept;
std::string_view to_string(TaskPhase p) noexcept;
std::string_view to_string(FailureKind k) noexcept;

std::optional<TaskStatus> parse_task_status(std::string_view s) noexcept;
std::optional<TaskPhase> parse_task_phase(std::string_view s) noexcept;
std::optional<FailureKind> parse_failure_kind(std::string_view s) noexcept;
std::optional<sdk::AuthStatus> parse_auth_status(std::string_view s) noexcept;
std::optional<sdk::HostAuth> parse_host_auth(std::string_view s) noexcept;

/// task.json: every field, in a stable order. Written on every update of a
/// task, so straight into text (json/json_writer.h), not through Poco.
/// Always valid UTF-8: bytes of a member that are not are written as U+FFFD,
/// so a record stays readable whatever text a scanner sent.
std::string task_json(const TaskRecord& task);
/// What list pages carry instead of task.json: the same members, with the
/// large ones (description, error, validation warnings and stats) emptied.
std::string task_summary_json(const TaskRecord& task);
/// task.json as an object, members in order (numbers as Int64, as the
/// parser reads them): for a caller that edits or prints one.
Poco::JSON::Object::Ptr to_json(const TaskRecord& task);
/// Fails with invalid_input naming the field when a word is unknown: a
/// record is never read with a silently different scan type or status.
sdk::Result<TaskRecord> task_from_json(const Poco::JSON::Object::Ptr& o);

sdk::ValidationStats validation_stats_from_json(const Poco::JSON::Object::Ptr& o);

}  // namespace scanorch::framework
