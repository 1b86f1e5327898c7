// Complete scans of every type through the plugin, with the export checked
// host by host by the validator.
#include "harness.h"
#include "nessus_validator.h"
#include "nessus_validator_config.h"

using namespace harness;
namespace nv = scanorch::nessus_validator;
using scanorch::testing::EmulatorProcess;

namespace {

std::vector<std::string> emulator_args() {
    return {"--user",           "admin:adminpw",
            "--target-account", "scan:scanpw",
            "--target-account", "ops:opspw@192.0.2.2",
            "--target-account", "CORP\\svc:winpw",
            "--target-account", "root:rootpw",
            "--scan-seconds",   "0.5",
            "--export-seconds", "0.2",
            "--extra-items",    "5"};
}

struct Outcome {
    sdk::ValidationResult validation;
    sdk::ExportInfo export_info;
};

Outcome scan_and_validate(sdk::Scanner& s, const sdk::ScanRequest& req, const TempDir& dir) {
    std::string id;
    EXPECT_EQ(run_to_end(s, req, id), sdk::ScanState::completed);
    const std::string dest = (dir.path / "tasks" / req.task_id / "scan.nessus").string();
    auto exported = s.export_scan(id, dest);
    EXPECT_TRUE(exported) << (exported ? "" : exported.error().message);
    Outcome o;
    if (!exported) return o;
    o.export_info = *exported;
    EXPECT_EQ(exported->path, dest);
    EXPECT_EQ(exported->size_bytes, std::filesystem::file_size(dest));
    EXPECT_FALSE(std::filesystem::exists(dest + ".part"));
    o.validation = nv::validate_file({dest, req.scan_type, req.targets}, defaults());
    EXPECT_TRUE(s.delete_scan(id).ok());
    auto gone = s.poll_scan(id);
    EXPECT_FALSE(gone);
    if (!gone) {
        EXPECT_EQ(gone.error().kind, sdk::ErrorKind::not_found);
    }
    return o;
}

std::map<std::string, sdk::HostAuth> per_host(const sdk::ValidationResult& r) {
    std::map<std::string, sdk::HostAuth> out;
    for (const auto& h : r.stats.hosts) out[h.name] = h.auth;
    return out;
}

}  // namespace

TEST(NessusLifecycle, HealthAndAnUntrustedScan) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto h = p.scanner->health();
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_TRUE(h->healthy) << h->message;
    EXPECT_TRUE(h->scan_api_allowed);
    EXPECT_EQ(h->version, "10.7.1");

    TempDir dir;
    const auto o = scan_and_validate(*p.scanner, request("192.0.2.1-3"), dir);
    EXPECT_TRUE(o.validation.is_valid) << o.validation.error;
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::not_applicable);
    EXPECT_EQ(o.validation.stats.hosts_scanned, 3u);
    EXPECT_EQ(o.validation.stats.hosts_expected, 3u);
}

TEST(NessusLifecycle, TrustedScanThatAuthenticates) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto req = request("192.0.2.10, 192.0.2.11", sdk::ScanType::trusted_basic);
    req.credentials.ssh_username = "scan";
    req.credentials.ssh_password = "scanpw";
    TempDir dir;
    const auto o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_TRUE(o.validation.is_valid) << o.validation.error;
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::success);
    EXPECT_EQ(per_host(o.validation), (std::map<std::string, sdk::HostAuth>{{"192.0.2.10", sdk::HostAuth::success},
                                                                            {"192.0.2.11", sdk::HostAuth::success}}));
}

TEST(NessusLifecycle, TrustedScanWithWrongCredentialsFailsValidation) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto req = request("192.0.2.20", sdk::ScanType::trusted_basic);
    req.credentials.ssh_username = "scan";
    req.credentials.ssh_password = "wrong";
    TempDir dir;
    const auto o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_FALSE(o.validation.is_valid);
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::failed);
    EXPECT_NE(o.validation.error.find("plugin 104410"), std::string::npos) << o.validation.error;
}

TEST(NessusLifecycle, CredentialsValidOnSomeHostsGiveAMixedExport) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto req = request("192.0.2.1-3", sdk::ScanType::trusted_basic);
    req.credentials.ssh_username = "ops";  // valid on 192.0.2.2 only
    req.credentials.ssh_password = "opspw";
    TempDir dir;
    const auto o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_TRUE(o.validation.is_valid) << o.validation.error;
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::partial);
    EXPECT_EQ(per_host(o.validation), (std::map<std::string, sdk::HostAuth>{{"192.0.2.1", sdk::HostAuth::failed},
                                                                            {"192.0.2.2", sdk::HostAuth::success},
                                                                            {"192.0.2.3", sdk::HostAuth::failed}}));
}

