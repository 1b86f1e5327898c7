// Everything one scanorchd process runs, for its mode:
//   all    = tool service + front end + one worker per enabled scanner
//   api    = tool service + front end
//   worker = one worker for one scanner
// plus housekeeping (TTL removal, queue-wait limit, metrics refresh), which
// runs in every process but does its work in one process at a time (a lock
// in the queue backend's shared state).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scanorch/framework/host/host.h"
#include "scanorch/framework/service/housekeeping.h"
#include "scanorch/framework/service/tool_service.h"
#include "scanorch/framework/tools/scope_policy.h"
#include "scanorch/framework/workers/worker.h"
#include "scanorch/sdk/frontend.h"

namespace scanorch::framework {

class MetricsListener;

enum class Mode { all, api, worker };

class Orchestrator {
public:
    /// Builds every part; throws HostError/ConfigError with one clear line.
    Orchestrator(Host& host, Mode mode, const std::string& worker_scanner = "");
    ~Orchestrator();

    void start();
    /// Stops the front end, then the workers (handing unfinished tasks back), then housekeeping.
    void stop();

    HostToolService* tools() { return tools_.get(); }
    /// Where the front end listens ("" without one), e.g. "http://127.0.0.1:8836".
    std::string frontend_endpoint() const { return frontend_ ? frontend_->endpoint() : ""; }
    sdk::QueueBackend& queue() { return *queue_; }
    TaskStore& store() { return *store_; }

    /// One housekeeping pass now (tests; the thread runs it every interval).
    void housekeeping_pass();

private:
    void housekeeping_loop();

    Host& host_;
    std::shared_ptr<sdk::QueueBackend> queue_;
    std::shared_ptr<sdk::Router> router_;
    std::shared_ptr<sdk::Validator> validator_;
    std::shared_ptr<sdk::Frontend> frontend_;
    std::shared_ptr<TaskStore> store_;
    std::shared_ptr<CredentialSealer> sealer_;
    std::shared_ptr<CoreMetrics> metrics_;
    std::shared_ptr<ScannerPool> pool_;
    std::shared_ptr<const ScopePolicy> scope_;
    std::unique_ptr<Housekeeping> keeper_;
    std::shared_ptr<HostToolService> tools_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::shared_ptr<sdk::Scanner>> scanners_;
    std::unique_ptr<MetricsListener> metrics_listener_;  ///< worker mode: /metrics without a front end

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread housekeeping_;
};

}  // namespace scanorch::framework
