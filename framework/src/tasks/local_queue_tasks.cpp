#include "scanorch/framework/tasks/local_queue_tasks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <spdlog/spdlog.h>

#include "scanorch/framework/json/json_writer.h"
#include "scanorch/framework/tasks/task_codec.h"

namespace scanorch::framework {

namespace {

// The queue's view holds unfinished tasks and dead letters, not every failure.
bool held_by_queue(const TaskRecord& t) {
    return t.status == TaskStatus::queued || t.status == TaskStatus::running ||
           (t.status == TaskStatus::failed && t.dead_letter);
}

Poco::JSON::Object::Ptr entry(const TaskRecord& t, const std::string& error, const std::string& payload) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("task_id", t.task_id);
    o->set("status", std::string(to_string(t.status)));
    o->set("dead_letter", t.dead_letter);
    o->set("error", error);
    o->set("queue", t.queue);
    o->set("created_at", t.created_at);
    o->set("completed_at", t.completed_at);
    o->set("updated_at", t.updated_at);
    o->set("attempts", t.attempts);
    o->set("payload", payload);
    return o;
}

}  // namespace

std::optional<std::string> LocalQueueTasks::read() {
    auto store = store_.lock();
    if (!store) return std::nullopt;
    std::lock_guard lock(mu_);
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    std::unordered_map<std::string, Handed> now;
    std::optional<sdk::Error> failed;
    const auto add = [&](const TaskRecord& summary, std::uint64_t revision) {
        if (!held_by_queue(summary)) return true;
        if (auto it = handed_.find(summary.task_id); it != handed_.end() && it->second.revision == revision) {
            out->add(entry(summary, it->second.error, it->second.payload));
            now.insert(handed_.extract(it));
            return true;
        }
        // New to the queue, or changed since it was last handed out.
        auto whole = store->load_whole(summary.task_id);
        if (!whole && whole.error().kind == sdk::ErrorKind::not_found) return true;  // removed since the page
        if (!whole) {
            failed = std::move(whole).error();
            return false;
        }
        // The row may have moved on since the page: it says what is true now.
        if (!held_by_queue(whole->record)) return true;
        out->add(entry(whole->record, whole->record.error, whole->payload));
        now[summary.task_id] = Handed{whole->revision, whole->record.error, std::move(whole->payload)};
        return true;
    };
    auto r = store->for_each_summary({TaskStatus::queued, TaskStatus::running, TaskStatus::failed}, add);
    if (!r) failed = std::move(r).error();
    if (failed) {
        spdlog::warn("cannot read the task store for the local queue: {}", failed->message);
        for (auto& [id, h] : now) handed_.insert_or_assign(id, std::move(h));  // still valid by revision
        return std::nullopt;
    }
    handed_ = std::move(now);  // tasks that left the view leave the memory too
    return json_text(out);
}

}  // namespace scanorch::framework
