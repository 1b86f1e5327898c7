// `api` and `worker` processes meet only through the queue backend: one that
// lives in a single process's memory would leave every process on its own
// queue, with tasks submitted that no worker ever sees. Refuse that at start.
#pragma once

#include <string_view>

#include "scanorch/sdk/queue_backend.h"

namespace scanorch::framework {

/// Throws HostError naming the fix when `queue` says it is process-local
/// (sdk::kQueueProcessLocal). `mode` is "api" or "worker", `plugin` the
/// queue plugin's name, for the message.
void require_shared_queue(sdk::QueueBackend& queue, std::string_view mode, std::string_view plugin);

}  // namespace scanorch::framework
