// An optional queue interface (ABI 2.2): give back a claim's scanner slot
// while the claim itself stays held.
//
// Why it exists: a scanner's limit (max_concurrent_scans) is on the scans it
// runs. Once a scan has ended on the scanner, what is left of the task
// (downloading the export, validating it, indexing its findings, recording
// the ending) loads the worker and the store, not the scanner, and can take
// minutes for a large export. A worker that offers the slot back then lets
// the scanner start its next scan meanwhile.
//
// A backend offers it through `QueueBackend::extension(kQueueSlotVacate)`
// (extensions.h); nullptr means a claim keeps its slot until it ends.
#pragma once

#include <cstdint>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE SlotVacate {
public:
    virtual ~SlotVacate() = default;
    /// Frees `claim`'s slot in its scanner's running set, so the next claim
    /// for that scanner may take it, unless `max_vacated` claims of that
    /// scanner have given theirs back and are still held: then nothing
    /// changes and the answer is false (the claim keeps its slot, so a
    /// scanner never has more than its limit of scans running plus
    /// `max_vacated` finishing, however slow its exports). True when the
    /// slot is free, also when it was already. After a true, as before:
    /// - renew() keeps the lease, and a lease that lapses is reclaimed as
    ///   any other (the task goes back to the head of its queue);
    /// - complete(), release() and dead_letter() end the claim;
    /// - Queue::running() still lists the task (it is held), while the
    ///   running counts of depths() and pool snapshots no longer do (they
    ///   count slots).
    /// not_found when the lease is no longer the caller's. The check and
    /// the change are one atomic step across every process sharing the
    /// backend. Same threading rules as Queue.
    virtual Result<bool> vacate(const Claim& claim, std::uint32_t max_vacated) noexcept = 0;
};

}  // namespace scanorch::sdk
