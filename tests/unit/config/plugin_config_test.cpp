#include <gtest/gtest.h>

#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/config/plugin_config.h"
#include "test_env.h"

namespace sf = scanorch::framework;

namespace {

sf::PluginInfo redis_like() {
    sf::PluginInfo p;
    p.name = "redis-queue";
    p.kind = SCANORCH_KIND_QUEUE;
    p.config = {
        {"url", SCANORCH_CFG_STRING, true, std::nullopt, "Redis URL"},
        {"password", SCANORCH_CFG_SECRET, false, std::nullopt, "AUTH password"},
        {"key_prefix", SCANORCH_CFG_STRING, false, "\"nessus\"", "key prefix"},
        {"lease_seconds", SCANORCH_CFG_DURATION, false, "60", "lease"},
        {"pool_size", SCANORCH_CFG_INT, false, "4", "connections"},
        {"tls", SCANORCH_CFG_BOOL, false, "false", "TLS"},
        {"ratio", SCANORCH_CFG_DOUBLE, false, std::nullopt, "a ratio"},
        {"sentinels", SCANORCH_CFG_STRING_LIST, false, std::nullopt, "Sentinel addresses"},
        {"extra", SCANORCH_CFG_OBJECT, false, std::nullopt, "free-form"},
    };
    return p;
}

std::string build(const std::string& yaml, std::map<std::string, std::string> env = {},
                  const std::map<std::string, std::string>& overrides = {}, bool redacted = false) {
    const sf::YamlReader r("scanorch.yaml", fake_env(std::move(env)));
    const YAML::Node root = r.load_string(yaml);
    const auto out = sf::build_plugin_config(r, root["config"], "plugins.queue.config", redis_like(), overrides);
    return redacted ? out.redacted : out.json;
}

}  // namespace

TEST(PluginConfig, TypesValuesAndAppliesDefaults) {
    const auto json = build(R"(config:
  url: redis://127.0.0.1:6390
  password: ${REDIS_PASSWORD}
  lease_seconds: 2m
  pool_size: 8
  tls: yes
  ratio: 0.75
  sentinels: [127.0.0.1:26379, 127.0.0.2:26379]
  extra: {depth: 3, name: x, on: true}
)",
                            {{"REDIS_PASSWORD", "s3cret"}});
    EXPECT_EQ(
        json,
        R"({"extra":{"depth":3,"name":"x","on":true},"key_prefix":"nessus","lease_seconds":120,"password":"s3cret",)"
        R"("pool_size":8,"ratio":0.75,"sentinels":["127.0.0.1:26379","127.0.0.2:26379"],"tls":true,"url":"redis://127.0.0.1:6390"})");
}

