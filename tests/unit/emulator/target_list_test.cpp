// The emulator carries its own copy of the SDK's target-list rules so that it
// builds without scanorch; these tests hold the copy to the SDK: the same
// lists accepted, the same messages for the rest, the same number of hosts.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "scanorch/sdk/targets.h"
#include "target_list.h"

namespace em = scanorch::emulator;
namespace sdk = scanorch::sdk::targets;

namespace {

constexpr std::uint32_t kMaxHosts = 4096;

std::vector<std::string> lists() {
    std::set<std::string> out = {
        "192.0.2.10, 192.0.2.0/24\n198.51.100.1-198.51.100.20 203.0.113.5-9;2001:db8::/120,scanme.example.org",
        "192.0.2.0/33",
        "192.0.2.5-1",
        "::/0",
        "::/80",
        "::ffff:0:0/96",
        "::ffff:192.0.2.0/120",
        "::ffff:192.0.2.1",
        "::ffff:192.0.2.0/95",
        "010.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "ho st",
        "bad!name",
        "-a.example",
        "a..b",
        "a.example.",
        "2001:db8::1-2001:db8::2",
        "192.0.2.1-2001:db8::2",
        "192.0.2.1-x",
        "192.0.2.1-256",
        "fe80::zz",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        " , ; ",
        "",
        "192.0.2.0/8",
        "0.0.0.0/0",
        "192.0.2.0/20",
        "2001:db8::/116",
        "192.0.2.255-192.0.3.1",
        "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
        "host_a.example",
        std::string(64, 'x') + ".example",
        std::string(300, 'a'),
        "192.0.2.1/",
        "/24",
    };
    // Random joins of the fuzz dictionary's pieces, with a fixed seed.
    const std::vector<std::string> atoms = {
        "192.0.2.", "198.51.100.", "::", "::ffff:", "2001:db8::", "/",           "/24", "/32", "/120", "/128", "-",
        ",",        ";",           " ",  "\n",      "0",          "1",           "9",   "10",  "255",  "256",  "00",
        ".",        ":",           "a",  "FF",      "ffff",       "example.com", "_",   "/0",  "/96",  "/97"};
    std::mt19937 rng(5);
    for (int i = 0; i < 3000; ++i) {
        std::string s;
        const int n = 1 + static_cast<int>(rng() % 6);
        for (int k = 0; k < n; ++k) s += atoms[rng() % atoms.size()];
        out.insert(s);
    }
    return {out.begin(), out.end()};
}

}  // namespace

TEST(EmulatorTargetList, AcceptsAndRefusesAsTheSdkDoes) {
    int accepted = 0;
    for (const auto& text : lists()) {
        std::vector<std::string> hosts;
        std::string error;
        const bool ok = em::expand_targets(text, kMaxHosts, hosts, error);
        const auto parsed = sdk::parse_list(text);
        std::string sdk_error;
        if (!parsed) {
            sdk_error = parsed.error().message;
        } else if (sdk::count(*parsed) > kMaxHosts) {
            sdk_error = "target list expands to more than " + std::to_string(kMaxHosts) + " hosts";
        }
        EXPECT_EQ(ok, sdk_error.empty()) << "'" << text << "': emulator '" << error << "', SDK '" << sdk_error << "'";
        if (!ok) {
            EXPECT_EQ(error, sdk_error) << "'" << text << "'";
            continue;
        }
        ++accepted;
        EXPECT_EQ(hosts.size(), sdk::count(*parsed)) << "'" << text << "'";
        for (const auto& h : hosts) {
            if (!em::parse_address(h)) continue;  // a host name
            EXPECT_TRUE(sdk::parse_address(h)) << "'" << text << "' gave '" << h << "', not an address";
        }
    }
    EXPECT_GT(accepted, 100) << "too few accepted lists to compare expansions";
}

TEST(EmulatorTargetList, ExpandsToTheHostsAScanReports) {
    std::vector<std::string> hosts;
    std::string error;
    ASSERT_TRUE(em::expand_targets("192.0.2.254/31, 198.51.100.9-10;host.example ::ffff:203.0.113.7 2001:db8::fe/127",
                                   kMaxHosts, hosts, error))
        << error;
    EXPECT_EQ(hosts,
              (std::vector<std::string>{"192.0.2.254", "192.0.2.255", "198.51.100.9", "198.51.100.10", "host.example",
                                        "203.0.113.7", "2001:db8:0:0:0:0:0:fe", "2001:db8:0:0:0:0:0:ff"}));
}

TEST(EmulatorTargetList, ParsesAddressesAsTheSdkDoes) {
    for (const char* text : {"192.0.2.1", " 192.0.2.1 ", "::1", "::ffff:192.0.2.1", "2001:DB8::1", "1.2.3", "01.2.3.4",
                             "1::2::3", "host.example", ""}) {
        const auto ours = em::parse_address(text);
        const auto theirs = sdk::parse_address(text);
        ASSERT_EQ(ours.has_value(), theirs.has_value()) << text;
        if (ours) {
            EXPECT_EQ(ours->v6, theirs->v6) << text;
            EXPECT_EQ(ours->bytes, theirs->bytes) << text;
        }
    }
}
