// A task a worker holds: its claim (lease token, expiry), its client slot,
// and whether the lease is still its own. Shared by the task's run, the
// heartbeat that renews it and the dispatcher that may re-claim it.
//
// Every write to the task record goes through write(), which is fenced by
// the lease: the record names the claim that may change it (lease_token),
// and a worker whose lease passed to another changes nothing.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/workers/client_slot.h"
#include "scanorch/sdk/slot_vacate.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

/// What a fenced write did.
enum class WriteOutcome {
    written,    ///< the change was saved
    unchanged,  ///< the change asked for no write
    cancelled,  ///< the task was cancelled: the run must stop its scan and end
    ended,      ///< the task already ended another way
    fenced,     ///< another claim owns the task now: this run must not touch it
    failed,     ///< the store could not be read or written
};

class HeldTask {
public:
    explicit HeldTask(sdk::Claim claim) : claim_(std::move(claim)) {}

    const std::string& task_id() const { return id_; }
    sdk::Claim claim() const;
    std::string token() const;

    /// The lease passed to another worker (the heartbeat found it gone). For
    /// good: a run that lost its lease ends.
    bool lost() const { return lost_.load(); }

    /// The same task claimed again by this worker after its lease lapsed: the
    /// run goes on under the new lease. False once the run has chosen its
    /// ending or found its lease lost (it may have chosen to end as lost), or
    /// when the record no longer names this run's lease: the claim then
    /// starts a fresh run.
    bool adopt(sdk::Claim claim, TaskStore& store);
    /// The run has chosen its ending: later claims start a new run.
    void close();

    /// Writes the record if this claim still owns it and the task has not
    /// ended. `change` returns false to write nothing.
    WriteOutcome write(TaskStore& store, const std::function<bool(TaskRecord&)>& change, TaskRecord* after = nullptr);
    /// The first write of a run: makes this claim the record's owner.
    WriteOutcome take_over(TaskStore& store, const std::function<void(TaskRecord&)>& change, TaskRecord& after);

    /// What a heartbeat's renewal found.
    enum class Renewal {
        held,      ///< renewed; or the backend is away (only it can say the lease lapsed); or the run has
                   ///< closed (its own ending gave the claim up)
        lost_now,  ///< the backend no longer holds this claim (it lapsed and was taken over, the backend
                   ///< lost it): the run stops at its next step
        lost,      ///< found lost at an earlier beat: the backend is not asked again; the run ends, and
                   ///< a later claim of the task starts a fresh one
    };
    /// Heartbeat: renews the lease and the client slot.
    Renewal renew(sdk::QueueBackend& queue, std::int64_t lease_ms);

    /// The claim still holds its scanner slot (claim() took one; vacate()
    /// gives it back; adopt() takes one again).
    bool holds_slot() const { return holds_slot_.load(); }
    /// Gives the scanner slot back while the claim stays held (its scan has
    /// ended on the scanner), unless `max_vacated` claims of the scanner
    /// hold none already (SlotVacate). True when this call freed it; false
    /// when it was freed already, or the backend kept it (at the bound, the
    /// lease is gone, or the backend is away: the slot then goes with the
    /// claim, as without this).
    bool vacate(sdk::SlotVacate& queue, std::uint32_t max_vacated);

    void hold_client_slot(std::optional<ClientSlot> slot);
    /// Drops the client slot; `free_it` false leaves the key to expire (the
    /// task lives on under another worker).
    void drop_client_slot(bool free_it);

private:
    mutable std::mutex mu_;  ///< guards claim_, slot_, closed_, lost_ changes; held across fenced writes
    sdk::Claim claim_;
    const std::string id_ = claim_.task.task_id;
    std::unique_ptr<ClientSlot> slot_;
    bool closed_ = false;
    std::atomic<bool> lost_{false};
    std::atomic<bool> holds_slot_{true};  ///< changed under mu_, read by the worker's count of its slots
};

}  // namespace scanorch::framework