TEST(PluginConfig, SecretsAreRedactedForLogs) {
    const auto json = build("config: {url: 'redis://h', password: hunter2}\n", {}, {}, true);
    EXPECT_EQ(json.find("hunter2"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("password":"***")"), std::string::npos) << json;
}

// The debug log of a plugin's config must not carry a bearer token from a
// free-form object (the http plugin's `clients`) nor a password in a URL.
TEST(PluginConfig, TokensInObjectsAndUrlPasswordsAreRedactedForLogs) {
    const auto json = build(
        "config:\n  url: 'redis://:hunter2@redis.example:6379/0'\n"
        "  sentinels: ['redis://user:pw-in-list@h:26379']\n"
        "  extra: {ops: {token: tok-0123456789abcdef, tools: [a]}, viewer: {Token: tok-fedcba9876543210},"
        " deep: [{api_key: k-123}], safe: keep-me}\n",
        {}, {}, true);
    for (const char* secret : {"hunter2", "pw-in-list", "tok-0123456789abcdef", "tok-fedcba9876543210", "k-123"}) {
        EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in " << json;
    }
    EXPECT_NE(json.find(R"("url":"redis://:***@redis.example:6379/0")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("token":"***")"), std::string::npos) << json;
    EXPECT_NE(json.find("keep-me"), std::string::npos) << "only secrets are hidden: " << json;
    EXPECT_NE(json.find(R"("tools":["a"])"), std::string::npos) << json;
    const auto plain = build("config: {url: 'redis://:hunter2@h:1'}\n");
    EXPECT_NE(plain.find("hunter2"), std::string::npos) << "the plugin itself still gets the password";
}

TEST(PluginConfig, EnvironmentOverridesApplyToDeclaredKeysOnly) {
    const auto json =
        build("config: {url: 'redis://file'}\n", {}, {{"url", "redis://env:6379"}, {"listen", "0.0.0.0:1"}});
    EXPECT_NE(json.find(R"("url":"redis://env:6379")"), std::string::npos) << json;
    EXPECT_EQ(json.find("listen"), std::string::npos) << json;
    // A list from one variable.
    const auto list = build("config: {url: x, sentinels: '${S}'}\n", {{"S", "a:1, b:2"}});
    EXPECT_NE(list.find(R"("sentinels":["a:1","b:2"])"), std::string::npos) << list;
}

TEST(PluginConfig, EveryErrorNamesFileLineAndKey) {
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  lease_secs: 5\n"),
                        "scanorch.yaml:3: plugins.queue.config.lease_secs: unknown key for plugin 'redis-queue' "
                        "(valid: url, password, key_prefix, lease_seconds, pool_size, tls, ratio, sentinels, extra)");
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  pool_size: many\n"),
                        "scanorch.yaml:3: plugins.queue.config.pool_size: expected an integer, got 'many'");
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  tls: sometimes\n"),
                        "scanorch.yaml:3: plugins.queue.config.tls: expected true or false, got 'sometimes'");
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  lease_seconds: 5 minutes\n"),
                        "scanorch.yaml:3: plugins.queue.config.lease_seconds: expected a duration (seconds, or 30s, "
                        "5m, 1h, 1d), got '5 minutes'");
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  ratio: 1.5x\n"),
                        "scanorch.yaml:3: plugins.queue.config.ratio: expected a number, got '1.5x'");
    EXPECT_CONFIG_ERROR(build("config:\n  url: x\n  extra: 5\n"),
                        "scanorch.yaml:3: plugins.queue.config.extra: expected a mapping");
    EXPECT_CONFIG_ERROR(build("config:\n  url: [a, b]\n"),
                        "scanorch.yaml:2: plugins.queue.config.url: expected a single string value");
    EXPECT_CONFIG_ERROR(build("config:\n  pool_size: 3\n"),
                        "scanorch.yaml:2: plugins.queue.config.url: is required by plugin 'redis-queue' (Redis URL)");
    EXPECT_CONFIG_ERROR(build("other: 1\n"),
                        "scanorch.yaml: plugins.queue.config.url: is required by plugin 'redis-queue' (Redis URL)");
    EXPECT_CONFIG_ERROR(build("config:\n  url: ${REDIS_HOST}\n"),
                        "scanorch.yaml:2: plugins.queue.config.url: environment variable REDIS_HOST is not set "
                        "(write ${REDIS_HOST:-default} to give a default)");
    EXPECT_CONFIG_ERROR(build("config: {url: x}\n", {}, {{"pool_size", "lots"}}),
                        "environment: plugins.queue.config.pool_size: expected an integer, got 'lots'");
}

TEST(PluginConfig, ScannerEntriesCarryUrlCredentialsAndCheckedOptions) {
    const auto scanners = sf::parse_scanners_config(R"(scanners:
  - instance_id: s1
    scanner_type: nessus
    url: https://127.0.0.1:8834
    credentials: {username: admin, password: pw}
    options: {timeout: 30}
)",
                                                    "scanners.yaml", fake_env({}));
    sf::PluginInfo nessus;
    nessus.name = "nessus";
    nessus.config = {{"timeout", SCANORCH_CFG_DURATION, false, "60", "request timeout"},
                     {"ca_file", SCANORCH_CFG_STRING, false, std::nullopt, "CA"}};
    const auto cfg = sf::scanner_plugin_config(scanners, scanners.scanners[0], nessus, fake_env({}));
    EXPECT_EQ(cfg.json, R"({"credentials":{"access_key":"","password":"pw","secret_key":"","username":"admin"},)"
                        R"("instance_id":"s1","options":{"timeout":30},"url":"https://127.0.0.1:8834"})");
    EXPECT_EQ(cfg.redacted.find("\"pw\""), std::string::npos);

    auto bad = sf::parse_scanners_config(
        "scanners:\n  - {instance_id: s1, scanner_type: nessus, url: 'http://x', options: {verify: no}}\n",
        "scanners.yaml", fake_env({}));
    EXPECT_CONFIG_ERROR(sf::scanner_plugin_config(bad, bad.scanners[0], nessus, fake_env({})),
                        "scanners.yaml:2: scanners[0].options.verify: unknown key for plugin 'nessus' (valid: "
                        "timeout, ca_file)");
}

// A plugin names the key it refuses first; the host adds where it is.
TEST(PluginConfig, APluginsConfigErrorIsPlacedAtItsKey) {
    const auto config = YAML::Load(
        "listen: 127.0.0.1:0\n"
        "clients:\n"
        "  soc:\n"
        "    token: short\n"
        "    scope:\n"
        "      - 192.0.2.0/24\n"
        "      - 192.0.2.0/33\n");
    const std::string file = "/etc/scanorch/scanorch.yaml";
    const std::string at = "plugins.frontend.config";
    EXPECT_EQ(sf::locate_config_error(file, config, at, "clients.soc.scope[1]: prefix must be 0..32"),
              "/etc/scanorch/scanorch.yaml:7: plugins.frontend.config.clients.soc.scope[1]: prefix must be 0..32");
    EXPECT_EQ(
        sf::locate_config_error(file, config, at, "clients.soc.token must be at least 16 characters"),
        "/etc/scanorch/scanorch.yaml:4: plugins.frontend.config.clients.soc.token must be at least 16 characters");
    EXPECT_EQ(sf::locate_config_error(file, config, at, "listen: not HOST:PORT"),
              "/etc/scanorch/scanorch.yaml:1: plugins.frontend.config.listen: not HOST:PORT");
    // A key whose value is a block, or empty, is placed at the key itself.
    EXPECT_EQ(sf::locate_config_error(file, config, at, "clients.soc: must be a mapping"),
              "/etc/scanorch/scanorch.yaml:3: plugins.frontend.config.clients.soc: must be a mapping");
    EXPECT_EQ(sf::locate_config_error(file, config, at, "clients.soc.scope: bad"),
              "/etc/scanorch/scanorch.yaml:5: plugins.frontend.config.clients.soc.scope: bad");
    const auto empty = YAML::Load("a: 1\nclients:\n  soc:\n    token:\n    tools: [x]\n");
    EXPECT_EQ(sf::locate_config_error(file, empty, at, "clients.soc.token must be set"),
              "/etc/scanorch/scanorch.yaml:4: plugins.frontend.config.clients.soc.token must be set");
    // Nothing to place: the message stays the plugin's own.
    for (const char* unplaced :
         {"clients.ops.token must be set", "clients.soc.scope[9]: no", "clients.soc.scope[x]: no",
          "tls_cert and tls_key go together", "config: JSON error", ": x", "listen"}) {
        EXPECT_EQ(sf::locate_config_error(file, config, at, unplaced), std::nullopt) << unplaced;
    }
    EXPECT_EQ(sf::locate_config_error("", config, at, "listen: x"), std::nullopt) << "no file: nothing to name";
    EXPECT_EQ(sf::locate_config_error(file, YAML::Node(), at, "listen: x"), std::nullopt);
    EXPECT_EQ(config["clients"]["soc"]["scope"].size(), 2u) << "looking a path up leaves the tree as it was";
}
