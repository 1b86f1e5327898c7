// The tools that read the findings index (ToolServiceDeps::db) rather than
// any export file: get_scan_results (one finished task's findings, paged by
// cursor, with a detail level or exact fields, and filters), search_findings
// (one CVE, plugin, host or network across every task the caller may see)
// and compare_scans (what changed between two scans of the same targets).
#pragma once

#include <Poco/JSON/Object.h>

#include "scanorch/framework/tasks/task.h"
#include "scanorch/framework/tools/tool_deps.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

/// get_scan_results of `task`, which the caller was already found to see.
sdk::Result<Poco::JSON::Object::Ptr> query_results(const ToolServiceDeps& d, const TaskRecord& task,
                                                   const Poco::JSON::Object::Ptr& args);

/// search_findings, within the caller's visible clients.
sdk::Result<Poco::JSON::Object::Ptr> search_findings(const ToolServiceDeps& d, const Poco::JSON::Object::Ptr& args,
                                                     const sdk::CallContext& c);

/// compare_scans: two task ids, or one and the previous completed scan of
/// its targets; both must be visible to the caller and completed.
sdk::Result<Poco::JSON::Object::Ptr> compare_scans(const ToolServiceDeps& d, const Poco::JSON::Object::Ptr& args,
                                                   const sdk::CallContext& c);

}  // namespace scanorch::framework
