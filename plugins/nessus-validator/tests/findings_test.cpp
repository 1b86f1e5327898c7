// The findings of the validator's single pass (sdk::FindingEmitter): one per
// ReportItem, numbered in file order, with the fields the index serves, and
// the very verdict validate() gives. Counted here independently of the
// parser: ReportItem start tags in the raw text, and the facts the fixtures'
// README records.
#include <gtest/gtest.h>

#include "report_items.h"

#include <fstream>
#include <iterator>
#include <map>

#include "nessus_reader.h"
#include "nessus_validator.h"
#include "nessus_validator_config.h"
#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/validator.h"
#include "test_files.h"

namespace nv = scanorch::nessus_validator;
namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

using scanorch::testing::report_item_tags;

std::string ip(int a, int b, int c, int d) {
    return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
}

/// Keeps every finding; refuses the one numbered `fail_at` with `error`.
class Collect final : public sdk::FindingSink {
public:
    std::vector<sdk::Finding> findings;
    std::uint64_t calls = 0;
    std::optional<std::uint64_t> fail_at;
    sdk::Error error = sdk::Error::transient("the index is busy");

    sdk::Result<void> accept(const sdk::Finding& f) noexcept override {
        ++calls;
        if (fail_at && f.seq == *fail_at) return error;
        findings.push_back(f);
        return {};
    }
};

std::string verdict_json(const sdk::ValidationResult& r) { return sf::stringify(sf::to_json(r)); }

struct Fixture {
    std::string file;
    std::uint64_t items;  ///< the README's count (Python xml.etree)
};

const std::vector<Fixture> kFixtures = {
    {"mitre-heimdall2__sample.nessus", 149},
    {"pytenable__example.nessus", 230},
    {"libnessus__nessus_report_test_local.nessus", 147},
    {"libnessus__nessus_report_local_3.nessus", 106},
    {"libnessus__nessus_report_local2.nessus", 62},
    {"defectdojo__nessus_v_unknown.nessus", 296},
    {"defectdojo__nessus_with_cvssv3.nessus", 49},
    {"defectdojo__issue_6992.nessus", 1},
    {"defectdojo__nessus_was_one_vuln.nessus", 1},
    {"dradis__example_v2.nessus", 69},
};

const sdk::Finding* by_plugin(const std::vector<sdk::Finding>& all, std::uint64_t plugin_id) {
    for (const auto& f : all) {
        if (f.plugin_id == plugin_id) return &f;
    }
    return nullptr;
}

}  // namespace

TEST(Findings, OnePerReportItemInFileOrderWithTheSameVerdict) {
    for (const auto& fx : kFixtures) {
        for (const auto type : {sdk::ScanType::untrusted, sdk::ScanType::trusted_basic}) {
            SCOPED_TRACE(fx.file + " as " + std::string(sdk::to_string(type)));
            const sdk::ValidationRequest req{fixture(fx.file), type, ""};
            Collect sink;
            auto emitted = nv::validate_file(req, defaults(), sink);
            ASSERT_TRUE(emitted) << emitted.error().message;
            EXPECT_EQ(report_item_tags(req.path), fx.items);
            ASSERT_EQ(sink.findings.size(), fx.items);
            for (std::size_t i = 0; i < sink.findings.size(); ++i) ASSERT_EQ(sink.findings[i].seq, i);

            const auto plain = nv::validate_file(req, defaults());
            EXPECT_EQ(verdict_json(*emitted), verdict_json(plain));

            // Severities add up to the verdict's breakdown, per host too.
            sdk::SeverityBreakdown sev;
            std::map<std::string, std::uint64_t> per_host;
            for (const auto& f : sink.findings) {
                ++per_host[f.host];
                switch (f.severity) {
                    case sdk::Severity::critical: ++sev.critical; break;
                    case sdk::Severity::high: ++sev.high; break;
                    case sdk::Severity::medium: ++sev.medium; break;
                    case sdk::Severity::low: ++sev.low; break;
                    case sdk::Severity::info: ++sev.info; break;
                }
            }
            const auto& b = plain.stats.severity_breakdown;
            EXPECT_EQ(sev.critical, b.critical);
            EXPECT_EQ(sev.high, b.high);
            EXPECT_EQ(sev.medium, b.medium);
            EXPECT_EQ(sev.low, b.low);
            EXPECT_EQ(sev.info, b.info);
            for (const auto& h : plain.stats.hosts) EXPECT_EQ(per_host[h.name], h.items) << h.name;
        }
    }
}

