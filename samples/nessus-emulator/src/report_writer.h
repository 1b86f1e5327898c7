// Writes a scan's results as NessusClientData_v2, in the shape of the real
// exports (docs/AUTH_DETECTION.md §6): one ReportHost per target (CIDRs and
// ranges expanded), plugin 19506 per host, and the authentication plugins a
// real scanner reports for the credentials given. Nothing is ever sent to a
// target: targets are only names in the file.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "emulator_options.h"

namespace scanorch::emulator {

struct ScanCredentials {
    std::string ssh_user, ssh_password, ssh_private_key;
    std::string elevate_with;  ///< "Nothing", "sudo", "su", ...
    std::string escalation_account, escalation_password;
    std::string windows_user, windows_password, windows_domain;
    bool any() const { return !ssh_user.empty() || !windows_user.empty(); }
};

struct ScanResultSpec {
    std::string name;
    std::string policy;              ///< template title
    std::vector<std::string> hosts;  ///< expanded
    ScanCredentials credentials;
    std::int64_t start_epoch = 0;
    std::int64_t end_epoch = 0;
};

/// Whether an account works on `host`.
bool account_works(const std::vector<TargetAccount>& accounts, const std::string& user, const std::string& password,
                   const std::string& host);

void write_report(std::ostream& out, const ScanResultSpec& spec, const Options& options);

}  // namespace scanorch::emulator
