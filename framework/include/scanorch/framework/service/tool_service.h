// The host's tool service (sdk/tool_service.h): the scan tools that the MCP
// and REST front ends expose, as JSON in, JSON out, with a JSON Schema for
// each tool's input and output. Transport-free, so front ends, scanorchctl
// and tests drive the same code. The tools themselves live in tools/: the
// registry, submission, task views, result queries, pool views, commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scanorch/framework/tools/pool_views.h"
#include "scanorch/framework/tools/submission.h"
#include "scanorch/framework/tools/task_views.h"
#include "scanorch/framework/tools/tool_deps.h"
#include "scanorch/framework/tools/tool_registry.h"
#include "scanorch/sdk/tool_service.h"

namespace scanorch::framework {

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

    Submission& submission() { return submission_; }

private:
    ToolServiceDeps d_;
    Submission submission_{d_};
    TaskViews views_{d_};
    PoolViews pools_{d_};
    ToolRegistry registry_;
};

}  // namespace scanorch::framework
