// The router through its .so: the design's cases A, B, C, and the pool's
// realities (disabled, unknown, open circuits, pools, zones).
#include <gtest/gtest.h>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/router.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

class Router : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(loader_.load_file(CAPACITY_ROUTER_PLUGIN).ok());
        auto r = loader_.instantiate<sdk::Router>(
            "capacity-router", "{}", sf::HostApi::make(std::make_shared<sf::HostServices>(nullptr, ""), "r"));
        ASSERT_TRUE(r);
        router_ = std::move(r).value();
    }
    static sdk::ScannerSnapshot scanner(const std::string& id, std::uint32_t running, std::uint32_t capacity,
                                        std::uint64_t queued = 0, const std::string& pool = "default") {
        sdk::ScannerSnapshot s;
        s.instance_id = id;
        s.running = running;
        s.capacity = capacity;
        s.queued = queued;
        s.pool = pool;
        return s;
    }
    static sdk::RouteRequest request(const std::string& named = "",
                                     const std::vector<std::string>& targets = {"192.0.2.5"}) {
        sdk::RouteRequest r;
        r.requested_scanner = named;
        r.targets = targets;
        return r;
    }
    sdk::RouteDecision ok(const sdk::RouteRequest& r, const std::vector<sdk::ScannerSnapshot>& s) {
        auto d = router_->route(r, s);
        EXPECT_TRUE(d) << (d ? "" : d.error().message);
        return d ? *d : sdk::RouteDecision{};
    }
    std::string refused(const sdk::RouteRequest& r, const std::vector<sdk::ScannerSnapshot>& s) {
        auto d = router_->route(r, s);
        EXPECT_FALSE(d) << "routed to " << (d ? d->queue_scanner : "");
        if (d) return "";
        EXPECT_EQ(d.error().kind, sdk::ErrorKind::invalid_input);
        return d.error().message;
    }

    sf::PluginLoader loader_;
    std::shared_ptr<sdk::Router> router_;
};

}  // namespace

TEST_F(Router, CaseAFreeCapacityGoesToTheLeastUtilizedScanner) {
    const auto d = ok(request(), {scanner("prod_1", 1, 2), scanner("prod_2", 1, 3), scanner("dev", 0, 1, 1)});
    EXPECT_EQ(d.queue_scanner, "prod_2");  // 1/3 beats 1/2; dev is full counting its queue
    EXPECT_EQ(d.scanner_instance, "prod_2");
}

TEST_F(Router, CaseBTheNamedScannerKeepsTheScanWhenFull) {
    EXPECT_EQ(ok(request("prod_1"), {scanner("prod_1", 2, 2), scanner("prod_2", 0, 3)}).queue_scanner, "prod_1");
    EXPECT_EQ(ok(request("prod_1"), {scanner("prod_1", 0, 2)}).reason, "requested scanner has free capacity");
}

TEST_F(Router, CaseCEveryScannerFullMeansTheGlobalQueue) {
    const auto d = ok(request(), {scanner("prod_1", 2, 2), scanner("prod_2", 3, 3, 4)});
    EXPECT_EQ(d.queue_scanner, "");
    EXPECT_EQ(d.scanner_instance, "");
}

TEST_F(Router, UnknownAndDisabledScannersAreRefusedWithTheValidNames) {
    auto dev = scanner("dev", 0, 1);
    dev.enabled = false;
    const std::vector<sdk::ScannerSnapshot> pool = {scanner("prod_1", 0, 2), scanner("prod_2", 0, 3), dev};
    EXPECT_EQ(refused(request("prod_9"), pool), "unknown scanner 'prod_9' (valid: prod_1, prod_2)");
    EXPECT_EQ(refused(request("dev"), pool), "scanner 'dev' is disabled (enabled: prod_1, prod_2)");
    EXPECT_NE(ok(request(), pool).queue_scanner, "dev");
    EXPECT_EQ(refused(request(), {dev}), "no scanner is enabled in scanners.yaml");
}

TEST_F(Router, OpenCircuitsAreRoutedAround) {
    auto broken = scanner("prod_1", 0, 5);
    broken.circuit = sdk::CircuitState::open;
    EXPECT_EQ(ok(request(), {broken, scanner("prod_2", 1, 2)}).queue_scanner, "prod_2");
    // Everyone else full: the global queue, not the broken scanner.
    EXPECT_EQ(ok(request(), {broken, scanner("prod_2", 2, 2)}).queue_scanner, "");
    // Asked for by name: it waits in its queue until the scanner recovers.
    EXPECT_EQ(ok(request("prod_1"), {broken, scanner("prod_2", 0, 2)}).queue_scanner, "prod_1");
}

TEST_F(Router, PoolsNarrowTheChoice) {
    const std::vector<sdk::ScannerSnapshot> all = {scanner("a", 0, 2, 0, "dmz"), scanner("b", 0, 5, 0, "internal")};
    auto r = request();
    r.requested_pool = "dmz";
    EXPECT_EQ(ok(r, all).queue_scanner, "a");
    auto full = all;
    full[0].running = 2;
    EXPECT_EQ(ok(r, full).queue_scanner, "a") << "never the global queue, where 'b' could take it";
    r.requested_pool = "lab";
    EXPECT_EQ(refused(r, all), "unknown scanner pool 'lab' (pools: dmz, internal)");
    r.requested_pool = "internal";
    r.requested_scanner = "a";
    EXPECT_EQ(refused(r, all), "scanner 'a' is in pool 'dmz', not 'internal'");
}

TEST_F(Router, ZonesDecideWhoCanReachTheTargets) {
    auto east = scanner("east", 0, 2);
    east.zones = {"192.0.2.0/24"};
    auto west = scanner("west", 0, 2);
    west.zones = {"198.51.100.0/24", "203.0.113.0/25"};
    EXPECT_EQ(ok(request("", {"198.51.100.4", "203.0.113.10-20"}), {east, west}).queue_scanner, "west");
    EXPECT_EQ(ok(request("", {"192.0.2.0/28"}), {east, west}).queue_scanner, "east");
    EXPECT_EQ(
        refused(request("", {"192.0.2.1", "198.51.100.1"}), {east, west}),
        "no scanner can reach every target of this scan (east cannot reach 198.51.100.1, west cannot reach 192.0.2.1)");
    EXPECT_EQ(refused(request("east", {"203.0.113.200"}), {east, west}),
              "scanner 'east' cannot reach target 203.0.113.200 (its zones: 192.0.2.0/24)");
    EXPECT_NE(refused(request("", {"host.example.com"}), {east, west}).find("cannot reach host.example.com"),
              std::string::npos)
        << "a host name is only for scanners without zones";
    east.running = 2;
    EXPECT_EQ(ok(request("", {"192.0.2.9"}), {east, west}).queue_scanner, "east")
        << "busy but the only one that reaches it";
}
