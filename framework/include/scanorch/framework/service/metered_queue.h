// The configured queue backend, with what the host wants to count about it
// and no plugin reports: lease reclaims (a worker that died or stalled past
// workers.lease_ms, its task handed to another). Every call is forwarded
// unchanged, extension() too, except ids newer than the plugin's ABI minor.
#pragma once

#include <cstdint>
#include <memory>

#include "scanorch/sdk/queue_backend.h"

// Only a reference crosses this header: callers need not see prometheus-cpp.
namespace prometheus {
class Registry;
}

namespace scanorch::framework {

/// Wraps `queue`; registers scanorch_lease_reclaims_total{queue} in `registry`.
std::shared_ptr<sdk::QueueBackend> metered_queue(std::shared_ptr<sdk::QueueBackend> queue,
                                                 prometheus::Registry& registry);

}  // namespace scanorch::framework
