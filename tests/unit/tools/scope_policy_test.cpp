#include <gtest/gtest.h>

#include "scanorch/framework/tools/scope_policy.h"

namespace sf = scanorch::framework;

TEST(ScopePolicy, EveryEntryMustParseAndSuffixesMatchWithoutCase) {
    auto bad = sf::ScopePolicy::parse({"192.0.2.0/24", "192.0.2.0/33"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("192.0.2.0/33"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(sf::ScopePolicy::parse({"."}));

    auto p = sf::ScopePolicy::parse({"192.0.2.0/24", ".lab.example.com"});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(p->check("192.0.2.7, Host1.LAB.example.com"));
    EXPECT_FALSE(p->check("198.51.100.1"));
    EXPECT_FALSE(p->check("lab.example.com")) << "a suffix matches names below it, not itself";
    EXPECT_FALSE(p->check("evil-lab.example.com"));

    auto none = sf::ScopePolicy::parse({});
    ASSERT_TRUE(none);
    auto refused = none->check("192.0.2.1");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("no target scope is configured"), std::string::npos);
}
