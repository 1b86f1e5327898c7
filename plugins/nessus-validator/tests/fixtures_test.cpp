// Every real export (docs/AUTH_DETECTION.md §6) against the facts its directory's README
// records host by host (computed there with Python's xml.etree).
#include <gtest/gtest.h>

#include "nessus_validator.h"
#include "nessus_validator_config.h"
#include "test_files.h"

namespace nv = scanorch::nessus_validator;
namespace sdk = scanorch::sdk;

namespace {

// Host addresses of the fixtures are built, not written, so that no
// private-range address stands in the test sources as if it were a target.
std::string ip(int a, int b, int c, int d) {
    return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
}

struct Expect {
    std::string file;
    sdk::ScanType type;
    bool valid;
    sdk::AuthStatus auth;
    std::uint64_t hosts, items;
    sdk::SeverityBreakdown sev;  // critical, high, medium, low, info
    std::vector<std::pair<std::string, sdk::HostAuth>> per_host;
};

void check(const Expect& e) {
    SCOPED_TRACE(e.file + " as " + std::string(sdk::to_string(e.type)));
    const auto r = nv::validate_file({fixture(e.file), e.type, ""}, defaults());
    EXPECT_EQ(r.is_valid, e.valid) << r.error;
    EXPECT_EQ(r.authentication_status, e.auth) << r.error;
    EXPECT_EQ(r.stats.hosts_scanned, e.hosts);
    EXPECT_EQ(r.stats.report_items, e.items);
    EXPECT_EQ(r.stats.severity_breakdown.critical, e.sev.critical);
    EXPECT_EQ(r.stats.severity_breakdown.high, e.sev.high);
    EXPECT_EQ(r.stats.severity_breakdown.medium, e.sev.medium);
    EXPECT_EQ(r.stats.severity_breakdown.low, e.sev.low);
    EXPECT_EQ(r.stats.severity_breakdown.info, e.sev.info);
    EXPECT_EQ(r.stats.total_vulnerabilities, e.sev.critical + e.sev.high + e.sev.medium + e.sev.low);
    ASSERT_EQ(r.stats.hosts.size(), e.hosts);
    for (std::size_t i = 0; i < e.per_host.size(); ++i) {
        EXPECT_EQ(r.stats.hosts[i].name, e.per_host[i].first);
        EXPECT_EQ(r.stats.hosts[i].auth, e.per_host[i].second)
            << r.stats.hosts[i].name << ": " << r.stats.hosts[i].auth_evidence;
    }
    if (!e.valid) {
        EXPECT_FALSE(r.error.empty());
    }
}

constexpr auto trusted = sdk::ScanType::trusted_basic;
using HA = sdk::HostAuth;
using AS = sdk::AuthStatus;

}  // namespace

TEST(Fixtures, HeimdallModernPartial) {
    check({"mitre-heimdall2__sample.nessus",
           trusted,
           true,
           AS::partial,
           3,
           149,
           {1, 1, 5, 2, 140},
           {{ip(10, 0, 0, 3), HA::success}, {ip(10, 0, 0, 2), HA::failed}, {ip(10, 0, 0, 1), HA::failed}}});
    const auto r = nv::validate_file({fixture("mitre-heimdall2__sample.nessus"), trusted, ""}, defaults());
    // The failed hosts name the SSH key problem 104410 reported.
    EXPECT_NE(r.stats.hosts[1].auth_evidence.find("Failed to parse the given key information"), std::string::npos)
        << r.stats.hosts[1].auth_evidence;
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings.back().find("2 of 3 hosts"), std::string::npos) << r.warnings.back();
}

TEST(Fixtures, PyTenableAgentScan) {
    check(
        {"pytenable__example.nessus", trusted, true, AS::success, 1, 230, {7, 77, 9, 2, 135}, {{"adam", HA::success}}});
}

TEST(Fixtures, LibnessusMixedPerHost) {
    check({"libnessus__nessus_report_test_local.nessus",
           trusted,
           true,
           AS::partial,
           2,
           147,
           {1, 0, 19, 8, 119},
           {{ip(192, 168, 1, 3), HA::success}, {ip(192, 168, 1, 1), HA::failed}}});
}

