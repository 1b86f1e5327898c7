// The host's tool service (sdk/tool_service.h): the scan tools that the MCP
// and REST front ends expose, as JSON in, JSON out, with a JSON Schema for
// each tool's input and output. Transport-free, so front ends, scanorchctl
// and tests drive the same code.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "scanorch/framework/service/core_metrics.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/framework/tasks/credential_sealer.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/queue.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/targets.h"
#include "scanorch/sdk/tool_service.h"

namespace prometheus {
class Registry;
}

namespace scanorch::framework {

struct ToolServiceDeps {
    std::shared_ptr<ScannerPool> pool;
    std::shared_ptr<sdk::Queue> queue;
    std::shared_ptr<sdk::Router> router;
    std::shared_ptr<TaskStore> store;
    std::shared_ptr<CredentialSealer> sealer;
    std::shared_ptr<CoreMetrics> metrics;
    std::shared_ptr<prometheus::Registry> registry;
    /// Targets scans may touch (CIDRs, addresses, host names, ".domain" suffixes).
    std::vector<std::string> scope;
    std::int64_t idempotency_ttl_ms = 24 * 3600 * 1000;
    std::string key_prefix = "scanorch";
};

class HostToolService final : public sdk::ToolService {
public:
    explicit HostToolService(ToolServiceDeps deps);

    std::vector<sdk::ToolInfo> tools() const noexcept override;
    sdk::Result<std::string> call(std::string_view tool, std::string_view arguments_json,
                                  const sdk::CallContext& context) noexcept override;
    std::string metrics_text() noexcept override;
    sdk::Result<void> ready() noexcept override;

    /// Refreshes the per-scanner gauges (called periodically and on /metrics).
    void refresh_metrics();

private:
    using Args = Poco::JSON::Object::Ptr;
    using Handler = std::function<sdk::Result<std::string>(const Args&, const sdk::CallContext&)>;

    sdk::Result<Poco::JSON::Object::Ptr> submit(const std::string& scan_type, const Args& a, const sdk::CallContext& c);
    sdk::Result<std::string> status(const Args& a, const sdk::CallContext& c);
    Poco::JSON::Object::Ptr status_object(const TaskRecord& t, std::optional<std::uint64_t> queue_position) const;
    sdk::Result<Poco::JSON::Object::Ptr> results(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> list_tasks(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> cancel(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> list_scanners(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> list_pools(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> pool_status(const Args& a, const sdk::CallContext& c);
    sdk::Result<Poco::JSON::Object::Ptr> queue_status(const Args& a, const sdk::CallContext& c);

    sdk::Result<void> check_scope(const std::vector<sdk::targets::Target>& targets, const sdk::CallContext& c) const;
    std::int64_t estimated_wait_s(const std::string& scanner, std::uint64_t position) const;
    sdk::Result<TaskRecord> visible_task(const Args& a, const sdk::CallContext& c);
    sdk::Result<std::shared_ptr<const TaskRecord>> visible_shared(const Args& a, const sdk::CallContext& c);

    ToolServiceDeps d_;
    std::vector<sdk::targets::Target> scope_;
    std::vector<std::string> scope_suffixes_;
    std::vector<sdk::ToolInfo> tools_;
    std::map<std::string, Handler> handlers_;

    // get_scan_status of a task unchanged since it was last asked: the answer
    // printed then, keyed on the store's shared record (a changed task.json is
    // a new record) and, for a queued task, its queue position.
    struct PrintedStatus {
        std::shared_ptr<const TaskRecord> record;
        std::optional<std::uint64_t> position;
        std::string text;
    };
    static constexpr std::size_t kPrintedStatuses = 4096;
    std::mutex printed_mu_;
    std::unordered_map<std::string, PrintedStatus> printed_;
};

}  // namespace scanorch::framework
