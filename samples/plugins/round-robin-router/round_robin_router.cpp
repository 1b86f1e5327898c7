// A router that spreads scans over the scanners in turn, as a third party
// would write one: it includes only SDK headers and links nothing else.
//
// Rules, in order:
//  - a request that names a scanner goes to that scanner's queue (if it is
//    configured and enabled);
//  - otherwise the next scanner in turn that is enabled, has a closed (or
//    half-open) circuit, matches the requested pool and has a free slot;
//  - if every candidate is full, the global queue, where the first scanner
//    with a free slot picks it up.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"

namespace {

namespace sdk = scanorch::sdk;

class RoundRobinRouter final : public sdk::Router {
public:
    using interface_type = sdk::Router;
    static constexpr const char* kName = "round-robin";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "Spreads scans over the scanners in turn (sample plugin)";

    explicit RoundRobinRouter(sdk::PluginContext ctx) : ctx_(std::move(ctx)) {
        routed_ =
            ctx_.metrics().counter("scanorch_round_robin_routed_total", "Scans routed by the sample router", {"queue"});
    }

    static sdk::Result<std::unique_ptr<RoundRobinRouter>> create(sdk::PluginContext ctx) {
        return std::make_unique<RoundRobinRouter>(std::move(ctx));
    }

    sdk::Result<sdk::RouteDecision> route(const sdk::RouteRequest& request,
                                          const std::vector<sdk::ScannerSnapshot>& scanners) noexcept override {
        try {
            return decide(request, scanners);
        } catch (const std::exception& e) {  // allocation failure; never let it cross the boundary
            return sdk::Error::internal(e.what());
        }
    }

private:
    sdk::Result<sdk::RouteDecision> decide(const sdk::RouteRequest& request,
                                           const std::vector<sdk::ScannerSnapshot>& scanners) {
        if (!request.requested_scanner.empty()) {
            for (const auto& s : scanners) {
                if (s.instance_id != request.requested_scanner) continue;
                if (!s.enabled) return sdk::Error::invalid_input("scanner '" + s.instance_id + "' is disabled");
                return decision(s.instance_id, "requested by name");
            }
            return sdk::Error::invalid_input("unknown scanner '" + request.requested_scanner +
                                             "' (valid: " + names(scanners) + ")");
        }
        std::vector<const sdk::ScannerSnapshot*> candidates;
        for (const auto& s : scanners) {
            const bool pool_ok = request.requested_pool.empty() || s.pool == request.requested_pool;
            if (s.enabled && s.circuit != sdk::CircuitState::open && pool_ok) candidates.push_back(&s);
        }
        if (candidates.empty()) {
            return sdk::Error::invalid_input(
                "no enabled scanner with a closed circuit" +
                (request.requested_pool.empty() ? std::string() : " in pool '" + request.requested_pool + "'"));
        }
        const std::size_t start = next_.fetch_add(1, std::memory_order_relaxed);
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const auto* s = candidates[(start + i) % candidates.size()];
            if (s->running < s->capacity) return decision(s->instance_id, "next in turn with a free slot");
        }
        return decision("", "every scanner is at capacity");
    }

    sdk::RouteDecision decision(const std::string& scanner, const std::string& reason) {
        routed_.add({scanner.empty() ? "global" : scanner});
        ctx_.log().debug("routed to ", scanner.empty() ? "the global queue" : scanner, ": ", reason);
        return {scanner, scanner, reason};
    }

    static std::string names(const std::vector<sdk::ScannerSnapshot>& scanners) {
        std::string out;
        for (const auto& s : scanners) out += (out.empty() ? "" : ", ") + s.instance_id;
        return out.empty() ? "none configured" : out;
    }

    sdk::PluginContext ctx_;
    sdk::Metric routed_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace

SCANORCH_PLUGIN(RoundRobinRouter)
