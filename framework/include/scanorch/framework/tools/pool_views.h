// What the tools show of the scanner pool and the queues: list_scanners,
// list_pools, get_pool_status, get_queue_status.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "scanorch/framework/tools/tool_deps.h"

namespace scanorch::framework {

class PoolViews {
public:
    explicit PoolViews(const ToolServiceDeps& deps) : d_(deps) {}

    sdk::Result<Poco::JSON::Object::Ptr> scanners() const;
    sdk::Result<Poco::JSON::Object::Ptr> pools() const;
    sdk::Result<Poco::JSON::Object::Ptr> pool(const std::string& name) const;
    sdk::Result<Poco::JSON::Object::Ptr> queues() const;

private:
    Poco::JSON::Object::Ptr pool_object(const std::string& name, const std::vector<sdk::ScannerSnapshot>& snap) const;
    const ToolServiceDeps& d_;
};

}  // namespace scanorch::framework