TEST(Findings, FieldsOfAModernExport) {
    Collect sink;
    auto r = nv::validate_file({fixture("defectdojo__nessus_with_cvssv3.nessus"), sdk::ScanType::untrusted, ""},
                               defaults(), sink);
    ASSERT_TRUE(r);
    ASSERT_EQ(sink.findings.size(), 49u);
    const std::int64_t host_end = 1648044472LL * 1000;  // HOST_END_TIMESTAMP (HOST_END is local time, an hour off)

    // Finding 17: PHP < 5.2.3 on www, both CVSS versions and five CVEs.
    const auto& php = sink.findings[17];
    EXPECT_EQ(php.host, "testphp.vulnweb.com");
    EXPECT_EQ(php.host_ip, ip(44, 228, 249, 3));
    EXPECT_EQ(php.port, 80u);
    EXPECT_EQ(php.protocol, "tcp");
    EXPECT_EQ(php.service, "www");
    EXPECT_EQ(php.plugin_id, 25368u);
    EXPECT_EQ(php.plugin_name, "PHP < 5.2.3 Multiple Vulnerabilities");
    EXPECT_EQ(php.plugin_family, "CGI abuses");
    EXPECT_EQ(php.severity, sdk::Severity::high);
    EXPECT_EQ(php.risk_factor, "High");
    ASSERT_TRUE(php.cvss3_base_score);
    EXPECT_DOUBLE_EQ(*php.cvss3_base_score, 7.3);
    ASSERT_TRUE(php.cvss_base_score);
    EXPECT_DOUBLE_EQ(*php.cvss_base_score, 7.5);
    EXPECT_EQ(php.cves, (std::vector<std::string>{"CVE-2007-1887", "CVE-2007-1900", "CVE-2007-2756", "CVE-2007-2872",
                                                  "CVE-2007-3007"}));
    EXPECT_EQ(php.synopsis, "The remote web server uses a version of PHP that is affected by multiple flaws.");
    EXPECT_EQ(php.solution, "Upgrade to PHP version 5.2.3 or later.");
    EXPECT_EQ(php.see_also, "http://www.php.net/releases/5_2_3.php");
    EXPECT_NE(php.description.find("PHP"), std::string::npos);
    EXPECT_NE(php.plugin_output.find("Installed version : 5.1.6"), std::string::npos) << php.plugin_output;
    EXPECT_EQ(php.seen_at_ms, host_end);

    // Finding 11 lists 27 CVEs.
    EXPECT_EQ(sink.findings[11].plugin_id, 24907u);
    EXPECT_EQ(sink.findings[11].cves.size(), 27u);
    EXPECT_FALSE(sink.findings[11].cvss3_base_score);

    // Port 0 results: host-level, over ICMP too, with a score of 0.0 that is
    // a score and not "none".
    const auto& icmp = sink.findings[46];
    EXPECT_EQ(icmp.plugin_id, 10114u);
    EXPECT_EQ(icmp.port, 0u);
    EXPECT_EQ(icmp.protocol, "icmp");
    EXPECT_EQ(icmp.service, "general");
    EXPECT_EQ(icmp.severity, sdk::Severity::info);
    EXPECT_EQ(icmp.risk_factor, "None");
    EXPECT_EQ(icmp.cves, std::vector<std::string>{"CVE-1999-0524"});
    ASSERT_TRUE(icmp.cvss3_base_score);
    EXPECT_DOUBLE_EQ(*icmp.cvss3_base_score, 0.0);
    EXPECT_EQ(icmp.plugin_output, "The difference between the local and remote clocks is 1 second.\n                ");

    const auto& device = sink.findings[4];
    EXPECT_EQ(device.plugin_id, 54615u);
    EXPECT_EQ(device.port, 0u);
    EXPECT_TRUE(device.cves.empty());
    EXPECT_FALSE(device.cvss_base_score);
    EXPECT_EQ(device.plugin_output,
              "Remote device type : general-purpose\n                    Confidence level : 65\n                ");
}

