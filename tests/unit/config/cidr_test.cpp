#include <gtest/gtest.h>

#include "scanorch/framework/net/cidr.h"

namespace sf = scanorch::framework;

TEST(Cidr, ParsesAndContains) {
    const auto net = sf::Cidr::parse("192.0.2.77/24");
    ASSERT_TRUE(net);
    EXPECT_EQ(net->str(), "192.0.2.0/24");
    EXPECT_TRUE(net->contains(*sf::IpAddress::parse("192.0.2.1")));
    EXPECT_FALSE(net->contains(*sf::IpAddress::parse("192.0.3.1")));
    EXPECT_TRUE(net->contains(*sf::Cidr::parse("192.0.2.128/25")));
    EXPECT_FALSE(net->contains(*sf::Cidr::parse("192.0.0.0/16")));
    EXPECT_EQ(sf::Cidr::parse("203.0.113.9")->prefix, 32u);

    const auto v6 = sf::Cidr::parse("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*sf::IpAddress::parse("2001:db8::1")));
    EXPECT_FALSE(v6->contains(*sf::IpAddress::parse("192.0.2.1")));
    EXPECT_TRUE(sf::Cidr::parse("0.0.0.0/0")->contains(*sf::IpAddress::parse("198.51.100.1")));
    EXPECT_TRUE(sf::Cidr::parse("198.18.0.0/15")->contains(*sf::Cidr::parse("198.19.0.0/16")));
}

TEST(Cidr, RefusesNonsense) {
    for (const char* bad : {"", "192.0.2.0/", "192.0.2.0/33", "300.1.1.1", "host.example", "192.0.2.0/x", "::/129"}) {
        EXPECT_FALSE(sf::Cidr::parse(bad)) << bad;
    }
}
