// cancel_scan. The task is marked cancelled before it leaves the queue, so a
// worker that claims it in between finds it cancelled and creates nothing;
// "Removed from the queue" is said only when the queue really gave it up
// and it has no scan. A queued task that has a scan (handed back) stays
// queued for its scanner's worker, which stops the scan.
#pragma once

#include <Poco/JSON/Object.h>

#include "scanorch/framework/tools/task_views.h"
#include "scanorch/framework/tools/tool_deps.h"

namespace scanorch::framework {

sdk::Result<Poco::JSON::Object::Ptr> cancel_task(const ToolServiceDeps& deps, TaskViews& views,
                                                 const std::string& task_id, const sdk::CallContext& caller);

}  // namespace scanorch::framework
