// File and structure checks, host counts, scan-error warnings, and the
// design document's five cases on small generated exports.
#include <gtest/gtest.h>

#include "nessus_validator.h"
#include "nessus_validator_config.h"
#include "test_files.h"

namespace nv = scanorch::nessus_validator;
namespace sdk = scanorch::sdk;

namespace {

sdk::ValidationResult run(const std::string& path, sdk::ScanType type = sdk::ScanType::untrusted,
                          const std::string& targets = "") {
    return nv::validate_file({path, type, targets}, defaults());
}

std::string linux_login_items() {
    std::string items = scan_info("Credentialed checks : yes, as 'scan' via ssh");
    items += item("141118", 0, "Nessus was able to log in to the remote host via the following :", "Settings",
                  "Valid Credentials Provided", "22");
    for (int i = 0; i < 6; ++i) items += item(std::to_string(200000 + i), 2, "", "Ubuntu Local Security Checks");
    items += item("22869", 0, "", "General", "Software Enumeration (SSH)");
    return items;
}

std::string port_scan_only_items() {
    return scan_info("Credentialed checks : no") +
           item(
               "21745", 0,
               "The local checks failed because :\n- It was not possible to log into the remote host via ssh (invalid credentials).",
               "Settings", "OS Security Patch Assessment Failed") +
           item("11219", 0, "Port 22/tcp was found to be open", "Port scanners", "Nessus SYN scanner", "22") +
           item("10107", 0, "", "Web Servers", "HTTP Server Type and Version", "80");
}

}  // namespace

TEST(Structure, MissingEmptyAndTinyFiles) {
    auto r = run("/nonexistent/scan.nessus");
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.error, "export file not found: /nonexistent/scan.nessus");
    EXPECT_EQ(r.failure_reason, "missing_file");

    TempFile empty("");
    r = run(empty.path());
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.error,
              "export file is 0 bytes, less than the 500 of the smallest real export: the scan produced no results");
    EXPECT_EQ(r.failure_reason, "too_small");

    TempFile tiny("<NessusClientData_v2/>");
    EXPECT_EQ(run(tiny.path()).failure_reason, "too_small");
}

TEST(Structure, MalformedXmlNamesLineAndColumn) {
    std::string doc = report(host("192.0.2.1", item("19506", 0)));
    doc.insert(doc.find("<Report "), "<broken attr=>\n");
    TempFile f(doc);
    const auto r = run(f.path());
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.failure_reason, "malformed_xml");
    EXPECT_EQ(r.error, "export is not well-formed XML at line 4, column 13: invalid token");

    std::string truncated = report(host("192.0.2.1", linux_login_items()));
    TempFile cut(truncated.substr(0, truncated.size() / 2));
    EXPECT_EQ(run(cut.path()).failure_reason, "malformed_xml");
}

TEST(Structure, WrongRootNoReportNoHosts) {
    TempFile html("<html><body>" + std::string(600, 'x') + "</body></html>");
    auto r = run(html.path());
    EXPECT_EQ(r.error, "root element is <html>, expected <NessusClientData_v2>: not a .nessus (v2) export");

    TempFile no_report("<NessusClientData_v2><Policy><policyName>" + std::string(600, 'p') +
                       "</policyName></Policy></NessusClientData_v2>");
    r = run(no_report.path());
    EXPECT_EQ(r.error, "export has no <Report> element: it holds no scan results");

    TempFile no_hosts(report(""));
    r = run(no_hosts.path(), sdk::ScanType::untrusted, "192.0.2.0/30");
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.failure_reason, "no_hosts");
    EXPECT_EQ(r.error, "export has no <ReportHost>: the scan reached no host of the 4 expected targets");
}

TEST(Structure, FewerHostsThanTargetsIsAWarningThatCounts) {
    TempFile f(report(host("192.0.2.1", item("10180", 0)) + host("192.0.2.2", item("10180", 0))));
    const auto r = run(f.path(), sdk::ScanType::untrusted, "192.0.2.1-4, scanme.example.org");
    EXPECT_TRUE(r.is_valid);
    EXPECT_EQ(r.stats.hosts_expected, 5u);
    EXPECT_EQ(r.stats.hosts_scanned, 2u);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(
        r.warnings[0],
        "3 expected hosts are missing (2 of 5 scanned): Nessus leaves hosts that did not answer out of the export");

    const auto bad = run(f.path(), sdk::ScanType::untrusted, "192.0.2.300");
    EXPECT_FALSE(bad.is_valid);
    EXPECT_EQ(bad.error, "target '192.0.2.300': not a valid IPv4 address");
}

