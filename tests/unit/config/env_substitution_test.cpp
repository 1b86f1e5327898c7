#include <gtest/gtest.h>

#include "scanorch/framework/config/yaml_reader.h"
#include "test_env.h"

namespace sf = scanorch::framework;

TEST(EnvSubstitution, ReplacesVariablesAndDefaults) {
    const auto env = fake_env({{"USER_1", "admin"}, {"EMPTY", ""}});
    EXPECT_EQ(sf::substitute_env("${USER_1}", env), "admin");
    EXPECT_EQ(sf::substitute_env("u=${USER_1}, p=${PASS:-changeme}", env), "u=admin, p=changeme");
    EXPECT_EQ(sf::substitute_env("${EMPTY:-fallback}", env), "fallback");  // bash: empty counts as unset for :-
    EXPECT_EQ(sf::substitute_env("${EMPTY}", env), "");
    EXPECT_EQ(sf::substitute_env("${NONE:-}", env), "");
    EXPECT_EQ(sf::substitute_env("cost $$5 and $HOME", env), "cost $5 and $HOME");
    EXPECT_EQ(sf::substitute_env("${URL:-http://127.0.0.1:8834}", env), "http://127.0.0.1:8834");
}

TEST(EnvSubstitution, ExplainsWhatIsWrong) {
    const auto env = fake_env({});
    try {
        sf::substitute_env("${NESSUS_PASSWORD_1}", env);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(
            e.what(),
            "environment variable NESSUS_PASSWORD_1 is not set (write ${NESSUS_PASSWORD_1:-default} to give a default)");
    }
    EXPECT_THROW(sf::substitute_env("${UNCLOSED", env), std::invalid_argument);
    EXPECT_THROW(sf::substitute_env("${1BAD}", env), std::invalid_argument);
    EXPECT_THROW(sf::substitute_env("${}", env), std::invalid_argument);
}

TEST(Parsers, DurationsBooleansIntegers) {
    EXPECT_EQ(sf::parse_duration_seconds("90"), 90);
    EXPECT_EQ(sf::parse_duration_seconds("5m"), 300);
    EXPECT_EQ(sf::parse_duration_seconds("1h"), 3600);
    EXPECT_EQ(sf::parse_duration_seconds("2d"), 172800);
    EXPECT_FALSE(sf::parse_duration_seconds("5 minutes"));
    EXPECT_FALSE(sf::parse_duration_seconds("-1"));
    EXPECT_EQ(sf::parse_bool("Yes"), true);
    EXPECT_EQ(sf::parse_bool("off"), false);
    EXPECT_FALSE(sf::parse_bool("maybe"));
    EXPECT_EQ(sf::parse_int("-3"), -3);
    EXPECT_FALSE(sf::parse_int("3x"));
    EXPECT_FALSE(sf::parse_int(""));
}
