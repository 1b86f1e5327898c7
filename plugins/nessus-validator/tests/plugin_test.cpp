// The validator through the plugin boundary, as scanorchd uses it: loaded
// from its .so, configured through its declared fields, counting failures
// in the host's registry.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/validator.h"
#include "test_files.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

struct Loaded {
    std::shared_ptr<sf::HostServices> services;
    std::shared_ptr<sdk::Validator> validator;
};

Loaded load(const std::string& config_json) {
    sf::PluginLoader loader;
    auto info = loader.load_file(NESSUS_VALIDATOR_PLUGIN);
    EXPECT_TRUE(info.ok()) << (info.ok() ? "" : info.error().message);
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto made = loader.instantiate<sdk::Validator>("nessus-validator", config_json,
                                                   sf::HostApi::make(services, "nessus-validator"));
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    return {services, made.ok() ? std::move(made).value() : nullptr};
}

}  // namespace

TEST(ValidatorPlugin, CountsFailuresByReasonInTheHostRegistry) {
    auto [services, validator] = load("{}");
    ASSERT_TRUE(validator);
    auto ok = validator->validate({fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""});
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->is_valid);
    for (int i = 0; i < 2; ++i) {
        auto failed =
            validator->validate({fixture("libnessus__nessus_report_local_3.nessus"), sdk::ScanType::trusted_basic, ""});
        ASSERT_TRUE(failed);
        EXPECT_FALSE(failed->is_valid);
    }
    auto malformed =
        validator->validate({fixture("ruby-nessus__example_v2_malformed.nessus"), sdk::ScanType::untrusted, ""});
    ASSERT_TRUE(malformed);
    const auto text = prometheus::TextSerializer().Serialize(services->registry().Collect());
    EXPECT_NE(text.find("nessus_validation_failures_total{reason=\"auth_failed\"} 2"), std::string::npos) << text;
    EXPECT_NE(text.find("nessus_validation_failures_total{reason=\"malformed_xml\"} 1"), std::string::npos) << text;
}

TEST(ValidatorPlugin, EveryFailureReasonIsExportedFromZero) {
    // So an alert on increase() sees a reason's first failure.
    auto [services, validator] = load("{}");
    ASSERT_TRUE(validator);
    const auto text = prometheus::TextSerializer().Serialize(services->registry().Collect());
    for (const char* reason : {"auth_failed", "auth_unknown", "bad_targets", "malformed_xml", "missing_file",
                               "no_hosts", "no_report", "too_small", "unreadable", "wrong_root"}) {
        EXPECT_NE(text.find("nessus_validation_failures_total{reason=\"" + std::string(reason) + "\"} 0"),
                  std::string::npos)
            << reason << "\n"
            << text;
    }
}

TEST(ValidatorPlugin, ConfigChangesTheRules) {
    // With 21745 and 104410 not counted as failures, and no other evidence, the
    // failed hosts of local_3 become "failed" only through 19506's "no".
    auto [services, validator] = load(R"({"failure_plugins":[],"min_auth_plugins":0})");
    ASSERT_TRUE(validator);
    auto r =
        validator->validate({fixture("libnessus__nessus_report_local_3.nessus"), sdk::ScanType::trusted_basic, ""});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->authentication_status, sdk::AuthStatus::failed);
    EXPECT_NE(r->error.find("plugin 19506 reports 'Credentialed checks : no'"), std::string::npos) << r->error;
}

namespace {

// What instantiating the plugin with `config_json` says, or "started".
std::string start_error(const std::string& config_json) {
    sf::PluginLoader loader;
    EXPECT_TRUE(loader.load_file(NESSUS_VALIDATOR_PLUGIN).ok());
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto made = loader.instantiate<sdk::Validator>("nessus-validator", config_json,
                                                   sf::HostApi::make(services, "nessus-validator"));
    if (made) return "started";
    EXPECT_EQ(made.error().kind, sdk::ErrorKind::invalid_input) << made.error().message;
    return made.error().message;
}

}  // namespace

TEST(ValidatorPlugin, RefusesABadConfigAtStartNamingTheKey) {
    EXPECT_EQ(start_error(R"({"min_file_bytes":-1})"),
              "plugin 'nessus-validator' failed to start: min_file_bytes must be between 0 and 1099511627776, not -1");
    EXPECT_EQ(start_error(R"({"max_listed_warnings":0})"),
              "plugin 'nessus-validator' failed to start: max_listed_warnings must be between 1 and 1000000, not 0");
    for (const char* blank :
         {R"({"auth_only_families":["Local Security Checks",""]})", R"({"auth_only_families":["  "]})"}) {
        EXPECT_EQ(start_error(blank), "plugin 'nessus-validator' failed to start: auth_only_families has a blank entry")
            << blank;
    }
    // A value of the wrong type never reaches the plugin: the host refuses it by the declared type.
    const auto mistyped = start_error(R"({"success_plugins":"141118"})");
    EXPECT_NE(mistyped.find("success_plugins"), std::string::npos) << mistyped;
    EXPECT_EQ(start_error(R"({"min_auth_plugins":0,"success_plugins":[]})"), "started");
}
