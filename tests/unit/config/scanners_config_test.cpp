#include <gtest/gtest.h>

#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/config/scanners_config.h"
#include "test_env.h"

namespace sf = scanorch::framework;

namespace {
sf::ScannersConfig parse(const std::string& text, std::map<std::string, std::string> env = {}) {
    return sf::parse_scanners_config(text, "scanners.yaml", fake_env(std::move(env)));
}
}  // namespace

TEST(ScannersConfig, ReadsTheDesignDocumentsExample) {
    const auto c = parse(R"(# Scanner Pool Configuration
scanners:
  - instance_id: "nessus_prod_1"
    scanner_type: "nessus"
    url: "https://nessus1.corp.local:8834"
    max_concurrent_scans: 2  # Max 2 scans at once
    credentials:
      username: "${NESSUS_USERNAME_1}"  # From environment
      password: "${NESSUS_PASSWORD_1}"
    enabled: true

  - instance_id: "nessus_prod_2"
    scanner_type: "nessus"
    url: "https://nessus2.corp.local:8834"
    max_concurrent_scans: 3
    credentials:
      username: "${NESSUS_USERNAME_2}"
      password: "${NESSUS_PASSWORD_2}"
    enabled: true

  - instance_id: "nessus_dev"
    scanner_type: "nessus"
    url: "https://localhost:8834"
    max_concurrent_scans: 1
    credentials:
      username: "${NESSUS_USERNAME_DEV:-dev_user}"
      password: "${NESSUS_PASSWORD_DEV:-DevPass!}"
    enabled: false
)",
                         {{"NESSUS_USERNAME_1", "admin"},
                          {"NESSUS_PASSWORD_1", "SecurePass123!"},
                          {"NESSUS_USERNAME_2", "admin"},
                          {"NESSUS_PASSWORD_2", "AnotherSecurePass!"}});
    ASSERT_EQ(c.scanners.size(), 3u);
    EXPECT_EQ(c.scanners[0].instance_id, "nessus_prod_1");
    EXPECT_EQ(c.scanners[0].credentials.username, "admin");
    EXPECT_EQ(c.scanners[0].credentials.password, "SecurePass123!");
    EXPECT_EQ(c.scanners[1].max_concurrent_scans, 3u);
    EXPECT_EQ(c.scanners[2].credentials.password, "DevPass!");
    EXPECT_FALSE(c.scanners[2].enabled);
    EXPECT_EQ(c.scanners[0].line, 3);
    ASSERT_EQ(c.enabled().size(), 2u);
    EXPECT_EQ(c.find("nessus_prod_2")->url, "https://nessus2.corp.local:8834");
    EXPECT_EQ(c.find("nope"), nullptr);
}

TEST(ScannersConfig, AppliesDefaultsAndReadsPoolsZonesAndOptions) {
    const auto c = parse(R"(scanners:
  - instance_id: local
    scanner_type: nessus
    url: http://127.0.0.1:8834
    max_concurrent_scans: ${MAX:-4}
    zones: [192.0.2.0/24, "198.51.100.7"]
    pool: lab
    options: {verify_tls: false}
  - {instance_id: other, scanner_type: nessus, url: "https://203.0.113.5:8834"}
)");
    const auto& a = c.scanners[0];
    EXPECT_EQ(a.max_concurrent_scans, 4u);
    EXPECT_EQ(a.pool, "lab");
    EXPECT_EQ(a.zones, (std::vector<std::string>{"192.0.2.0/24", "198.51.100.7"}));
    EXPECT_TRUE(a.options.IsMap());
    const auto& b = c.scanners[1];
    EXPECT_EQ(b.max_concurrent_scans, 2u);  // the design's default
    EXPECT_TRUE(b.enabled);
    EXPECT_EQ(b.pool, "default");
    EXPECT_TRUE(b.zones.empty());
    EXPECT_EQ(b.validator, "") << "no key: plugins.validator serves it";
}

TEST(ScannersConfig, EachScannerMayNameItsOwnValidator) {
    // A pool of scanner types that export different formats.
    const auto c = parse(R"(scanners:
  - {instance_id: n, scanner_type: nessus, url: "https://203.0.113.5:8834"}
  - {instance_id: m, scanner_type: nmap, url: "http://localhost", validator: nmap-validator}
  - {instance_id: o, scanner_type: other, url: "http://localhost", validator: none}
)");
    EXPECT_EQ(c.scanners[0].validator, "");
    EXPECT_EQ(c.scanners[1].validator, "nmap-validator");
    EXPECT_EQ(c.scanners[2].validator, "none");
}

