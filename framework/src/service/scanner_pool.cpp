#include "scanorch/framework/service/scanner_pool.h"

#include <algorithm>

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

sdk::Result<std::vector<sdk::ScannerSnapshot>> ScannerPool::snapshot(sdk::Queue& queue) const {
    auto depths = queue.depths(ids());
    if (!depths) return std::move(depths).error();
    std::vector<sdk::ScannerSnapshot> out;
    for (std::size_t i = 0; i < config_.scanners.size(); ++i) {
        const auto& c = config_.scanners[i];
        sdk::ScannerSnapshot s;
        s.instance_id = c.instance_id;
        s.scanner_type = c.scanner_type;
        s.url = c.url;
        s.pool = c.pool;
        s.enabled = c.enabled;
        s.capacity = c.max_concurrent_scans;
        s.zones = c.zones;
        s.running = static_cast<std::uint32_t>(depths->scanners[i].running);
        s.queued = depths->scanners[i].queued;
        auto circuit = queue.circuit(c.instance_id);
        if (!circuit) return std::move(circuit).error();
        s.circuit = circuit->state;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace scanorch::framework
