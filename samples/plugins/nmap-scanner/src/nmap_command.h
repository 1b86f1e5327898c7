// The nmap command line of one scan, as an argv vector (never a shell
// string): the instance's options, then the validated targets, each its own
// argument.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nmap_options.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nmap {

/// The request's targets as nmap arguments: addresses, CIDR networks and
/// host names as written, IPv4 ranges (a.b.c.d-e.f.g.h, which nmap does not
/// read) as the CIDR blocks that cover exactly them. IPv6 targets get `-6`
/// (in `needs_ipv6`); a list mixing both is refused, as one nmap run is
/// either. invalid_input names the target.
struct NmapTargets {
    std::vector<std::string> args;
    bool needs_ipv6 = false;
};
sdk::Result<NmapTargets> nmap_targets(std::string_view targets);

/// The whole argv: nmap_path, the scan flags, `-oX xml_path`, the targets.
std::vector<std::string> nmap_argv(const NmapOptions& options, const NmapTargets& targets, const std::string& xml_path);

}  // namespace scanorch::nmap
