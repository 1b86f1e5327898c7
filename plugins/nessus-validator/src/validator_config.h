// What the validator looks for. Every plugin-ID list and threshold is
// configuration with defaults (Tenable renames and replaces plugins), checked
// against the real exports (docs/AUTH_DETECTION.md §5, §6).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::nessus_validator {

struct ValidatorConfig {
    /// Proof of a working login: Valid Credentials Provided, No Issues Found,
    /// OS Security Patch Assessment Available.
    std::set<std::string> success_plugins{"141118", "110095", "117887"};
    /// Proof of a failed login: Failure for Provided Credentials, Local
    /// Checks Not Run / OS Security Patch Assessment Failed, Windows scan not
    /// performed with admin privileges, registry not accessible.
    std::set<std::string> failure_plugins{"104410", "21745", "24786", "26917"};
    /// Logged in, but with insufficient privilege or intermittently.
    std::set<std::string> issue_plugins{"110385", "102094", "117885", "10428"};
    /// No credentials were tried on the host.
    std::set<std::string> not_attempted_plugins{"110723", "117886"};
    /// Plugins whose results exist only after a login (not 21643, 51192 or
    /// 66334: the fixtures show them on uncredentialed hosts).
    std::set<std::string> auth_only_plugins{"12634", "97993", "22869", "20811", "14272", "91825", "91827"};
    /// Plugin families that need a login (matched at the end of the name).
    std::vector<std::string> auth_only_families{"Local Security Checks", "Windows : Microsoft Bulletins",
                                                "Windows : User management"};
    /// Plugins whose output reports a problem with the scan itself.
    std::set<std::string> scan_error_plugins{"10919"};
    /// "At least 5 authenticated plugin results": counted as login evidence
    /// where 19506 has no "Credentialed checks" line (Nessus < 6), and as a
    /// warning where a login is claimed with fewer results than this.
    std::uint32_t min_auth_plugins = 5;
    std::uint64_t min_file_bytes = 500;
    /// At most this many scan-error warnings are listed one by one.
    std::uint32_t max_listed_warnings = 20;

    bool auth_only(const std::string& plugin_id, const std::string& family) const;
};

/// Reads the plugin's config JSON (as checked by the host); unknown values
/// fall back to the defaults above.
sdk::Result<ValidatorConfig> parse_config(const std::string& json);

}  // namespace scanorch::nessus_validator
