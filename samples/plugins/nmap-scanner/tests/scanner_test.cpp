// The scanner with the real nmap against listeners this test opens on
// 127.0.0.1 (nmap is told exactly their ports, and -Pn, so it sends nothing
// anywhere else): the whole life of a scan, stops, time limits, failures,
// and no child process left behind by any of them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "nmap_reader.h"
#include "nmap_scanner.h"
#include "nmap_validator.h"
#include "test_support.h"

namespace nm = scanorch::nmap;
namespace sdk = scanorch::sdk;
namespace fs = std::filesystem;
using nm::testing::Collect;
using nm::testing::Listener;

namespace {

#define REQUIRE_NMAP() \
    if (std::string(NMAP_PROGRAM).empty()) GTEST_SKIP() << "nmap is not installed (apt-get install nmap)"

struct TempDir {
    fs::path path =
        fs::temp_directory_path() / ("nmap-scanner-test-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

nm::NmapOptions options_for(const std::string& ports, int timing = 4) {
    nm::NmapOptions o;
    o.instance_id = "nmap_test";
    o.nmap_path = NMAP_PROGRAM;
    o.ports = ports;
    o.timing = timing;
    o.host_discovery = false;  // no ping probes to ports outside `ports`
    o.max_runtime_seconds = 3600;
    return o;
}

nm::NmapScanner scanner_in(const TempDir& dir, nm::NmapOptions o) {
    return nm::NmapScanner(std::move(o), sdk::PluginContext(nullptr), (dir.path / "scans").string(), "test");
}

sdk::ScanRequest request(const std::string& targets = "127.0.0.1") {
    sdk::ScanRequest r;
    r.task_id = "t1";
    r.targets = targets;
    return r;
}

sdk::ScanProgress wait_terminal(nm::NmapScanner& s, const std::string& id, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    sdk::ScanProgress p;
    while (std::chrono::steady_clock::now() < until) {
        auto r = s.poll_scan(id);
        EXPECT_TRUE(r) << r.error().message;
        if (!r) return p;
        p = *r;
        if (sdk::is_terminal(p.state)) return p;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "scan " << id << " still " << sdk::to_string(p.state) << " after " << limit.count() << " s";
    return p;
}

// No child of this process is left, running or zombie.
void expect_no_children() {
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child process is left behind";
    EXPECT_EQ(errno, ECHILD);
}

std::string ports_of(const std::vector<int>& ports) {
    std::string out;
    for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
    return out;
}

}  // namespace

TEST(NmapScanner, ScansExactlyTheOpenedPortsFromCreateToDelete) {
    REQUIRE_NMAP();
    TempDir dir;
    Listener ssh("SSH-2.0-OpenSSH_9.2p1\r\n"), plain1, plain2;
    const int closed = scanorch::testing::free_port();  // claimed, never bound
    auto s = scanner_in(dir, options_for(ports_of({ssh.port(), plain1.port(), plain2.port(), closed})));
    ASSERT_TRUE(s.health()->healthy);

    auto id = s.create_scan(request());
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(s.poll_scan(*id)->state, sdk::ScanState::created);
    EXPECT_EQ(s.export_scan(*id, (dir.path / "early.xml").string()).error().kind, sdk::ErrorKind::permanent);
    ASSERT_TRUE(s.launch_scan(*id));
    ASSERT_TRUE(s.launch_scan(*id)) << "a repeated launch changes nothing";
    const auto done = wait_terminal(s, *id, std::chrono::seconds(90));
    ASSERT_EQ(done.state, sdk::ScanState::completed) << done.scanner_status;
    EXPECT_EQ(done.progress_pct, 100);

    const auto dest = (dir.path / "exports" / "scan-1.xml").string();
    auto exported = s.export_scan(*id, dest);
    ASSERT_TRUE(exported) << exported.error().message;
    EXPECT_EQ(exported->path, dest);
    EXPECT_EQ(exported->size_bytes, fs::file_size(dest));
    EXPECT_FALSE(fs::exists(dest + ".part"));

    Collect sink;
    auto v = nm::validate_report({dest, sdk::ScanType::untrusted, "127.0.0.1"}, &sink);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->is_valid) << v->error;
    std::set<std::uint32_t> found;
    for (const auto& f : sink.findings) found.insert(f.port);
    EXPECT_EQ(found, (std::set<std::uint32_t>{static_cast<std::uint32_t>(ssh.port()),
                                              static_cast<std::uint32_t>(plain1.port()),
                                              static_cast<std::uint32_t>(plain2.port())}));
    EXPECT_EQ(sink.findings.size(), 3u);
    for (const auto& f : sink.findings) {
        if (f.port == static_cast<std::uint32_t>(ssh.port())) {
            EXPECT_EQ(f.service, "ssh");
        }
    }

    ASSERT_TRUE(s.delete_scan(*id));
    EXPECT_FALSE(fs::exists(s.scan_dir(*id)));
    EXPECT_EQ(s.poll_scan(*id).error().kind, sdk::ErrorKind::not_found);
    EXPECT_TRUE(s.delete_scan(*id)) << "deleting what is gone is success";
    expect_no_children();
}

TEST(NmapScanner, StopEndsTheRunAsCancelledAndReapsIt) {
    REQUIRE_NMAP();
    TempDir dir;
    Listener a, b;
    // -T0 waits five minutes between probes: this run lasts until stopped.
    auto s = scanner_in(dir, options_for(ports_of({a.port(), b.port()}), 0));
    auto id = s.create_scan(request());
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.launch_scan(*id));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(s.poll_scan(*id)->state, sdk::ScanState::running);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(s.stop_scan(*id));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(s.poll_scan(*id)->state, sdk::ScanState::cancelled);
    expect_no_children();
    EXPECT_TRUE(s.stop_scan(*id)) << "stopping a stopped scan is success";
    EXPECT_EQ(s.export_scan(*id, (dir.path / "x.xml").string()).error().kind, sdk::ErrorKind::permanent);
    EXPECT_TRUE(s.delete_scan(*id));
}

TEST(NmapScanner, ARunPastMaxRuntimeIsStoppedAndAborted) {
    REQUIRE_NMAP();
    TempDir dir;
    Listener a;
    auto o = options_for(ports_of({a.port()}), 0);
    o.max_runtime_seconds = 1;
    auto s = scanner_in(dir, o);
    auto id = s.create_scan(request());
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.launch_scan(*id));
    const auto p = wait_terminal(s, *id, std::chrono::seconds(20));
    EXPECT_EQ(p.state, sdk::ScanState::aborted);
    EXPECT_NE(p.scanner_status.find("longer than max_runtime (1 s)"), std::string::npos) << p.scanner_status;
    expect_no_children();
}