TEST(Structure, ScanProblemsBecomeWarnings) {
    TempFile f(
        report(host("192.0.2.1", item("10919", 0, "Port 135 was detected as being open but is now unresponsive\n",
                                      "General", "Open Port Re-check")) +
               host("192.0.2.2", item("10180", 0), "", /*ended=*/false)));
    const auto r = run(f.path());
    EXPECT_TRUE(r.is_valid);
    ASSERT_EQ(r.warnings.size(), 2u);
    EXPECT_EQ(r.warnings[0],
              "192.0.2.1: Open Port Re-check (10919): Port 135 was detected as being open but is now unresponsive");
    EXPECT_EQ(r.warnings[1], "192.0.2.2: the scan of this host was interrupted (no HOST_END)");
}

TEST(Structure, HugeTextNodesAreParsedWithoutALimit) {
    // Real exports carry ~900 KB text nodes (the plugin_set preference).
    const std::string big(3 * 1024 * 1024, 'a');
    std::string doc = report(host("192.0.2.1", scan_info("Credentialed checks : no") + item("10180", 0, big)));
    doc.insert(doc.find("</Policy>"), "<plugin_set>" + big + "</plugin_set>");
    TempFile f(doc);
    const auto r = run(f.path());
    EXPECT_TRUE(r.is_valid) << r.error;
    EXPECT_EQ(r.stats.report_items, 2u);
}

// The design document's five cases.
TEST(DesignCases, SuccessfulAuthenticatedScan) {
    TempFile f(report(host("192.0.2.10", linux_login_items(), "<tag name=\"Credentialed_Scan\">true</tag>")));
    const auto r = run(f.path(), sdk::ScanType::trusted_basic, "192.0.2.10");
    EXPECT_TRUE(r.is_valid) << r.error;
    EXPECT_EQ(r.authentication_status, sdk::AuthStatus::success);
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(r.stats.auth_plugins, 8u);  // 141118, 6 local checks, 22869
    EXPECT_EQ(r.stats.unauth_plugins, 1u);
    EXPECT_EQ(r.stats.severity_breakdown.medium, 6u);
    EXPECT_EQ(r.stats.total_vulnerabilities, 6u);
    ASSERT_EQ(r.stats.hosts.size(), 1u);
    EXPECT_TRUE(r.stats.hosts[0].credentialed);
}

TEST(DesignCases, FailedAuthenticationPortScanOnly) {
    TempFile f(report(host("192.0.2.11", port_scan_only_items())));
    const auto r = run(f.path(), sdk::ScanType::trusted_privileged);
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.authentication_status, sdk::AuthStatus::failed);
    EXPECT_EQ(r.failure_reason, "auth_failed");
    EXPECT_EQ(r.error,
              "authentication failed on every host of this trusted_privileged scan; results hold only unauthenticated "
              "(network) checks. Evidence: 192.0.2.11 (failed: plugin 21745 (OS Security Patch Assessment Failed): It "
              "was not possible to log into the remote host via ssh (invalid credentials).)");
    EXPECT_EQ(r.stats.auth_plugins, 0u);
}

TEST(DesignCases, UntrustedScanNeedsNoAuthentication) {
    TempFile f(report(host("192.0.2.12", port_scan_only_items())));
    const auto r = run(f.path(), sdk::ScanType::untrusted);
    EXPECT_TRUE(r.is_valid);
    EXPECT_EQ(r.authentication_status, sdk::AuthStatus::not_applicable);
    EXPECT_EQ(r.stats.hosts[0].auth, sdk::HostAuth::not_attempted);
}

TEST(DesignCases, CorruptedOrEmptyFile) {
    TempFile empty("");
    EXPECT_FALSE(run(empty.path(), sdk::ScanType::trusted_basic).is_valid);
    TempFile garbage(std::string(2048, '\x01'));
    const auto r = run(garbage.path(), sdk::ScanType::trusted_basic);
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.failure_reason, "malformed_xml");
}

TEST(DesignCases, PartialAuthenticationFailure) {
    TempFile f(report(host("192.0.2.20", linux_login_items()) + host("192.0.2.21", port_scan_only_items())));
    const auto r = run(f.path(), sdk::ScanType::trusted_basic, "192.0.2.20-21");
    EXPECT_TRUE(r.is_valid);
    EXPECT_EQ(r.authentication_status, sdk::AuthStatus::partial);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(
        r.warnings[0],
        "authentication did not fully succeed on 1 of 2 hosts: 192.0.2.21 (failed: plugin 21745 (OS Security Patch "
        "Assessment Failed): It was not possible to log into the remote host via ssh (invalid credentials).)");
}
