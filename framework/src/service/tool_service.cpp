#include "scanorch/framework/service/tool_service.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "../tools/tool_json.h"
#include "../tools/tool_schemas.h"
#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/tools/result_queries.h"
#include "scanorch/framework/tools/task_commands.h"

namespace scanorch::framework {

using Args = ToolRegistry::Args;
using tools::text;

HostToolService::HostToolService(ToolServiceDeps deps) : d_(std::move(deps)) {
    struct Traits {
        bool read_only, destructive, idempotent, open_world;
    };
    auto tool = [&](std::string name, std::string title, std::string desc, std::string in, std::string out, Traits t,
                    ToolRegistry::Handler h) {
        registry_.add({std::move(name), std::move(title), std::move(desc), std::move(in), std::move(out), t.read_only,
                       t.destructive, t.idempotent, t.open_world},
                      std::move(h));
    };
    // Most tools build a JSON object; it is printed here, once.
    auto printed = [](auto build) -> ToolRegistry::Handler {
        return [build](const Args& a, const sdk::CallContext& c) -> sdk::Result<std::string> {
            auto r = build(a, c);
            if (!r) return std::move(r).error();
            return stringify(*r);
        };
    };
    auto submit = [&](sdk::ScanType type) {
        return printed(
            [this, type](const Args& a, const sdk::CallContext& c) { return submission_.submit(type, a, c); });
    };
    const Traits submits{false, false, false, true}, reads{true, false, true, false};
    const std::string scan_in = std::string("{\"type\": \"object\", \"properties\": {") + schemas::kScanCommon;
    const std::string req = "}, \"required\": [\"targets\", \"name\"], \"additionalProperties\": false}";
    tool("run_untrusted_scan", "Run an untrusted scan",
         "Network scan without credentials. Returns a task_id at once; poll get_scan_status.", scan_in + req,
         schemas::kSubmitOutput, submits, submit(sdk::ScanType::untrusted));
    tool(
        "run_trusted_scan", "Run a trusted (authenticated) scan",
        "Scan that logs in over SSH and/or Windows (SMB). scanorch checks afterwards that the login worked on each host.",
        scan_in + schemas::kCredentials + req, schemas::kSubmitOutput, submits, submit(sdk::ScanType::trusted_basic));
    tool("run_privileged_scan", "Run a privileged scan",
         "Trusted scan that also escalates privileges (sudo, su, ...) for full local checks.",
         scan_in + schemas::kCredentials + schemas::kEscalation + req, schemas::kSubmitOutput, submits,
         submit(sdk::ScanType::trusted_privileged));
    tool("get_scan_status", "Get a scan's status",
         "Status, phase and progress; for finished scans a results summary, warnings, authentication status, and "
         "troubleshooting when authentication failed.",
         schemas::kTaskId, schemas::kStatusOutput, reads,
         [this](const Args& a, const sdk::CallContext& c) { return views_.status(text(a, "task_id"), c); });
    tool("get_scan_results", "Get a scan's findings",
         "A finished scan's findings, paged by cursor (pass next_cursor back as cursor), with a detail level "
         "(schema_profile) or custom_fields, and filters.",
         schemas::kResultsInput, schemas::kResultsOutput, reads,
         printed([this](const Args& a, const sdk::CallContext& c) -> sdk::Result<Poco::JSON::Object::Ptr> {
             auto t = views_.visible(text(a, "task_id"), c);
             if (!t) return std::move(t).error();
             return query_results(d_, **t, a);
         }));
    tool("search_findings", "Search findings across scans",
         "Which of your scans found a CVE, a plugin, a host or a network, with a minimum severity and a time window; "
         "paged by cursor.",
         schemas::kSearchFindingsInput, schemas::kSearchFindingsOutput, reads,
         printed([this](const Args& a, const sdk::CallContext& c) { return search_findings(d_, a, c); }));
    tool("compare_scans", "Compare two scans",
         "What changed between two completed scans, per host: new, fixed and re-rated findings with counts. Pass "
         "task_id to compare with the previous completed scan of the same targets.",
         schemas::kCompareScansInput, schemas::kCompareScansOutput, reads,
         printed([this](const Args& a, const sdk::CallContext& c) { return compare_scans(d_, a, c); }));
    tool("list_tasks", "List scan tasks", "Tasks, newest first, filtered by status, scanner, pool, time or target.",
         schemas::kListTasksInput, schemas::kListTasksOutput, reads,
         printed([this](const Args& a, const sdk::CallContext& c) { return views_.list(a, c); }));
    tool("cancel_scan", "Cancel a scan", "Removes a queued scan, or stops a running one on its scanner.",
         schemas::kTaskId, schemas::kCancelOutput, {false, true, true, true},
         printed([this](const Args& a, const sdk::CallContext& c) {
             return cancel_task(d_, views_, text(a, "task_id"), c);
         }));
    tool("list_scanners", "List scanners", "Every scanner with its capacity, load, pool, zones and circuit state.",
         schemas::kNoInput, schemas::kScannersOutput, reads,
         printed([this](const Args&, const sdk::CallContext&) { return pools_.scanners(); }));
    tool("list_pools", "List scanner pools", "Named groups of scanners (pool in scanners.yaml).", schemas::kNoInput,
         schemas::kPoolsOutput, reads,
         printed([this](const Args&, const sdk::CallContext&) { return pools_.pools(); }));
    tool("get_pool_status", "Get a pool's status", "Capacity, load and scanners of one pool.", schemas::kPoolInput,
         schemas::kPoolOutput, reads,
         printed([this](const Args& a, const sdk::CallContext&) { return pools_.pool(text(a, "scanner_pool")); }));
    tool("get_queue_status", "Get queue status",
         "Tasks waiting per scanner, in the global queue and in the dead-letter queue.", schemas::kNoInput,
         schemas::kQueueOutput, reads,
         printed([this](const Args&, const sdk::CallContext&) { return pools_.queues(); }));
}

std::vector<sdk::ToolInfo> HostToolService::tools() const noexcept { return registry_.tools(); }

sdk::Result<std::string> HostToolService::call(std::string_view tool, std::string_view arguments_json,
                                               const sdk::CallContext& context) noexcept {
    try {
        return registry_.call(tool, arguments_json, context);
    } catch (const std::exception& e) {
        return sdk::Error::internal(e.what());
    }
}

std::string HostToolService::metrics_text() noexcept {
    try {
        refresh_metrics();
        return prometheus::TextSerializer().Serialize(d_.registry->Collect());
    } catch (const std::exception& e) {
        return "# metrics unavailable: " + std::string(e.what()) + "\n";
    }
}

sdk::Result<void> HostToolService::ready() noexcept {
    if (!d_.queue) return sdk::Error::transient("no queue backend");
    auto p = d_.queue->ping();
    if (!p) return sdk::Error::transient("queue backend unreachable: " + p.error().message);
    return {};
}

void HostToolService::refresh_metrics() {
    if (!d_.metrics || !d_.queue) return;
    if (auto st = d_.pool->state(*d_.queue)) d_.metrics->refresh(st->scanners, st->global, st->dead_letter);
}

}  // namespace scanorch::framework