TEST(NmapScanner, ScansSurviveANewInstanceOnTheSameFolder) {
    REQUIRE_NMAP();
    TempDir dir;
    Listener a;
    std::string waiting, finished;
    {
        auto s = scanner_in(dir, options_for(ports_of({a.port()})));
        waiting = s.create_scan(request()).value();
        finished = s.create_scan(request()).value();
        ASSERT_TRUE(s.launch_scan(finished));
        ASSERT_EQ(wait_terminal(s, finished, std::chrono::seconds(90)).state, sdk::ScanState::completed);
    }
    auto s = scanner_in(dir, options_for(ports_of({a.port()})));
    EXPECT_EQ(s.poll_scan(waiting)->state, sdk::ScanState::created) << "never launched: the worker launches it now";
    EXPECT_EQ(s.poll_scan(finished)->state, sdk::ScanState::completed);
    EXPECT_TRUE(s.export_scan(finished, (dir.path / "again.xml").string()));
    EXPECT_EQ(s.launch_scan(finished).error().kind, sdk::ErrorKind::permanent);
    ASSERT_TRUE(s.launch_scan(waiting));
    EXPECT_EQ(wait_terminal(s, waiting, std::chrono::seconds(90)).state, sdk::ScanState::completed);
    expect_no_children();
}

TEST(NmapScanner, ANonZeroExitIsAbortedWithNmapsLastWords) {
    TempDir dir;
    auto o = options_for("80");
    o.nmap_path = "/bin/false";  // exits 1, as nmap does on a fatal error
    auto s = scanner_in(dir, o);
    auto id = s.create_scan(request());
    ASSERT_TRUE(id);
    ASSERT_TRUE(s.launch_scan(*id));
    const auto p = wait_terminal(s, *id, std::chrono::seconds(10));
    EXPECT_EQ(p.state, sdk::ScanState::aborted);
    EXPECT_EQ(p.scanner_status.rfind("nmap exited with status 1", 0), 0u) << p.scanner_status;
    expect_no_children();
}

TEST(NmapScanner, DestroyingTheScannerStopsAndReapsItsRuns) {
    REQUIRE_NMAP();
    TempDir dir;
    Listener a;
    {
        auto s = scanner_in(dir, options_for(ports_of({a.port()}), 0));
        auto id = s.create_scan(request());
        ASSERT_TRUE(s.launch_scan(*id));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ASSERT_EQ(s.poll_scan(*id)->state, sdk::ScanState::running);
    }
    expect_no_children();
}

TEST(NmapScanner, RefusesWhatItCannotScan) {
    TempDir dir;
    auto s = scanner_in(dir, options_for("80"));
    auto trusted = request();
    trusted.scan_type = sdk::ScanType::trusted_basic;
    auto r = s.create_scan(trusted);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(r.error().message.find("use run_untrusted_scan"), std::string::npos);
    EXPECT_EQ(s.create_scan(request("-oN /tmp/x")).error().kind, sdk::ErrorKind::invalid_input);
    for (const char* id : {"../../etc", "", "0123456789abcdeg", "0123456789ABCDEF"}) {
        EXPECT_EQ(s.poll_scan(id).error().kind, sdk::ErrorKind::invalid_input) << id;
        EXPECT_EQ(s.delete_scan(id).error().kind, sdk::ErrorKind::invalid_input) << id;
    }
    EXPECT_EQ(s.poll_scan("0123456789abcdef").error().kind, sdk::ErrorKind::not_found);
}
