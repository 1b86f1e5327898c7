// The queue payload of a task: what a worker on any host needs to run it,
// with the credentials sealed (credential_sealer.h). The queue backend keeps
// it opaque; this is its only reader and writer.
#pragma once

#include <string>

#include "scanorch/framework/tasks/task.h"

namespace scanorch::framework {

std::string make_payload(const TaskRecord& task, const std::string& sealed_credentials);

/// The sealed credentials inside a payload ("" for an untrusted scan or a
/// payload without them).
std::string sealed_credentials_of(const std::string& payload);

}  // namespace scanorch::framework
