// The `frontend` plugin kind: exposes the host's ToolService to the outside
// (HTTP: MCP, REST, /metrics, /health).
//
// start() must return once the front end is serving (or failed to); it runs
// its own threads. stop() stops accepting, finishes or aborts in-flight
// requests, joins every thread, and returns; after it, the front end never
// touches the ToolService again.
#pragma once

#include <string>
#include <string_view>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/tool_service.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE Frontend {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_FRONTEND;
    virtual ~Frontend() = default;

    virtual Result<void> start(ToolService& tools) noexcept = 0;
    virtual void stop() noexcept = 0;

    /// Where it listens, for logs ("http://127.0.0.1:8836"); empty before start().
    virtual std::string endpoint() const noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
