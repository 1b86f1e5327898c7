#include "nmap_options.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string_view>

namespace scanorch::nmap {

namespace {

std::optional<unsigned> port_number(std::string_view s) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v < 1 || v > 65535) return std::nullopt;
    return v;
}

}  // namespace

sdk::Result<void> check_ports(const std::string& ports) {
    std::string_view rest(ports);
    if (rest.empty()) return sdk::Error::invalid_input("is empty");
    while (true) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        if (item.rfind("T:", 0) == 0) item.remove_prefix(2);
        const auto dash = item.find('-');
        const auto first = port_number(item.substr(0, dash));
        const auto last = dash == std::string_view::npos ? first : port_number(item.substr(dash + 1));
        if (!first || !last || *last < *first) {
            return sdk::Error::invalid_input("'" + std::string(rest.substr(0, comma)) +
                                             "' is not a port (1-65535) or a range of them (low-high)");
        }
        if (comma == std::string_view::npos) return {};
        rest.remove_prefix(comma + 1);
    }
}

sdk::Result<NmapOptions> parse_options(const sdk::Config& config) {
    NmapOptions o;
    o.instance_id = config.find_string("instance_id").value_or("");
    if (o.instance_id.empty()) return sdk::Error::invalid_input("config has no instance_id");
    const std::string who = "scanner '" + o.instance_id + "': options.";

    o.nmap_path = config.string("nmap_path");
    if (!std::filesystem::path(o.nmap_path).is_absolute()) {
        return sdk::Error::invalid_input(who + "nmap_path: '" + o.nmap_path + "' is not an absolute path");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(o.nmap_path, ec) || ::access(o.nmap_path.c_str(), X_OK) != 0) {
        return sdk::Error::invalid_input(who + "nmap_path: '" + o.nmap_path +
                                         "' is not an executable file (Debian: apt-get install nmap)");
    }

    o.ports = config.string("ports");
    if (!o.ports.empty()) {
        if (auto ok = check_ports(o.ports); !ok) return sdk::Error::invalid_input(who + "ports: " + ok.error().message);
    }

    const auto timing = config.integer("timing");
    if (timing < 0 || timing > 5) {
        return sdk::Error::invalid_input(who + "timing: " + std::to_string(timing) +
                                         " is not an nmap timing template (0 = paranoid .. 5 = insane)");
    }
    o.timing = static_cast<int>(timing);

    const auto scan = config.string("tcp_scan");
    if (scan == "connect") {
        o.tcp_scan = TcpScan::connect;
    } else if (scan == "syn") {
        if (::geteuid() != 0) {
            return sdk::Error::invalid_input(who + "tcp_scan: 'syn' needs root (raw sockets); use 'connect'");
        }
        o.tcp_scan = TcpScan::syn;
    } else {
        return sdk::Error::invalid_input(who + "tcp_scan: '" + scan + "' is not 'connect' or 'syn'");
    }

    o.host_discovery = config.boolean("host_discovery");
    o.resolve_names = config.boolean("resolve_names");

    const auto extra = config.strings("extra_args");
    for (std::size_t i = 0; i < extra.size(); ++i) {
        const auto& arg = extra[i];
        const auto allowed = std::find_if(std::begin(kAllowedExtraArgs), std::end(kAllowedExtraArgs),
                                          [&](const char* a) { return arg == a; });
        if (allowed == std::end(kAllowedExtraArgs)) {
            std::string list;
            for (const char* a : kAllowedExtraArgs) list += (list.empty() ? "" : ", ") + std::string(a);
            return sdk::Error::invalid_input(who + "extra_args[" + std::to_string(i) + "]: '" + arg +
                                             "' is not allowed (allowed: " + list + ")");
        }
        o.extra_args.push_back(arg);
    }

    o.host_timeout_seconds = config.duration("host_timeout").count();
    if (o.host_timeout_seconds < 0) return sdk::Error::invalid_input(who + "host_timeout: must not be negative");
    o.max_runtime_seconds = config.duration("max_runtime").count();
    if (o.max_runtime_seconds < 1) return sdk::Error::invalid_input(who + "max_runtime: must be at least 1 second");
    return o;
}

}  // namespace scanorch::nmap
