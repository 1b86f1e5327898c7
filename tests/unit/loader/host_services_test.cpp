// The host side of the services table: metric families declared by plugins,
// name checks, re-declaration, recording, and the injectable clock.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/sdk/context.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

std::string exposition(sf::HostServices& s) { return prometheus::TextSerializer().Serialize(s.registry().Collect()); }

}  // namespace

TEST(HostServices, PluginMetricsReachTheRegistryThroughTheSdk) {
    auto services = std::make_shared<sf::HostServices>(nullptr, "/var/lib/scanorch");
    auto api = sf::HostApi::make(services, "nessus-validator");
    const sdk::PluginContext ctx(api->c_api(), nullptr);

    auto failures = ctx.metrics().counter("nessus_validation_failures_total", "Validation failures", {"reason"});
    ASSERT_TRUE(failures.valid());
    failures.add({"auth_failed"});
    failures.add({"auth_failed"}, 2);
    failures.add({"auth_failed"}, -5);  // counters never go down
    auto active = ctx.metrics().gauge("scanorch_test_active", "Active things", {});
    active.set({}, 7);
    auto latency = ctx.metrics().histogram("scanorch_test_seconds", "Durations", {"op"}, {0.1, 1, 10});
    latency.observe({"export"}, 0.5);

    const auto text = exposition(*services);
    EXPECT_NE(text.find("nessus_validation_failures_total{reason=\"auth_failed\"} 3"), std::string::npos) << text;
    EXPECT_NE(text.find("scanorch_test_active 7"), std::string::npos) << text;
    EXPECT_NE(text.find("scanorch_test_seconds_bucket{op=\"export\",le=\"1\"} 1"), std::string::npos) << text;
    EXPECT_EQ(ctx.config_json(), "{}");
    EXPECT_EQ(ctx.data_dir(), "/var/lib/scanorch");
}

TEST(HostServices, RejectsBadNamesAndConflictingRedeclarations) {
    sf::HostServices s(nullptr, "");
    EXPECT_EQ(s.declare_metric("p", SCANORCH_METRIC_COUNTER, "bad name", "", {}, {}), 0u);
    EXPECT_EQ(s.declare_metric("p", SCANORCH_METRIC_COUNTER, "ok_total", "", {"bad-label"}, {}), 0u);
    EXPECT_EQ(s.declare_metric("p", SCANORCH_METRIC_HISTOGRAM, "h", "", {}, {5, 1}), 0u);
    const auto first = s.declare_metric("p", SCANORCH_METRIC_COUNTER, "ok_total", "", {"a"}, {});
    ASSERT_NE(first, 0u);
    // Two instances of one plugin declare the same family: same handle.
    EXPECT_EQ(s.declare_metric("p", SCANORCH_METRIC_COUNTER, "ok_total", "", {"a"}, {}), first);
    // Another shape under the same name is refused.
    EXPECT_EQ(s.declare_metric("q", SCANORCH_METRIC_GAUGE, "ok_total", "", {"a"}, {}), 0u);
    EXPECT_EQ(s.declare_metric("q", SCANORCH_METRIC_COUNTER, "ok_total", "", {"b"}, {}), 0u);
    // Wrong label counts and unknown handles are ignored, not fatal.
    s.record_metric(first, {}, 1);
    s.record_metric(first + 100, {"x"}, 1);
    s.record_metric(first, {"x"}, 1);
    EXPECT_NE(exposition(s).find("ok_total{a=\"x\"} 1"), std::string::npos);
}

TEST(HostServices, TheClockCanBeInjected) {
    auto services = std::make_shared<sf::HostServices>(nullptr, "", [] { return std::int64_t{1234567}; });
    auto api = sf::HostApi::make(services, "p");
    EXPECT_EQ(sdk::PluginContext(api->c_api()).now_unix_ms(), 1234567);
}

TEST(HostServices, TheSdkToleratesNoHost) {
    const sdk::PluginContext ctx(nullptr);
    ctx.log().info("goes nowhere ", 42);
    EXPECT_FALSE(ctx.metrics().counter("x_total", "").valid());
    EXPECT_GT(ctx.now_unix_ms(), 1'600'000'000'000);
    EXPECT_EQ(ctx.data_dir(), "");
}
