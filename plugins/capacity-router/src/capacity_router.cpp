// The `capacity-router` plugin: three cases (docs/ARCHITECTURE.md "Data flow of one scan"),
//   A) a scanner has free capacity      -> that scanner's queue
//   B) the named scanner is full        -> its queue (it waits its turn)
//   C) none named and every scanner full -> the global queue
// plus what a pool of real scanners needs: unknown or disabled scanners are
// refused with the valid names, open circuits are routed around, a named
// pool narrows the choice, and scanners that declare `zones` only get scans
// whose every target lies inside them. The global queue can be claimed by any
// scanner, so it is used only when every enabled scanner could run the scan;
// otherwise a full set of eligible scanners queues on the least loaded one.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/targets.h"

namespace {

namespace sdk = scanorch::sdk;
namespace targets = scanorch::sdk::targets;

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "none" : out;
}

class CapacityRouter final : public sdk::Router {
public:
    using interface_type = sdk::Router;
    static constexpr const char* kName = "capacity-router";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription =
        "Least-utilized scanner with free capacity; named scanner's queue; global queue when all are busy";

    explicit CapacityRouter(sdk::PluginContext ctx) : ctx_(std::move(ctx)) {}

    static sdk::Result<std::unique_ptr<CapacityRouter>> create(sdk::PluginContext ctx) {
        return std::make_unique<CapacityRouter>(std::move(ctx));
    }

    sdk::Result<sdk::RouteDecision> route(const sdk::RouteRequest& req,
                                          const std::vector<sdk::ScannerSnapshot>& scanners) noexcept override {
        return sdk::guard("route", [&] { return decide(req, scanners); });
    }

private:
    // The targets that lie outside a scanner's zones ("" = all covered).
    static std::string unreachable(const sdk::ScannerSnapshot& s, const std::vector<targets::Target>& wanted) {
        if (s.zones.empty()) return "";
        std::vector<targets::Target> zones;
        for (const auto& z : s.zones) {
            // Zones say what a scanner reaches, like scope entries (any IPv6 network included).
            if (auto t = targets::parse_scope_entry(z)) zones.push_back(std::move(t).value());
        }
        for (const auto& t : wanted) {
            if (!targets::covered_by(zones, t)) return t.text;
        }
        return "";
    }

    sdk::Result<sdk::RouteDecision> decide(const sdk::RouteRequest& req, const std::vector<sdk::ScannerSnapshot>& all) {
        std::vector<targets::Target> wanted;
        for (const auto& t : req.targets) {
            auto parsed = targets::parse_target(t);
            if (!parsed) return std::move(parsed).error();
            wanted.push_back(std::move(parsed).value());
        }
        std::vector<std::string> enabled_names, pools;
        for (const auto& s : all) {
            if (s.enabled) enabled_names.push_back(s.instance_id);
            if (std::find(pools.begin(), pools.end(), s.pool) == pools.end()) pools.push_back(s.pool);
        }

        if (!req.requested_scanner.empty()) {
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const auto& s) { return s.instance_id == req.requested_scanner; });
            if (it == all.end()) {
                return sdk::Error::invalid_input("unknown scanner '" + req.requested_scanner +
                                                 "' (valid: " + join(enabled_names) + ")");
            }
            if (!it->enabled) {
                return sdk::Error::invalid_input("scanner '" + it->instance_id +
                                                 "' is disabled (enabled: " + join(enabled_names) + ")");
            }
            if (!req.requested_pool.empty() && it->pool != req.requested_pool) {
                return sdk::Error::invalid_input("scanner '" + it->instance_id + "' is in pool '" + it->pool +
                                                 "', not '" + req.requested_pool + "'");
            }
            if (auto miss = unreachable(*it, wanted); !miss.empty()) {
                return sdk::Error::invalid_input("scanner '" + it->instance_id + "' cannot reach target " + miss +
                                                 " (its zones: " + join(it->zones) + ")");
            }
            if (it->circuit == sdk::CircuitState::open) {
                return decision(it->instance_id, "requested scanner's circuit is open; queued until it recovers");
            }
            if (it->running + it->queued < it->capacity)
                return decision(it->instance_id, "requested scanner has free capacity");
            return decision(it->instance_id, "requested scanner is at capacity; queued for it");
        }

        if (!req.requested_pool.empty() && std::find(pools.begin(), pools.end(), req.requested_pool) == pools.end()) {
            return sdk::Error::invalid_input("unknown scanner pool '" + req.requested_pool +
                                             "' (pools: " + join(pools) + ")");
        }
        std::vector<const sdk::ScannerSnapshot*> eligible;
        std::vector<std::string> refusals;
        std::size_t enabled = 0;
        for (const auto& s : all) {
            if (!s.enabled) continue;
            ++enabled;
            if (!req.requested_pool.empty() && s.pool != req.requested_pool) continue;
            if (auto miss = unreachable(s, wanted); !miss.empty()) {
                refusals.push_back(s.instance_id + " cannot reach " + miss);
                continue;
            }
            eligible.push_back(&s);
        }
        if (enabled == 0) return sdk::Error::invalid_input("no scanner is enabled in scanners.yaml");
        if (eligible.empty()) {
            return sdk::Error::invalid_input("no scanner can reach every target of this scan (" + join(refusals) + ")");
        }
        // Scanners whose circuit is open are skipped while others can work.
        std::vector<const sdk::ScannerSnapshot*> working;
        for (const auto* s : eligible) {
            if (s->circuit != sdk::CircuitState::open) working.push_back(s);
        }
        const auto& pick_from = working.empty() ? eligible : working;
        auto load = [](const sdk::ScannerSnapshot* s) {
            return s->capacity == 0 ? 1e9 : static_cast<double>(s->running + s->queued) / s->capacity;
        };
        const sdk::ScannerSnapshot* best = nullptr;
        for (const auto* s : pick_from) {
            if (s->running + s->queued >= s->capacity || s->circuit == sdk::CircuitState::open) continue;
            if (best == nullptr || load(s) < load(best) || (load(s) == load(best) && s->queued < best->queued))
                best = s;
        }
        if (best != nullptr) return decision(best->instance_id, "least utilized scanner with free capacity");
        if (eligible.size() == enabled)
            return decision("", "every scanner is at capacity; the first free one takes it");
        for (const auto* s : pick_from) {
            if (best == nullptr || load(s) < load(best)) best = s;
        }
        return decision(best->instance_id, "every scanner that can run this scan is busy; queued on the least loaded");
    }

    sdk::RouteDecision decision(const std::string& scanner, const std::string& reason) {
        ctx_.log().debug("route: ", scanner.empty() ? "global queue" : scanner, " (", reason, ")");
        return {scanner, scanner, reason};
    }

    sdk::PluginContext ctx_;
};

}  // namespace

SCANORCH_PLUGIN(CapacityRouter)