TEST(NessusLifecycle, PrivilegedScanEscalatesOrReportsInsufficientPrivilege) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto req = request("198.51.100.7", sdk::ScanType::trusted_privileged);
    req.credentials.ssh_username = "scan";
    req.credentials.ssh_password = "scanpw";
    req.credentials.escalation_method = "su";
    req.credentials.escalation_account = "root";
    req.credentials.escalation_password = "rootpw";
    TempDir dir;
    auto o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::success) << o.validation.error;

    req.task_id = "task-2";
    req.credentials.escalation_password = "not-root";
    o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_TRUE(o.validation.is_valid);
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::partial);
    ASSERT_EQ(o.validation.stats.hosts.size(), 1u);
    EXPECT_NE(o.validation.stats.hosts[0].auth_evidence.find("110385"), std::string::npos)
        << o.validation.stats.hosts[0].auth_evidence;
}

TEST(NessusLifecycle, WindowsCredentialsAndApiKeys) {
    auto args = emulator_args();
    args.insert(args.end(), {"--api-key", "AK123:SK456"});
    EmulatorProcess emu(NESSUS_EMULATOR, args);
    auto p = load(config(emu.url(), "", "", R"({"export_poll_ms":100})", "AK123", "SK456"));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto req = request("203.0.113.9", sdk::ScanType::trusted_basic);
    req.credentials.windows_username = "svc";
    req.credentials.windows_domain = "CORP";
    req.credentials.windows_password = "winpw";
    TempDir dir;
    const auto o = scan_and_validate(*p.scanner, req, dir);
    EXPECT_EQ(o.validation.authentication_status, sdk::AuthStatus::success) << o.validation.error;
    ASSERT_EQ(o.validation.stats.hosts.size(), 1u);
    EXPECT_NE(o.validation.stats.hosts[0].auth_evidence.find("SMB"), std::string::npos);

    auto bad = load(config(emu.url(), "", "", "{}", "AK123", "wrong"));
    ASSERT_TRUE(bad.scanner);
    auto r = bad.scanner->create_scan(request("192.0.2.1"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::auth);
    EXPECT_NE(r.error().message.find("API keys rejected"), std::string::npos) << r.error().message;
}

TEST(NessusLifecycle, StopCancelsARunningScan) {
    auto args = emulator_args();
    args[args.size() - 5] = "30";  // --scan-seconds 30
    EmulatorProcess emu(NESSUS_EMULATOR, args);
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    auto id = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(id);
    ASSERT_TRUE(p.scanner->launch_scan(*id).ok());
    ASSERT_TRUE(p.scanner->stop_scan(*id).ok());
    sdk::ScanState state = sdk::ScanState::running;
    for (int i = 0; i < 50 && !sdk::is_terminal(state); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        state = p.scanner->poll_scan(*id)->state;
    }
    EXPECT_EQ(state, sdk::ScanState::cancelled);
    EXPECT_TRUE(p.scanner->stop_scan(*id).ok()) << "stopping a stopped scan is not an error";
}

TEST(NessusLifecycle, LargeExportStreamsWithoutGrowingMemory) {
    EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--scan-seconds", "0.2", "--extra-items", "200",
                                          "--export-seconds", "0"});
    auto p = load(config(emu.url(), "admin", "adminpw", R"({"export_poll_ms":100,"timeout":60})"));
    ASSERT_TRUE(p.scanner);
    auto peak_kb = [] {
        std::ifstream status("/proc/self/status");
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
        }
        return 0L;
    };
    std::string id;
    ASSERT_EQ(run_to_end(*p.scanner, request("192.0.2.0/24, 198.51.100.0/24"), id), sdk::ScanState::completed);
    TempDir dir;
    const long before = peak_kb();
    auto exported = p.scanner->export_scan(id, (dir.path / "big.nessus").string());
    ASSERT_TRUE(exported) << exported.error().message;
    const long grown_kb = peak_kb() - before;
    EXPECT_GT(exported->size_bytes, 50u * 1024 * 1024) << "the export should be large for this test to mean anything";
    EXPECT_LT(grown_kb, 16 * 1024) << "peak memory grew by " << grown_kb << " KB for a " << exported->size_bytes
                                   << "-byte export";
    const auto v =
        nv::validate_file({exported->path, sdk::ScanType::untrusted, "192.0.2.0/24, 198.51.100.0/24"}, defaults());
    EXPECT_TRUE(v.is_valid) << v.error;
    EXPECT_EQ(v.stats.hosts_scanned, 512u);
}
