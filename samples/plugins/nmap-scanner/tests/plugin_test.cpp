// Both plugins through the plugin boundary, as scanorchd loads them.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <filesystem>

#include "nmap_validator.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/scanner.h"
#include "scanorch/sdk/validator.h"
#include "test_support.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

TEST(NmapPlugins, TheScannerRefusesABadOptionNamingItAndOtherwiseReportsHealthy) {
    if (std::string(NMAP_PROGRAM).empty()) GTEST_SKIP() << "nmap is not installed (apt-get install nmap)";
    sf::PluginLoader loader;
    auto info = loader.load_file(NMAP_PLUGIN);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ((*info)->name, "nmap");
    const auto data = std::filesystem::temp_directory_path() / ("nmap-plugin-test-" + std::to_string(::getpid()));
    auto services = std::make_shared<sf::HostServices>(nullptr, data.string());
    auto config = [](const std::string& options) {
        return R"({"instance_id":"n1","url":"http://localhost","credentials":{},"options":{)" + options + "}}";
    };
    auto bad =
        loader.instantiate<sdk::Scanner>("nmap", config(R"("ports":"22,99999")"), sf::HostApi::make(services, "nmap"));
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("scanner 'n1': options.ports: '99999' is not a port"), std::string::npos)
        << bad.error().message;
    auto good = loader.instantiate<sdk::Scanner>("nmap", config(std::string(R"("nmap_path":")") + NMAP_PROGRAM + "\""),
                                                 sf::HostApi::make(services, "nmap"));
    ASSERT_TRUE(good) << good.error().message;
    auto h = (*good)->health();
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->healthy) << h->message;
    EXPECT_FALSE(h->version.empty());
    std::filesystem::remove_all(data);
}

TEST(NmapPlugins, TheValidatorEmitsFindingsAndCountsFailuresFromZero) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(NMAP_VALIDATOR_PLUGIN));
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto v = loader.instantiate<sdk::Validator>("nmap-validator", "{}", sf::HostApi::make(services, "nmap-validator"));
    ASSERT_TRUE(v) << v.error().message;
    auto* emitter = static_cast<sdk::FindingEmitter*>((*v)->extension(sdk::kValidatorFindings));
    ASSERT_NE(emitter, nullptr);
    scanorch::nmap::testing::Collect sink;
    auto r = emitter->validate_and_emit(
        {scanorch::nmap::testing::fixture("open_ports.xml"), sdk::ScanType::untrusted, "127.0.0.1"}, sink);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_valid);
    EXPECT_EQ(sink.findings.size(), 3u);
    ASSERT_TRUE((*v)->validate({scanorch::nmap::testing::fixture("truncated.xml"), sdk::ScanType::untrusted, ""}));
    const auto text = prometheus::TextSerializer().Serialize(services->registry().Collect());
    for (auto reason : scanorch::nmap::kFailureReasons) {
        const auto line = "nmap_validation_failures_total{reason=\"" + std::string(reason) + "\"} " +
                          (reason == "malformed_xml" ? "1" : "0");
        EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
    }
}
