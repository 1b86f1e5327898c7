// What the validator looks for. Every plugin-ID list and threshold is
// configuration with defaults (Tenable renames and replaces plugins), the
// defaults checked against the real exports (docs/AUTH_DETECTION.md §5, §6).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "scanorch/sdk/config.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nessus_validator {

/// The plugin's options with their types and defaults: the one place a
/// default is written (the plugin's kConfig; tests and the fuzzer build their
/// config from it through the host's conversion).
inline constexpr scanorch_config_field kConfigKeys[] = {
    // Valid Credentials Provided, No Issues Found, OS Security Patch Assessment Available.
    sdk::ConfigKey{.name = "success_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["141118","110095","117887"])",
                   .description = "Plugin IDs that prove a login"},
    // Failure for Provided Credentials, Local Checks Not Run / OS Security Patch
    // Assessment Failed, Windows scan not performed with admin privileges,
    // registry not accessible.
    sdk::ConfigKey{.name = "failure_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["104410","21745","24786","26917"])",
                   .description = "Plugin IDs that prove a failed login"},
    sdk::ConfigKey{.name = "issue_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["110385","102094","117885","10428"])",
                   .description = "Plugin IDs for insufficient privilege or intermittent failure"},
    sdk::ConfigKey{.name = "not_attempted_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["110723","117886"])",
                   .description = "Plugin IDs meaning no credentials were tried"},
    // Not 21643, 51192 or 66334: the fixtures show them on uncredentialed hosts.
    sdk::ConfigKey{.name = "auth_only_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["12634","97993","22869","20811","14272","91825","91827"])",
                   .description = "Plugin IDs whose results exist only after a login"},
    sdk::ConfigKey{
        .name = "auth_only_families",
        .type = SCANORCH_CFG_STRING_LIST,
        .default_json = R"(["Local Security Checks","Windows : Microsoft Bulletins","Windows : User management"])",
        .description = "Plugin families (name endings) that need a login"},
    sdk::ConfigKey{.name = "scan_error_plugins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = R"(["10919"])",
                   .description = "Plugin IDs whose output reports a scan problem (warnings)"},
    // Counted as login evidence where 19506 has no "Credentialed checks" line
    // (Nessus < 6), and as a warning where a login is claimed with fewer.
    sdk::ConfigKey{.name = "min_auth_plugins",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "5",
                   .description = "Authenticated-only results that count as a login"},
    sdk::ConfigKey{.name = "min_file_bytes",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "500",
                   .description = "Smaller exports are invalid"},
    sdk::ConfigKey{.name = "max_listed_warnings",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "20",
                   .description = "Scan problems listed one by one"},
};

class ValidatorConfig;
/// Reads the values the host built from kConfigKeys (defaults applied) and
/// checks their ranges; each error names the key.
sdk::Result<ValidatorConfig> parse_config(const sdk::Config& config);

/// The options above, read and checked; field comments in kConfigKeys. Made
/// only by parse_config: a default-constructed one (empty plugin lists) would
/// judge every export "unknown" without a word, so `{}` does not compile.
class ValidatorConfig {
public:
    std::set<std::string> success_plugins;
    std::set<std::string> failure_plugins;
    std::set<std::string> issue_plugins;
    std::set<std::string> not_attempted_plugins;
    std::set<std::string> auth_only_plugins;
    std::vector<std::string> auth_only_families;  ///< matched at the end of a family name
    std::set<std::string> scan_error_plugins;
    std::uint32_t min_auth_plugins = 0;
    std::uint64_t min_file_bytes = 0;
    std::uint32_t max_listed_warnings = 0;  ///< at most this many scan-error warnings are listed one by one

    bool auth_only(const std::string& plugin_id, const std::string& family) const;

private:
    ValidatorConfig() = default;
    friend sdk::Result<ValidatorConfig> parse_config(const sdk::Config& config);
};

}  // namespace scanorch::nessus_validator
