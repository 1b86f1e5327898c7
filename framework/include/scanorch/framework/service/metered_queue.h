// The configured queue backend, with what the host wants to count about it
// and no plugin reports: lease reclaims (a worker that died or stalled past
// workers.lease_ms, its task handed to another). Every call is forwarded
// unchanged, extension() too, except ids newer than the plugin's ABI minor.
#pragma once

#include <prometheus/registry.h>

#include <cstdint>
#include <memory>

#include "scanorch/sdk/queue_backend.h"

namespace scanorch::framework {

/// Wraps `queue`; registers scanorch_lease_reclaims_total{queue} in `registry`.
std::shared_ptr<sdk::QueueBackend> metered_queue(std::shared_ptr<sdk::QueueBackend> queue,
                                                 prometheus::Registry& registry);

}  // namespace scanorch::framework
