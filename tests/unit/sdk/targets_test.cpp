#include <gtest/gtest.h>

#include "scanorch/sdk/targets.h"

namespace t = scanorch::sdk::targets;

TEST(Targets, ParsesEveryForm) {
    auto list = t::parse_list(
        "192.0.2.10, 192.0.2.0/24\n198.51.100.1-198.51.100.20 203.0.113.5-9;2001:db8::/120,scanme.example.org");
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
    EXPECT_TRUE(
        t::contains(t::parse_target("::ffff:192.0.2.0/120").value(), t::parse_target("::ffff:192.0.2.9").value()));
    const auto host = t::parse_target("Scanme.Example.org").value();
    EXPECT_TRUE(t::contains(host, t::parse_target("scanme.example.org").value()));
    EXPECT_FALSE(t::contains(net, host));
    EXPECT_TRUE(t::covered_by({net, host}, t::parse_target("scanme.example.org").value()));
    EXPECT_TRUE(t::contains(t::parse_target("0.0.0.0/0").value(), t::parse_target("203.0.113.1").value()));
    EXPECT_EQ(t::parse_scope_entry("::/0")->count, UINT64_MAX);
    EXPECT_EQ(t::parse_target("2001:db8::/32")->count, UINT64_MAX);
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
    expect_error("2001:db8::1-2001:db8::9",
                 "target '2001:db8::1-2001:db8::9': IPv6 ranges are not supported; use a CIDR network");
    expect_error("2001:db8:::1", "target '2001:db8:::1': not a valid IPv6 address");
    expect_error("bad_host!", "target 'bad_host!': not an address, network, range or host name");
    expect_error("-lead.example", "target '-lead.example': not an address, network, range or host name");
    expect_error("192.0.2.01", "target '192.0.2.01': not a valid IPv4 address");
}

// ::ffff:a.b.c.d names the IPv4 host a.b.c.d: judged as that address, so an
// IPv6 scope does not let it through and an IPv4 scope covers it.
TEST(Targets, Ipv4MappedIpv6IsJudgedAsIpv4) {
    const auto mapped = t::parse_target("::ffff:192.0.2.9").value();
    EXPECT_FALSE(mapped.first.v6);
    EXPECT_EQ(mapped.text, "192.0.2.9") << "the scanner is given the address that was checked";
    EXPECT_TRUE(t::contains(t::parse_target("192.0.2.0/24").value(), mapped));
    EXPECT_FALSE(t::covered_by({t::parse_scope_entry("::/0").value()}, t::parse_target("::ffff:8.8.8.8").value()))
        << "an IPv6 scope must not admit an IPv4 host in disguise";
    EXPECT_FALSE(t::covered_by({t::parse_target("192.0.2.0/24").value()}, t::parse_target("::FFFF:c000:0301").value()))
        << "192.0.3.1 in hex groups";
    EXPECT_TRUE(
        t::covered_by({t::parse_target("192.0.2.0/24").value()}, t::parse_target("0:0:0:0:0:ffff:c000:0201").value()));
    const auto net = t::parse_target("::ffff:192.0.2.0/120").value();
    EXPECT_FALSE(net.first.v6);
    EXPECT_EQ(net.prefix, 24u);
    EXPECT_EQ(net.text, "192.0.2.0/24");
    // An IPv6 network around the mapped block would reach IPv4 hosts as IPv6
    // targets that an IPv6 scope (::/0) allows: refused as a target, while a
    // scope may still name it (it only allows, and never an IPv4 host).
    for (const char* around : {"::ffff:0:0/95", "::/80", "::a/80", "::/0", "::/2"}) {
        const auto refused = t::parse_target(around);
        ASSERT_FALSE(refused) << around;
        EXPECT_NE(refused.error().message.find("contains the IPv4-mapped addresses"), std::string::npos)
            << refused.error().message;
        EXPECT_TRUE(t::parse_scope_entry(around)) << around;
    }
    EXPECT_FALSE(t::parse_list("192.0.2.1, ::/80")) << "the whole list is refused";
    EXPECT_TRUE(t::parse_target("::/81")) << "::/81 ends before ::ffff:0:0";
    EXPECT_FALSE(t::parse_target("0:0:0:0:0:ffff::/96")->first.v6)
        << "the mapped block itself is all of IPv4, judged as IPv4";
    EXPECT_TRUE(t::parse_target("2001:db8::/32"));
    EXPECT_TRUE(t::parse_target("::1/128"));
    const auto range = t::parse_target("::ffff:192.0.2.1-9").value();
    EXPECT_EQ(range.count, 9u);
    EXPECT_TRUE(t::parse_target("2001:db8::1")->first.v6) << "other IPv6 addresses stay IPv6";
    EXPECT_EQ(t::to_string(t::parse_address("2001:db8:0:0:1:0:0:1").value()), "2001:db8::1:0:0:1");
    EXPECT_EQ(t::to_string(t::parse_address("::").value()), "::");
}

