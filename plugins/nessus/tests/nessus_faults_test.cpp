// Every injected fault, and every way a request can fail, mapped to the
// SDK error kind the host's retry/circuit-breaker/DLQ logic decides on.
#include <Poco/Net/ServerSocket.h>

#include "harness.h"
#include "http_json.h"

using namespace harness;
using scanorch::testing::EmulatorProcess;

namespace {

std::vector<std::string> with(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--user", "admin:adminpw", "--scan-seconds", "0.3", "--export-seconds", "0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

sdk::Error create_error(const std::string& url, const std::string& password = "adminpw",
                        const std::string& options = R"({"timeout":2})") {
    auto p = load(config(url, "admin", password, options));
    EXPECT_TRUE(p.scanner) << p.error.message;
    if (!p.scanner) return p.error;
    auto r = p.scanner->create_scan(request("192.0.2.1"));
    EXPECT_FALSE(r) << "expected an error";
    return r ? sdk::Error{} : r.error();
}

#define EXPECT_KIND_AND_TEXT(err, expected_kind, text)                                   \
    do {                                                                                 \
        /* a copy: err may be a temporary Result's error() */                            \
        const auto e_ = (err); /* NOLINT(performance-unnecessary-copy-initialization) */ \
        EXPECT_EQ(e_.kind, sdk::ErrorKind::expected_kind) << e_.message;                 \
        EXPECT_NE(e_.message.find(text), std::string::npos) << e_.message;               \
        EXPECT_EQ(e_.message.rfind("scanner 'emu_1': ", 0), 0u) << e_.message;           \
    } while (0)

}  // namespace

TEST(NessusFaults, ServerErrorsAreTransient) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--fail-rate", "1"}));
    EXPECT_KIND_AND_TEXT(create_error(emu.url()), transient, "HTTP 500");
}

TEST(NessusFaults, DroppedConnectionsAreTransient) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--drop-rate", "1"}));
    EXPECT_EQ(create_error(emu.url()).kind, sdk::ErrorKind::transient);
}

TEST(NessusFaults, SlowAnswersTimeOutAsTransient) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--slow-ms", "2500"}));
    EXPECT_KIND_AND_TEXT(create_error(emu.url(), "adminpw", R"({"timeout":1})"), transient, "no answer within 1 s");
}

TEST(NessusFaults, ConnectionRefusedIsTransient) {
    int port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        port = probe.address().port();
    }  // closed again: nothing listens there now
    EXPECT_KIND_AND_TEXT(create_error("http://127.0.0.1:" + std::to_string(port)), transient, "connection refused");
}

TEST(NessusFaults, WrongScannerPasswordIsAuth) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({}));
    EXPECT_KIND_AND_TEXT(create_error(emu.url(), "wrong"), auth, "login as 'admin' rejected");
    auto p = load(config(emu.url(), "admin", "wrong"));
    auto h = p.scanner->health();
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->healthy);
    EXPECT_NE(h->message.find("rejected"), std::string::npos) << h->message;
}

// One login per session: the plugin keeps its session while Nessus accepts it
// and logs in again only once Nessus answers 401 for an expired one.
TEST(NessusFaults, ExpiredSessionsLogInAgain) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--session-ttl", "1.5"}));
    auto logins = [&] { return scanorch::testing::get_json(emu.port(), "/emulator/stats")->getValue<int>("logins"); };
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    auto first = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(first) << first.error().message;
    auto polled = p.scanner->poll_scan(*first);
    ASSERT_TRUE(polled) << polled.error().message;
    EXPECT_EQ(logins(), 1) << "creating and polling a scan within the session's life needs one login";
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // idle past the session's TTL
    auto second = p.scanner->poll_scan(*first);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->state, sdk::ScanState::created) << "created, never launched";
    EXPECT_EQ(logins(), 2) << "the expired session is replaced by exactly one new login";
    ASSERT_TRUE(p.scanner->poll_scan(*first));
    EXPECT_EQ(logins(), 2) << "the new session is kept";
}

