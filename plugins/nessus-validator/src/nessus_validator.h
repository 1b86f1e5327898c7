// The whole validation of one export: file checks, one streaming pass,
// structure, host counts, authentication, scan errors, stats.
#pragma once

#include "scanorch/sdk/types.h"
#include "validator_config.h"

namespace scanorch::nessus_validator {

/// Never throws for bad input: every problem is in the result.
sdk::ValidationResult validate_file(const sdk::ValidationRequest& request, const ValidatorConfig& config);

}  // namespace scanorch::nessus_validator