TEST(ScannersConfig, EveryErrorNamesFileLineAndKey) {
    const std::string head =
        "scanners:\n  - instance_id: a\n    scanner_type: nessus\n    url: http://127.0.0.1:8834\n";
    EXPECT_CONFIG_ERROR(
        parse(head + "    max_concurent_scans: 3\n"),
        "scanners.yaml:5: scanners[0].max_concurent_scans: unknown key (valid: instance_id, "
        "scanner_type, url, max_concurrent_scans, credentials, enabled, pool, zones, options, validator)");
    EXPECT_CONFIG_ERROR(
        parse(head + "    max_concurrent_scans: two\n"),
        "scanners.yaml:5: scanners[0].max_concurrent_scans: expected an integer from 1 to 1000, got 'two'");
    EXPECT_CONFIG_ERROR(
        parse(head + "    max_concurrent_scans: 0\n"),
        "scanners.yaml:5: scanners[0].max_concurrent_scans: expected an integer from 1 to 1000, got '0'");
    EXPECT_CONFIG_ERROR(parse(head + "    enabled: perhaps\n"),
                        "scanners.yaml:5: scanners[0].enabled: expected true or false, got 'perhaps'");
    EXPECT_CONFIG_ERROR(parse(head + "    credentials:\n      username: ${NESSUS_USER}\n      password: x\n"),
                        "scanners.yaml:6: scanners[0].credentials.username: environment variable NESSUS_USER is not "
                        "set (write ${NESSUS_USER:-default} to give a default)");
    EXPECT_CONFIG_ERROR(parse(head + "    credentials: {username: admin}\n"),
                        "scanners.yaml:5: scanners[0].credentials: username and password go together");
    EXPECT_CONFIG_ERROR(parse(head + "    validator: ''\n"),
                        "scanners.yaml:5: scanners[0].validator: must name a validator plugin, or be 'none'");
    EXPECT_CONFIG_ERROR(parse(head + "    zones: [192.0.2.0/33]\n"),
                        "scanners.yaml:5: scanners[0].zones[0]: '192.0.2.0/33' is not an address or CIDR network");
    EXPECT_CONFIG_ERROR(parse(head + head.substr(10)),
                        "scanners.yaml:5: scanners[1].instance_id: 'a' is used by another scanner");
    EXPECT_CONFIG_ERROR(parse("scanners:\n  - instance_id: a\n    scanner_type: nessus\n    url: nessus.local\n"),
                        "scanners.yaml:4: scanners[0].url: 'nessus.local' is not an http:// or https:// URL");
    EXPECT_CONFIG_ERROR(parse("scanners:\n  - scanner_type: nessus\n    url: http://127.0.0.1\n"),
                        "scanners.yaml:2: scanners[0].instance_id: is required");
    EXPECT_CONFIG_ERROR(parse("scanners:\n  - instance_id: 'has space'\n    scanner_type: nessus\n    url: http://x\n"),
                        "scanners.yaml:2: scanners[0].instance_id: 'has space' is not a valid id (letters, digits, "
                        "'_', '.', '-'; at most 64)");
    EXPECT_CONFIG_ERROR(parse("scanner:\n  - {}\n"), "scanners.yaml:1: scanner: unknown key (valid: scanners)");
    EXPECT_CONFIG_ERROR(parse("scanners: {a: 1}\n"), "scanners.yaml:1: scanners: expected a list of scanner entries");
    EXPECT_CONFIG_ERROR(parse("other: 1\n"), "scanners.yaml:1: other: unknown key (valid: scanners)");
    EXPECT_CONFIG_ERROR(parse("scanners:\n  - instance_id: [a\n"),
                        "scanners.yaml:3:1: not valid YAML: end of sequence flow not found");
    EXPECT_CONFIG_ERROR(parse("{}"), "scanners.yaml:1: scanners: is required: a list of scanner entries");
}

TEST(ScannersConfig, AMissingFileIsOneLine) {
    EXPECT_CONFIG_ERROR(sf::load_scanners_config("/nonexistent/scanners.yaml"),
                        "/nonexistent/scanners.yaml: no such file");
}

TEST(ScannersConfig, TheShippedExampleIsValid) {
    const auto c =
        sf::load_scanners_config(std::string(SCANORCH_SOURCE_DIR) + "/config/scanners.yaml.example", fake_env({}));
    EXPECT_GE(c.scanners.size(), 1u);
}
