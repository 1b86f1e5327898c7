// Authentication, per host and per scan, from the evidence in ReportFacts,
// following docs/AUTH_DETECTION.md §4:
//  1. failure plugins (104410, 21745, 24786, 26917) -> failed, or partial
//     when the host also shows a login (e.g. SSH failed, SMB worked);
//  2. login evidence (141118/110095/117887, Credentialed_Scan=true, 19506
//     "yes", or >= min_auth_plugins authenticated-only results) -> success,
//     or partial with an insufficient-privilege/intermittent plugin;
//  3. "no credentials provided" plugins -> not_attempted;
//  4. 19506 "Credentialed checks : no" -> failed (nothing ran as a user);
//  5. otherwise unknown. 19506 can say "no" while the plugins prove a login
//     (Paranoid reporting): the plugins win, which this order gives.
#pragma once

#include <string>
#include <vector>

#include "report_facts.h"
#include "scanorch/sdk/types.h"
#include "validator_config.h"

namespace scanorch::nessus_validator {

struct HostVerdict {
    sdk::HostAuth auth = sdk::HostAuth::unknown;
    std::string evidence;     ///< why, in one line
    bool thin_login = false;  ///< a login is claimed with fewer than min_auth_plugins results
};

HostVerdict classify_host(const HostFacts& host, const ValidatorConfig& config);

/// success: every host authenticated; partial: some did, or any had issues;
/// failed: none did and some show failure; unknown: no host shows evidence
/// either way.
sdk::AuthStatus aggregate(const std::vector<HostVerdict>& hosts);

}  // namespace scanorch::nessus_validator
