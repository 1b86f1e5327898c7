#include "scanorch/framework/service/shared_queue.h"

#include <string>

#include "scanorch/framework/host/host.h"
#include "scanorch/sdk/extensions.h"

namespace scanorch::framework {

void require_shared_queue(sdk::QueueBackend& queue, std::string_view mode, std::string_view plugin) {
    if (queue.extension(sdk::kQueueProcessLocal) == nullptr) return;
    const std::string other = mode == "api" ? "worker" : "api";
    throw HostError("'" + std::string(mode) + "' mode meets the " + other + " processes only through the queue, but '" +
                    std::string(plugin) +
                    "' keeps its queue inside this one process, so they would never see each other's tasks. "
                    "Use a shared queue: set QUEUE_BACKEND=redis and REDIS_URL=redis://HOST:6379/0 (or "
                    "plugins.queue.use: redis-queue in scanorch.yaml), or run API and workers in one process with "
                    "`scanorchd all`");
}

}  // namespace scanorch::framework
