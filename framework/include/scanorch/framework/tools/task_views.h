// What the tools show of tasks: get_scan_status (with troubleshooting for a
// failed login) and list_tasks, within the caller's visibility.
#pragma once

#include <Poco/JSON/Object.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "scanorch/framework/tasks/task.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/tools/tool_deps.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

class TaskViews {
public:
    explicit TaskViews(const ToolServiceDeps& deps) : d_(deps) {}

    /// The task if the caller may see it (another client's task is not_found).
    sdk::Result<std::shared_ptr<const TaskRecord>> visible(const std::string& task_id, const sdk::CallContext& c,
                                                           Freshness freshness = Freshness::exact);

    sdk::Result<std::string> status(const std::string& task_id, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> list(const Poco::JSON::Object::Ptr& args, const sdk::CallContext& c);

    static Poco::JSON::Object::Ptr status_object(const TaskRecord& t, std::optional<std::uint64_t> queue_position);

private:
    const ToolServiceDeps& d_;

    // get_scan_status of a task unchanged since it was last asked: the answer
    // printed then, keyed on the store's shared record (a changed row is a
    // new record) and, for a queued task, its queue position.
    struct Printed {
        std::shared_ptr<const TaskRecord> record;
        std::optional<std::uint64_t> position;
        std::string text;
    };
    static constexpr std::size_t kPrinted = 4096;
    std::mutex printed_mu_;
    std::unordered_map<std::string, Printed> printed_;
};

}  // namespace scanorch::framework
