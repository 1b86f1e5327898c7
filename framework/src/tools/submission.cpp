#include "scanorch/framework/tools/submission.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "scanorch/framework/json/json_writer.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/tasks/task_payload.h"
#include "tool_json.h"

namespace scanorch::framework {

namespace targets = sdk::targets;
using tools::Obj;
using tools::text;

namespace {

// An average of scan durations moves slowly (each scan adds 3/10 of its
// own): read once per queue in this long, not by every submission, which
// with a pool of hundreds of queues made most submissions a round trip.
constexpr std::chrono::seconds kAverageFreshFor{10};

// Owns an idempotency key from the moment it is taken until the task it
// names is queued: every other way out gives the key up, so a retry of a
// request that queued nothing is a new request, not a pointer to nothing.
class IdempotencyGuard {
public:
    IdempotencyGuard(sdk::QueueBackend& queue, std::string key, std::string task_id, std::string fingerprint,
                     std::int64_t ttl_ms)
        : queue_(queue),
          key_(std::move(key)),
          fingerprint_(std::move(fingerprint)),
          ttl_ms_(ttl_ms),
          value_(std::move(task_id) + " " + fingerprint_ + " " + std::to_string(now_ms())) {}
    ~IdempotencyGuard() {
        if (held_ && !committed_) (void)queue_.kv_delete_if(key_, value_);
    }
    IdempotencyGuard(const IdempotencyGuard&) = delete;
    IdempotencyGuard& operator=(const IdempotencyGuard&) = delete;

    struct Prior {
        std::string task_id;
        std::string fingerprint;
        std::int64_t taken_at_ms = 0;
        std::string raw;
    };

    /// Takes the key; the earlier request's id when someone holds it.
    sdk::Result<std::optional<Prior>> take() {
        auto prior = queue_.kv_set_if_absent(key_, value_, ttl_ms_);
        if (!prior) return sdk::Error::transient("queue backend unreachable: " + prior.error().message);
        if (!prior->has_value()) {
            held_ = true;
            return std::optional<Prior>();
        }
        Prior p;
        p.raw = **prior;
        std::istringstream in(p.raw);
        in >> p.task_id >> p.fingerprint >> p.taken_at_ms;
        return std::optional<Prior>(std::move(p));
    }

    /// The earlier holder queued nothing and is long gone (a crash between
    /// taking the key and queuing): take the key over.
    sdk::Result<bool> replace(const Prior& p) {
        auto gone = queue_.kv_delete_if(key_, p.raw);
        if (!gone) return sdk::Error::transient("queue backend unreachable: " + gone.error().message);
        auto again = take();
        if (!again) return std::move(again).error();
        return !again->has_value();
    }

