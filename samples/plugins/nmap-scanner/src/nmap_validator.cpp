#include "nmap_validator.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "nmap_reader.h"
#include "scanorch/sdk/targets.h"

namespace scanorch::nmap {

namespace {

sdk::ValidationResult invalid(sdk::ValidationResult r, std::string reason, std::string error) {
    r.is_valid = false;
    r.failure_reason = std::move(reason);
    r.error = std::move(error);
    return r;
}

std::string plural(std::uint64_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

sdk::Result<sdk::ValidationResult> validate_report(const sdk::ValidationRequest& req, sdk::FindingSink* sink) {
    sdk::ValidationResult r;
    // nmap never logs in: there is no authentication to judge.
    r.authentication_status = sdk::AuthStatus::not_applicable;

    std::error_code ec;
    if (!std::filesystem::is_regular_file(req.path, ec)) {
        return invalid(std::move(r), "missing_file", "export file not found: " + req.path);
    }
    r.stats.file_size_bytes = std::filesystem::file_size(req.path, ec);
    r.stats.file_size_mb = static_cast<double>(r.stats.file_size_bytes) / (1024.0 * 1024.0);

    std::uint64_t expected = 0;
    if (!req.targets.empty()) {
        auto targets = sdk::targets::parse_list(req.targets);
        if (!targets) return invalid(std::move(r), "bad_targets", targets.error().message);
        expected = sdk::targets::count(*targets);
    }

    std::vector<char> buffer(1 << 16);
    std::ifstream in;
    in.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    in.open(req.path, std::ios::binary);
    if (!in) return invalid(std::move(r), "unreadable", "export file cannot be read: " + req.path);
    ReadOutcome read = read_report(in, sink);
    if (read.stopped) return std::move(*read.stopped);
    const ReportFacts& f = read.facts;

    // Stats first: a refused report still says what it held.
    auto& s = r.stats;
    s.hosts_expected = expected;
    s.report_items = f.open_ports;
    s.severity_breakdown.info = f.open_ports;
    s.unauth_plugins = f.open_ports;
    for (const auto& h : f.hosts) {
        if (!h.up) continue;
        ++s.hosts_scanned;
        s.hosts.push_back({h.address, false, h.open_ports, sdk::HostAuth::not_attempted, ""});
    }

    if (read.failure) {
        const auto& p = *read.failure;
        // nmap writes as it goes: a run killed half way leaves exactly this.
        return invalid(std::move(r), "malformed_xml",
                       "report is not well-formed XML" +
                           (p.line > 0 ? " at line " + std::to_string(p.line) + ", column " + std::to_string(p.column)
                                       : std::string()) +
                           ": " + p.message + " (an nmap run cut short leaves its report unfinished)");
    }
    if (f.root != "nmaprun") {
        return invalid(std::move(r), "wrong_root",
                       "root element is <" + f.root + ">, expected <nmaprun>: not an nmap XML report (-oX)");
    }
    if (!f.finished) {
        return invalid(std::move(r), "not_finished", "report has no <runstats><finished>: nmap did not finish the run");
    }
    if (f.finished_exit != "success") {
        return invalid(std::move(r), "nmap_failed",
                       "nmap ended with exit=\"" + f.finished_exit + "\"" +
                           (f.error_message.empty() ? std::string() : ": " + f.error_message));
    }
    if (s.hosts_scanned == 0) {
        return invalid(std::move(r), "no_hosts_up",
                       "no scanned host was up" +
                           (expected > 0 ? " (of " + plural(expected, "expected target", "expected targets") + ")"
                                         : std::string()) +
                           ": check that the targets are reachable from the scanner, or set host_discovery: false");
    }
    if (expected > 0 && s.hosts_scanned < expected) {
        r.warnings.push_back(plural(expected - s.hosts_scanned, "expected host was", "expected hosts were") +
                             " not up (" + std::to_string(s.hosts_scanned) + " of " + std::to_string(expected) + ")");
    }
    for (std::size_t i = 0; i < f.script_failures.size() && i < kMaxListedWarnings; ++i) {
        const auto& e = f.script_failures[i];
        r.warnings.push_back(e.host + " " + e.where + ": NSE script " + e.script + " failed: " + e.output);
    }
    if (f.script_failures.size() > kMaxListedWarnings) {
        r.warnings.push_back(std::to_string(f.script_failures.size() - kMaxListedWarnings) +
                             " more NSE script failures not listed");
    }
    if (req.scan_type != sdk::ScanType::untrusted) {
        r.warnings.push_back("a " + std::string(sdk::to_string(req.scan_type)) +
                             " scan was asked for, but nmap never logs in: these are network results only");
    }
    r.is_valid = true;
    return r;
}

}  // namespace scanorch::nmap
