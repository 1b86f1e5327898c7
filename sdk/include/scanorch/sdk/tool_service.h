// The host's tool service, as a front end sees it: the scan tools (MCP tools
// and REST endpoints alike), metrics text and readiness, with no transport.
//
// Implemented by the host and handed to Frontend::start(). It outlives the
// front end: the host calls Frontend::stop() before destroying it. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE ToolService {
public:
    virtual ~ToolService() = default;

    /// Every tool with its schemas and annotations, in a stable order.
    virtual std::vector<ToolInfo> tools() const noexcept = 0;

    /// Runs a tool. `arguments_json` is a JSON object; the result is the JSON
    /// object described by the tool's output schema. Errors: invalid_input
    /// (bad arguments, target out of scope, unknown scanner), not_found
    /// (unknown tool or task), capacity (client's scan cap), transient
    /// (queue backend unreachable), auth (tool not allowed for this client).
    virtual Result<std::string> call(std::string_view tool, std::string_view arguments_json,
                                     const CallContext& context) noexcept = 0;

    /// Prometheus text exposition format of every metric the host keeps.
    virtual std::string metrics_text() noexcept = 0;

    /// Ready to serve: queue backend reachable and plugins loaded. The error
    /// message says what is not ready.
    virtual Result<void> ready() noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
