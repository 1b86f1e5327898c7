#include "scanorch/framework/service/scanner_pool.h"

#include <algorithm>
#include <atomic>

#include "scanorch/framework/workers/circuit_state.h"

#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/pool_snapshot.h"

namespace scanorch::framework {

std::vector<std::string> ScannerPool::ids() const {
    std::vector<std::string> out;
    for (const auto& s : config_.scanners) out.push_back(s.instance_id);
    return out;
}

std::vector<std::string> ScannerPool::pools() const {
    std::vector<std::string> out;
    for (const auto& s : config_.scanners) {
        if (std::find(out.begin(), out.end(), s.pool) == out.end()) out.push_back(s.pool);
    }
    return out;
}

sdk::QueueDepths PoolState::depths() const {
    sdk::QueueDepths d;
    d.global = global;
    d.dead_letter = dead_letter;
    for (const auto& s : scanners) d.scanners.push_back({s.instance_id, s.queued, s.running});
    return d;
}

sdk::Result<PoolState> ScannerPool::state(sdk::QueueBackend& queue) const {
    PoolState out;
    out.scanners.reserve(config_.scanners.size());
    for (const auto& c : config_.scanners) {
        sdk::ScannerSnapshot s;
        s.instance_id = c.instance_id;
        s.scanner_type = c.scanner_type;
        s.url = c.url;
        s.pool = c.pool;
        s.enabled = c.enabled;
        s.capacity = c.max_concurrent_scans;
        s.zones = c.zones;
        out.scanners.push_back(std::move(s));
    }
    // The circuits are the host's keys (circuit_state.h): one kv_get_many.
    auto circuits = read_circuits(queue, ids());
    if (!circuits) return std::move(circuits).error();
    for (std::size_t i = 0; i < out.scanners.size(); ++i) out.scanners[i].circuit = (*circuits)[i].state;

    if (auto* whole = static_cast<sdk::QueuePoolSnapshot*>(queue.extension(sdk::kQueuePoolSnapshot))) {
        auto st = whole->pool_snapshot(ids());
        if (!st) return std::move(st).error();
        if (st->scanners.size() != out.scanners.size()) {
            return sdk::Error::internal("the queue backend's pool snapshot has " + std::to_string(st->scanners.size()) +
                                        " scanners, scanners.yaml " + std::to_string(out.scanners.size()));
        }
        out.global = st->global;
        out.dead_letter = st->dead_letter;
        for (std::size_t i = 0; i < out.scanners.size(); ++i) {
            out.scanners[i].running = static_cast<std::uint32_t>(st->scanners[i].running);
            out.scanners[i].queued = st->scanners[i].queued;
        }
        return out;
    }
    // A backend without the snapshot: depths for every scanner at once.
    auto depths = queue.depths(ids());
    if (!depths) return std::move(depths).error();
    out.global = depths->global;
    out.dead_letter = depths->dead_letter;
    for (std::size_t i = 0; i < out.scanners.size(); ++i) {
        out.scanners[i].running = static_cast<std::uint32_t>(depths->scanners[i].running);
        out.scanners[i].queued = depths->scanners[i].queued;
    }
    return out;
}

sdk::Result<std::vector<sdk::ScannerSnapshot>> ScannerPool::snapshot(sdk::QueueBackend& queue) const {
    auto st = state(queue);
    if (!st) return std::move(st).error();
    return std::move(st->scanners);
}

sdk::Result<std::shared_ptr<const PoolState>> ScannerPool::routing_state(sdk::QueueBackend& queue) const {
    std::lock_guard lock(routing_mu_);
    const auto now = std::chrono::steady_clock::now();
    // Read under the lock: a burst of submissions after the view expired
    // waits for one read instead of each making its own.
    if (!routing_ || now - routing_read_at_ >= routing_staleness_) {
        auto st = state(queue);
        if (!st) {
            routing_.reset();
            return std::move(st).error();
        }
        routing_ = std::make_shared<PoolState>(std::move(st).value());
        routing_read_at_ = now;
    }
    return std::shared_ptr<const PoolState>(routing_);
}

void ScannerPool::note_queued(const std::string& queue_scanner) const {
    std::lock_guard lock(routing_mu_);
    if (!routing_) return;
    // Copied on write: a submission routing on the view now must not see
    // it change under it. Only routing_state() makes holders, under this
    // lock, so a count of one stays one. use_count() is a relaxed load: the
    // fence orders the last holder's reads (before its release of the
    // count) before the writes below.
    if (routing_.use_count() > 1) {
        routing_ = std::make_shared<PoolState>(*routing_);
    } else {
        std::atomic_thread_fence(std::memory_order_acquire);
    }
    if (queue_scanner.empty()) {
        ++routing_->global;
        return;
    }
    for (auto& s : routing_->scanners) {
        if (s.instance_id == queue_scanner) {
            ++s.queued;
            return;
        }
    }
}

}  // namespace scanorch::framework
