#include "scanorch/framework/tools/task_views.h"

#include <algorithm>

#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/sdk/targets.h"
#include "tool_json.h"

namespace scanorch::framework {

namespace targets = sdk::targets;
using tools::Obj;
using tools::text;

namespace {

// A list_tasks page ends at a task; the next page starts after it in the
// list's order (newest first, then task id), so a page never repeats or
// skips a task when tasks are created or removed between calls.
constexpr std::string_view kCursorTag = "t1.";

std::string to_cursor(const ListPosition& p) {
    return std::string(kCursorTag) + std::to_string(p.created_at) + "." + p.task_id;
}

sdk::Result<ListPosition> parse_cursor(const std::string& cursor) {
    const auto bad = [&] {
        return sdk::Error::invalid_input("cursor '" + cursor +
                                         "' is not a list_tasks cursor (pass next_cursor unchanged)");
    };
    if (cursor.rfind(kCursorTag, 0) != 0) return bad();
    const auto dot = cursor.find('.', kCursorTag.size());
    if (dot == std::string::npos || dot == kCursorTag.size() || dot + 1 == cursor.size() ||
        dot - kCursorTag.size() > 15)
        return bad();
    const std::string ms = cursor.substr(kCursorTag.size(), dot - kCursorTag.size());
    if (ms.find_first_not_of("0123456789") != std::string::npos) return bad();
    ListPosition p{std::stoll(ms), cursor.substr(dot + 1)};
    if (!TaskStore::valid_id(p.task_id)) return bad();
    return p;
}

// What to do about a failed login, from the answer's own fields.
Poco::Dynamic::Var troubleshooting(const TaskRecord& t) {
    const auto auth = t.authentication_status;
    const bool login_failed = t.failure == FailureKind::auth || t.failure == FailureKind::authentication ||
                              auth == sdk::AuthStatus::failed || auth == sdk::AuthStatus::unknown;
    if (t.status != TaskStatus::failed || !login_failed) return Poco::Dynamic::Var();
    Obj ts = tools::object();
    Poco::JSON::Array::Ptr steps = new Poco::JSON::Array;
    if (auth == sdk::AuthStatus::unknown) {
        ts->set("likely_cause",
                "The export shows no sign that the scan logged in: local checks may be off in the "
                "scan policy, or the hosts did not answer.");
        steps->add("Check that the targets are up and reachable from scanner " + t.scanner_instance);
        steps->add("Check that the scan policy enables local (credentialed) checks");
    } else if (t.failure == FailureKind::auth) {
        ts->set("likely_cause", "The scanner rejected scanorch's own login (scanners.yaml credentials).");
        steps->add("Check the username/password or API keys of " + t.scanner_instance + " in scanners.yaml");
    } else {
        ts->set("likely_cause", "The targets rejected the supplied credentials, so only network checks ran.");
        steps->add("Verify the username and password (or key) on one target by hand");
        steps->add("Check that the account may log in over SSH/SMB from the scanner's address");
        steps->add("For Windows, check that the account is a local administrator and the ADMIN$ share is reachable");
        steps->add("Re-run with run_trusted_scan once the login works");
    }
    ts->set("next_steps", steps);
    return ts;
}

}  // namespace

sdk::Result<std::shared_ptr<const TaskRecord>> TaskViews::visible(const std::string& id, const sdk::CallContext& c,
                                                                  Freshness freshness) {
    if (id.empty()) return sdk::Error::invalid_input("'task_id' is required");
    auto t = d_.store->load_shared(id, freshness);
    if (!t && t.error().kind == sdk::ErrorKind::invalid_input) return sdk::Error::not_found("no task '" + id + "'");
    if (!t) return t;
    if (!c.client.empty() && !(*t)->client.empty() && (*t)->client != c.client) {
        return sdk::Error::not_found("no task '" + id + "'");
    }
    // last_accessed_at only feeds a TTL of days: refreshing it once a minute
    // spares a status poll a write. A poll's record may be a second old, but
    // the store never moves this time back, so the row's is at least as late.
    if (now_ms() - (*t)->last_accessed_at > 60'000) (void)d_.store->touch(id, now_ms());
    return t;
}

sdk::Result<std::string> TaskViews::status(const std::string& id, const sdk::CallContext& c) {
    // The one read agents repeat in a loop: a poll (TaskStore::load_shared).
    auto shared = visible(id, c, Freshness::poll);
    if (!shared) return std::move(shared).error();
    const auto& record = *shared;
    // The answer is a function of the record and, while queued, of its place
    // in the queue (asked of the backend every time: it moves).
    std::optional<std::uint64_t> position;
    if (record->status == TaskStatus::queued) {
        if (auto p = d_.queue->position(record->task_id); p) position = *p;
    }
    {
        std::lock_guard lock(printed_mu_);
        if (auto it = printed_.find(record->task_id);
            it != printed_.end() && it->second.record == record && it->second.position == position) {
            return it->second.text;
        }
    }
    std::string printed = stringify(status_object(*record, position));
    std::lock_guard lock(printed_mu_);
    if (printed_.size() >= kPrinted && !printed_.count(record->task_id)) printed_.erase(printed_.begin());
    printed_[record->task_id] = {record, position, printed};
    return printed;
}

Obj TaskViews::status_object(const TaskRecord& t, std::optional<std::uint64_t> queue_position) {
    Obj o = tools::object();
    o->set("task_id", t.task_id);
    o->set("trace_id", t.trace_id);
    o->set("name", t.name);
    o->set("scan_type", std::string(sdk::to_string(t.scan_type)));
    o->set("targets", t.targets);
    o->set("status", std::string(to_string(t.status)));
    o->set("phase", std::string(to_string(t.phase)));
    o->set("progress", t.progress);
    o->set("scanner_instance", t.scanner_instance);
    o->set("scanner_url", t.scanner_url);
    o->set("queue_position", queue_position ? Poco::Dynamic::Var(*queue_position) : Poco::Dynamic::Var());
    o->set("authentication_status", t.authentication_status
                                        ? Poco::Dynamic::Var(std::string(sdk::to_string(*t.authentication_status)))
                                        : Poco::Dynamic::Var());
    if (t.validation_stats) {
        const auto stats = to_json(*t.validation_stats);
        Obj summary = tools::object();
        for (const char* k :
             {"hosts_scanned", "hosts_expected", "total_vulnerabilities", "severity_breakdown", "file_size_mb"}) {
            summary->set(k, stats->get(k));
        }
        o->set("results_summary", summary);
    } else {
        o->set("results_summary", Poco::Dynamic::Var());
    }
    o->set("warnings", tools::array_of(t.validation_warnings));
    o->set("error", tools::null_if_empty(t.error));
    o->set("error_kind", t.failure == FailureKind::none ? Poco::Dynamic::Var()
                                                        : Poco::Dynamic::Var(std::string(to_string(t.failure))));
    o->set("troubleshooting", troubleshooting(t));
    o->set("created_at", tools::iso(t.created_at));
    o->set("started_at", tools::iso(t.started_at));
    o->set("completed_at", tools::iso(t.completed_at));
    return o;
}

sdk::Result<Obj> TaskViews::list(const Obj& a, const sdk::CallContext& c) {
    const auto status_word = text(a, "status");
    const auto want_status = status_word.empty() ? std::nullopt : parse_task_status(status_word);
    const auto want_scanner = text(a, "scanner_instance");
    const auto want_pool = text(a, "scanner_pool");
    const auto since = tools::parse_time(text(a, "since"));
    const auto until = tools::parse_time(text(a, "until"));
    const std::uint64_t limit = a->has("limit") ? a->getValue<std::uint64_t>("limit") : 100;
    std::optional<ListPosition> after;
    if (const auto cursor = text(a, "cursor"); !cursor.empty()) {
        auto p = parse_cursor(cursor);
        if (!p) return std::move(p).error();
        after = std::move(p).value();
    }
    std::optional<targets::Target> target;
    if (a->has("target")) {
        auto parsed = targets::parse_target(text(a, "target"));
        if (!parsed) return std::move(parsed).error();
        target = std::move(parsed).value();
    }
    TaskListQuery q;
    // A named client sees its own tasks and anonymous ones.
    if (!c.client.empty()) q.clients = std::vector<std::string>{c.client, ""};
    if (want_status) q.statuses = {*want_status};
    q.scanner = want_scanner;
    q.pool = want_pool;
    if (since) q.created_from = *since;
    if (until) q.created_before = *until;
    q.after = after;
    q.limit = static_cast<std::uint32_t>(limit);
    if (target) {
        q.accept_targets = [&](const std::string& targets) {
            auto list = targets::parse_list(targets);
            bool hit = false;
            if (list) {
                for (const auto& x : *list) hit = hit || targets::contains(x, *target) || targets::contains(*target, x);
            }
            return hit;
        };
    }
    auto page = d_.store->list(q);
    if (!page) return std::move(page).error();
    const auto& matched = page->tasks;
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& t : matched) {
        Obj o = tools::object();
        o->set("task_id", t.task_id);
        o->set("name", t.name);
        o->set("scan_type", std::string(sdk::to_string(t.scan_type)));
        o->set("targets", t.targets);
        o->set("status", std::string(to_string(t.status)));
        o->set("phase", std::string(to_string(t.phase)));
        o->set("scanner_instance", t.scanner_instance);
        o->set("authentication_status", t.authentication_status
                                            ? Poco::Dynamic::Var(std::string(sdk::to_string(*t.authentication_status)))
                                            : Poco::Dynamic::Var());
        o->set("created_at", tools::iso(t.created_at));
        arr->add(o);
    }
    Obj o = tools::object();
    o->set("tasks", arr);
    o->set("count", arr->size());
    o->set("truncated", page->next.has_value());
    o->set("next_cursor", page->next ? Poco::Dynamic::Var(to_cursor(*page->next)) : Poco::Dynamic::Var());
    return o;
}

}  // namespace scanorch::framework
