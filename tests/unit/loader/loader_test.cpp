// The loader's checks, each tripped by a fixture plugin broken in one way,
// and the lifetime rules: an instance keeps its library mapped, and the
// library is unmapped after the last instance goes.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <fstream>
#include <sstream>
#include <string>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/config.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/scanner.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

bool mapped(const std::string& path) {
    std::ifstream maps("/proc/self/maps");
    std::stringstream buf;
    buf << maps.rdbuf();
    return buf.str().find(path) != std::string::npos;
}

std::shared_ptr<sf::HostApi> host_api(const std::string& name = "test") {
    auto services = std::make_shared<sf::HostServices>(std::make_shared<prometheus::Registry>(), "/tmp");
    return sf::HostApi::make(services, name);
}

std::string refusal(const char* file) {
    sf::PluginLoader loader;
    auto r = loader.load_file(file);
    EXPECT_FALSE(r.ok()) << file << " was accepted";
    return r.ok() ? std::string() : r.error().message;
}

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

TEST(Loader, LoadsAWellFormedPluginAndCopiesItsDescriptor) {
    sf::PluginLoader loader;
    auto r = loader.load_file(FIXTURE_GOOD);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const sf::PluginInfo& p = *r.value();
    EXPECT_EQ(p.name, "fixture-good");
    EXPECT_EQ(p.version, "1.2.3");
    EXPECT_EQ(p.kind, SCANORCH_KIND_ROUTER);
    EXPECT_EQ(p.abi_major, SCANORCH_SDK_ABI_MAJOR);
    EXPECT_EQ(p.abi_minor, SCANORCH_SDK_ABI_MINOR);
    EXPECT_EQ(p.cxx_abi, SCANORCH_CXX_ABI_TAG);
    EXPECT_EQ(p.file, FIXTURE_GOOD);
    ASSERT_EQ(p.config.size(), 4u);
    EXPECT_EQ(p.config[0].name, "prefer");
    EXPECT_EQ(p.config[0].default_json.value_or(""), "\"first\"");
    EXPECT_EQ(p.config[1].type, SCANORCH_CFG_SECRET);
    EXPECT_EQ(loader.find("fixture-good"), &p);
}

TEST(Loader, RefusesAMissingFile) {
    const auto m = refusal("/nonexistent/libscanorch-missing.so");
    EXPECT_EQ(m, "plugin /nonexistent/libscanorch-missing.so: no such file");
}

TEST(Loader, RefusesAFileThatIsNotASharedObject) {
    const auto m = refusal(FIXTURE_NOT_ELF);
    EXPECT_CONTAINS(m, std::string("plugin ") + FIXTURE_NOT_ELF + ": cannot load: ");
    EXPECT_CONTAINS(m, "invalid ELF header");
}

TEST(Loader, RefusesAnUnresolvedSymbolAtLoadTime) {
    const auto m = refusal(FIXTURE_UNDEFINED);
    EXPECT_CONTAINS(m, "cannot load: ");
    EXPECT_CONTAINS(m, "undefined symbol: scanorch_fixture_symbol_that_does_not_exist");
}

TEST(Loader, RefusesASharedObjectWithoutTheEntrySymbol) {
    EXPECT_EQ(refusal(FIXTURE_NO_ENTRY), std::string("plugin ") + FIXTURE_NO_ENTRY +
                                             ": not a scanorch plugin (no scanorch_plugin_entry_v2 symbol)");
}

TEST(Loader, NamesTheMajorOfAPluginWithANewerEntrySymbol) {
    const auto m = refusal(FIXTURE_V3_ENTRY);
    EXPECT_CONTAINS(m, "plugin built for SDK ABI major 3 (exports scanorch_plugin_entry_v3)");
    EXPECT_CONTAINS(m, "this scanorchd provides " + std::to_string(SCANORCH_SDK_ABI_MAJOR) + "." +
                           std::to_string(SCANORCH_SDK_ABI_MINOR));
    EXPECT_EQ(m.find("Migrating"), std::string::npos) << "a newer plugin needs a newer scanorchd, not a port: " << m;
}

