#include "scanorch/framework/workers/client_slot.h"

#include "scanorch/framework/tasks/shared_keys.h"

namespace scanorch::framework {

std::string client_slot_key(const std::string& client, std::uint32_t index) {
    return shared_keys::client_slot(client, index);
}

sdk::Result<std::optional<ClientSlot>> ClientSlot::try_acquire(std::shared_ptr<sdk::QueueBackend> queue,
                                                               const std::string& client, std::uint32_t cap,
                                                               const std::string& task_id, std::int64_t lease_ms) {
    for (std::uint32_t i = 0; i < cap; ++i) {
        const std::string key = client_slot_key(client, i);
        auto prior = queue->kv_set_if_absent(key, task_id, 2 * lease_ms);
        if (!prior) return std::move(prior).error();
        if (!prior->has_value() || **prior == task_id) {
            ClientSlot slot(std::move(queue), key, task_id, lease_ms);
            slot.renew();  // a resumed hold gets a fresh expiry too
            return std::optional<ClientSlot>(std::move(slot));
        }
    }
    return std::optional<ClientSlot>();
}

ClientSlot::ClientSlot(std::shared_ptr<sdk::QueueBackend> queue, std::string key, std::string task_id,
                       std::int64_t lease_ms)
    : queue_(std::move(queue)), key_(std::move(key)), task_id_(std::move(task_id)), lease_ms_(lease_ms) {}

ClientSlot::ClientSlot(ClientSlot&& other) noexcept
    : queue_(std::move(other.queue_)),
      key_(std::move(other.key_)),
      task_id_(std::move(other.task_id_)),
      lease_ms_(other.lease_ms_) {}

ClientSlot::~ClientSlot() {
    if (queue_) (void)queue_->kv_delete_if(key_, task_id_);
}

void ClientSlot::renew() noexcept {
    if (!queue_) return;
    // Only while still ours: after a lapse (the queue backend was away for
    // two leases) another task may hold the key; if nobody does, take it back.
    auto v = queue_->kv_get(key_);
    if (!v) return;
    if (!v->has_value()) {
        (void)queue_->kv_set_if_absent(key_, task_id_, 2 * lease_ms_);
    } else if (**v == task_id_) {
        (void)queue_->kv_set(key_, task_id_, 2 * lease_ms_);
    }
}

}  // namespace scanorch::framework
