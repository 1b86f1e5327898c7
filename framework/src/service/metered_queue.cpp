#include "scanorch/framework/service/metered_queue.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "scanorch/framework/service/forwarding_queue.h"

namespace scanorch::framework {

namespace {

class MeteredQueue final : public ForwardingQueue {
public:
    MeteredQueue(std::shared_ptr<sdk::QueueBackend> q, prometheus::Registry& r)
        : ForwardingQueue(std::move(q)),
          reclaims_(prometheus::BuildCounter()
                        .Name("scanorch_lease_reclaims_total")
                        .Help("Tasks whose worker's lease lapsed and that went back to their queue, by queue")
                        .Register(r)) {
        reclaims_.Add({{"queue", "global"}});  // present at zero, so rate() and alerts see it from the start
    }

    sdk::Result<std::vector<sdk::QueueTask>> reclaim_expired() noexcept override {
        auto r = inner().reclaim_expired();
        if (r) {
            for (const auto& t : *r)
                reclaims_.Add({{"queue", t.scanner_id.empty() ? "global" : t.scanner_id}}).Increment();
        }
        return r;
    }

private:
    prometheus::Family<prometheus::Counter>& reclaims_;
};

}  // namespace

std::shared_ptr<sdk::QueueBackend> metered_queue(std::shared_ptr<sdk::QueueBackend> queue,
                                                 prometheus::Registry& registry) {
    return std::make_shared<MeteredQueue>(std::move(queue), registry);
}

}  // namespace scanorch::framework
