#include "scanorch/framework/workers/held_task.h"

#include <spdlog/spdlog.h>

namespace scanorch::framework {

sdk::Claim HeldTask::claim() const {
    std::lock_guard lock(mu_);
    return claim_;
}

std::string HeldTask::token() const {
    std::lock_guard lock(mu_);
    return claim_.lease_token;
}

bool HeldTask::adopt(sdk::Claim claim, TaskStore& store) {
    std::lock_guard lock(mu_);
    // A lost run may have decided its ending already (a step read lost()):
    // under a new claim it would end that claim as lost, dropping the task
    // from the queue while its record runs on. Its later claims start a
    // fresh run instead, which takes the record over from it.
    if (closed_ || lost_) return false;
    const std::string old_token = claim_.lease_token;
    const std::string new_token = claim.lease_token;
    // Under the lock, so no write of the run falls between the record's
    // token and the run's. Only when the record still names this run: if
    // another worker took the task over meanwhile (it was moved, cancelled,
    // reclaimed), the new claim must start a fresh run with its own take-over.
    bool rewritten = false;
    auto r = store.update(id_, [&](TaskRecord& t) {
        // May run again on a newer record (the store retries a write that
        // lost to another): decide afresh each time.
        rewritten = t.lease_token == old_token && !t.terminal();
        if (rewritten) t.lease_token = new_token;
        return rewritten;
    });
    if (!r || !rewritten) return false;
    claim_ = std::move(claim);
    holds_slot_ = true;  // the new claim took a slot of its own
    return true;
}

bool HeldTask::vacate(sdk::SlotVacate& queue, std::uint32_t max_vacated) {
    sdk::Claim claim;
    {
        std::lock_guard lock(mu_);
        if (!holds_slot_ || lost_) return false;
        claim = claim_;
    }
    // Unlocked: the heartbeat's renewal and the run's writes need not wait
    // for the backend's answer. A claim adopted meanwhile took a slot of its
    // own, which stays counted; the old claim's token is refused anyway.
    auto r = queue.vacate(claim, max_vacated);
    if (!r) {
        spdlog::warn("task {}: its scanner slot stays held until it ends: {}", id_, r.error().message);
        return false;
    }
    if (!*r) return false;  // as many finish already: this one keeps its slot
    std::lock_guard lock(mu_);
    if (claim_.lease_token != claim.lease_token) return false;
    holds_slot_ = false;
    return true;
}

void HeldTask::close() {
    std::lock_guard lock(mu_);
    closed_ = true;
}

WriteOutcome HeldTask::write(TaskStore& store, const std::function<bool(TaskRecord&)>& change, TaskRecord* after) {
    std::lock_guard lock(mu_);
    if (lost_) return WriteOutcome::fenced;
    WriteOutcome outcome = WriteOutcome::written;
    auto r = store.update(id_, [&](TaskRecord& t) {
        outcome = WriteOutcome::written;  // decided afresh if the store runs this again
        if (t.lease_token != claim_.lease_token) {
            outcome = WriteOutcome::fenced;
            return false;
        }
        if (t.terminal()) {
            outcome = t.status == TaskStatus::cancelled ? WriteOutcome::cancelled : WriteOutcome::ended;
            return false;
        }
        if (!change(t)) {
            outcome = WriteOutcome::unchanged;
            return false;
        }
        return true;
    });
    if (!r) {
        spdlog::warn("task {}: cannot update its record: {}", id_, r.error().message);
        return r.error().kind == sdk::ErrorKind::not_found ? WriteOutcome::fenced : WriteOutcome::failed;
    }
    if (after) *after = std::move(r).value();
    return outcome;
}

WriteOutcome HeldTask::take_over(TaskStore& store, const std::function<void(TaskRecord&)>& change, TaskRecord& after) {
    std::lock_guard lock(mu_);
    // A claim lost while it waited for its run (a worker's next claim of a
    // task) must not write its dead token over its new holder's: that one
    // would be fenced and end the task's only live claim.
    if (lost_) return WriteOutcome::fenced;
    WriteOutcome outcome = WriteOutcome::written;
    auto r = store.update(id_, [&](TaskRecord& t) {
        outcome = WriteOutcome::written;
        if (t.terminal()) {
            outcome = t.status == TaskStatus::cancelled ? WriteOutcome::cancelled : WriteOutcome::ended;
            return false;
        }
        // Whoever held it before lost its lease: from now on its writes fail.
        t.lease_token = claim_.lease_token;
        change(t);
        return true;
    });
    if (!r) return r.error().kind == sdk::ErrorKind::not_found ? WriteOutcome::fenced : WriteOutcome::failed;
    after = std::move(r).value();
    return outcome;
}

HeldTask::Renewal HeldTask::renew(sdk::QueueBackend& queue, std::int64_t lease_ms) {
    // A run whose lease is lost may take seconds to reach its next step (an
    // export): asking the backend at every beat meanwhile only repeats the
    // answer, and the warning with it. Lost stays lost: adopt() refuses it.
    if (lost_.load()) return Renewal::lost;
    sdk::Claim copy = claim();
    auto r = queue.renew(copy, lease_ms);
    if (!r) {
        if (r.error().kind != sdk::ErrorKind::not_found) {
            // The backend is away: the lease may lapse, but only the backend
            // can say so. Keep going; the next beat tries again.
            spdlog::warn("task {}: cannot renew its lease: {}", id_, r.error().message);
            return Renewal::held;
        }
        std::lock_guard lock(mu_);
        // A run that chose its ending gives its claim up itself (complete,
        // dead-letter, hand back): its lease is gone, but lost to nobody.
        if (closed_) return Renewal::held;
        // Not when a newer claim was adopted meanwhile: that one is renewed next beat.
        if (claim_.lease_token != copy.lease_token) return Renewal::held;
        return lost_.exchange(true) ? Renewal::lost : Renewal::lost_now;
    }
    std::lock_guard lock(mu_);
    if (claim_.lease_token == copy.lease_token) claim_.lease_expires_at_ms = copy.lease_expires_at_ms;
    if (slot_) slot_->renew();
    return Renewal::held;
}

void HeldTask::hold_client_slot(std::optional<ClientSlot> slot) {
    auto held = slot ? std::make_unique<ClientSlot>(std::move(*slot)) : nullptr;
    std::lock_guard lock(mu_);
    slot_.swap(held);
}

void HeldTask::drop_client_slot(bool free_it) {
    std::unique_ptr<ClientSlot> slot;
    {
        std::lock_guard lock(mu_);
        slot.swap(slot_);
    }
    if (slot && !free_it) slot->abandon();
}

}  // namespace scanorch::framework
