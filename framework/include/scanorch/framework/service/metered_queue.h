// The configured queue backend, with what the host wants to count about it
// and no plugin reports: lease reclaims (a worker that died or stalled past
// workers.lease_ms, its task handed to another). Every call is forwarded
// unchanged, extension() included.
#pragma once

#include <prometheus/registry.h>

#include <memory>

#include "scanorch/sdk/queue.h"

namespace scanorch::framework {

/// Wraps `queue`; registers scanorch_lease_reclaims_total{queue} in `registry`.
std::shared_ptr<sdk::Queue> metered_queue(std::shared_ptr<sdk::Queue> queue, prometheus::Registry& registry);

}  // namespace scanorch::framework
