// The command line: targets as separate, validated arguments after the
// flags; IPv4 ranges as exact CIDR blocks; no shell anywhere.
#include <gtest/gtest.h>

#include "nmap_command.h"

namespace nm = scanorch::nmap;

namespace {

std::vector<std::string> args_of(const std::string& targets) {
    auto t = nm::nmap_targets(targets);
    EXPECT_TRUE(t) << targets << ": " << (t ? "" : t.error().message);
    return t ? t->args : std::vector<std::string>{};
}

}  // namespace

TEST(NmapCommand, TargetsBecomeOneArgumentEach) {
    EXPECT_EQ(args_of("127.0.0.1"), (std::vector<std::string>{"127.0.0.1"}));
    EXPECT_EQ(args_of("127.0.0.1, 192.0.2.0/28 scanme.example.org"),
              (std::vector<std::string>{"127.0.0.1", "192.0.2.0/28", "scanme.example.org"}));
}

TEST(NmapCommand, RangesBecomeTheCidrBlocksThatCoverExactlyThem) {
    EXPECT_EQ(args_of("192.0.2.10-13"), (std::vector<std::string>{"192.0.2.10/31", "192.0.2.12/31"}));
    EXPECT_EQ(args_of("192.0.2.0-192.0.2.255"), (std::vector<std::string>{"192.0.2.0/24"}));
    // Across a network boundary: aligned blocks that add up to the range.
    std::uint64_t covered = 0;
    for (const auto& block : args_of("192.0.2.7-192.0.3.9"))
        covered += std::uint64_t{1} << (32 - std::stoi(block.substr(block.find('/') + 1)));
    EXPECT_EQ(covered, 256u - 7u + 10u);
    EXPECT_EQ(args_of("203.0.113.5-5"), (std::vector<std::string>{"203.0.113.5/32"}));
}

TEST(NmapCommand, RefusesWhatNmapMustNotBeGiven) {
    for (const char* bad : {"", "-oN /etc/passwd", "--script=x", "127.0.0.1&&reboot", "$(id)", "a b c|d",
                            "*.example.org", "192.0.2.0/33", "192.0.2.9-1"}) {
        auto t = nm::nmap_targets(bad);
        EXPECT_FALSE(t) << "'" << bad << "' was accepted as " << (t && !t->args.empty() ? t->args[0] : "");
        if (!t) {
            EXPECT_EQ(t.error().kind, scanorch::sdk::ErrorKind::invalid_input);
        }
    }
    auto mixed = nm::nmap_targets("127.0.0.1, ::1");
    ASSERT_FALSE(mixed);
    EXPECT_NE(mixed.error().message.find("mix IPv4 and IPv6"), std::string::npos);
    auto v6 = nm::nmap_targets("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->needs_ipv6);
}

TEST(NmapCommand, ArgvHasTheOptionsThenTheOutputThenTheTargets) {
    nm::NmapOptions o;
    o.nmap_path = "/usr/bin/nmap";
    o.ports = "22,80";
    o.timing = 4;
    o.host_discovery = false;
    o.extra_args = {"--reason"};
    o.host_timeout_seconds = 30;
    auto t = nm::nmap_targets("127.0.0.1");
    ASSERT_TRUE(t);
    EXPECT_EQ(
        nm::nmap_argv(o, *t, "/data/scan.xml"),
        (std::vector<std::string>{"/usr/bin/nmap", "-sT", "-sV", "-T4", "-p", "22,80", "-Pn", "-n", "--host-timeout",
                                  "30s", "--reason", "--stats-every", "2s", "-oX", "/data/scan.xml", "127.0.0.1"}));
    o.tcp_scan = nm::TcpScan::syn;
    o.host_discovery = true;
    o.resolve_names = true;
    o.ports.clear();
    o.extra_args.clear();
    o.host_timeout_seconds = 0;
    EXPECT_EQ(nm::nmap_argv(o, *t, "x.xml"),
              (std::vector<std::string>{"/usr/bin/nmap", "-sS", "-sV", "-T4", "--stats-every", "2s", "-oX", "x.xml",
                                        "127.0.0.1"}));
}
