#include "scanorch/framework/tasks/local_queue_tasks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "scanorch/framework/tasks/task_codec.h"

namespace scanorch::framework {

std::optional<std::string> local_queue_tasks(const TaskStore& store) {
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    const auto add = [&](const TaskRecord& t, const std::string& payload) {
        if (t.status == TaskStatus::failed && !t.dead_letter) return true;
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("task_id", t.task_id);
        o->set("status", std::string(to_string(t.status)));
        o->set("dead_letter", t.dead_letter);
        o->set("error", t.error);
        o->set("queue", t.queue);
        o->set("created_at", t.created_at);
        o->set("completed_at", t.completed_at);
        o->set("updated_at", t.updated_at);
        o->set("attempts", t.attempts);
        o->set("payload", payload);
        out->add(o);
        return true;
    };
    if (auto r = store.for_each({TaskStatus::queued, TaskStatus::running, TaskStatus::failed}, add); !r) {
        spdlog::warn("cannot read the task store for the local queue: {}", r.error().message);
        return std::nullopt;
    }
    std::ostringstream text;
    out->stringify(text);
    return text.str();
}

}  // namespace scanorch::framework
