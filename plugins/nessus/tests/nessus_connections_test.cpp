// Kept-alive connections to a scanner, counted on the server's side (the
// emulator's /emulator/stats reports the connections its HTTP server
// accepted and holds open): polls share one connection, a POST rides only on
// one idle for under a second and is never sent twice, idle connections are
// closed even when no request follows, and a kept connection the server
// closed is replaced without an error.
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
    std::uint64_t accepted, open, requests, creates;
};

// Each stats request is a connection (and a request) of its own, counted
// in every later reading; `open` leaves its own out.
Counts counts(const EmulatorProcess& emu) {
    const auto o = scanorch::testing::get_json(emu.port(), "/emulator/stats");
    return {o->getValue<std::uint64_t>("connections_accepted"), o->getValue<std::uint64_t>("connections_open") - 1,
            o->getValue<std::uint64_t>("requests_served"), o->getValue<std::uint64_t>("creates_received")};
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

TEST(NessusConnections, APostRidesOnAConnectionIdleForUnderASecondOnly) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args());
    auto p = load(config(emu.url(), "admin", "adminpw", options("30")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto first = p.scanner->create_scan(request("192.0.2.1"));  // logs in: two POSTs
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(p.scanner->poll_scan(*first));
    auto before = counts(emu);
    ASSERT_GE(before.open, 1u) << "a kept connection is there to be used";
    auto second = p.scanner->create_scan(request("192.0.2.2"));
    ASSERT_TRUE(second) << second.error().message;
    ASSERT_TRUE(p.scanner->launch_scan(*second));
    auto after = counts(emu);
    EXPECT_EQ(after.accepted - before.accepted, 1u)
        << "POST /scans and its launch rode on the connection just used; only the stats request opened one";

    // Idle for over a second, a kept connection may be about to be closed
    // by a server with a short keep-alive: a POST sent on it then could not
    // be sent again (RFC 9110 9.2.2), so it opens a new one. The launch
    // right after it rides on that one.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    before = counts(emu);
    auto third = p.scanner->create_scan(request("192.0.2.3"));
    ASSERT_TRUE(third) << third.error().message;
    ASSERT_TRUE(p.scanner->launch_scan(*third));
    after = counts(emu);
    EXPECT_EQ(after.accepted - before.accepted, 2u) << "POST /scans on a new connection, and the stats request";
    EXPECT_EQ(after.creates - before.creates, 1u);
}

TEST(NessusConnections, APostDoesNotRideOnAConnectionTheServerHasClosed) {
    // The server closes idle connections after 0.2 s, well inside the
    // second a POST may ride on a kept one: the plugin must see that the
    // server closed it (its socket is readable) rather than send on it.
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args({"--keep-alive-seconds", "0.2"}));
    auto p = load(config(emu.url(), "admin", "adminpw", options("30")));
    ASSERT_TRUE(p.scanner) << p.error.message;
    for (int round = 0; round < 3; ++round) {
        auto id = p.scanner->create_scan(request("192.0.2.1"));
        ASSERT_TRUE(id) << "round " << round << ": " << id.error().message;
        ASSERT_TRUE(p.scanner->poll_scan(*id));
        const auto polled_at = std::chrono::steady_clock::now();
        ASSERT_TRUE(eventually([&] { return counts(emu).open == 0; }, 0.6)) << "the server closed its side";
        const auto before = counts(emu);
        // Only a POST within a second of the poll may take its connection;
        // later, it would open a new one without the check this is about.
        ASSERT_LT(std::chrono::steady_clock::now() - polled_at, std::chrono::milliseconds(900));
        auto launched = p.scanner->launch_scan(*id);
        ASSERT_TRUE(launched) << "round " << round << ": " << launched.error().message;
        const auto after = counts(emu);
        EXPECT_EQ(after.requests - before.requests, 2u) << "the launch, sent once, and the stats request";
    }
}

