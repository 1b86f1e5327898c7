// get_scan_results: a finished task's findings, paged, with a detail level
// (schema_profile) or exact fields, and filters.
#pragma once

#include <Poco/JSON/Object.h>

#include "scanorch/framework/tasks/task.h"

namespace scanorch::framework {

sdk::Result<Poco::JSON::Object::Ptr> query_results(const TaskRecord& task, const Poco::JSON::Object::Ptr& args);

}  // namespace scanorch::framework