    void commit() { committed_ = true; }

private:
    sdk::QueueBackend& queue_;
    std::string key_;
    std::string fingerprint_;
    std::int64_t ttl_ms_;
    std::string value_;
    bool held_ = false;
    bool committed_ = false;
};

// How long a key may name a task that does not exist yet before it is
// presumed abandoned: far longer than any submission takes.
constexpr std::int64_t kAbandonedKeyMs = 60'000;

sdk::ScanCredentials credentials_of(const Obj& a) {
    sdk::ScanCredentials c;
    c.ssh_username = text(a, "ssh_username");
    c.ssh_password = text(a, "ssh_password");
    c.ssh_private_key = text(a, "ssh_private_key");
    c.windows_username = text(a, "windows_username");
    c.windows_password = text(a, "windows_password");
    c.windows_domain = text(a, "windows_domain");
    c.escalation_method = text(a, "escalation_method");
    c.escalation_account = text(a, "escalation_account");
    c.escalation_password = text(a, "escalation_password");
    return c;
}

sdk::Result<void> check_credentials(sdk::ScanType type, const sdk::ScanCredentials& creds) {
    if (type == sdk::ScanType::untrusted) return {};
    const std::string name(sdk::to_string(type));
    if (!creds.has_ssh() && !creds.has_windows()) {
        return sdk::Error::invalid_input("a " + name +
                                         " scan needs ssh_username (with ssh_password or "
                                         "ssh_private_key) or windows_username with windows_password");
    }
    if (creds.has_ssh() && creds.ssh_password.empty() && creds.ssh_private_key.empty()) {
        return sdk::Error::invalid_input("ssh_username needs ssh_password or ssh_private_key");
    }
    if (creds.has_windows() && creds.windows_password.empty()) {
        return sdk::Error::invalid_input("windows_username needs windows_password");
    }
    if (type == sdk::ScanType::trusted_privileged && creds.has_ssh() && creds.escalation_method.empty()) {
        return sdk::Error::invalid_input("a privileged scan needs escalation_method (sudo, su, ...) for its SSH login");
    }
    return {};
}

}  // namespace

sdk::Result<void> Submission::check_scope(const std::vector<targets::Target>& wanted, const sdk::CallContext& c) const {
    if (!d_.scope) return sdk::Error::invalid_input("no target scope is configured, so no scan may run");
    if (auto r = d_.scope->check(wanted); !r) return r;
    if (c.scope.empty()) return {};  // no scope of its own: the global one
    // A client's scope narrows the global one; one that does not parse, or
    // that the front end marked as empty, allows nothing rather than everything.
    auto mine = ScopePolicy::parse(c.scope);
    if (!mine) return sdk::Error::forbidden("client '" + c.client + "' has an unusable scope: " + mine.error().message);
    if (mine->empty() && !wanted.empty()) {
        return sdk::Error::forbidden("target " + wanted.front().text + " is outside the scope of client '" + c.client +
                                     "', which allows no targets");
    }
    for (const auto& t : wanted) {
        if (!mine->covers(t)) {
            return sdk::Error::forbidden("target " + t.text + " is outside the scope of client '" + c.client + "'");
        }
    }
    return {};
}

sdk::Result<Submission::Routed> Submission::route(const TaskRecord& t,
                                                  const std::vector<sdk::targets::Target>& wanted) const {
    // One read of the backend for the whole pool and the global queue, and
    // not even that while the last one is recent (ScannerPool::routing_state).
    // The view is shared, and let go of before the caller notes its
    // placement (which would copy it while held).
    auto view = d_.pool->routing_state(*d_.queue);
    if (!view) return sdk::Error::transient("queue backend unreachable: " + view.error().message);
    const PoolState& state = **view;
    sdk::RouteRequest rr;
    rr.task_id = t.task_id;
    rr.requested_scanner = t.requested_scanner;
    rr.requested_pool = t.requested_pool;
    rr.scan_type = t.scan_type;
    for (const auto& x : wanted) rr.targets.push_back(x.text);
    rr.global_queued = state.global;
    auto decision = d_.router->route(rr, state.scanners);
    if (!decision) return std::move(decision).error();
    const Room room = room_for(decision->queue_scanner, state.scanners);
    return Routed{std::move(decision).value(), room};
}

Submission::Room Submission::room_for(const std::string& queue, const std::vector<sdk::ScannerSnapshot>& snapshot) {
    Room room;
    for (const auto& s : snapshot) {
        if (!s.enabled || (!queue.empty() && s.instance_id != queue)) continue;
        room.capacity += s.capacity;
        // A task in the global queue comes after those in the scanners' own
        // queues (a worker claims its own queue first): their slots are not
        // free for it. A scanner queue's tasks ahead are counted by position.
        const std::uint64_t taken = s.running + (queue.empty() ? s.queued : 0);
        if (s.circuit != sdk::CircuitState::open && taken < s.capacity) room.free += s.capacity - taken;
    }
    return room;
}

std::int64_t Submission::estimated_wait_s(const std::string& queue, std::uint64_t position, Room room) const {
    const std::uint64_t ahead = position > 0 ? position - 1 : 0;
    if (ahead < room.free) return 0;  // a slot is free for it now
    const std::uint64_t capacity = room.capacity == 0 ? 1 : room.capacity;
    const std::uint64_t waves = (ahead - room.free) / capacity + 1;
    return static_cast<std::int64_t>(waves) * average_scan_ms(queue) / 1000;
}

std::int64_t Submission::average_scan_ms(const std::string& queue) const {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(averages_mu_);
        if (auto it = averages_.find(queue); it != averages_.end() && now - it->second.read_at < kAverageFreshFor) {
            return it->second.ms;
        }
    }
    // From observed scan durations (kept by the workers); 10 minutes until there are some.
    std::int64_t avg_ms = 600'000;
    if (auto v = d_.queue->kv_get(shared_keys::duration(queue)); v && v->has_value()) {
        try {
            avg_ms = std::stoll(**v);
        } catch (const std::exception&) {
        }
    }
    std::lock_guard lock(averages_mu_);
    averages_[queue] = {avg_ms, now};
    return avg_ms;
}

Obj Submission::existing_answer(const TaskRecord& first) const {
    Obj o = tools::object();
    o->set("task_id", first.task_id);
    o->set("trace_id", first.trace_id);
    o->set("status", std::string(to_string(first.status)));
    o->set("scanner_instance", tools::null_if_empty(first.scanner_instance));
    o->set("scanner_url", tools::null_if_empty(first.scanner_url));
    o->set("queue", first.queue.empty() ? "global" : first.queue);
    auto pos = d_.queue->position(first.task_id);
    const std::uint64_t position = pos && pos->has_value() ? **pos : 0;
    std::vector<sdk::ScannerSnapshot> snapshot;
    if (auto s = d_.pool->snapshot(*d_.queue)) snapshot = std::move(s).value();
    o->set("queue_position", position);
    o->set("estimated_wait_time",
           position ? estimated_wait_s(first.queue, position, room_for(first.queue, snapshot)) : 0);
    o->set("message", "idempotency_key matched an earlier request: this is its task");
    return o;
}

