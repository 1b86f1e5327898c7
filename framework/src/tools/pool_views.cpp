#include "scanorch/framework/tools/pool_views.h"

#include <algorithm>

#include "scanorch/framework/json/sdk_json.h"
#include "tool_json.h"

namespace scanorch::framework {

using tools::Obj;

namespace {

Obj scanner_json(const sdk::ScannerSnapshot& s) {
    Obj o = tools::object();
    o->set("instance_id", s.instance_id);
    o->set("scanner_type", s.scanner_type);
    o->set("url", s.url);
    o->set("pool", s.pool);
    o->set("enabled", s.enabled);
    o->set("capacity", s.capacity);
    o->set("running", s.running);
    o->set("queued", s.queued);
    o->set("utilization_pct", s.capacity ? 100.0 * s.running / s.capacity : 0.0);
    o->set("circuit", std::string(sdk::to_string(s.circuit)));
    o->set("zones", tools::array_of(s.zones));
    return o;
}

sdk::Error unreachable(const sdk::Error& e) { return sdk::Error::transient("queue backend unreachable: " + e.message); }

}  // namespace

sdk::Result<Obj> PoolViews::scanners() const {
    auto snap = d_.pool->snapshot(*d_.queue);
    if (!snap) return unreachable(snap.error());
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : *snap) arr->add(scanner_json(s));
    Obj o = tools::object();
    o->set("scanners", arr);
    return o;
}

Obj PoolViews::pool_object(const std::string& name, const std::vector<sdk::ScannerSnapshot>& snap) const {
    std::uint64_t capacity = 0, running = 0, queued = 0;
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : snap) {
        if (s.pool != name) continue;
        if (s.enabled) capacity += s.capacity;
        running += s.running;
        queued += s.queued;
        arr->add(scanner_json(s));
    }
    Obj o = tools::object();
    o->set("scanner_pool", name);
    o->set("capacity", capacity);
    o->set("running", running);
    o->set("queued", queued);
    o->set("utilization_pct", capacity ? 100.0 * static_cast<double>(running) / static_cast<double>(capacity) : 0.0);
    o->set("scanners", arr);
    return o;
}

sdk::Result<Obj> PoolViews::pools() const {
    auto snap = d_.pool->snapshot(*d_.queue);  // one snapshot for every pool
    if (!snap) return unreachable(snap.error());
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& p : d_.pool->pools()) arr->add(pool_object(p, *snap));
    Obj o = tools::object();
    o->set("pools", arr);
    return o;
}

sdk::Result<Obj> PoolViews::pool(const std::string& name) const {
    const auto pools = d_.pool->pools();
    if (std::find(pools.begin(), pools.end(), name) == pools.end()) {
        std::string names;
        for (const auto& p : pools) names += (names.empty() ? "" : ", ") + p;
        return sdk::Error::not_found("unknown scanner pool '" + name + "' (pools: " + names + ")");
    }
    auto snap = d_.pool->snapshot(*d_.queue);
    if (!snap) return unreachable(snap.error());
    return pool_object(name, *snap);
}

sdk::Result<Obj> PoolViews::queues() const {
    auto st = d_.pool->state(*d_.queue);
    if (!st) return unreachable(st.error());
    return to_json(st->depths());
}

}  // namespace scanorch::framework
