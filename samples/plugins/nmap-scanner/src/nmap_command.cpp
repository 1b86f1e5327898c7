#include "nmap_command.h"

#include <cstdint>

#include "scanorch/sdk/targets.h"

namespace scanorch::nmap {

namespace {

namespace tg = sdk::targets;

std::string v4_text(std::uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) + "." + std::to_string((v >> 8) & 0xFF) +
           "." + std::to_string(v & 0xFF);
}

std::uint32_t v4_value(const tg::Address& a) {
    return (std::uint32_t{a.bytes[0]} << 24) | (std::uint32_t{a.bytes[1]} << 16) | (std::uint32_t{a.bytes[2]} << 8) |
           std::uint32_t{a.bytes[3]};
}

// The fewest CIDR blocks covering first..last exactly: from `first`, the
// largest aligned block that does not pass `last`, again and again.
void append_blocks(std::uint32_t first, std::uint32_t last, std::vector<std::string>& out) {
    std::uint64_t at = first;
    while (at <= last) {
        int bits = 0;  // host bits of the block
        while (bits < 32 && (at & ((std::uint64_t{1} << (bits + 1)) - 1)) == 0 &&
               at + (std::uint64_t{1} << (bits + 1)) - 1 <= last) {
            ++bits;
        }
        out.push_back(v4_text(static_cast<std::uint32_t>(at)) + "/" + std::to_string(32 - bits));
        at += std::uint64_t{1} << bits;
    }
}

}  // namespace

sdk::Result<NmapTargets> nmap_targets(std::string_view targets) {
    auto list = tg::parse_list(targets);
    if (!list) return std::move(list).error();
    NmapTargets out;
    bool any_v4 = false;
    for (const auto& t : *list) {
        const bool v6 = t.kind != tg::Kind::hostname && t.first.v6;
        (v6 ? out.needs_ipv6 : any_v4) = true;
        switch (t.kind) {
            case tg::Kind::address: out.args.push_back(tg::to_string(t.first)); break;
            case tg::Kind::network: out.args.push_back(tg::to_string(t.first) + "/" + std::to_string(t.prefix)); break;
            case tg::Kind::range: append_blocks(v4_value(t.first), v4_value(t.last), out.args); break;
            case tg::Kind::hostname:
                // parse_list admits only RFC 1123 names: none starts with '-',
                // so none can read as an nmap option.
                out.args.push_back(t.text);
                break;
            case tg::Kind::domain:
                return sdk::Error::invalid_input("target '" + t.text + "': a domain is not a target");
        }
    }
    if (any_v4 && out.needs_ipv6) {
        return sdk::Error::invalid_input(
            "targets mix IPv4 and IPv6 (one nmap run scans one family): submit them as two scans");
    }
    return out;
}

std::vector<std::string> nmap_argv(const NmapOptions& o, const NmapTargets& targets, const std::string& xml_path) {
    std::vector<std::string> argv{o.nmap_path, o.tcp_scan == TcpScan::syn ? "-sS" : "-sT", "-sV",
                                  "-T" + std::to_string(o.timing)};
    if (!o.ports.empty()) {
        argv.push_back("-p");
        argv.push_back(o.ports);
    }
    if (!o.host_discovery) argv.push_back("-Pn");
    if (!o.resolve_names) argv.push_back("-n");
    if (targets.needs_ipv6) argv.push_back("-6");
    if (o.host_timeout_seconds > 0) {
        argv.push_back("--host-timeout");
        argv.push_back(std::to_string(o.host_timeout_seconds) + "s");
    }
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
    // Progress lines (<taskprogress percent=...>) land in the XML as it is written.
    argv.insert(argv.end(), {"--stats-every", "2s", "-oX", xml_path});
    argv.insert(argv.end(), targets.args.begin(), targets.args.end());
    return argv;
}

}  // namespace scanorch::nmap
