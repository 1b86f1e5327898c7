// The validator on reports of the real nmap (fixtures/open_ports.xml: nmap
// 7.93 -sT -sV against three listeners on 127.0.0.1 and one closed port)
// and on hand-broken copies of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "nmap_reader.h"
#include "nmap_validator.h"
#include "service_finding.h"
#include "test_support.h"

namespace nm = scanorch::nmap;
namespace sdk = scanorch::sdk;
using nm::testing::Collect;
using nm::testing::fixture;

namespace {

sdk::ValidationResult verdict(const std::string& file, const std::string& targets = "127.0.0.1",
                              sdk::ScanType type = sdk::ScanType::untrusted) {
    auto r = nm::validate_report({fixture(file), type, targets}, nullptr);
    EXPECT_TRUE(r) << file;
    return r ? *r : sdk::ValidationResult{};
}

}  // namespace

TEST(NmapValidator, RealReportIsValidWithOneFindingPerOpenPort) {
    Collect sink;
    auto r = nm::validate_report({fixture("open_ports.xml"), sdk::ScanType::untrusted, "127.0.0.1"}, &sink);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_valid) << r->error;
    EXPECT_TRUE(r->warnings.empty());
    EXPECT_EQ(r->authentication_status, sdk::AuthStatus::not_applicable);
    EXPECT_EQ(r->stats.hosts_scanned, 1u);
    EXPECT_EQ(r->stats.hosts_expected, 1u);
    EXPECT_EQ(r->stats.report_items, 3u);
    EXPECT_EQ(r->stats.severity_breakdown.info, 3u);
    EXPECT_EQ(r->stats.total_vulnerabilities, 0u);
    ASSERT_EQ(r->stats.hosts.size(), 1u);
    EXPECT_EQ(r->stats.hosts[0].name, "127.0.0.1");
    EXPECT_EQ(r->stats.hosts[0].items, 3u);

    ASSERT_EQ(sink.findings.size(), 3u) << "the closed port 20124 is no finding";
    const auto& ssh = sink.findings[0];
    EXPECT_EQ(ssh.seq, 0u);
    EXPECT_EQ(ssh.host, "127.0.0.1");
    EXPECT_EQ(ssh.host_ip, "127.0.0.1");
    EXPECT_EQ(ssh.port, 20121u);
    EXPECT_EQ(ssh.protocol, "tcp");
    EXPECT_EQ(ssh.service, "ssh");
    EXPECT_EQ(ssh.plugin_id, nm::service_plugin_id("ssh"));
    EXPECT_EQ(ssh.plugin_name, "nmap service detection: ssh");
    EXPECT_EQ(ssh.severity, sdk::Severity::info);
    EXPECT_EQ(ssh.seen_at_ms, 1796210943000);  // the host's endtime
    EXPECT_EQ(ssh.plugin_output.rfind("OpenSSH 9.2p1 (protocol 2.0)\n", 0), 0u) << ssh.plugin_output;
    EXPECT_NE(ssh.plugin_output.find("cpe: cpe:/a:openbsd:openssh:9.2p1"), std::string::npos);
    EXPECT_EQ(sink.findings[1].port, 20122u);
    EXPECT_EQ(sink.findings[1].service, "http");
    EXPECT_EQ(sink.findings[1].plugin_output.rfind("SimpleHTTPServer 0.6 (Python 3.11.7)", 0), 0u);
    EXPECT_EQ(sink.findings[2].port, 20123u);
    EXPECT_EQ(sink.findings[2].service, "tcpwrapped");
    EXPECT_EQ(sink.findings[2].seq, 2u);

    // The same verdict without a sink.
    auto plain = verdict("open_ports.xml");
    EXPECT_EQ(plain.is_valid, r->is_valid);
    EXPECT_EQ(plain.stats.report_items, r->stats.report_items);
}

TEST(NmapValidator, PluginIdsAreStableAndApartFromNessus) {
    EXPECT_EQ(nm::service_plugin_id("ssh"), nm::service_plugin_id("SSH"));
    EXPECT_EQ(nm::service_plugin_id(""), nm::service_plugin_id("unknown"));
    EXPECT_NE(nm::service_plugin_id("ssh"), nm::service_plugin_id("http"));
    // FNV-1a 32 of "ssh", as the README tells operators to compute it.
    EXPECT_EQ(nm::service_plugin_id("ssh"), 1'000'000'000'000u + 0xbe3eff51u);
    EXPECT_GE(nm::service_plugin_id("x"), nm::kServiceIdBase);
    EXPECT_LT(nm::service_plugin_id("x"), std::uint64_t{1} << 53);
}