TEST(Findings, WhenTheHostWasSeen) {
    // Nessus 4: HOST_END only, no zone, read as UTC.
    Collect old;
    ASSERT_TRUE(
        nv::validate_file({fixture("dradis__example_v2.nessus"), sdk::ScanType::untrusted, ""}, defaults(), old));
    ASSERT_FALSE(old.findings.empty());
    EXPECT_EQ(old.findings.front().seen_at_ms, 1260501929000LL);  // Fri Dec 11 03:25:29 2009
    // Web application scanning: an ISO 8601 time with its zone, and no host-ip.
    Collect was;
    ASSERT_TRUE(nv::validate_file({fixture("defectdojo__nessus_was_one_vuln.nessus"), sdk::ScanType::untrusted, ""},
                                  defaults(), was));
    ASSERT_EQ(was.findings.size(), 1u);
    EXPECT_EQ(was.findings[0].seen_at_ms, 1615559734341LL);  // 2021-03-12T14:35:34.341269+00:00
    EXPECT_EQ(was.findings[0].host, "http://google.com/");
    EXPECT_EQ(was.findings[0].host_ip, "");
    EXPECT_EQ(nv::parse_host_end("Mon Jul  1 11:40:48 2013"), 1372678848000LL);
    EXPECT_EQ(nv::parse_host_end("2021-03-12T16:35:34+02:00"), 1615559734000LL);
    EXPECT_EQ(nv::parse_host_end("yesterday"), 0);
    EXPECT_EQ(nv::parse_host_end(""), 0);
}

TEST(Findings, AnExportWithoutHostEndLeavesTheTimeToTheHost) {
    const TempFile f(report("<ReportHost name=\"" + ip(192, 0, 2, 9) + "\"><HostProperties><tag name=\"host-ip\">" +
                            ip(192, 0, 2, 9) + "</tag></HostProperties>" + item("10180", 0) + "</ReportHost>"));
    Collect sink;
    ASSERT_TRUE(nv::validate_file({f.path(), sdk::ScanType::untrusted, ""}, defaults(), sink));
    ASSERT_EQ(sink.findings.size(), 1u);
    EXPECT_EQ(sink.findings[0].seen_at_ms, 0);
    EXPECT_EQ(sink.findings[0].host_ip, ip(192, 0, 2, 9));
}

