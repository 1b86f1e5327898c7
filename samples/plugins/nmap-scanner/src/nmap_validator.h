// The whole validation of one nmap report: file checks, one streaming pass,
// structure (a finished <nmaprun>), hosts up against the targets, failed
// NSE scripts, stats.
#pragma once

#include <string_view>

#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/types.h"

namespace scanorch::nmap {

/// Every failure_reason validate_report() gives (the plugin's counter starts each at zero).
inline constexpr std::string_view kFailureReasons[] = {"bad_targets", "malformed_xml", "missing_file", "nmap_failed",
                                                       "no_hosts_up", "not_finished",  "unreadable",   "wrong_root"};

/// Problems listed one by one in the warnings; the rest are counted.
inline constexpr std::size_t kMaxListedWarnings = 20;

/// Never throws for bad input: every problem is in the result. With a sink,
/// every open port goes to it during the same pass (sdk::FindingEmitter's
/// contract); an Error only when the sink refused one: its error, unchanged.
sdk::Result<sdk::ValidationResult> validate_report(const sdk::ValidationRequest& request, sdk::FindingSink* sink);

}  // namespace scanorch::nmap
