// Kept-alive connections to a scanner, counted on the server's side (the
// emulator's /emulator/stats reports the connections its HTTP server
// accepted and holds open): polls share one connection, a POST never rides
// on a kept one, idle connections are closed even when no request follows,
// and a kept connection the server closed is replaced without an error.
#include <thread>

#include "harness.h"
#include "http_json.h"

using namespace harness;
using scanorch::testing::EmulatorProcess;

namespace {

std::vector<std::string> emulator_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--user", "admin:adminpw", "--scan-seconds", "30"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

struct Counts {
    std::uint64_t accepted, open, requests;
};

// Each stats request is a connection (and a request) of its own, counted
// in every later reading; `open` leaves its own out.
Counts counts(const EmulatorProcess& emu) {
    const auto o = scanorch::testing::get_json(emu.port(), "/emulator/stats");
    return {o->getValue<std::uint64_t>("connections_accepted"), o->getValue<std::uint64_t>("connections_open") - 1,
            o->getValue<std::uint64_t>("requests_served")};
}

std::string options(const std::string& keep_alive) {
    return R"({"export_poll_ms":100,"timeout":5,"keep_alive":)" + keep_alive + "}";
}

// Until `done` holds or `seconds` pass.
template <typename Done>
bool eventually(Done done, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

}  // namespace

TEST(NessusConnections, PollsShareOneKeptConnection) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url(), "admin", "adminpw", options("30")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto id = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(id) << id.error().message;
    const auto before = counts(emu);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(p.scanner->poll_scan(*id));
    const auto after = counts(emu);
    EXPECT_EQ(after.requests - before.requests, 21u) << "20 polls and the stats request";
    EXPECT_EQ(after.accepted - before.accepted, 1u)
        << "no connection but the stats request's own: the polls rode on one kept from before";
    EXPECT_GE(after.open, 1u) << "a connection is kept between requests";
}

TEST(NessusConnections, KeepAliveZeroOpensAConnectionPerRequest) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url(), "admin", "adminpw", options("0")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto id = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(id) << id.error().message;
    const auto before = counts(emu);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.scanner->poll_scan(*id));
    const auto after = counts(emu);
    EXPECT_EQ(after.accepted - before.accepted, 6u) << "5 polls, then the stats request's own";
    EXPECT_TRUE(eventually([&] { return counts(emu).open == 0; }, 5)) << "nothing is kept open";
}

TEST(NessusConnections, APostAlwaysOpensANewConnection) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url(), "admin", "adminpw", options("30")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto first = p.scanner->create_scan(request("192.0.2.1"));  // logs in: two POSTs
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(p.scanner->poll_scan(*first));
    const auto before = counts(emu);
    ASSERT_GE(before.open, 1u) << "a kept connection is there to be (mis)used";
    auto second = p.scanner->create_scan(request("192.0.2.2"));
    ASSERT_TRUE(second) << second.error().message;
    ASSERT_TRUE(p.scanner->launch_scan(*second));
    const auto after = counts(emu);
    // POST /scans and POST /scans/{id}/launch, each on a connection of its
    // own (a kept one may have been closed by the server: a POST sent on it
    // could not be sent again, RFC 9110 9.2.2), and the stats request's.
    EXPECT_EQ(after.accepted - before.accepted, 3u);
}

TEST(NessusConnections, IdleConnectionsAreClosedWithoutAFurtherRequest) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url(), "admin", "adminpw", options("1")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto id = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(p.scanner->poll_scan(*id));
    EXPECT_GE(counts(emu).open, 1u) << "kept right after a request";
    // No request from the plugin from here on: the reaper closes them.
    EXPECT_TRUE(eventually([&] { return counts(emu).open == 0; }, 5))
        << "a server holding a thread per connection must not be kept busy by an idle client";
}

TEST(NessusConnections, AKeptConnectionTheServerClosedIsReplaced) {
    // The server closes idle connections after 1 s; the plugin would keep
    // them 30 s, so its next requests find them closed.
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args({"--keep-alive-seconds", "1"}));
    auto p = load(config(emu.url(), "admin", "adminpw", options("30")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto id = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(p.scanner->poll_scan(*id));
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(eventually([&] { return counts(emu).open == 0; }, 5)) << "the server closed its side";
        const auto before = counts(emu);
        auto polled = p.scanner->poll_scan(*id);  // a GET: sent again on a new connection
        ASSERT_TRUE(polled) << "round " << round << ": " << polled.error().message;
        auto other = p.scanner->create_scan(request("192.0.2.3"));  // a POST: on a new one from the start
        ASSERT_TRUE(other) << "round " << round << ": " << other.error().message;
        const auto after = counts(emu);
        EXPECT_EQ(after.requests - before.requests, 3u) << "the poll, the create and the stats request, once each";
    }
}

TEST(NessusConnections, OutOfRangeSettingsAreRefusedByName) {
    for (const auto& [opts, text] : std::vector<std::pair<std::string, std::string>>{
             {R"({"keep_alive":61})", "options.keep_alive must be 0 (a connection per request) to 60 s"},
             {R"({"max_idle_connections":0})", "options.max_idle_connections must be 1 to 64"},
             {R"({"max_idle_connections":65})", "options.max_idle_connections must be 1 to 64"}}) {
        auto p = load(config("http://127.0.0.1:9", "admin", "adminpw", opts));
        EXPECT_FALSE(p.scanner) << opts;
        EXPECT_NE(p.error.message.find(text), std::string::npos) << opts << ": " << p.error.message;
    }
}