TEST(Loader, TellsAnSdk1PluginToPortItself) {
    const auto m = refusal(FIXTURE_V1_ENTRY);
    EXPECT_CONTAINS(m, "plugin built for SDK ABI major 1 (exports scanorch_plugin_entry_v1)");
    EXPECT_CONTAINS(m, "port it to SDK 2 (docs/PLUGIN_GUIDE.md, \"Migrating from SDK 1.x\") and rebuild it");
}

TEST(Loader, RefusesATruncatedDescriptor) {
    const auto m = refusal(FIXTURE_TRUNCATED);
    EXPECT_CONTAINS(m, "descriptor is truncated (16 < ");
}

TEST(Loader, RefusesAPluginBuiltAgainstAnSdkWithAnotherMajor) {
    const auto m = refusal(FIXTURE_BAD_MAJOR);
    const std::string host = std::to_string(SCANORCH_SDK_ABI_MAJOR) + "." + std::to_string(SCANORCH_SDK_ABI_MINOR);
    const std::string plugin =
        std::to_string(SCANORCH_SDK_ABI_MAJOR + 1) + "." + std::to_string(SCANORCH_SDK_ABI_MINOR);
    EXPECT_EQ(m, std::string("plugin ") + FIXTURE_BAD_MAJOR + ": plugin 'fixture-bad-major' was built for SDK ABI " +
                     plugin + ", this scanorchd provides " + host +
                     " (major differs); rebuild it against scanorch-sdk " + std::to_string(SCANORCH_SDK_ABI_MAJOR) +
                     ".x");
}

TEST(Loader, RefusesAPluginThatNeedsANewerMinor) {
    const auto m = refusal(FIXTURE_BAD_MINOR);
    const std::string major = std::to_string(SCANORCH_SDK_ABI_MAJOR);
    EXPECT_CONTAINS(m, "plugin 'fixture-bad-minor' needs SDK ABI " + major + "." +
                           std::to_string(SCANORCH_SDK_ABI_MINOR + 1) + ", this scanorchd provides " + major + "." +
                           std::to_string(SCANORCH_SDK_ABI_MINOR) + " (minor too new)");
}

TEST(Loader, RefusesAnotherCxxLibraryAbi) {
    const auto m = refusal(FIXTURE_WRONG_CXX_ABI);
    EXPECT_CONTAINS(
        m, "plugin 'libcxx-plugin' was built for C++ library 'libc++', scanorchd uses '" SCANORCH_CXX_ABI_TAG "'");
}

TEST(Loader, RefusesAnUnknownKind) {
    EXPECT_CONTAINS(refusal(FIXTURE_UNKNOWN_KIND), "plugin 'odd-kind' has unknown kind 99");
}

TEST(Loader, RefusesAnInvalidName) { EXPECT_CONTAINS(refusal(FIXTURE_BAD_NAME), "plugin name 'Bad_Name' is invalid"); }

TEST(Loader, RefusesAnInvalidVersion) {
    EXPECT_CONTAINS(refusal(FIXTURE_BAD_VERSION), "plugin 'bad-version' has invalid version 'one' (expected semver");
}

TEST(Loader, RefusesAConfigDefaultThatIsNotJson) {
    EXPECT_CONTAINS(refusal(FIXTURE_BAD_DEFAULT), "config field 'level' has a default that is not JSON: not json");
}

TEST(Loader, RefusesADuplicateName) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_GOOD).ok());
    auto r = loader.load_file(FIXTURE_DUPLICATE);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, std::string("plugin ") + FIXTURE_DUPLICATE +
                                     ": plugin 'fixture-good' is already loaded from " + FIXTURE_GOOD);
}