sdk::Result<Obj> Submission::submit(sdk::ScanType type, const Obj& a, const sdk::CallContext& c) {
    TaskRecord t;
    t.scan_type = type;
    t.targets = text(a, "targets");
    t.name = text(a, "name");
    t.description = text(a, "description");
    t.requested_scanner = text(a, "scanner_instance");
    t.requested_pool = text(a, "scanner_pool");
    t.idempotency_key = text(a, "idempotency_key");
    t.client = c.client;
    t.client_cap = c.max_concurrent_scans;
    auto parsed = targets::parse_list(t.targets);
    if (!parsed) return std::move(parsed).error();
    if (auto s = check_scope(*parsed, c); !s) return std::move(s).error();
    // The scanner gets the targets as they were checked (an IPv4-mapped IPv6
    // address becomes the IPv4 address that the scope allowed).
    t.targets.clear();
    for (const auto& x : *parsed) t.targets += (t.targets.empty() ? "" : ", ") + x.text;
    const auto creds = credentials_of(a);
    if (auto r = check_credentials(type, creds); !r) return std::move(r).error();

    t.task_id = new_task_id();
    t.trace_id = c.trace_id.empty() ? t.task_id : c.trace_id;

    // The same key with the same arguments answers with the first task.
    std::optional<IdempotencyGuard> guard;
    if (!t.idempotency_key.empty()) {
        // Poco's text of the arguments, byte for byte (json_writer.h): keys
        // taken before an upgrade still match after it.
        const std::string fingerprint = d_.sealer->fingerprint(std::string(sdk::to_string(type)) + "\n" + json_text(a));
        guard.emplace(*d_.queue, shared_keys::idempotency(c.client, t.idempotency_key), t.task_id, fingerprint,
                      d_.idempotency_ttl_ms);
        auto prior = guard->take();
        if (!prior) return std::move(prior).error();
        if (prior->has_value()) {
            const auto& p = **prior;
            if (p.fingerprint != fingerprint) {
                return sdk::Error::invalid_input("idempotency_key '" + t.idempotency_key +
                                                 "' was already used with different arguments");
            }
            auto first = d_.store->load(p.task_id);
            if (first) return existing_answer(*first);
            if (first.error().kind != sdk::ErrorKind::not_found || now_ms() - p.taken_at_ms < kAbandonedKeyMs) {
                return sdk::Error::transient("an earlier request with idempotency_key '" + t.idempotency_key +
                                             "' is still being queued; try again in a minute");
            }
            auto replaced = guard->replace(p);
            if (!replaced) return std::move(replaced).error();
            if (!*replaced)
                return sdk::Error::transient("idempotency_key '" + t.idempotency_key + "' is in use; try again");
        }
    }

    // Per-client cap on scans not yet finished.
    if (c.max_concurrent_scans > 0) {
        auto unfinished = d_.store->unfinished_for(c.client);
        if (!unfinished) return std::move(unfinished).error();
        const auto open = static_cast<std::uint32_t>(unfinished->size());
        if (open >= c.max_concurrent_scans) {
            return sdk::Error::capacity("client '" + c.client + "' already has " + std::to_string(open) +
                                        " unfinished scans (its limit); wait for one to finish");
        }
    }

    // Counted only for a new task (an idempotent repeat returned above), and
    // given back on every way out below that queues nothing.
    std::optional<SubmissionRate::Ticket> counted;
    if (d_.rate) {
        auto ticket = d_.rate->take(c.client, now_ms());
        if (!ticket) return std::move(ticket).error();
        if (ticket->has_value()) counted.emplace(std::move(**ticket));
    }

    auto routed = route(t, *parsed);
    if (!routed) return std::move(routed).error();
    const sdk::RouteDecision* decision = &routed->decision;
    t.queue = decision->queue_scanner;
    // Noted at once, before the durable writes below (milliseconds each):
    // concurrent submissions in this process then see this placement. One
    // that fails later leaves the note for at most the view's age.
    d_.pool->note_queued(t.queue);
    t.scanner_instance = decision->scanner_instance;
    if (const auto* s = d_.pool->find(t.scanner_instance)) {
        t.scanner_url = s->url;
        t.scanner_pool = s->pool;
    }
    t.created_at = t.queued_at = t.updated_at = t.last_accessed_at = now_ms();

    const std::string sealed = type == sdk::ScanType::untrusted ? "" : d_.sealer->seal(creds, t.task_id);
    sdk::QueueTask qt;
    qt.task_id = t.task_id;
    qt.scanner_id = t.queue;
    qt.payload = make_payload(t, sealed);
    qt.enqueued_at_ms = t.created_at;
    if (auto w = d_.store->create(t, qt.payload); !w) return std::move(w).error();
    auto position = d_.queue->enqueue(qt);
    if (!position) {
        // Nothing queued: no record that no worker will run, and the key is free again.
        (void)d_.store->remove(t.task_id);
        return sdk::Error::transient("queue backend unreachable, nothing was queued: " + position.error().message);
    }
    if (guard) guard->commit();
    if (counted) counted->commit();
    spdlog::info("task {} ({}, trace {}) queued on {}: {}", t.task_id, sdk::to_string(type), t.trace_id,
                 t.queue.empty() ? "the global queue" : t.queue, decision->reason);

    Obj o = tools::object();
    o->set("task_id", t.task_id);
    o->set("trace_id", t.trace_id);
    o->set("status", "queued");
    o->set("scanner_instance", tools::null_if_empty(t.scanner_instance));
    o->set("scanner_url", tools::null_if_empty(t.scanner_url));
    o->set("queue", t.queue.empty() ? "global" : t.queue);
    o->set("queue_position", *position);
    o->set("estimated_wait_time", estimated_wait_s(t.queue, *position, routed->room));
    o->set("routing_reason", decision->reason);
    o->set("message", "Scan queued. Poll get_scan_status with this task_id.");
    return o;
}