TEST(Findings, ALongOutputIsCutWithinTheLimitAtACharacterBoundary) {
    // 100,000 bytes of two-byte characters, then a marker that must not survive.
    std::string output;
    while (output.size() < 100'000) output += "\xC3\xA9";  // é
    output += "THE END";
    const TempFile f(report(host(ip(192, 0, 2, 1), item("10180", 0, output) + item("10181", 0, "short"))));
    Collect sink;
    ASSERT_TRUE(nv::validate_file({f.path(), sdk::ScanType::untrusted, ""}, defaults(), sink));
    ASSERT_EQ(sink.findings.size(), 2u);
    const auto& cut = sink.findings[0].plugin_output;
    EXPECT_LE(cut.size(), sdk::kFindingTextMax);
    EXPECT_GT(cut.size(), sdk::kFindingTextMax - sdk::kFindingTextCut.size() - 2);
    ASSERT_TRUE(cut.ends_with(sdk::kFindingTextCut));
    const auto body = cut.substr(0, cut.size() - sdk::kFindingTextCut.size());
    EXPECT_EQ(body.size() % 2, 0u) << "cut inside a character";
    EXPECT_EQ(body.find("THE END"), std::string::npos);
    EXPECT_EQ(sink.findings[1].plugin_output, "short");  // the next item starts afresh
}

TEST(Findings, ASinkErrorStopsThePassAndComesBackUnchanged) {
    for (const auto kind : {sdk::ErrorKind::transient, sdk::ErrorKind::forbidden, sdk::ErrorKind::not_found}) {
        Collect sink;
        sink.fail_at = 10;
        sink.error = sdk::Error{kind, "stop here: " + std::string(sdk::to_string(kind))};
        auto r = nv::validate_file({fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""}, defaults(),
                                   sink);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, kind);
        EXPECT_EQ(r.error().message, "stop here: " + std::string(sdk::to_string(kind)));
        EXPECT_EQ(sink.calls, 11u) << "nothing is sent after the refused finding";
        EXPECT_EQ(sink.findings.size(), 10u);
    }
    // Refusing the very last finding still stops with the error, not a verdict.
    Collect last;
    last.fail_at = 229;
    auto r =
        nv::validate_file({fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""}, defaults(), last);
    ASSERT_FALSE(r);
    EXPECT_EQ(last.calls, 230u);
}

TEST(Findings, RefusedAndBrokenFilesSendWhatTheyHave) {
    // Refused before reading: nothing.
    for (const char* file : {"/nonexistent/scan.nessus"}) {
        Collect sink;
        auto r = nv::validate_file({file, sdk::ScanType::untrusted, ""}, defaults(), sink);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->failure_reason, "missing_file");
        EXPECT_EQ(sink.calls, 0u);
    }
    // Another format: nothing, even with ReportItem-like elements inside.
    const TempFile other("<?xml version=\"1.0\"?>\n<NessusClientData>" + std::string(600, ' ') +
                         "<Report><ReportHost name=\"a\">" + item("10180", 0) +
                         "</ReportHost></Report></NessusClientData>");
    Collect none;
    auto wrong = nv::validate_file({other.path(), sdk::ScanType::untrusted, ""}, defaults(), none);
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->failure_reason, "wrong_root");
    EXPECT_EQ(none.calls, 0u);
    // Malformed at line 1488: the items before the fault, numbered from 0, and
    // the same verdict as validate().
    const sdk::ValidationRequest bad{fixture("ruby-nessus__example_v2_malformed.nessus"), sdk::ScanType::untrusted, ""};
    Collect prefix;
    auto broken = nv::validate_file(bad, defaults(), prefix);
    ASSERT_TRUE(broken);
    EXPECT_EQ(broken->failure_reason, "malformed_xml");
    EXPECT_EQ(verdict_json(*broken), verdict_json(nv::validate_file(bad, defaults())));
    EXPECT_GT(prefix.findings.size(), 0u);
    EXPECT_LT(prefix.findings.size(), report_item_tags(bad.path));
    for (std::size_t i = 0; i < prefix.findings.size(); ++i) EXPECT_EQ(prefix.findings[i].seq, i);
}