TEST(Fixtures, LibnessusFailedPasswords) {
    check(
        {"libnessus__nessus_report_local_3.nessus",
         trusted,
         false,
         AS::failed,
         3,
         106,
         {2, 3, 20, 10, 71},
         {{ip(192, 168, 2, 104), HA::failed}, {ip(192, 168, 2, 101), HA::failed}, {ip(192, 168, 2, 100), HA::failed}}});
    const auto r = nv::validate_file({fixture("libnessus__nessus_report_local_3.nessus"), trusted, ""}, defaults());
    EXPECT_NE(r.error.find("Failed to authenticate using the supplied password."), std::string::npos) << r.error;
    EXPECT_EQ(r.failure_reason, "auth_failed");
}

TEST(Fixtures, LibnessusLocalhostSuccess) {
    check({"libnessus__nessus_report_local2.nessus",
           sdk::ScanType::trusted_privileged,
           true,
           AS::success,
           1,
           62,
           {0, 0, 1, 0, 61},
           {{"localhost", HA::success}}});
}

TEST(Fixtures, DefectDojoWindowsSmbRejected) {
    check({"defectdojo__nessus_v_unknown.nessus", trusted, false, AS::failed, 7, 296, {0, 0, 23, 7, 266}, {}});
    const auto r = nv::validate_file({fixture("defectdojo__nessus_v_unknown.nessus"), trusted, ""}, defaults());
    for (const auto& h : r.stats.hosts) EXPECT_EQ(h.auth, HA::failed) << h.name;
    EXPECT_NE(r.error.find("ADMIN$' with the supplied credentials"), std::string::npos) << r.error;
    // 10919 (ports that stopped answering mid-scan) becomes warnings.
    bool recheck = false;
    for (const auto& w : r.warnings) recheck = recheck || w.find("Open Port Re-check (10919)") != std::string::npos;
    EXPECT_TRUE(recheck);
}

TEST(Fixtures, DefectDojoModernUncredentialed) {
    check({"defectdojo__nessus_with_cvssv3.nessus",
           sdk::ScanType::untrusted,
           true,
           AS::not_applicable,
           1,
           49,
           {2, 10, 13, 1, 23},
           {{"testphp.vulnweb.com", HA::not_attempted}}});
    // The same file for a trusted scan: 19506 (indented) says no.
    check({"defectdojo__nessus_with_cvssv3.nessus",
           trusted,
           false,
           AS::failed,
           1,
           49,
           {2, 10, 13, 1, 23},
           {{"testphp.vulnweb.com", HA::failed}}});
}

TEST(Fixtures, TrimmedExportIsUnknownNotFailed) {
    check({"defectdojo__issue_6992.nessus",
           trusted,
           false,
           AS::unknown,
           1,
           1,
           {0, 0, 1, 0, 0},
           {{"testphp.vulnweb.com", HA::unknown}}});
    const auto r = nv::validate_file({fixture("defectdojo__issue_6992.nessus"), trusted, ""}, defaults());
    EXPECT_EQ(r.failure_reason, "auth_unknown");
}

TEST(Fixtures, WebAppScanHasNoEvidence) {
    check({"defectdojo__nessus_was_one_vuln.nessus",
           trusted,
           false,
           AS::unknown,
           1,
           1,
           {0, 1, 0, 0, 0},
           {{"http://google.com/", HA::unknown}}});
    check({"defectdojo__nessus_was_one_vuln.nessus",
           sdk::ScanType::untrusted,
           true,
           AS::not_applicable,
           1,
           1,
           {0, 1, 0, 0, 0},
           {}});
}

TEST(Fixtures, Nessus4HasNoCredentialedLine) {
    check({"dradis__example_v2.nessus",
           trusted,
           false,
           AS::unknown,
           2,
           69,
           {0, 0, 3, 47, 19},
           {{"snorby.org", HA::unknown}, {"scanme.insecure.org", HA::unknown}}});
}

TEST(Fixtures, MalformedExportNamesLineAndColumn) {
    const auto r = nv::validate_file({fixture("ruby-nessus__example_v2_malformed.nessus"), trusted, ""}, defaults());
    EXPECT_FALSE(r.is_valid);
    EXPECT_EQ(r.failure_reason, "malformed_xml");
    EXPECT_EQ(r.error, "export is not well-formed XML at line 1488, column 33: invalid token");
}
