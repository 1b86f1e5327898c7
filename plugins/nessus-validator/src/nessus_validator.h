// The whole validation of one export: file checks, one streaming pass,
// structure, host counts, authentication, scan errors, stats.
#pragma once

#include <string_view>

#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/types.h"
#include "validator_config.h"

namespace scanorch::nessus_validator {

/// Every failure_reason validate_file() gives, so the plugin can create its
/// failure counter's series at zero (a first failure then shows as an
/// increase to alert on, not a new series starting at 1).
inline constexpr std::string_view kFailureReasons[] = {
    "auth_failed", "auth_unknown", "bad_targets", "malformed_xml", "missing_file",
    "no_hosts",    "no_report",    "too_small",   "unreadable",    "wrong_root",
};

/// Never throws for bad input: every problem is in the result.
sdk::ValidationResult validate_file(const sdk::ValidationRequest& request, const ValidatorConfig& config);

/// The same verdict, and every ReportItem sent to `sink` during the same
/// pass (sdk::FindingEmitter's contract). An Error only when the sink
/// refused a finding: its error, unchanged.
sdk::Result<sdk::ValidationResult> validate_file(const sdk::ValidationRequest& request, const ValidatorConfig& config,
                                                 sdk::FindingSink& sink);

}  // namespace scanorch::nessus_validator
