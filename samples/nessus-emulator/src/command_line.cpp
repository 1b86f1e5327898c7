#include "command_line.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <map>
#include <optional>
#include <sstream>

namespace scanorch::emulator {

namespace {

// Every option may be repeated; the last value of a single-valued one wins.
Poco::Util::Option option(const std::string& full, const std::string& short_name, const std::string& description,
                          const std::string& argument = "") {
    Poco::Util::Option o(full, short_name, description, false);
    o.repeatable(true);
    if (!argument.empty()) o.argument(argument, true);
    return o;
}

Poco::Util::OptionSet option_set() {
    Poco::Util::OptionSet set;
    set.addOption(
        option("listen", "l", "address to listen on (default 127.0.0.1:8834; port 0 = any free port)", "HOST:PORT"));
    set.addOption(option("user", "u", "a Nessus login (repeatable)", "NAME:PASSWORD"));
    set.addOption(option("api-key", "k", "an API key pair (repeatable)", "ACCESS:SECRET"));
    set.addOption(option("target-account", "a",
                         "credentials that work on the targets (repeatable); @HOST limits one to a host; "
                         "PASSWORD * accepts any SSH key",
                         "USER:PASSWORD[@HOST]"));
    set.addOption(option("scan-seconds", "s", "how long a scan runs (default 10)", "S"));
    set.addOption(option("max-running", "m", "scans running at once; the rest stay pending (default 4)", "N"));
    set.addOption(
        option("threads", "n", "connections served at once; a kept-alive one holds its thread (default 64)", "N"));
    set.addOption(option("keep-alive-seconds", "L",
                         "an idle kept-alive connection is closed after this long (0.1 to 3600, default 10)", "S"));
    set.addOption(option("extra-items", "x", "filler findings per host, the export size knob (default 20)", "N"));
    set.addOption(option("max-hosts", "H", "largest target list a scan may expand to (default 65536)", "N"));
    set.addOption(option("data-dir", "d", "where exports are written (default: a temporary directory)", "DIR"));
    set.addOption(option("tls-cert", "c", "serve HTTPS with this certificate (PEM)", "FILE"));
    set.addOption(option("tls-key", "K", "the certificate's private key (PEM)", "FILE"));
    set.addOption(option("fail-rate", "F", "fault: share of requests answered 500 (0..1)", "P"));
    set.addOption(option("drop-rate", "D", "fault: share of connections closed unanswered (0..1)", "P"));
    set.addOption(option("slow-ms", "S", "fault: delay every answer by this many ms", "MS"));
    set.addOption(
        option("session-ttl", "T", "fault: sessions expire after S idle seconds (401 Invalid Credentials)", "S"));
    set.addOption(
        option("licence-gate", "G", "fault: scan control answers 412 API is not available (Nessus Professional)"));
    set.addOption(option("export-seconds", "E", "fault: exports stay loading this long (default 0.5)", "S"));
    set.addOption(option("create-seconds", "C", "fault: POST /scans answers after this long (a slow create)", "S"));
    set.addOption(option("abort-rate", "A", "fault: share of scans that end aborted (0..1)", "P"));
    set.addOption(option("warmup-seconds", "W", "fault: /server/status answers 503 loading this long", "S"));
    set.addOption(option("seed", "R", "seed of the fault dice (default 1)", "N"));
    set.addOption(option("help", "h", "print this help"));
    return set;
}

/// Option name -> every value given, in order.
using Values = std::map<std::string, std::vector<std::string>>;

// Options through Poco's processor; anything else that looks like an option
// is refused, the rest (and all after "--") are positional.
Values read(const Poco::Util::OptionSet& set, const std::vector<std::string>& argv,
            std::vector<std::string>& positional) {
    Values out;
    Poco::Util::OptionProcessor processor(set);
    processor.setUnixStyle(true);
    bool only_positional = false;
    for (const auto& arg : argv) {
        if (only_positional) {
            positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positional = true;
            continue;
        }
        std::string name, value;
        try {
            if (processor.process(arg, name, value)) {
                if (!name.empty()) out[name].push_back(value);
                continue;
            }
        } catch (const Poco::Util::OptionException& e) {
            throw UsageError(e.displayText());
        }
        if (arg.size() > 1 && arg[0] == '-') throw UsageError("unknown option '" + arg + "'");
        positional.push_back(arg);
    }
    try {
        processor.checkRequired();
    } catch (const Poco::Util::OptionException& e) {
        throw UsageError(e.displayText());
    }
    return out;
}

std::optional<std::string> last(const Values& values, const std::string& name) {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

const std::vector<std::string>& all(const Values& values, const std::string& name) {
    static const std::vector<std::string> none;
    auto it = values.find(name);
    return it == values.end() ? none : it->second;
}

std::pair<std::string, std::string> split_pair(const std::string& v, const std::string& option) {
    const auto colon = v.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("--" + option + " takes NAME:SECRET, got '" + v + "'");
    return {v.substr(0, colon), v.substr(colon + 1)};
}

double number(const Values& values, const std::string& name, double fallback, double min, double max) {
    const auto v = last(values, name);
    if (!v) return fallback;
    try {
        std::size_t used = 0;
        const double d = std::stod(*v, &used);
        if (used == v->size() && d >= min && d <= max) return d;
    } catch (const std::logic_error&) {  // std::stod's invalid_argument and out_of_range
    }
    throw UsageError("--" + name + " takes a number from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + *v + "'");
}

// HOST:PORT with a port of 0..65535 (0: any free port).
void check_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw UsageError("--listen takes HOST:PORT, got '" + listen + "'");
    const std::string port = listen.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(port) > 65535) {
        throw UsageError("--listen takes HOST:PORT with a port from 0 to 65535, got '" + listen + "'");
    }
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& argv) {
    std::vector<std::string> positional;
    const Values args = read(option_set(), argv, positional);
    CommandLine out;
    if (args.count("help")) {
        out.help = true;
        return out;
    }
    if (!positional.empty()) throw UsageError("unexpected argument '" + positional[0] + "'");
    Options& o = out.options;
    o.listen = last(args, "listen").value_or(o.listen);
    for (const auto& v : all(args, "user")) o.users.push_back(split_pair(v, "user"));
    for (const auto& v : all(args, "api-key")) o.api_keys.push_back(split_pair(v, "api-key"));
    for (const auto& v : all(args, "target-account")) {
        auto [user, rest] = split_pair(v, "target-account");
        const auto at = rest.rfind('@');
        o.target_accounts.push_back({user, at == std::string::npos ? rest : rest.substr(0, at),
                                     at == std::string::npos ? "" : rest.substr(at + 1)});
    }
    if (o.users.empty() && o.api_keys.empty()) throw UsageError("give at least one --user or --api-key");
    o.scan_seconds = number(args, "scan-seconds", o.scan_seconds, 0, 86400);
    o.max_running = static_cast<std::uint32_t>(number(args, "max-running", o.max_running, 1, 1000));
    o.threads = static_cast<std::uint32_t>(number(args, "threads", o.threads, 1, 4096));
    o.keep_alive_seconds = number(args, "keep-alive-seconds", o.keep_alive_seconds, 0.1, 3600);
    o.extra_items = static_cast<std::uint32_t>(number(args, "extra-items", o.extra_items, 0, 100000));
    o.max_hosts = static_cast<std::uint32_t>(number(args, "max-hosts", o.max_hosts, 1, 16777216));
    o.data_dir = last(args, "data-dir").value_or("");
    o.tls_cert = last(args, "tls-cert").value_or("");
    o.tls_key = last(args, "tls-key").value_or("");
    if (o.tls_cert.empty() != o.tls_key.empty()) throw UsageError("--tls-cert and --tls-key go together");
    o.fail_rate = number(args, "fail-rate", 0, 0, 1);
    o.drop_rate = number(args, "drop-rate", 0, 0, 1);
    o.slow_ms = static_cast<std::uint32_t>(number(args, "slow-ms", 0, 0, 600000));
    o.session_ttl = number(args, "session-ttl", 0, 0, 86400);
    o.licence_gate = args.count("licence-gate") > 0;
    o.export_seconds = number(args, "export-seconds", o.export_seconds, 0, 3600);
    o.create_seconds = number(args, "create-seconds", 0, 0, 3600);
    o.abort_rate = number(args, "abort-rate", 0, 0, 1);
    o.warmup_seconds = number(args, "warmup-seconds", 0, 0, 3600);
    o.seed = static_cast<std::uint64_t>(number(args, "seed", 1, 0, 1e15));
    check_listen(o.listen);
    return out;
}

std::string help_text() {
    const auto set = option_set();
    std::ostringstream out;
    Poco::Util::HelpFormatter f(set);
    f.setUnixStyle(true);
    f.setCommand("nessus-emulator");
    f.setUsage("[options]");
    f.setHeader("A Nessus-compatible REST server for tests and demos. It never contacts a target.");
    f.setWidth(100);
    f.format(out);
    return out.str();
}

}  // namespace scanorch::emulator