TEST(NessusFaults, LicenceGateIsPermanentAndExplained) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--licence-gate"}));
    EXPECT_KIND_AND_TEXT(create_error(emu.url()), permanent, "does not allow scan control through the API");
    auto p = load(config(emu.url()));
    auto h = p.scanner->health();
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->healthy);
    EXPECT_FALSE(h->scan_api_allowed);
    EXPECT_NE(h->message.find("Nessus Professional"), std::string::npos) << h->message;
}

TEST(NessusFaults, WarmingUpServerIsNotHealthy) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--warmup-seconds", "30"}));
    auto p = load(config(emu.url()));
    auto h = p.scanner->health();
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->healthy);
    EXPECT_NE(h->message.find("'loading'"), std::string::npos) << h->message;
}

TEST(NessusFaults, AbortedScansAndSlowExports) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({"--abort-rate", "1", "--export-seconds", "1.5"}));
    auto p = load(config(emu.url(), "admin", "adminpw", R"({"export_poll_ms":100})"));
    std::string id;
    EXPECT_EQ(run_to_end(*p.scanner, request("192.0.2.1-4"), id), sdk::ScanState::aborted);
    TempDir dir;
    const auto t0 = std::chrono::steady_clock::now();
    auto exported = p.scanner->export_scan(id, (dir.path / "aborted.nessus").string());
    ASSERT_TRUE(exported) << exported.error().message;  // an aborted scan still exports what it found
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400)) << "the export did not wait";
}

TEST(NessusFaults, BadRequestsNameWhatWasWrong) {
    EmulatorProcess emu(NESSUS_EMULATOR, with({}));
    auto p = load(config(emu.url()));
    auto missing = p.scanner->poll_scan("999");
    ASSERT_FALSE(missing);
    EXPECT_KIND_AND_TEXT(missing.error(), not_found, "Scan does not exist.");
    EXPECT_KIND_AND_TEXT(p.scanner->poll_scan("../etc").error(), invalid_input, "is not a Nessus scan id");
    auto bad_targets = p.scanner->create_scan(request("not a target!"));
    ASSERT_FALSE(bad_targets);
    EXPECT_KIND_AND_TEXT(bad_targets.error(), invalid_input, "HTTP 400");

    auto wrong_template = load(config(emu.url(), "admin", "adminpw", R"({"untrusted_template":"nope"})"));
    EXPECT_KIND_AND_TEXT(wrong_template.scanner->create_scan(request("192.0.2.1")).error(), invalid_input,
                         "no scan template named 'nope' (available: advanced, basic,");

    std::string id;
    auto created = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(created);
    EXPECT_KIND_AND_TEXT(p.scanner->export_scan(*created, "/tmp/never.nessus").error(), permanent,
                         "Can not export running scans");
    EXPECT_FALSE(std::filesystem::exists("/tmp/never.nessus"));
}

TEST(NessusFaults, ConfigErrorsStopThePluginAtStart) {
    auto http_remote = load(config("http://203.0.113.5:8834"));
    EXPECT_FALSE(http_remote.scanner);
    EXPECT_NE(http_remote.error.message.find("plain http:// is accepted only for a loopback address"),
              std::string::npos)
        << http_remote.error.message;
    // A name that starts like a loopback address is still a name DNS resolves anywhere.
    for (const char* url : {"http://127.attacker.example:8834", "http://127.0.0.1.attacker.example:8834",
                            "http://localhost.attacker.example:8834"}) {
        auto named = load(config(url));
        EXPECT_FALSE(named.scanner) << url;
        EXPECT_NE(named.error.message.find("plain http:// is accepted only for a loopback address"), std::string::npos)
            << url << ": " << named.error.message;
    }
    auto no_creds = load(R"({"instance_id":"emu_1","url":"https://192.0.2.8:8834","credentials":{},"options":{}})");
    EXPECT_NE(no_creds.error.message.find("credentials need username/password or access_key/secret_key"),
              std::string::npos)
        << no_creds.error.message;
}