TEST(Loader, ChecksDescriptorsGivenDirectlyWithoutASharedObject) {
    sf::PluginLoader loader;
    scanorch_plugin_descriptor d{};
    d.struct_size = sizeof d;
    d.abi_major = SCANORCH_SDK_ABI_MAJOR;
    d.abi_minor = SCANORCH_SDK_ABI_MINOR;
    d.cxx_abi = SCANORCH_CXX_ABI_TAG;
    d.kind = SCANORCH_KIND_VALIDATOR;
    d.name = "inline";
    d.version = "0.1.0-rc.1+build.5";
    d.create = [](const scanorch_host_api*, const scanorch_config*, scanorch_status*) -> void* { return nullptr; };
    d.destroy = [](void*) {};
    EXPECT_TRUE(loader.add(&d, "static:inline").ok());

    auto copy = d;
    copy.name = "no-functions";
    copy.create = nullptr;
    auto r = loader.add(&copy, "static:no-functions");
    ASSERT_FALSE(r.ok());
    EXPECT_CONTAINS(r.error().message, "has no create/destroy function");

    EXPECT_FALSE(loader.add(nullptr, "static:null").ok());

    // One descriptor per case below: `d` with one config field (and a kind).
    const auto with_field = [&](const char* name, const scanorch_config_field* field,
                                scanorch_plugin_kind kind = SCANORCH_KIND_VALIDATOR) {
        auto v = d;
        v.name = name;
        v.kind = kind;
        v.config_fields = field;
        v.config_field_count = 1;
        return loader.add(&v, std::string("static:") + name);
    };

    // A default of another type than its key's, found at load; a duration
    // default may be written as the YAML would.
    static constexpr scanorch_config_field bad_default[] = {
        sdk::ConfigKey{.name = "level", .type = SCANORCH_CFG_INT, .default_json = "\"high\""}};
    auto t = with_field("bad-typed-default", bad_default);
    ASSERT_FALSE(t.ok());
    EXPECT_CONTAINS(t.error().message, "a config default does not have its declared type");
    EXPECT_CONTAINS(t.error().message, "config key 'level' must be an integer, got \"high\"");
    static constexpr scanorch_config_field duration_default[] = {
        sdk::ConfigKey{.name = "every", .type = SCANORCH_CFG_DURATION, .default_json = "\"5m\""}};
    EXPECT_TRUE(with_field("duration-default", duration_default).ok());

    // A scanner's option may not shadow its scanners.yaml entry.
    static constexpr scanorch_config_field shadow[] = {sdk::ConfigKey{.name = "url", .description = "a proxy"}};
    auto sh = with_field("shadowing-scanner", shadow, SCANORCH_KIND_SCANNER);
    ASSERT_FALSE(sh.ok());
    EXPECT_CONTAINS(sh.error().message, "config field 'url' is reserved for the scanner's scanners.yaml entry");
}

TEST(Loader, MakesInstancesWithTheirConfigAndHostServices) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_GOOD).ok());
    auto services = std::make_shared<sf::HostServices>(std::make_shared<prometheus::Registry>(), "/tmp");
    auto made = loader.instantiate<sdk::Router>("fixture-good", R"({"prefer":"last","token":"s3","zones":["a","b"]})",
                                                sf::HostApi::make(services, "fixture-good"));
    ASSERT_TRUE(made.ok()) << made.error().message;
    sdk::RouteRequest req;
    req.requested_scanner = "nessus_2";
    auto d = made.value()->route(req, {sdk::ScannerSnapshot{}});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->queue_scanner, "nessus_2");
    EXPECT_EQ(d->reason, "last|3|s3|a|b") << "typed values through the C table; level from the declared default";
    // The plugin's counter reached the host's registry.
    bool found = false;
    for (const auto& family : services->registry().Collect()) {
        if (family.name != "scanorch_fixture_decisions_total") continue;
        ASSERT_EQ(family.metric.size(), 1u);
        EXPECT_EQ(family.metric[0].label[0].value, "nessus_2");
        EXPECT_EQ(family.metric[0].counter.value, 1.0);
        found = true;
    }
    EXPECT_TRUE(found);
}

