#include "scanorch/framework/service/metered_queue.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "scanorch/sdk/extensions.h"

namespace scanorch::framework {

namespace {

class MeteredQueue final : public sdk::Queue {
public:
    MeteredQueue(std::shared_ptr<sdk::Queue> q, prometheus::Registry& r, std::uint32_t abi_minor)
        : q_(std::move(q)),
          abi_minor_(abi_minor),
          reclaims_(prometheus::BuildCounter()
                        .Name("scanorch_lease_reclaims_total")
                        .Help("Tasks whose worker's lease lapsed and that went back to their queue, by queue")
                        .Register(r)) {
        reclaims_.Add({{"queue", "global"}});  // present at zero, so rate() and alerts see it from the start
    }

    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override {
        auto r = q_->reclaim_expired();
        if (r) {
            for (const auto& t : *r)
                reclaims_.Add({{"queue", t.scanner_id.empty() ? "global" : t.scanner_id}}).Increment();
        }
        return r;
    }

    sdk::Result<void> ping() noexcept override { return q_->ping(); }
    sdk::Result<std::uint64_t> enqueue(const sdk::QueueTask& t) noexcept override { return q_->enqueue(t); }
    sdk::Result<void> enqueue_front(const sdk::QueueTask& t) noexcept override { return q_->enqueue_front(t); }
    sdk::Result<std::optional<sdk::Claim>> claim(const std::string& s, std::uint32_t max,
                                                 std::int64_t lease_ms) noexcept override {
        return q_->claim(s, max, lease_ms);
    }
    sdk::Result<bool> wait_for_work(const std::string& s, std::int64_t timeout_ms) noexcept override {
        return q_->wait_for_work(s, timeout_ms);
    }
    sdk::Result<void> renew(sdk::Claim& c, std::int64_t lease_ms) noexcept override { return q_->renew(c, lease_ms); }
    sdk::Result<void> complete(const sdk::Claim& c) noexcept override { return q_->complete(c); }
    sdk::Result<void> release(const sdk::Claim& c, const std::string& payload) noexcept override {
        return q_->release(c, payload);
    }
    sdk::Result<void> dead_letter(const sdk::Claim& c, const std::string& reason) noexcept override {
        return q_->dead_letter(c, reason);
    }
    sdk::Result<bool> remove(const std::string& id) noexcept override { return q_->remove(id); }
    sdk::Result<std::optional<std::uint64_t>> position(const std::string& id) noexcept override {
        return q_->position(id);
    }
    sdk::Result<std::vector<std::string>> running(const std::string& s) noexcept override { return q_->running(s); }
    sdk::Result<std::vector<sdk::QueueTask>> list(const std::string& s, std::uint64_t offset,
                                                  std::uint64_t limit) noexcept override {
        return q_->list(s, offset, limit);
    }
    sdk::Result<sdk::QueueDepths> depths(const std::vector<std::string>& ids) noexcept override {
        return q_->depths(ids);
    }
    sdk::Result<std::vector<sdk::DlqEntry>> dlq_list(std::uint64_t offset, std::uint64_t limit) noexcept override {
        return q_->dlq_list(offset, limit);
    }
    sdk::Result<std::optional<sdk::DlqEntry>> dlq_get(const std::string& id) noexcept override {
        return q_->dlq_get(id);
    }
    sdk::Result<bool> dlq_remove(const std::string& id) noexcept override { return q_->dlq_remove(id); }
    sdk::Result<std::uint64_t> dlq_purge() noexcept override { return q_->dlq_purge(); }
    sdk::Result<sdk::CircuitInfo> circuit(const std::string& s) noexcept override { return q_->circuit(s); }
    sdk::Result<void> set_circuit(const std::string& s, const sdk::CircuitInfo& i) noexcept override {
        return q_->set_circuit(s, i);
    }
    sdk::Result<std::optional<std::string>> kv_get(const std::string& k) noexcept override { return q_->kv_get(k); }
    sdk::Result<void> kv_set(const std::string& k, const std::string& v, std::int64_t ttl_ms) noexcept override {
        return q_->kv_set(k, v, ttl_ms);
    }
    sdk::Result<std::optional<std::string>> kv_set_if_absent(const std::string& k, const std::string& v,
                                                             std::int64_t ttl_ms) noexcept override {
        return q_->kv_set_if_absent(k, v, ttl_ms);
    }
    sdk::Result<bool> kv_delete_if(const std::string& k, const std::string& expected) noexcept override {
        return q_->kv_delete_if(k, expected);
    }
    // ABI rule 4: an id added in minor N is asked only of plugins built for
    // N or later (an older plugin might answer an id it never heard of).
    void* extension(std::string_view id) noexcept override {
        const bool since_1_2 = id == sdk::kQueueCounters || id == sdk::kQueuePoolSnapshot;
        if (since_1_2 && abi_minor_ < 2) return nullptr;
        return q_->extension(id);
    }

private:
    std::shared_ptr<sdk::Queue> q_;
    std::uint32_t abi_minor_;
    prometheus::Family<prometheus::Counter>& reclaims_;
};

}  // namespace

std::shared_ptr<sdk::Queue> metered_queue(std::shared_ptr<sdk::Queue> queue, prometheus::Registry& registry,
                                          std::uint32_t abi_minor) {
    return std::make_shared<MeteredQueue>(std::move(queue), registry, abi_minor);
}

}  // namespace scanorch::framework