sdk::Result<Placement> Submission::retry(const std::string& task_id, const std::string& payload) {
    auto t = d_.store->load(task_id);
    if (!t) {
        if (t.error().kind == sdk::ErrorKind::not_found || t.error().kind == sdk::ErrorKind::invalid_input) {
            return sdk::Error::not_found("no task '" + task_id +
                                         "' in the task store (removed by housekeeping?); "
                                         "nothing was queued");
        }
        return std::move(t).error();
    }
    auto parsed = targets::parse_list(t->targets);
    if (!parsed) return std::move(parsed).error();
    if (!d_.scope) return sdk::Error::invalid_input("no target scope is configured, so no scan may run");
    if (auto in = d_.scope->check(*parsed); !in) {
        return sdk::Error{in.error().kind, "task " + task_id + " is not retried: " + in.error().message};
    }
    auto routed = route(*t, *parsed);
    if (!routed) return std::move(routed).error();
    const sdk::RouteDecision* decision = &routed->decision;
    const auto before = *t;
    // The record first: a worker that claims the task must find it queued.
    // Only a failed task is reset: a second operator's retry of the same
    // entry, or a task that moved on meanwhile, is left alone.
    bool was_failed = true;
    auto reset = d_.store->update(task_id, [&](TaskRecord& r) {
        was_failed = true;  // a change may run more than once (TaskStore::update)
        if (r.status != TaskStatus::failed || r.updated_at != before.updated_at) {
            was_failed = false;
            return false;
        }
        r.reset_run();
        r.queued_at = now_ms();
        r.status = TaskStatus::queued;
        r.phase = TaskPhase::queued;
        r.queue = decision->queue_scanner;
        r.scanner_instance = decision->scanner_instance;
        const auto* s = d_.pool->find(r.scanner_instance);
        r.scanner_url = s ? s->url : "";
        r.scanner_pool = s ? s->pool : "";
        return true;
    });
    if (!reset) return std::move(reset).error();
    if (!was_failed) {
        return sdk::Error::invalid_input("task " + task_id + " is " + std::string(to_string(reset->status)) +
                                         ", not failed, or changed while being retried; nothing was queued");
    }
    const auto written = reset->updated_at;
    // The failed run's findings go now, not when the next run validates: no
    // query may read them as this task's results meanwhile. (Fenced by the
    // empty token the reset left: a worker that claimed it already clears
    // them itself.)
    if (auto cleared = d_.store->findings().clear(task_id, ""); !cleared) {
        spdlog::warn("task {}: retried, but its previous findings could not be dropped yet: {}", task_id,
                     cleared.error().message);
    }
    sdk::QueueTask qt;
    qt.task_id = task_id;
    qt.scanner_id = decision->queue_scanner;
    qt.payload = payload;
    qt.enqueued_at_ms = now_ms();
    auto position = d_.queue->enqueue(qt);
    if (!position) {  // as it was: still failed, still in the dead-letter queue
        (void)d_.store->update(task_id, [&](TaskRecord& r) {
            if (r.updated_at != written) return false;  // a worker has it after all
            r = before;
            return true;
        });
        return sdk::Error::transient("queue backend unreachable, nothing was queued: " + position.error().message);
    }
    d_.pool->note_queued(qt.scanner_id);
    return Placement{qt.scanner_id, decision->scanner_instance, *position,
                     estimated_wait_s(qt.scanner_id, *position, routed->room), decision->reason};
}

}  // namespace scanorch::framework
