// How one open port of an nmap report becomes an sdk::Finding, and the
// plugin id scheme that keeps such findings comparable across scans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/store.h"

namespace scanorch::nmap {

/// nmap has no plugin ids. A finding's id is derived from the service name,
/// so a port keeps its id from scan to scan while its service stays the
/// same (compare_scans pairs results by host, port, protocol and id), and
/// search_findings can ask for every "ssh" at once:
///   id = kServiceIdBase + FNV-1a-32(lower-case service name)
/// ("unknown" when nmap names none). The base keeps the ids clear of
/// Nessus's (six digits) and within JSON's exact integers (< 2^53).
inline constexpr std::uint64_t kServiceIdBase = 1'000'000'000'000;
std::uint64_t service_plugin_id(std::string_view service);

/// What the report says about one port.
struct PortRecord {
    std::string protocol;  ///< "tcp", "udp", "sctp"
    std::uint32_t port = 0;
    std::string state;    ///< "open", "closed", "filtered", ...
    std::string service;  ///< <service name>
    std::string product, version, extrainfo, tunnel, method, conf;
    std::vector<std::string> cpes;
    std::vector<std::pair<std::string, std::string>> scripts;  ///< NSE id, output
};

/// Fills `out` (seq, host and seen_at_ms are the caller's) from an open port:
/// severity info, plugin_output the product and version nmap found, its
/// CPEs and the port's NSE script outputs, cut at kFindingTextMax.
void service_finding(const PortRecord& p, sdk::Finding& f);

}  // namespace scanorch::nmap
