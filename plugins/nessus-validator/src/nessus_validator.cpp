#include "nessus_validator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "auth_classifier.h"
#include "nessus_reader.h"
#include "scanorch/sdk/targets.h"

namespace scanorch::nessus_validator {

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

// "a (why); b (why)", at most `limit` named.
std::string list_hosts(const std::vector<std::pair<std::string, std::string>>& hosts, std::size_t limit) {
    std::string out;
    for (std::size_t i = 0; i < hosts.size() && i < limit; ++i) {
        out += (i ? "; " : "") + hosts[i].first + " (" + hosts[i].second + ")";
    }
    if (hosts.size() > limit) out += "; and " + std::to_string(hosts.size() - limit) + " more";
    return out;
}

// Both faces of validate_file(): the one pass, with or without a sink.
sdk::Result<sdk::ValidationResult> validate(const sdk::ValidationRequest& req, const ValidatorConfig& config,
                                            sdk::FindingSink* sink) {
    sdk::ValidationResult r;
    r.authentication_status =
        req.scan_type == sdk::ScanType::untrusted ? sdk::AuthStatus::not_applicable : sdk::AuthStatus::unknown;

    std::error_code ec;
    if (!std::filesystem::is_regular_file(req.path, ec)) {
        return invalid(std::move(r), "missing_file", "export file not found: " + req.path);
    }
    r.stats.file_size_bytes = std::filesystem::file_size(req.path, ec);
    r.stats.file_size_mb = static_cast<double>(r.stats.file_size_bytes) / (1024.0 * 1024.0);
    if (r.stats.file_size_bytes < config.min_file_bytes) {
        // Built before the call: the order of evaluating arguments is unspecified, so
        // r could already have been moved into invalid()'s parameter.
        std::string why = "export file is " + plural(r.stats.file_size_bytes, "byte", "bytes") + ", less than the " +
                          std::to_string(config.min_file_bytes) +
                          " of the smallest real export: the scan produced no results";
        return invalid(std::move(r), "too_small", std::move(why));
    }

    std::uint64_t expected = 0;
    if (!req.targets.empty()) {
        auto targets = sdk::targets::parse_list(req.targets);
        if (!targets) return invalid(std::move(r), "bad_targets", targets.error().message);
        expected = sdk::targets::count(*targets);
    }

    // Large reads: fewer system calls; the buffer is the reader's only
    // per-file memory. No larger than the file, and left uninitialised: a
    // zeroed megabyte for an export of a few kilobytes was a twentieth of a
    // busy worker's CPU (page faults and the zeroing).
    const auto buffer_size =
        static_cast<std::size_t>(std::clamp<std::uint64_t>(r.stats.file_size_bytes + 1, 4096, 1 << 20));
    const auto buffer = std::make_unique_for_overwrite<char[]>(buffer_size);
    std::ifstream in;
    in.rdbuf()->pubsetbuf(buffer.get(), static_cast<std::streamsize>(buffer_size));
    in.open(req.path, std::ios::binary);
    if (!in) return invalid(std::move(r), "unreadable", "export file cannot be read: " + req.path);
    ReadOutcome read = read_report(in, config, sink);
    if (read.stopped) return std::move(*read.stopped);
    const ReportFacts& f = read.facts;
    if (read.failure) {
        const auto& p = *read.failure;
        return invalid(std::move(r), "malformed_xml",
                       "export is not well-formed XML" +
                           (p.line > 0 ? " at line " + std::to_string(p.line) + ", column " + std::to_string(p.column)
                                       : std::string()) +
                           ": " + p.message);
    }
    if (f.root != "NessusClientData_v2") {
        return invalid(std::move(r), "wrong_root",
                       "root element is <" + f.root + ">, expected <NessusClientData_v2>: not a .nessus (v2) export");
    }
    if (f.reports == 0)
        return invalid(std::move(r), "no_report", "export has no <Report> element: it holds no scan results");

    // Stats, per host and in total.
    auto& s = r.stats;
    s.report_items = f.report_items;
    s.hosts_scanned = f.hosts.size();
    s.hosts_expected = expected;
    std::vector<HostVerdict> verdicts;
    for (const auto& h : f.hosts) {
        const HostVerdict v = classify_host(h, config);
        verdicts.push_back(v);
        s.severity_breakdown.critical += h.severity.critical;
        s.severity_breakdown.high += h.severity.high;
        s.severity_breakdown.medium += h.severity.medium;
        s.severity_breakdown.low += h.severity.low;
        s.severity_breakdown.info += h.severity.info;
        s.auth_plugins += h.auth_only_results;
        const bool trusted = req.scan_type != sdk::ScanType::untrusted;
        s.hosts.push_back({h.name, v.auth == sdk::HostAuth::success || v.auth == sdk::HostAuth::partial, h.items,
                           trusted ? v.auth : sdk::HostAuth::not_attempted, v.evidence});
    }
    const auto& b = s.severity_breakdown;
    s.total_vulnerabilities = b.critical + b.high + b.medium + b.low;
    s.unauth_plugins = s.report_items - s.auth_plugins;

    if (f.hosts.empty()) {
        return invalid(
            std::move(r), "no_hosts",
            "export has no <ReportHost>: the scan reached no host" +
                (expected > 0 ? " of the " + plural(expected, "expected target", "expected targets") : std::string()));
    }
    if (expected > 0 && s.hosts_scanned < expected) {
        const auto missing = expected - s.hosts_scanned;
        r.warnings.push_back(plural(missing, "expected host is", "expected hosts are") + " missing (" +
                             std::to_string(s.hosts_scanned) + " of " + std::to_string(expected) +
                             " scanned): Nessus leaves hosts that did not answer out of the export");
    }

    // Scan problems reported by the scan itself.
    std::vector<std::string> problems;
    for (const auto& h : f.hosts) {
        if (h.host_start && !h.host_end)
            problems.push_back(h.name + ": the scan of this host was interrupted (no HOST_END)");
        for (const auto& e : h.scan_errors) {
            problems.push_back(h.name + ": " + e.plugin_name + " (" + e.plugin_id + "): " + e.detail);
        }
    }
    for (std::size_t i = 0; i < problems.size() && i < config.max_listed_warnings; ++i)
        r.warnings.push_back(problems[i]);
    if (problems.size() > config.max_listed_warnings) {
        r.warnings.push_back(std::to_string(problems.size() - config.max_listed_warnings) +
                             " more scan problems not listed");
    }

    if (req.scan_type == sdk::ScanType::untrusted) {
        r.is_valid = true;
        return r;
    }

    // Authentication, for trusted and privileged scans.
    r.authentication_status = aggregate(verdicts);
    std::vector<std::pair<std::string, std::string>> not_authenticated, thin;
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
        const auto& v = verdicts[i];
        if (v.auth != sdk::HostAuth::success)
            not_authenticated.emplace_back(f.hosts[i].name, std::string(sdk::to_string(v.auth)) + ": " + v.evidence);
        if (v.thin_login && (v.auth == sdk::HostAuth::success || v.auth == sdk::HostAuth::partial)) {
            thin.emplace_back(f.hosts[i].name, plural(f.hosts[i].auth_only_results, "result", "results"));
        }
    }
    if (!thin.empty()) {
        r.warnings.push_back("login reported with fewer than " + std::to_string(config.min_auth_plugins) +
                             " results from authenticated-only plugins on " + list_hosts(thin, 10) +
                             ": check that the policy enables local checks");
    }
    const std::string type(sdk::to_string(req.scan_type));
    switch (r.authentication_status) {
        case sdk::AuthStatus::success: r.is_valid = true; break;
        case sdk::AuthStatus::partial:
            r.is_valid = true;
            r.warnings.push_back("authentication did not fully succeed on " + std::to_string(not_authenticated.size()) +
                                 " of " + plural(verdicts.size(), "host", "hosts") + ": " +
                                 list_hosts(not_authenticated, 10));
            break;
        case sdk::AuthStatus::failed:
            return invalid(std::move(r), "auth_failed",
                           "authentication failed on every host of this " + type +
                               " scan; results hold only unauthenticated (network) checks. Evidence: " +
                               list_hosts(not_authenticated, 5));
        default:
            return invalid(
                std::move(r), "auth_unknown",
                "no evidence that this " + type +
                    " scan authenticated: the export has no 'Credentialed checks' line, no Credentialed_Scan "
                    "tag and no authentication plugin result (" +
                    list_hosts(not_authenticated, 3) + ")");
    }
    return r;
}

}  // namespace

sdk::ValidationResult validate_file(const sdk::ValidationRequest& req, const ValidatorConfig& config) {
    return validate(req, config, nullptr).value();  // no sink: nothing can stop the pass
}

sdk::Result<sdk::ValidationResult> validate_file(const sdk::ValidationRequest& req, const ValidatorConfig& config,
                                                 sdk::FindingSink& sink) {
    return validate(req, config, &sink);
}

}  // namespace scanorch::nessus_validator
