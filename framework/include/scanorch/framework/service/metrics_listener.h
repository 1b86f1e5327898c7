// A small HTTP listener for processes that serve no front end: a `scanorchd
// worker` increments counters no other process sees (finished tasks,
// authentication and validation failures, scanner API requests), so it must
// be scraped itself. It answers only
//   GET /metrics  Prometheus text of the process's registry
//   GET /health   200 while the process runs
//   GET /ready    200 when the queue backend answers, else 503 with the reason
// It offers no tools and no data beyond the metrics, so it takes no tokens;
// it listens on loopback unless told otherwise (workers.metrics_listen).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/result.h"

namespace Poco::Net {
class HTTPServer;
}

namespace scanorch::framework {

struct MetricsListenerPool;

class MetricsListener {
public:
    struct Handlers {
        std::function<std::string()> metrics;      ///< the exposition text
        std::function<sdk::Result<void>()> ready;  ///< nullptr: always ready
    };

    /// Binds `listen` ("HOST:PORT"; port 0 = any free port) at once, so a
    /// taken port stops start-up. Throws HostError naming `what` (the key).
    MetricsListener(const std::string& listen, const std::string& what, Handlers handlers);
    ~MetricsListener();
    MetricsListener(const MetricsListener&) = delete;
    MetricsListener& operator=(const MetricsListener&) = delete;

    void start();
    /// Stops accepting and waits for requests in flight. Idempotent.
    void stop();

    /// "http://127.0.0.1:9465", with the port actually bound.
    std::string endpoint() const { return endpoint_; }

private:
    std::unique_ptr<MetricsListenerPool> pool_;  // before server_: its threads outlive the server
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::string endpoint_;
    bool started_ = false;
};

/// The worker's listener, per workers.metrics_listen (SCANORCH_METRICS_LISTEN);
/// nullptr when it is "off". Each scrape refreshes the deployment-wide
/// gauges from the queue backend, as the API's /metrics does, so every
/// process reports the same values for them.
std::unique_ptr<MetricsListener> make_worker_metrics_listener(const HostConfig& config, prometheus::Registry& registry,
                                                              const std::shared_ptr<sdk::QueueBackend>& queue,
                                                              const std::shared_ptr<ScannerPool>& pool,
                                                              const std::shared_ptr<CoreMetrics>& metrics);

}  // namespace scanorch::framework