// A plugin holding a kept connection (from a create and a poll), and a
// server that from then on closes every connection on the request it
// reads, without an answer: the server may or may not have acted on it, and
// the kept connection looks open until a request is sent on it.
class NessusConnectionsDropped : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(p_.scanner) << p_.error.message;
        auto id = p_.scanner->create_scan(request("192.0.2.1"));
        ASSERT_TRUE(id) << id.error().message;
        id_ = *id;
        ASSERT_TRUE(p_.scanner->poll_scan(id_));
        scanorch::testing::call_json(emu_.port(), "PUT", "/emulator/faults", R"({"drop_rate":1})");
    }

    EmulatorProcess emu_{NESSUS_EMULATOR, emulator_args()};
    Plugin p_ = load(config(emu_.url(), "admin", "adminpw", options("30")));
    std::string id_;
};

TEST_F(NessusConnectionsDropped, APostThatFailsOnAKeptConnectionIsNotSentAgain) {
    const auto before = counts(emu_);
    ASSERT_GE(before.open, 1u) << "the POST rides on the kept connection";
    auto again = p_.scanner->create_scan(request("192.0.2.2"));
    ASSERT_FALSE(again) << "a connection closed unanswered is the POST's failure";
    EXPECT_EQ(again.error().kind, scanorch::sdk::ErrorKind::transient);
    const auto after = counts(emu_);
    EXPECT_EQ(after.creates - before.creates, 1u) << "POST /scans was sent once, not again on a new connection";
    EXPECT_EQ(after.accepted - before.accepted, 1u) << "no connection but the stats request's own";
}

TEST_F(NessusConnectionsDropped, AGetThatFailsOnAKeptConnectionIsSentOnceMoreOnANewOne) {
    const auto before = counts(emu_);
    auto polled = p_.scanner->poll_scan(id_);
    ASSERT_FALSE(polled) << "both connections were closed unanswered";
    EXPECT_EQ(polled.error().kind, scanorch::sdk::ErrorKind::transient);
    const auto after = counts(emu_);
    EXPECT_EQ(after.requests - before.requests, 3u)
        << "the poll on the kept connection, once more on a new one (a GET may be sent twice), and the stats request";
    EXPECT_EQ(after.accepted - before.accepted, 2u) << "the second attempt's connection and the stats request's";
}

TEST(NessusConnections, APostSlowerThanTheTimeoutOnAKeptConnectionIsNotSentAgain) {
    // POST /scans answers after 2 s; the plugin waits 1 s.
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args({"--create-seconds", "2"}));
    auto p = load(config(emu.url(), "admin", "adminpw", R"({"export_poll_ms":100,"timeout":1,"keep_alive":30})"));
    ASSERT_TRUE(p.scanner) << p.error.message;
    (void)p.scanner->poll_scan("999");  // logs in, and a 404 read in full keeps its connection
    const auto before = counts(emu);
    ASSERT_GE(before.open, 1u) << "the POST rides on the kept connection";
    auto slow = p.scanner->create_scan(request("192.0.2.1"));
    ASSERT_FALSE(slow) << "no answer within the timeout";
    EXPECT_EQ(slow.error().kind, scanorch::sdk::ErrorKind::transient);
    EXPECT_NE(slow.error().message.find("no answer within 1 s"), std::string::npos) << slow.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the server finishes what it received
    const auto after = counts(emu);
    EXPECT_EQ(after.creates - before.creates, 1u) << "a POST that timed out was sent again";
    EXPECT_EQ(after.accepted - before.accepted, 1u)
        << "the POST rode on the kept connection; the stats request opened one";
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
        // The kept connection is seen closed before anything is sent on it:
        // the GET goes on a new one, and the POST right after rides on that.
        auto polled = p.scanner->poll_scan(*id);
        ASSERT_TRUE(polled) << "round " << round << ": " << polled.error().message;
        auto other = p.scanner->create_scan(request("192.0.2.3"));
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
