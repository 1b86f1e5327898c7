// Which targets scans may touch: the global scope of scanorch.yaml (CIDRs,
// addresses, ranges, host names and ".domain" suffixes) and, inside it, a
// client's own scope. Checked when a scan is submitted and again when a
// worker starts it (the scope may have been narrowed while it waited).
#pragma once

#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/targets.h"

namespace scanorch::framework {

class ScopePolicy {
public:
    /// Every entry must parse; the error names the first that does not.
    static sdk::Result<ScopePolicy> parse(const std::vector<std::string>& entries);

    /// Allows nothing: no entries, or the SDK's "nothing in scope" marker.
    bool empty() const;

    /// forbidden, naming the first target outside the scope (or saying that
    /// no scope is configured at all).
    sdk::Result<void> check(const std::vector<sdk::targets::Target>& wanted) const;
    /// The same for a comma list as stored on a task.
    sdk::Result<void> check(const std::string& target_list) const;

    /// True when the target lies inside this scope.
    bool covers(const sdk::targets::Target& t) const;

private:
    sdk::targets::ParsedScope scope_;  ///< addresses, networks, ranges, names, ".domain" suffixes
};

}  // namespace scanorch::framework
