#include "validator_config.h"

#include <cstdint>

#include "scanorch/sdk/guard.h"

namespace scanorch::nessus_validator {

bool ValidatorConfig::auth_only(const std::string& plugin_id, const std::string& family) const {
    if (auth_only_plugins.count(plugin_id) != 0 || success_plugins.count(plugin_id) != 0) return true;
    for (const auto& suffix : auth_only_families) {
        if (family.size() >= suffix.size() &&
            family.compare(family.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return true;
        }
    }
    return false;
}

sdk::Result<ValidatorConfig> parse_config(const sdk::Config& config) {
    return sdk::guard("reading the validator's config", [&]() -> sdk::Result<ValidatorConfig> {
        ValidatorConfig c;
        const auto ids = [&](const char* key) {
            const auto list = config.strings(key);
            return std::set<std::string>(list.begin(), list.end());
        };
        c.success_plugins = ids("success_plugins");
        c.failure_plugins = ids("failure_plugins");
        c.issue_plugins = ids("issue_plugins");
        c.not_attempted_plugins = ids("not_attempted_plugins");
        c.auth_only_plugins = ids("auth_only_plugins");
        c.scan_error_plugins = ids("scan_error_plugins");
        for (const auto& family : config.strings("auth_only_families")) {
            const auto first = family.find_first_not_of(" \t");
            // A blank ending would match every family: every result would count as a login.
            if (first == std::string::npos) {
                return sdk::Error::invalid_input("auth_only_families has a blank entry");
            }
            c.auth_only_families.push_back(family.substr(first, family.find_last_not_of(" \t") - first + 1));
        }
        // The upper bounds keep each value inside its field and far from any
        // count a real export reaches, so a typo fails here, not silently.
        const auto bounded = [&](const char* key, std::int64_t min, std::int64_t max) -> sdk::Result<std::int64_t> {
            const auto v = config.integer(key);
            if (v < min || v > max) {
                return sdk::Error::invalid_input(std::string(key) + " must be between " + std::to_string(min) +
                                                 " and " + std::to_string(max) + ", not " + std::to_string(v));
            }
            return v;
        };
        constexpr std::int64_t kMaxCount = 1'000'000;
        auto min_auth = bounded("min_auth_plugins", 0, kMaxCount);
        if (!min_auth) return std::move(min_auth).error();
        auto min_bytes = bounded("min_file_bytes", 0, std::int64_t{1} << 40);
        if (!min_bytes) return std::move(min_bytes).error();
        auto listed = bounded("max_listed_warnings", 1, kMaxCount);
        if (!listed) return std::move(listed).error();
        c.min_auth_plugins = static_cast<std::uint32_t>(*min_auth);
        c.min_file_bytes = static_cast<std::uint64_t>(*min_bytes);
        c.max_listed_warnings = static_cast<std::uint32_t>(*listed);
        return c;
    });
}

}  // namespace scanorch::nessus_validator