TEST(Loader, RefusesAnInstanceOfTheWrongKind) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_GOOD).ok());
    auto r = loader.instantiate<sdk::Scanner>("fixture-good", "{}", host_api());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_CONTAINS(r.error().message, "plugin 'fixture-good' is a router, but a scanner is needed here");
}

TEST(Loader, NamesTheLoadedPluginsWhenOneIsMissing) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_GOOD).ok());
    auto r = loader.instantiate<sdk::Router>("capacity-router", "{}", host_api());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(r.error().message,
              "no router plugin named 'capacity-router' is loaded (loaded router plugins: fixture-good)");
}

TEST(Loader, AnExceptionInCreateBecomesAnErrorNotACrash) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_THROWS).ok());
    auto r = loader.instantiate<sdk::Router>("fixture-throws", "{}", host_api());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::internal);
    EXPECT_EQ(r.error().message,
              "plugin 'fixture-throws' failed to start: exception in create(): fixture constructor exploded");
}

TEST(Loader, AnErrorFromCreateKeepsItsKind) {
    sf::PluginLoader loader;
    ASSERT_TRUE(loader.load_file(FIXTURE_FAILS_AUTH).ok());
    auto r = loader.instantiate<sdk::Router>("fixture-fails-auth", "{}", host_api());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::auth);
    EXPECT_EQ(r.error().message, "plugin 'fixture-fails-auth' failed to start: fixture refuses: bad api key");

    ASSERT_TRUE(loader.load_file(FIXTURE_RAW_OK).ok());
    auto raw = loader.instantiate<sdk::Router>("raw-fixture", "{}", host_api());
    ASSERT_FALSE(raw.ok());
    EXPECT_EQ(raw.error().kind, sdk::ErrorKind::permanent);
}

TEST(Loader, AnInstanceKeepsItsLibraryLoadedAndTheLastOneUnloadsIt) {
    const std::string file = FIXTURE_GOOD;
    ASSERT_FALSE(mapped(file)) << "another test left it loaded";
    std::shared_ptr<sdk::Router> router;
    {
        sf::PluginLoader loader;
        ASSERT_TRUE(loader.load_file(file).ok());
        auto made = loader.instantiate<sdk::Router>("fixture-good", "{}", host_api());
        ASSERT_TRUE(made.ok());
        router = std::move(made).value();
        EXPECT_TRUE(mapped(file));
    }  // the loader is gone; the instance still holds the library
    EXPECT_TRUE(mapped(file));
    const int* live = static_cast<const int*>(router->extension("test.live_instances"));
    ASSERT_NE(live, nullptr);
    EXPECT_EQ(*live, 1);
    sdk::ScannerSnapshot nessus_1;
    nessus_1.instance_id = "nessus_1";
    auto still_works = router->route(sdk::RouteRequest{}, {nessus_1});
    ASSERT_TRUE(still_works.ok());
    EXPECT_EQ(still_works->queue_scanner, "nessus_1");

    router.reset();  // destroy() runs, then the library is released
    EXPECT_FALSE(mapped(file)) << file << " is still mapped after its last instance was released";
}

TEST(Loader, LoadsADirectoryAndReportsEveryRefusal) {
    sf::PluginLoader loader;
    auto good = loader.load_directory(std::string(FIXTURES_DIR) + "/good");
    ASSERT_EQ(good.loaded.size(), 1u);
    EXPECT_TRUE(good.errors.empty());

    sf::PluginLoader other;
    auto bad = other.load_directory(std::string(FIXTURES_DIR) + "/bad-major");
    EXPECT_TRUE(bad.loaded.empty());
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_CONTAINS(bad.errors[0], "major differs");

    auto missing = other.load_directory(std::string(FIXTURES_DIR) + "/nothing-here");
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_CONTAINS(missing.errors[0], "no such directory");
}
