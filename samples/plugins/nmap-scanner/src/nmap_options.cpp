#include "nmap_options.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
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

sdk::Result<NmapOptions> parse_options(const std::string& config_json) {
    NmapOptions o;
    try {
        const auto root = Poco::JSON::Parser().parse(config_json).extract<Poco::JSON::Object::Ptr>();
        o.instance_id = root->optValue<std::string>("instance_id", "");
        if (o.instance_id.empty()) return sdk::Error::invalid_input("config has no instance_id");
        const std::string who = "scanner '" + o.instance_id + "': options.";
        const auto opts = root->getObject("options");
        if (!opts) return o;  // every option has a default

        o.nmap_path = opts->optValue<std::string>("nmap_path", o.nmap_path);
        if (!std::filesystem::path(o.nmap_path).is_absolute()) {
            return sdk::Error::invalid_input(who + "nmap_path: '" + o.nmap_path + "' is not an absolute path");
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(o.nmap_path, ec) || ::access(o.nmap_path.c_str(), X_OK) != 0) {
            return sdk::Error::invalid_input(who + "nmap_path: '" + o.nmap_path +
                                             "' is not an executable file (Debian: apt-get install nmap)");
        }

        o.ports = opts->optValue<std::string>("ports", "");
        if (!o.ports.empty()) {
            if (auto ok = check_ports(o.ports); !ok) return sdk::Error::invalid_input(who + "ports: " + ok.error().message);
        }

        const auto timing = opts->optValue<std::int64_t>("timing", o.timing);
        if (timing < 0 || timing > 5) {
            return sdk::Error::invalid_input(who + "timing: " + std::to_string(timing) +
                                             " is not an nmap timing template (0 = paranoid .. 5 = insane)");
        }
        o.timing = static_cast<int>(timing);

        const auto scan = opts->optValue<std::string>("tcp_scan", "connect");
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

        o.host_discovery = opts->optValue<bool>("host_discovery", o.host_discovery);
        o.resolve_names = opts->optValue<bool>("resolve_names", o.resolve_names);

        if (const auto extra = opts->getArray("extra_args")) {
            for (std::size_t i = 0; i < extra->size(); ++i) {
                const auto arg = extra->getElement<std::string>(static_cast<unsigned>(i));
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
        }

        o.host_timeout_seconds = opts->optValue<std::int64_t>("host_timeout", 0);
        if (o.host_timeout_seconds < 0) {
            return sdk::Error::invalid_input(who + "host_timeout: must not be negative");
        }
        o.max_runtime_seconds = opts->optValue<std::int64_t>("max_runtime", o.max_runtime_seconds);
        if (o.max_runtime_seconds < 1) {
            return sdk::Error::invalid_input(who + "max_runtime: must be at least 1 second");
        }
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input("config is not valid: " + e.displayText());
    }
    return o;
}

}  // namespace scanorch::nmap
