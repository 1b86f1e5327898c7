// Option validation: defaults, and every bad value refused with an error
// that names the key as the operator wrote it.
#include <gtest/gtest.h>

#include "nmap_options.h"
#include "scanorch/framework/plugins/config_values.h"

namespace nm = scanorch::nmap;
namespace sf = scanorch::framework;

namespace {

// The typed config the host hands create(): the entry's JSON as the config
// readers build it, through the host's own conversion (defaults from kConfigKeys).
scanorch::sdk::Config typed(const std::string& json) {
    sf::PluginInfo info;
    info.name = "nmap";
    info.kind = SCANORCH_KIND_SCANNER;
    info.config = sf::ConfigValues::fields(nm::kConfigKeys);
    auto c = sf::ConfigValues::config(info, json);
    EXPECT_TRUE(c) << c.error().message;
    return c ? *c : scanorch::sdk::Config{};
}

scanorch::sdk::Config config(const std::string& options) {
    return typed(R"({"instance_id":"nmap_1","url":"http://localhost","credentials":{},"options":{)" + options + "}}");
}

std::string error_of(const std::string& options) {
    auto r = nm::parse_options(config(options));
    return r ? std::string("accepted") : r.error().message;
}

}  // namespace

TEST(NmapOptions, DefaultsWhenNoneAreGiven) {
    auto o = nm::parse_options(typed(R"({"instance_id":"nmap_1"})"));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->nmap_path, "/usr/bin/nmap");
    EXPECT_EQ(o->ports, "");
    EXPECT_EQ(o->timing, 3);
    EXPECT_EQ(o->tcp_scan, nm::TcpScan::connect);
    EXPECT_TRUE(o->host_discovery);
    EXPECT_FALSE(o->resolve_names);
    EXPECT_TRUE(o->extra_args.empty());
    EXPECT_EQ(o->max_runtime_seconds, 3600);
}

TEST(NmapOptions, AcceptsEveryValidSetting) {
    auto o = nm::parse_options(config(R"("nmap_path":"/bin/sh","ports":"22,80,T:443,8000-8100","timing":4,)"
                                      R"("host_discovery":false,"resolve_names":true,"extra_args":["-sC","--reason"],)"
                                      R"("host_timeout":30,"max_runtime":600)"));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->ports, "22,80,T:443,8000-8100");
    EXPECT_EQ(o->timing, 4);
    EXPECT_FALSE(o->host_discovery);
    EXPECT_TRUE(o->resolve_names);
    EXPECT_EQ(o->extra_args, (std::vector<std::string>{"-sC", "--reason"}));
    EXPECT_EQ(o->host_timeout_seconds, 30);
    EXPECT_EQ(o->max_runtime_seconds, 600);
}

TEST(NmapOptions, RefusesBadPortsNamingTheKey) {
    for (const char* bad : {"0", "65536", "80,", ",80", "80-20", "http", "U:53", "1-70000", "22 80", "-", "80-"}) {
        const auto e = error_of(std::string(R"("ports":")") + bad + "\"");
        EXPECT_NE(e.find("scanner 'nmap_1': options.ports: "), std::string::npos) << bad << ": " << e;
    }
    EXPECT_EQ(error_of(R"("ports":"")"), "accepted") << "empty: nmap's default ports (the declared default)";
}

TEST(NmapOptions, RefusesEachBadValueNamingItsKey) {
    EXPECT_NE(error_of(R"("nmap_path":"nmap")").find("options.nmap_path: 'nmap' is not an absolute path"),
              std::string::npos);
    EXPECT_NE(error_of(R"("nmap_path":"/nonexistent/nmap")")
                  .find("options.nmap_path: '/nonexistent/nmap' is not an executable file"),
              std::string::npos);
    EXPECT_NE(error_of(R"("timing":6)").find("options.timing: 6 is not an nmap timing template"), std::string::npos);
    EXPECT_NE(error_of(R"("timing":-1)").find("options.timing: -1"), std::string::npos);
    EXPECT_NE(error_of(R"("tcp_scan":"xmas")").find("options.tcp_scan: 'xmas' is not 'connect' or 'syn'"),
              std::string::npos);
    EXPECT_NE(error_of(R"("max_runtime":0)").find("options.max_runtime: must be at least 1 second"), std::string::npos);
    EXPECT_NE(error_of(R"("host_timeout":-5)").find("options.host_timeout: must not be negative"), std::string::npos);
}

TEST(NmapOptions, ExtraArgsOnlyFromTheWhitelist) {
    // Each of these would change where nmap sends packets or writes files, or run any script.
    for (const char* bad :
         {"-oN", "--script=http-*", "-iL", "--datadir", "-e", "-S", "127.0.0.2", "-sC -oN x", "--resume"}) {
        const auto e = error_of(std::string(R"("extra_args":["--reason",")") + bad + "\"]");
        EXPECT_NE(e.find("options.extra_args[1]: '" + std::string(bad) + "' is not allowed (allowed: -sC"),
                  std::string::npos)
            << bad << ": " << e;
    }
}

TEST(NmapOptions, ConfigWithoutInstanceIdIsRefused) {
    auto o = nm::parse_options(typed("{}"));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().kind, scanorch::sdk::ErrorKind::invalid_input);
}