TEST(Targets, HostNameSuffixesMatchWithoutRegardToCase) {
    EXPECT_TRUE(t::in_domain("db1.lab.example.com", ".lab.example.com"));
    EXPECT_TRUE(t::in_domain("DB1.Lab.Example.COM", ".lab.example.com"));
    EXPECT_TRUE(t::in_domain("db1.lab.example.com", ".LAB.EXAMPLE.COM"));
    EXPECT_TRUE(t::in_domain("db1.lab.example.com", "lab.example.com")) << "the leading dot is implied";
    EXPECT_FALSE(t::in_domain("lab.example.com", ".lab.example.com")) << "the suffix itself is not below it";
    EXPECT_FALSE(t::in_domain("xlab.example.com", "lab.example.com")) << "a label boundary is required";
    EXPECT_FALSE(t::in_domain("db1.lab.example.com.evil.example", ".lab.example.com"));
    EXPECT_FALSE(t::in_domain("anything", ""));
    const auto domain = t::parse_scope_entry(".Lab.Example.com").value();
    EXPECT_EQ(domain.kind, t::Kind::domain);
    EXPECT_TRUE(t::contains(domain, t::parse_target("web.LAB.example.COM").value()));
    EXPECT_TRUE(t::contains(domain, t::parse_scope_entry(".x.lab.example.com").value()));
    EXPECT_FALSE(t::contains(domain, t::parse_target("192.0.2.1").value()));
    EXPECT_FALSE(t::contains(t::parse_target("0.0.0.0/0").value(), domain));
    EXPECT_FALSE(t::contains(t::parse_target("web.lab.example.com").value(), domain));
    EXPECT_FALSE(t::parse_target(".lab.example.com")) << "a suffix is a scope entry, never a target";
}

TEST(Targets, ScopeParsingReportsEveryBadEntry) {
    const auto s = t::parse_scope({"192.0.2.0/24", ".lab.example.com", "192.0.2.0/33", "*.corp.example", "bad_host!",
                                   "..x", " ", "::ffff:198.51.100.0/120"});
    ASSERT_EQ(s.entries.size(), 3u);
    EXPECT_FALSE(s.nothing);
    ASSERT_EQ(s.errors.size(), 5u);
    EXPECT_EQ(s.errors[0].index, 2u);
    EXPECT_EQ(s.errors[0].message, "scope entry '192.0.2.0/33': prefix must be 0..32");
    EXPECT_EQ(
        s.errors[1].message,
        "scope entry '*.corp.example': wildcards are not supported; write '.corp.example' for every host name below corp.example");
    EXPECT_EQ(s.errors[2].message, "scope entry 'bad_host!': not an address, network, range or host name");
    EXPECT_EQ(s.errors[3].message, "scope entry '..x': not a host-name suffix (.example.com)");
    EXPECT_EQ(s.errors[4].message, "scope entry '': empty");
    EXPECT_TRUE(s.allows(t::parse_target("198.51.100.7").value()));
    EXPECT_TRUE(s.allows(t::parse_target("Web.LAB.example.com").value()));
    EXPECT_FALSE(s.allows(t::parse_target("203.0.113.1").value()));

    const auto nothing = t::parse_scope({std::string(t::kNothingInScope)});
    EXPECT_TRUE(nothing.nothing);
    EXPECT_TRUE(nothing.errors.empty());
    EXPECT_FALSE(nothing.allows(t::parse_target("192.0.2.1").value()));
    EXPECT_FALSE(nothing.allows(t::parse_target(t::kNothingInScope).value()))
        << "the marker itself is not a target to allow";
    EXPECT_TRUE(t::is_nothing_scope({"NOTHING-IN-SCOPE.invalid"}));
    EXPECT_FALSE(t::is_nothing_scope({}));
}

TEST(Targets, LoopbackHostsAreLiteralsOrLocalhost) {
    for (const char* host : {"localhost", "LocalHost", "127.0.0.1", "127.255.0.9", "::1", "[::1]", "0:0::1",
                             "::ffff:127.0.0.1", "[::ffff:127.1.2.3]"}) {
        EXPECT_TRUE(t::is_loopback_host(host)) << host;
    }
    for (const char* host : {"",
                             "[]",
                             "127.attacker.example",
                             "127.0.0.1.attacker.example",
                             "localhost.example",
                             "128.0.0.1",
                             "192.0.2.1",
                             "::2",
                             "::ffff:192.0.2.1",
                             "[::1",
                             "::1]",
                             " 127.0.0.1",
                             "127.0.0.1 ",
                             "0.0.0.0",
                             "::",
                             "[127.0.0.1]",
                             "[localhost]",
                             "127.1",
                             "0177.0.0.1",
                             "::1%lo",
                             "localhost."}) {
        EXPECT_FALSE(t::is_loopback_host(host)) << "'" << host << "'";
    }
}