TEST(NmapValidator, MissingHostsAreAWarning) {
    auto r = verdict("open_ports.xml", "127.0.0.1-3");
    EXPECT_TRUE(r.is_valid);
    EXPECT_EQ(r.stats.hosts_expected, 3u);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "2 expected hosts were not up (1 of 3)");
}

TEST(NmapValidator, FailedScriptsAreWarningsAndWorkingOnesGoIntoTheFinding) {
    Collect sink;
    auto r = nm::validate_report({fixture("script_error.xml"), sdk::ScanType::untrusted, "127.0.0.1"}, &sink);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_valid);
    ASSERT_EQ(r->warnings.size(), 2u);
    EXPECT_EQ(
        r->warnings[0],
        "127.0.0.1 20122/tcp: NSE script http-vuln-cve2017-5638 failed: ERROR: Script execution failed (use -d to debug)");
    EXPECT_EQ(r->warnings[1].rfind("127.0.0.1 host: NSE script smb-os-discovery failed", 0), 0u) << r->warnings[1];
    ASSERT_EQ(sink.findings.size(), 3u);
    EXPECT_NE(sink.findings[1].plugin_output.find("\nhttp-title: Directory listing for /"), std::string::npos);
    EXPECT_TRUE(nm::script_failed("ERROR: Script execution failed (use -d to debug)"));
    EXPECT_TRUE(nm::script_failed("\n  ERROR: Failed to connect"));
    EXPECT_FALSE(nm::script_failed("Directory listing for /"));
    EXPECT_FALSE(nm::script_failed("title: NO ERRORS here"));
}

TEST(NmapValidator, BrokenReportsAreRefusedWithTheirReason) {
    struct Case {
        const char* file;
        const char* reason;
        const char* says;
    };
    for (const Case& c :
         {Case{"truncated.xml", "malformed_xml", "report is not well-formed XML at line 15"},
          Case{"unfinished.xml", "not_finished", "nmap did not finish the run"},
          Case{"failed_run.xml", "nmap_failed", "nmap ended with exit=\"error\": Failed to open device lo"},
          Case{"host_down.xml", "no_hosts_up", "no scanned host was up (of 1 expected target)"},
          Case{"wrong_root.xml", "wrong_root", "root element is <NessusClientData_v2>, expected <nmaprun>"},
          Case{"no-such-file.xml", "missing_file", "export file not found"}}) {
        const auto r = verdict(c.file);
        EXPECT_FALSE(r.is_valid) << c.file;
        EXPECT_EQ(r.failure_reason, c.reason) << c.file;
        EXPECT_NE(r.error.find(c.says), std::string::npos) << c.file << ": " << r.error;
        EXPECT_NE(std::find(std::begin(nm::kFailureReasons), std::end(nm::kFailureReasons), r.failure_reason),
                  std::end(nm::kFailureReasons))
            << r.failure_reason << " is not in kFailureReasons";
    }
    EXPECT_EQ(verdict("open_ports.xml", "not a target!").failure_reason, "bad_targets");
}

TEST(NmapValidator, FindingsBeforeTheFaultOfATruncatedReportAreSent) {
    Collect sink;
    auto r = nm::validate_report({fixture("truncated.xml"), sdk::ScanType::untrusted, ""}, &sink);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->is_valid);
    ASSERT_EQ(sink.findings.size(), 1u);  // 20121 was complete when the file ends inside 20122
    EXPECT_EQ(sink.findings[0].port, 20121u);
}

TEST(NmapValidator, ASinkErrorStopsThePassAndIsReturnedUnchanged) {
    class Refuse final : public sdk::FindingSink {
    public:
        int calls = 0;
        sdk::Result<void> accept(const sdk::Finding&) noexcept override {
            ++calls;
            return sdk::Error::transient("store away");
        }
    } sink;
    auto r = nm::validate_report({fixture("open_ports.xml"), sdk::ScanType::untrusted, ""}, &sink);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::transient);
    EXPECT_EQ(r.error().message, "store away");
    EXPECT_EQ(sink.calls, 1);
}

TEST(NmapValidator, ATrustedRequestIsWarnedThatNmapNeverLogsIn) {
    auto r = verdict("open_ports.xml", "127.0.0.1", sdk::ScanType::trusted_basic);
    EXPECT_TRUE(r.is_valid);
    EXPECT_EQ(r.authentication_status, sdk::AuthStatus::not_applicable);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("nmap never logs in"), std::string::npos);
}
