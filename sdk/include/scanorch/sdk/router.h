// The `router` plugin kind: decides which queue a new scan goes to.
//
// The host hands the router the request and a snapshot of every configured
// scanner taken just before the call. The router is pure: no I/O, no state
// that outlives a call is required (a round-robin cursor is fine), and it must
// be thread-safe. It returns invalid_input for a request no scanner can take
// (unknown or disabled scanner, targets outside every zone), with a message
// that lists the valid choices.
#pragma once

#include <string_view>
#include <vector>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE Router {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_ROUTER;
    virtual ~Router() = default;

    virtual Result<RouteDecision> route(const RouteRequest& request,
                                        const std::vector<ScannerSnapshot>& scanners) noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
