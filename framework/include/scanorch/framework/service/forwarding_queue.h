// A QueueBackend that passes every call to another one: the base of the
// host's decorators (metered_queue.cpp) and of tests that hold back or
// count one call, so each overrides only what it changes and a method added
// to the SDK is forwarded in one place.
#pragma once

#include <memory>
#include <utility>

#include "scanorch/sdk/queue_backend.h"

namespace scanorch::framework {

class ForwardingQueue : public sdk::QueueBackend {
public:
    explicit ForwardingQueue(std::shared_ptr<sdk::QueueBackend> inner) : inner_(std::move(inner)) {}

    // Queue
    sdk::Result<void> ping() noexcept override { return inner_->ping(); }
    sdk::Result<std::uint64_t> enqueue(const sdk::QueueTask& t) noexcept override { return inner_->enqueue(t); }
    sdk::Result<void> enqueue_front(const sdk::QueueTask& t) noexcept override { return inner_->enqueue_front(t); }
    sdk::Result<std::optional<sdk::Claim>> claim(const std::string& s, std::uint32_t max,
                                                 std::int64_t lease_ms) noexcept override {
        return inner_->claim(s, max, lease_ms);
    }
    sdk::Result<bool> wait_for_work(const std::string& s, std::int64_t timeout_ms) noexcept override {
        return inner_->wait_for_work(s, timeout_ms);
    }
    sdk::Result<void> wake(const std::string& s) noexcept override { return inner_->wake(s); }
    sdk::Result<void> renew(sdk::Claim& c, std::int64_t lease_ms) noexcept override {
        return inner_->renew(c, lease_ms);
    }
    sdk::Result<void> complete(const sdk::Claim& c) noexcept override { return inner_->complete(c); }
    sdk::Result<void> release(const sdk::Claim& c, const std::string& payload) noexcept override {
        return inner_->release(c, payload);
    }
    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override { return inner_->reclaim_expired(); }
    sdk::Result<bool> remove(const std::string& id) noexcept override { return inner_->remove(id); }
    sdk::Result<std::optional<std::uint64_t>> position(const std::string& id) noexcept override {
        return inner_->position(id);
    }
    sdk::Result<std::vector<std::string>> running(const std::string& s) noexcept override { return inner_->running(s); }
    sdk::Result<std::vector<sdk::QueueTask>> list(const std::string& s, std::uint64_t offset,
                                                  std::uint64_t limit) noexcept override {
        return inner_->list(s, offset, limit);
    }
    sdk::Result<sdk::QueueDepths> depths(const std::vector<std::string>& ids) noexcept override {
        return inner_->depths(ids);
    }

    // DeadLetters
    sdk::Result<void> dead_letter(const sdk::Claim& c, const std::string& reason) noexcept override {
        return inner_->dead_letter(c, reason);
    }
    sdk::Result<std::vector<sdk::DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept override {
        return inner_->dlq_list(offset, limit);
    }
    sdk::Result<std::optional<sdk::DlqEntry>> dlq_get(const std::string& id) noexcept override {
        return inner_->dlq_get(id);
    }
    sdk::Result<bool> dlq_remove(const std::string& id) noexcept override { return inner_->dlq_remove(id); }
    sdk::Result<std::uint64_t> dlq_purge() noexcept override { return inner_->dlq_purge(); }

    // SharedState
    sdk::Result<std::optional<std::string>> kv_get(const std::string& k) noexcept override { return inner_->kv_get(k); }
    sdk::Result<std::vector<std::optional<std::string>>> kv_get_many(
        const std::vector<std::string>& keys) noexcept override {
        return inner_->kv_get_many(keys);
    }
    sdk::Result<void> kv_set(const std::string& k, const std::string& v, std::int64_t ttl_ms) noexcept override {
        return inner_->kv_set(k, v, ttl_ms);
    }
    sdk::Result<std::optional<std::string>> kv_set_if_absent(const std::string& k, const std::string& v,
                                                             std::int64_t ttl_ms) noexcept override {
        return inner_->kv_set_if_absent(k, v, ttl_ms);
    }
    sdk::Result<bool> kv_compare_and_set(const std::string& k, const std::optional<std::string>& expected,
                                         const std::string& v, std::int64_t ttl_ms) noexcept override {
        return inner_->kv_compare_and_set(k, expected, v, ttl_ms);
    }
    sdk::Result<bool> kv_delete_if(const std::string& k, const std::string& expected) noexcept override {
        return inner_->kv_delete_if(k, expected);
    }

    void* extension(std::string_view id) noexcept override { return inner_->extension(id); }

protected:
    sdk::QueueBackend& inner() const noexcept { return *inner_; }

private:
    std::shared_ptr<sdk::QueueBackend> inner_;
};

}  // namespace scanorch::framework
