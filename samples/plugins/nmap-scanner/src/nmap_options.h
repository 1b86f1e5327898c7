// One nmap scanner instance's settings: the scanners.yaml entry's `options`
// (checked by the host against the plugin's declared fields, then here for
// their values), resolved into what every nmap run of the instance shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::nmap {

/// How nmap probes TCP ports. A connect scan needs no privilege and goes
/// through the kernel's own stack; a SYN scan needs root (raw sockets).
enum class TcpScan : std::uint32_t { connect = 1, syn = 2 };

struct NmapOptions {
    std::string instance_id;
    std::string nmap_path = "/usr/bin/nmap";
    std::string ports;  ///< nmap -p list ("22,80,8000-8100"); empty = nmap's 1000 most common ports
    int timing = 3;     ///< -T0..-T5
    TcpScan tcp_scan = TcpScan::connect;
    bool host_discovery = true;  ///< false = -Pn: no ping probes (to ports outside `ports`) first
    bool resolve_names = false;  ///< false = -n: no reverse DNS queries for the scanned addresses
    std::vector<std::string> extra_args;  ///< only flags from kAllowedExtraArgs
    std::int64_t host_timeout_seconds = 0;  ///< --host-timeout; 0 = none
    std::int64_t max_runtime_seconds = 3600;  ///< a run still going after this is killed and reported aborted
};

/// The only extra_args accepted: flags without a value that change neither
/// where nmap sends packets nor where it writes files.
inline constexpr const char* kAllowedExtraArgs[] = {"-sC", "--version-light", "--version-all", "--reason"};

/// Reads the plugin config JSON ({"instance_id", "options": {...}}). Every
/// error names the key as the operator wrote it (options.ports, ...).
sdk::Result<NmapOptions> parse_options(const std::string& config_json);

/// Checks an nmap -p value: comma-separated ports or ranges (1..65535),
/// each optionally prefixed "T:"; nothing else (no names, no "U:", no "-").
sdk::Result<void> check_ports(const std::string& ports);

}  // namespace scanorch::nmap
