#include "scanorch/framework/service/housekeeping.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tasks/shared_keys.h"

namespace scanorch::framework {

namespace {
std::string me() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return std::string(buf) + ":" + std::to_string(::getpid());
}
}  // namespace

Housekeeping::Housekeeping(HousekeepingSettings settings, std::int64_t lease_ms,
                           std::shared_ptr<sdk::QueueBackend> queue, std::shared_ptr<TaskStore> store,
                           std::shared_ptr<ScannerPool> pool, std::shared_ptr<CoreMetrics> metrics)
    : h_(settings),
      // Longer than any step between a record write and its queue operation,
      // and than a lease, so a live worker's task is never taken from it.
      grace_ms_(std::max<std::int64_t>(2 * lease_ms, 10'000)),
      queue_(std::move(queue)),
      store_(std::move(store)),
      pool_(std::move(pool)),
      metrics_(std::move(metrics)) {}

HousekeepingReport Housekeeping::pass() {
    HousekeepingReport report;
    // Exports live on the worker that downloaded them: each process clears
    // its own once the task is gone, whoever removed the row.
    report.exports_swept = store_->sweep_local_exports();
    const std::string key = shared_keys::housekeeping_lock();
    const std::string holder = me();
    auto lock = queue_->kv_set_if_absent(key, holder, std::max<std::int64_t>(h_.interval_seconds * 1000, 60'000));
    if (!lock || lock->has_value()) return report;
    report.ran = true;
    struct Release {  // also when the pass throws: the next one need not wait out the lock
        sdk::QueueBackend& q;
        const std::string& key;
        const std::string& holder;
        ~Release() { (void)q.kv_delete_if(key, holder); }
    } release{*queue_, key, holder};
    // A task whose lease lapsed is still in its scanner's running set until
    // a worker reclaims it (workers do, every few seconds): it counts as held
    // here, so reconciliation never races the reclaim.
    std::vector<std::string> held;
    bool held_known = true;
    for (const auto& id : pool_->ids()) {
        auto r = queue_->running(id);
        if (!r) {
            held_known = false;
            break;
        }
        held.insert(held.end(), r->begin(), r->end());
    }
    std::sort(held.begin(), held.end());
    std::map<std::string, std::uint32_t> caps;
    const auto now = now_ms();
    // TTL: a batch at a time, so one pass after a long outage stays bounded
    // per statement and the oldest go first.
    const auto idle_before = now - h_.ttl_seconds * 1000;
    for (;;) {
        auto ids = store_->expired(idle_before, 500);
        if (!ids) {
            spdlog::warn("housekeeping: cannot list expired tasks: {}", ids.error().message);
            break;
        }
        std::uint64_t removed_now = 0;
        for (const auto& id : *ids) {
            // Still expired when deleted: a task retried or read since the
            // list was taken is no longer the one the list named.
            auto removed = store_->remove_expired(id, idle_before);
            if (!removed || !*removed) continue;
            ++removed_now;
            if (metrics_) metrics_->ttl_deletion(1);  // counted as it happens: a pass that throws later keeps it
        }
        report.removed += removed_now;
        if (ids->size() < 500 || removed_now == 0) break;
    }
    auto walked = store_->for_each({TaskStatus::queued, TaskStatus::running},
                                   [&](const TaskRecord& t, const std::string& payload) {
                                       if (!t.client.empty() && t.client_cap > 0)
                                           caps[t.client] = std::max(caps[t.client], t.client_cap);
                                       if (held_known) reconcile(t, payload, held, report);
                                       return true;
                                   });
    if (!walked) spdlog::warn("housekeeping: cannot read the unfinished tasks: {}", walked.error().message);
    if (held_known) free_client_slots(caps, report);
    if (metrics_) {
        if (report.requeued) metrics_->reconciled("requeued", report.requeued);
        if (report.expired) metrics_->reconciled("failed", report.expired);
        if (report.slots_freed) metrics_->reconciled("slot_freed", report.slots_freed);
    }
    if (report.removed)
        spdlog::info("housekeeping: removed {} task(s) not read for {} s", report.removed, h_.ttl_seconds);
    if (report.expired)
        spdlog::warn("housekeeping: {} task(s) failed after waiting past max_queue_wait", report.expired);
    if (report.requeued)
        spdlog::warn("housekeeping: {} task(s) the queue backend had lost were queued again", report.requeued);
    return report;
}

void Housekeeping::reconcile(const TaskRecord& t, const std::string& payload, const std::vector<std::string>& held,
                             HousekeepingReport& report) {
    const auto now = now_ms();
    const bool never_started = t.scan.empty() && t.status == TaskStatus::queued;
    const bool waited_too_long = never_started && now - t.queued_at > h_.max_queue_wait_seconds * 1000;
    auto position = queue_->position(t.task_id);
    if (!position) return;  // backend away: nothing can be decided
    if (position->has_value()) {
        if (!waited_too_long) return;
        auto r = queue_->remove(t.task_id);
        if (!r || !*r) return;  // a worker took it meanwhile
    } else {
        if (std::binary_search(held.begin(), held.end(), t.task_id)) return;  // a worker holds it
        if (now - t.updated_at < grace_ms_) return;                           // between a write and its queue step
    }
    if (waited_too_long) {
        auto u = store_->update(t.task_id, [&](TaskRecord& x) {
            // Decided on this pass's copy: only if it still never started.
            if (x.terminal() || !x.scan.empty() || x.status != TaskStatus::queued || x.updated_at != t.updated_at) {
                return false;
            }
            x.status = TaskStatus::failed;
            x.phase = TaskPhase::done;
            x.error = "waited longer than " + std::to_string(h_.max_queue_wait_seconds) +
                      " s in the queue (max_queue_wait) without a free scanner";
            x.failure = FailureKind::capacity;
            x.completed_at = now;
            return true;
        });
        if (u && u->status == TaskStatus::failed) ++report.expired;
        return;
    }
    // Lost: queued again, at the head of the queue of the scanner that owns
    // its scan (only that scanner may resume it), else where it was queued.
    // The payload came with the page of tasks: no second read of the row.
    if (payload.empty()) {
        spdlog::error("task {}: lost by the queue backend and has no payload to queue again", t.task_id);
        return;
    }
    const std::string queue = t.scan.empty() ? t.queue : t.scan.scanner;
    if (!t.scan.empty()) {
        const auto* owner = pool_->find(queue);
        if (!owner || !owner->enabled) {  // no worker will ever serve that queue
            auto u = store_->update(t.task_id, [&](TaskRecord& x) {
                if (x.terminal() || x.updated_at != t.updated_at) return false;
                x.status = TaskStatus::failed;
                x.phase = TaskPhase::done;
                x.error = "its scan " + t.scan.id + " was started on scanner '" + queue + "', which is " +
                          (owner ? "disabled" : "no longer configured") + "; submit the scan again";
                x.failure = FailureKind::permanent;
                x.completed_at = now;
                x.lease_token.clear();
                return true;
            });
            if (u && u->status == TaskStatus::failed) ++report.expired;
            return;
        }
    }
    auto u = store_->update(t.task_id, [&](TaskRecord& x) {
        if (x.terminal() || x.updated_at != t.updated_at) return false;  // changed since: look again next pass
        x.status = TaskStatus::queued;
        x.phase = TaskPhase::queued;
        x.lease_token.clear();  // a worker still running it somewhere changes nothing more
        return true;
    });
    if (!u || u->updated_at == t.updated_at) return;
    sdk::QueueTask qt{t.task_id, queue, payload, now, t.attempts};
    auto r = t.scan.empty() ? queue_->enqueue(qt).ok() : queue_->enqueue_front(qt).ok();
    if (!r) return;  // next pass tries again
    ++report.requeued;
    spdlog::warn("task {}: the queue backend had lost it ({}); queued again on {}", t.task_id,
                 t.scan.empty() ? "never started" : "scan " + t.scan.id + " kept",
                 queue.empty() ? "the global queue" : "'" + queue + "'");
}

void Housekeeping::free_client_slots(const std::map<std::string, std::uint32_t>& caps, HousekeepingReport& report) {
    for (const auto& [client, cap] : caps) {
        for (std::uint32_t i = 0; i < cap; ++i) {
            const auto key = shared_keys::client_slot(client, i);
            auto holder = queue_->kv_get(key);
            if (!holder || !holder->has_value()) continue;
            auto t = store_->load(**holder);
            const bool ended = t ? t->terminal() : t.error().kind == sdk::ErrorKind::not_found;
            if (ended) {
                auto d = queue_->kv_delete_if(key, **holder);
                if (d && *d) ++report.slots_freed;
            }
        }
    }
}

}  // namespace scanorch::framework
