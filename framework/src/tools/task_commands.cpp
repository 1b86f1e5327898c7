#include "scanorch/framework/tools/task_commands.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "tool_json.h"

namespace scanorch::framework {

sdk::Result<Poco::JSON::Object::Ptr> cancel_task(const ToolServiceDeps& d, TaskViews& views, const std::string& id,
                                                 const sdk::CallContext& c) {
    auto t = views.visible(id, c);
    if (!t) return std::move(t).error();
    std::optional<TaskStatus> ended;
    bool had_scan = false, was_queued = false;
    auto u = d.store->update(id, [&](TaskRecord& r) {
        ended.reset();  // a change may run more than once (TaskStore::update)
        if (r.terminal()) {
            ended = r.status;
            return false;
        }
        had_scan = !r.scan.empty();
        was_queued = r.status == TaskStatus::queued;
        r.status = TaskStatus::cancelled;
        r.phase = TaskPhase::done;
        r.completed_at = now_ms();
        return true;
    });
    if (!u) return std::move(u).error();
    if (ended)
        return sdk::Error::invalid_input("task " + id + " already ended (" + std::string(to_string(*ended)) + ")");
    bool removed = false;
    if (was_queued && !had_scan) {
        auto r = d.queue->remove(id);
        if (!r)
            spdlog::warn("task {}: cancelled, but the queue backend could not drop it yet: {}", id, r.error().message);
        removed = r && *r;
    }
    auto o = tools::object();
    o->set("task_id", id);
    o->set("status", std::string(to_string(TaskStatus::cancelled)));
    o->set("message", removed ? "Removed from the queue." : "The scan is being stopped on its scanner.");
    return o;
}

}  // namespace scanorch::framework
