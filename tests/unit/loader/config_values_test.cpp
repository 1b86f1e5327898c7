// A plugin's config as typed values: what the host builds from the config
// readers' JSON (ConfigValues) and what a plugin reads through sdk::Config,
// across the C table in between.
#include <gtest/gtest.h>

#include "scanorch/framework/plugins/config_values.h"
#include "scanorch/sdk/config.h"

namespace sdk = scanorch::sdk;
namespace sf = scanorch::framework;

namespace {

constexpr scanorch_config_field kTable[] = {
    sdk::ConfigKey{.name = "listen", .default_json = "\"127.0.0.1:8836\"", .description = "where"},
    sdk::ConfigKey{.name = "threads", .type = SCANORCH_CFG_INT, .default_json = "8"},
    sdk::ConfigKey{.name = "verbose", .type = SCANORCH_CFG_BOOL, .default_json = "false"},
    sdk::ConfigKey{.name = "ratio", .type = SCANORCH_CFG_DOUBLE, .default_json = "0.5"},
    sdk::ConfigKey{.name = "timeout", .type = SCANORCH_CFG_DURATION, .default_json = "30"},
    sdk::ConfigKey{.name = "hosts", .type = SCANORCH_CFG_STRING_LIST},
    sdk::ConfigKey{.name = "clients", .type = SCANORCH_CFG_OBJECT},
    sdk::ConfigKey{.name = "token", .type = SCANORCH_CFG_SECRET, .required = true},
};

sf::PluginInfo info(scanorch_plugin_kind kind = SCANORCH_KIND_FRONTEND) {
    sf::PluginInfo p;
    p.name = "typed";
    p.kind = kind;
    p.config = sf::ConfigValues::fields(kTable);
    return p;
}

sdk::Config config(const std::string& json, scanorch_plugin_kind kind = SCANORCH_KIND_FRONTEND) {
    auto c = sf::ConfigValues::config(info(kind), json);
    EXPECT_TRUE(c) << c.error().message;
    return c ? *c : sdk::Config{};
}

}  // namespace

TEST(ConfigKey, OmittedMembersMeanOptionalWithoutDefault) {
    const scanorch_config_field f = kTable[7];
    EXPECT_STREQ(f.name, "token");
    EXPECT_EQ(f.type, SCANORCH_CFG_SECRET);
    EXPECT_EQ(f.required, 1u);
    EXPECT_EQ(f.default_json, nullptr);
    const scanorch_config_field g = kTable[5];
    EXPECT_EQ(g.required, 0u);
    EXPECT_EQ(g.default_json, nullptr);
    EXPECT_STREQ(g.description, "");
}

TEST(Config, EveryTypeReadsAsDeclaredWithDefaultsFromTheTable) {
    const auto c = config(R"({"threads":16,"hosts":["a","b"],"clients":{"ops":{"token":"x"}},"token":"s3cret"})");
    EXPECT_EQ(c.string("listen"), "127.0.0.1:8836") << "the table's default";
    EXPECT_EQ(c.integer("threads"), 16);
    EXPECT_FALSE(c.boolean("verbose"));
    EXPECT_DOUBLE_EQ(c.number("ratio"), 0.5);
    EXPECT_DOUBLE_EQ(c.number("threads"), 16.0) << "an integer reads as a number too";
    EXPECT_EQ(c.duration("timeout"), std::chrono::seconds(30));
    EXPECT_EQ(c.strings("hosts"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(c.object_json("clients"), R"({"ops":{"token":"x"}})");
    EXPECT_EQ(c.string("token"), "s3cret") << "a secret reads as a string";
    EXPECT_TRUE(c.has("hosts"));
    EXPECT_NE(c.json().find("\"threads\":16"), std::string::npos) << c.json();
}

TEST(Config, AKeyWithoutValueIsAbsentAndARequiredReadSaysWhich) {
    const auto c = config(R"({"token":"t"})");
    EXPECT_FALSE(c.has("hosts"));
    EXPECT_EQ(c.find_strings("hosts"), std::nullopt);
    try {
        (void)c.strings("hosts");
        FAIL() << "no value and no default must throw";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("config key 'hosts' has no value and no default"), std::string::npos)
            << e.what();
    }
}

TEST(Config, ReadingAnotherTypeThanDeclaredIsABugThatNamesTheKey) {
    const auto c = config(R"({"token":"t"})");
    try {
        (void)c.integer("listen");
        FAIL() << "a string key read as an integer must throw";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("config key 'listen' is read as an integer"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW((void)c.find_boolean("threads"), sdk::ConfigError) << "find_*() does not hide a type mismatch";
    EXPECT_THROW((void)c.string("verbose"), sdk::ConfigError);
}

TEST(ConfigValues, RefusesAValueOfTheWrongTypeNamingTheKey) {
    auto c = sf::ConfigValues::config(info(), R"({"threads":"many","token":"t"})");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(c.error().message.find("config key 'threads' must be an integer, got \"many\""), std::string::npos)
        << c.error().message;
    auto not_object = sf::ConfigValues::config(info(), "[1,2]");
    ASSERT_FALSE(not_object);
    EXPECT_NE(not_object.error().message.find("not a JSON object"), std::string::npos) << not_object.error().message;
}

TEST(ConfigValues, AScannerGetsItsEntryAndCredentialsBesideItsOptions) {
    const auto c = config(R"({"instance_id":"nessus_1","url":"https://198.51.100.7:8834",)"
                          R"("credentials":{"username":"scan","password":"pw","access_key":"","secret_key":""},)"
                          R"("options":{"threads":2,"token":"t"}})",
                          SCANORCH_KIND_SCANNER);
    EXPECT_EQ(c.string("instance_id"), "nessus_1");
    EXPECT_EQ(c.string("url"), "https://198.51.100.7:8834");
    EXPECT_EQ(c.string("credentials.username"), "scan");
    EXPECT_EQ(c.string("credentials.password"), "pw");
    EXPECT_EQ(c.string("credentials.access_key"), "");
    EXPECT_EQ(c.integer("threads"), 2) << "declared options come from options";
    EXPECT_EQ(c.string("listen"), "127.0.0.1:8836") << "and take their defaults there";
    EXPECT_EQ(c.keys_with_prefix("credentials."),
              (std::vector<std::string>{"credentials.access_key", "credentials.password", "credentials.secret_key",
                                        "credentials.username"}));
}

TEST(ConfigValues, TheCTableStaysValidWhileTheValuesLive) {
    auto values = sf::ConfigValues::build(info(), R"({"hosts":["x","y","z"],"token":"t"})");
    ASSERT_TRUE(values) << values.error().message;
    const scanorch_config* table = values->c_config();
    ASSERT_EQ(table->struct_size, sizeof(scanorch_config));
    bool seen = false;
    for (std::size_t i = 0; i < table->value_count; ++i) {
        const auto& v = table->values[i];
        if (std::string(v.name) != "hosts") continue;
        seen = true;
        EXPECT_EQ(v.type, SCANORCH_CFG_STRING_LIST);
        ASSERT_EQ(v.item_count, 3u);
        EXPECT_STREQ(v.items[2], "z");
    }
    EXPECT_TRUE(seen);
    EXPECT_EQ(sdk::Config(table).strings("hosts"), (std::vector<std::string>{"x", "y", "z"}));
    EXPECT_EQ(sdk::Config(nullptr).json(), "{}");
}
