#include <gtest/gtest.h>

#include "scanorch/sdk/targets.h"

namespace t = scanorch::sdk::targets;

TEST(Targets, ParsesEveryForm) {
    auto list = t::parse_list("192.0.2.10, 192.0.2.0/24\n198.51.100.1-198.51.100.20 203.0.113.5-9;2001:db8::/120,scanme.example.org");
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 6u);
    EXPECT_EQ((*list)[0].kind, t::Kind::address);
    EXPECT_EQ((*list)[1].kind, t::Kind::network);
    EXPECT_EQ((*list)[1].count, 256u);
    EXPECT_EQ((*list)[2].count, 20u);
    EXPECT_EQ((*list)[3].count, 5u);
    EXPECT_EQ((*list)[4].count, 256u);
    EXPECT_EQ((*list)[5].kind, t::Kind::hostname);
    EXPECT_EQ(t::count(*list), 1u + 256 + 20 + 5 + 256 + 1);
}

TEST(Targets, ContainmentForScopesAndZones) {
    const auto net = t::parse_target("192.0.2.0/24").value();
    EXPECT_TRUE(t::contains(net, t::parse_target("192.0.2.77").value()));
    EXPECT_TRUE(t::contains(net, t::parse_target("192.0.2.10-20").value()));
    EXPECT_TRUE(t::contains(net, t::parse_target("192.0.2.128/25").value()));
    EXPECT_FALSE(t::contains(net, t::parse_target("192.0.2.250-192.0.3.4").value()));
    EXPECT_FALSE(t::contains(net, t::parse_target("192.0.0.0/16").value()));
    EXPECT_FALSE(t::contains(net, t::parse_target("2001:db8::1").value()));
    const auto v6 = t::parse_target("2001:db8::/32").value();
    EXPECT_TRUE(t::contains(v6, t::parse_target("2001:db8:ffff::1").value()));
    EXPECT_TRUE(t::contains(v6, t::parse_target("2001:0db8:0:0:0:0:0:5").value()));
    EXPECT_FALSE(t::contains(v6, t::parse_target("2001:db9::1").value()));
    EXPECT_TRUE(t::contains(t::parse_target("::ffff:192.0.2.0/120").value(), t::parse_target("::ffff:192.0.2.9").value()));
    const auto host = t::parse_target("Scanme.Example.org").value();
    EXPECT_TRUE(t::contains(host, t::parse_target("scanme.example.org").value()));
    EXPECT_FALSE(t::contains(net, host));
    EXPECT_TRUE(t::covered_by({net, host}, t::parse_target("scanme.example.org").value()));
    EXPECT_TRUE(t::contains(t::parse_target("0.0.0.0/0").value(), t::parse_target("203.0.113.1").value()));
    EXPECT_EQ(t::parse_target("::/0")->count, UINT64_MAX);
}

TEST(Targets, ErrorsNameTheItem) {
    auto expect_error = [](const char* list, const std::string& message) {
        auto r = t::parse_list(list);
        ASSERT_FALSE(r) << list;
        EXPECT_EQ(r.error().kind, scanorch::sdk::ErrorKind::invalid_input);
        EXPECT_EQ(r.error().message, message);
    };
    expect_error("", "no targets given");
    expect_error(" , ", "no targets given");
    expect_error("192.0.2.1, 192.0.2.300", "target '192.0.2.300': not a valid IPv4 address");
    expect_error("192.0.2.0/33", "target '192.0.2.0/33': prefix must be 0..32");
    expect_error("192.0.2.9-3", "target '192.0.2.9-3': range ends before it starts");
    expect_error("192.0.2.1-x", "target '192.0.2.1-x': range end is not an address or a last octet");
    expect_error("2001:db8::1-2001:db8::9", "target '2001:db8::1-2001:db8::9': IPv6 ranges are not supported; use a CIDR network");
    expect_error("2001:db8:::1", "target '2001:db8:::1': not a valid IPv6 address");
    expect_error("bad_host!", "target 'bad_host!': not an address, network, range or host name");
    expect_error("-lead.example", "target '-lead.example': not an address, network, range or host name");
    expect_error("192.0.2.01", "target '192.0.2.01': not a valid IPv4 address");
}
