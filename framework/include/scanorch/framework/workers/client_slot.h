// A named API client's cap on concurrent scans, held while a scan runs.
//
// The front end checks the cap when a scan is submitted, but submissions from
// several API processes can race, and a task may wait long enough for the cap
// to be lowered. So a worker takes one of the client's N start slots before it
// creates the scan: shared keys scanorch:client_slot:{client}:{0..N-1}, each
// naming the task that holds it. Set-if-absent makes the take atomic across
// processes and hosts. A slot lives for two leases and is renewed with the
// task's lease, so a worker that dies frees its client's slot when its task is
// reclaimed, not a day later.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

class ClientSlot {
public:
    /// Takes a free slot of `client` for `task_id`, or the one it already holds
    /// (a reclaimed task resuming). nullopt when all `cap` slots are taken.
    static sdk::Result<std::optional<ClientSlot>> try_acquire(std::shared_ptr<sdk::QueueBackend> queue,
                                                              const std::string& client, std::uint32_t cap,
                                                              const std::string& task_id, std::int64_t lease_ms);

    ClientSlot(ClientSlot&& other) noexcept;
    ClientSlot& operator=(ClientSlot&&) = delete;
    ClientSlot(const ClientSlot&) = delete;
    ClientSlot& operator=(const ClientSlot&) = delete;
    ~ClientSlot();  ///< frees the slot if this task still holds it

    /// Extends the slot by two leases; call when renewing the task's lease.
    void renew() noexcept;
    /// Forgets the slot without freeing it: the task lives on under another
    /// worker, which holds the same key (it names the task), or it expires.
    void abandon() noexcept { queue_.reset(); }
    const std::string& key() const { return key_; }

private:
    ClientSlot(std::shared_ptr<sdk::QueueBackend> queue, std::string key, std::string task_id, std::int64_t lease_ms);
    std::shared_ptr<sdk::QueueBackend> queue_;
    std::string key_;
    std::string task_id_;
    std::int64_t lease_ms_;
};

/// The shared key of slot `index` of `client`.
std::string client_slot_key(const std::string& client, std::uint32_t index);

}  // namespace scanorch::framework
