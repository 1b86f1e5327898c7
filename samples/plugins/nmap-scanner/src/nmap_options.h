// One nmap scanner instance's settings: the scanners.yaml entry's `options`
// (checked by the host against the plugin's declared fields, then here for
// their values), resolved into what every nmap run of the instance shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/config.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nmap {

/// How nmap probes TCP ports. A connect scan needs no privilege and goes
/// through the kernel's own stack; a SYN scan needs root (raw sockets).
enum class TcpScan : std::uint32_t { connect = 1, syn = 2 };

/// The plugin's options with their types and defaults: the one place a
/// default is written (the plugin's kConfig; the tests read it too).
inline constexpr scanorch_config_field kConfigKeys[] = {
    sdk::ConfigKey{
        .name = "nmap_path", .default_json = "\"/usr/bin/nmap\"", .description = "The nmap binary (absolute path)"},
    sdk::ConfigKey{.name = "ports",
                   .default_json = "\"\"",
                   .description = "nmap -p list (e.g. \"22,80,8000-8100\"); empty = nmap's top 1000"},
    sdk::ConfigKey{.name = "timing",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "3",
                   .description = "nmap timing template, 0 (paranoid) .. 5 (insane)"},
    sdk::ConfigKey{.name = "tcp_scan",
                   .default_json = "\"connect\"",
                   .description = "\"connect\" (-sT, no privilege) or \"syn\" (-sS, root)"},
    sdk::ConfigKey{.name = "host_discovery",
                   .type = SCANORCH_CFG_BOOL,
                   .default_json = "true",
                   .description = "Ping hosts first; false = -Pn (probe only `ports`)"},
    sdk::ConfigKey{.name = "resolve_names",
                   .type = SCANORCH_CFG_BOOL,
                   .default_json = "false",
                   .description = "Reverse DNS of scanned addresses; false = -n"},
    sdk::ConfigKey{.name = "extra_args",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .default_json = "[]",
                   .description = "More nmap flags, from: -sC, --version-light, --version-all, --reason"},
    sdk::ConfigKey{.name = "host_timeout",
                   .type = SCANORCH_CFG_DURATION,
                   .default_json = "0",
                   .description = "nmap --host-timeout; 0 = none"},
    sdk::ConfigKey{.name = "max_runtime",
                   .type = SCANORCH_CFG_DURATION,
                   .default_json = "3600",
                   .description = "A run still going after this is stopped and reported aborted"},
};

struct NmapOptions {
    std::string instance_id;
    std::string nmap_path;
    std::string ports;  ///< nmap -p list ("22,80,8000-8100"); empty = nmap's 1000 most common ports
    int timing = 0;     ///< -T0..-T5
    TcpScan tcp_scan = TcpScan::connect;
    bool host_discovery = false;            ///< false = -Pn: no ping probes (to ports outside `ports`) first
    bool resolve_names = false;             ///< false = -n: no reverse DNS queries for the scanned addresses
    std::vector<std::string> extra_args;    ///< only flags from kAllowedExtraArgs
    std::int64_t host_timeout_seconds = 0;  ///< --host-timeout; 0 = none
    std::int64_t max_runtime_seconds = 0;   ///< a run still going after this is killed and reported aborted
};

/// The only extra_args accepted: flags without a value that change neither
/// where nmap sends packets nor where it writes files.
inline constexpr const char* kAllowedExtraArgs[] = {"-sC", "--version-light", "--version-all", "--reason"};

/// Checks the values the host read from the scanners.yaml entry (its
/// instance_id and the options above, defaults applied). Every error names
/// the key as the operator wrote it (options.ports, ...).
sdk::Result<NmapOptions> parse_options(const sdk::Config& config);

/// Checks an nmap -p value: comma-separated ports or ranges (1..65535),
/// each optionally prefixed "T:"; nothing else (no names, no "U:", no "-").
sdk::Result<void> check_ports(const std::string& ports);

}  // namespace scanorch::nmap