TEST(Findings, ThroughThePluginBoundary) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(NESSUS_VALIDATOR_PLUGIN).ok());
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto made =
        loader.instantiate<sdk::Validator>("nessus-validator", "{}", sf::HostApi::make(services, "nessus-validator"));
    ASSERT_TRUE(made) << made.error().message;
    auto validator = std::move(made).value();
    EXPECT_EQ(loader.find("nessus-validator")->abi_major, SCANORCH_SDK_ABI_MAJOR)
        << "kValidatorFindings is part of ABI 2.0";
    EXPECT_EQ(validator->extension("scanorch.validator.unknown"), nullptr);
    auto* emitter = static_cast<sdk::FindingEmitter*>(validator->extension(sdk::kValidatorFindings));
    ASSERT_NE(emitter, nullptr);

    const sdk::ValidationRequest req{fixture("libnessus__nessus_report_local_3.nessus"), sdk::ScanType::trusted_basic,
                                     ""};
    Collect sink;
    auto emitted = emitter->validate_and_emit(req, sink);
    ASSERT_TRUE(emitted);
    EXPECT_EQ(sink.findings.size(), 106u);
    auto plain = validator->validate(req);
    ASSERT_TRUE(plain);
    EXPECT_EQ(verdict_json(*emitted), verdict_json(*plain));
    EXPECT_FALSE(emitted->is_valid);  // authentication failed everywhere: the findings still came

    Collect refusing;
    refusing.fail_at = 0;
    refusing.error = sdk::Error::forbidden("lease moved");
    auto stopped = emitter->validate_and_emit(req, refusing);
    ASSERT_FALSE(stopped);
    EXPECT_EQ(stopped.error().kind, sdk::ErrorKind::forbidden);
    EXPECT_EQ(stopped.error().message, "lease moved");
    // The evidence the verdict rests on is among the findings too.
    const auto* failure = by_plugin(sink.findings, 21745);
    ASSERT_NE(failure, nullptr);
    EXPECT_EQ(failure->host, ip(192, 168, 2, 101));
}

TEST(Findings, OddValuesAreReadCarefully) {
    // CVE ids trimmed; empty, listed-with-commas and overlong ones left out;
    // an absurd timestamp ignored for HOST_END; scores that are not numbers absent.
    const std::string cves = "<cve> CVE-2024-3094\n</cve><cve></cve><cve>CVE-1,CVE-2</cve><cve>" +
                             std::string(100, 'C') +
                             "</cve><cve>CVE-2021-44228</cve><cvss3_base_score>high</cvss3_base_score>"
                             "<cvss_base_score> 5.0 </cvss_base_score><risk_factor> Medium </risk_factor>";
    std::string odd = item("10180", 2, "out", "General", "Ping", "80");
    odd.insert(odd.find("</ReportItem>"), cves);
    const TempFile f(report("<ReportHost name=\"" + ip(192, 0, 2, 7) +
                            "\"><HostProperties><tag name=\"HOST_END_TIMESTAMP\">99999999999999999</tag>"
                            "<tag name=\"HOST_END\">Mon Jul  1 11:40:48 2013</tag></HostProperties>" +
                            odd + "<ReportItem port=\"x\" severity=\"7\" pluginID=\"abc\"/></ReportHost>"));
    Collect sink;
    auto r = nv::validate_file({f.path(), sdk::ScanType::untrusted, ""}, defaults(), sink);
    ASSERT_TRUE(r);
    ASSERT_EQ(sink.findings.size(), 2u);
    const auto& a = sink.findings[0];
    EXPECT_EQ(a.cves, (std::vector<std::string>{"CVE-2024-3094", "CVE-2021-44228"}));
    EXPECT_FALSE(a.cvss3_base_score);
    ASSERT_TRUE(a.cvss_base_score);
    EXPECT_DOUBLE_EQ(*a.cvss_base_score, 5.0);
    EXPECT_EQ(a.risk_factor, "Medium");
    EXPECT_EQ(a.port, 80u);
    EXPECT_EQ(a.severity, sdk::Severity::medium);
    EXPECT_EQ(a.seen_at_ms, 1372678848000LL);
    // Attributes that are not numbers: 0, and a severity out of range is info
    // (as the verdict's breakdown counts it).
    const auto& b = sink.findings[1];
    EXPECT_EQ(b.port, 0u);
    EXPECT_EQ(b.plugin_id, 0u);
    EXPECT_EQ(b.severity, sdk::Severity::info);
    EXPECT_EQ(r->stats.severity_breakdown.info, 1u);
}
