// Which tasks a caller may see, as the tools decide it: a named (bearer)
// client sees its own tasks and the anonymous ones; an anonymous caller (a
// host without clients, or an operator's scanorchctl) sees every task. The
// store queries take the same rule as a client set, so a search never returns
// a row the caller could not open with get_scan_status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/types.h"

namespace scanorch::framework {

/// The clients whose tasks `c` may see ("" = anonymous tasks); nullopt = all.
inline std::optional<std::vector<std::string>> visible_clients(const sdk::CallContext& c) {
    if (c.client.empty()) return std::nullopt;
    return std::vector<std::string>{c.client, ""};
}

/// Whether `c` may see a task submitted by `task_client`.
inline bool may_see(const sdk::CallContext& c, const std::string& task_client) {
    return c.client.empty() || task_client.empty() || task_client == c.client;
}

}  // namespace scanorch::framework
