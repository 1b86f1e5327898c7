// What a request costs Redis must not grow with the pool (issue 16). An API
// process (the real host, in this process) on a real redis-server, with pools
// of 1 and 50 scanners; Redis's MONITOR shows every command it runs, and marks
// the ones a script ran ("lua") apart from those a client sent, so the test
// counts round trips exactly rather than estimating them.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "emulator_process.h"
#include "redis_server.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/service/orchestrator.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/framework/tasks/task_store.h"

namespace sf = scanorch::framework;
using scanorch::testing::RedisServer;

namespace {

[[maybe_unused]] const bool kSharedKey =
    ::setenv("SCANORCH_CREDENTIAL_KEY", "5c0a2e7f1b9d4c3a8e6f0b2d4a6c8e1f3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f13", 0) == 0;

// A plain RESP connection: enough to send a command and read lines.
class Resp {
public:
    explicit Resp(int port) : s_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port))) {
        s_.setReceiveTimeout(Poco::Timespan(10, 0));
    }
    void send(const std::vector<std::string>& argv) {
        std::string out = "*" + std::to_string(argv.size()) + "\r\n";
        for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
        s_.sendBytes(out.data(), static_cast<int>(out.size()));
    }
    std::string line() {
        for (;;) {
            if (auto nl = buf_.find("\r\n"); nl != std::string::npos) {
                auto l = buf_.substr(0, nl);
                buf_.erase(0, nl + 2);
                return l;
            }
            char tmp[65536];
            const int n = s_.receiveBytes(tmp, sizeof tmp);
            if (n <= 0) throw std::runtime_error("redis closed the connection");
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
    }

private:
    Poco::Net::StreamSocket s_;
    std::string buf_;
};

struct Count {
    int round_trips = 0;  ///< commands clients sent
    int in_scripts = 0;   ///< commands scripts ran for them
    std::map<std::string, int> by_command;
    std::string text() const {
        std::string s;
        for (const auto& [c, n] : by_command) s += c + "=" + std::to_string(n) + " ";
        return s;
    }
};

// Runs `what` and returns the Redis commands it caused.
template <class F>
Count count_commands(int port, F&& what) {
    Resp monitor(port);
    monitor.send({"MONITOR"});
    EXPECT_EQ(monitor.line(), "+OK");
    what();
    const std::string marker = "pool-scale-test-end";
    Resp other(port);
    other.send({"ECHO", marker});
    Count c;
    for (;;) {
        const auto l = monitor.line();  // +1700000000.123456 [0 127.0.0.1:1234] "EVALSHA" "..."
        if (l.find(marker) != std::string::npos) break;
        const auto open = l.find('['), close = l.find(']');
        const auto q = l.find('"', close);
        if (open == std::string::npos || close == std::string::npos || q == std::string::npos) continue;
        const auto cmd = l.substr(q + 1, l.find('"', q + 1) - q - 1);
        (l.compare(close - 3, 3, "lua") == 0 ? c.in_scripts : c.round_trips)++;
        ++c.by_command[cmd];
    }
    return c;
}

struct Costs {
    Count submit, queue_status, list_scanners, metrics;
};

Costs measure(const RedisServer& redis, int scanners) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("scanorch-pool-scale-" + std::to_string(::getpid()) + "-" + std::to_string(scanners));
    std::filesystem::create_directories(dir);
    {
        std::ofstream y(dir / "scanners.yaml");
        y << "scanners:\n";
        // Never contacted: an API process does not talk to scanners.
        for (int i = 0; i < scanners; ++i) {
            y << "  - {instance_id: s" << i << ", scanner_type: nessus, url: 'http://127.0.0.1:9',"
              << " max_concurrent_scans: 5, credentials: {username: admin, password: adminpw}}\n";
        }
        std::ofstream c(dir / "scanorch.yaml");
        c << "data_dir: " << (dir / "data").string() << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\n"
          << "housekeeping: {interval_seconds: 3600}\nlogging: {level: warn}\n"
          << "plugins:\n  frontend: {use: none}\n  queue: {use: redis-queue, config: {url: '" << redis.url()
          << "', key_prefix: pool" << scanners << "}}\n";
    }
    sf::HostConfigDefaults d;
    d.plugin_dir = SCANORCH_PLUGIN_DIR;
    sf::Host host(sf::load_host_config((dir / "scanorch.yaml").string(), d));
    host.load_plugins();
    sf::Orchestrator api(host, sf::Mode::api);
    api.start();
    auto call = [&](const std::string& tool, const std::string& args) {
        auto r = api.tools()->call(tool, args, {});
        EXPECT_TRUE(r) << tool << ": " << (r ? "" : r.error().message);
    };
    const std::string scan = R"({"targets":"192.0.2.7","name":"pool scale"})";
    // Warm up (scripts loaded, housekeeping's first pass over). Each measured
    // submission waits for the routing view to expire, so it reads the pool
    // afresh: the most a submission that starts at once can cost (one that
    // waits also reads the queue's average scan time, at most every 10 s).
    const auto fresh_after =
        std::max(sf::ScannerPool::kRoutingStaleness, sf::ScannerPool::kRoutingStalenessPerScanner * scanners) +
        std::chrono::milliseconds(50);
    call("run_untrusted_scan", scan);
    call("get_queue_status", "{}");
    // The host's own metrics refresh (every 5 s) may land in a window: the
    // fewest of three tries is the request's own cost.
    auto fewest = [&](auto&& what, bool fresh_routing) {
        Count best;
        for (int i = 0; i < 3; ++i) {
            if (fresh_routing) std::this_thread::sleep_for(fresh_after);
            auto c = count_commands(redis.port(), what);
            if (i == 0 || c.round_trips < best.round_trips) best = c;
        }
        return best;
    };
    Costs c;
    c.submit = fewest([&] { call("run_untrusted_scan", scan); }, true);
    c.queue_status = fewest([&] { call("get_queue_status", "{}"); }, false);
    c.list_scanners = fewest([&] { call("list_scanners", "{}"); }, false);
    c.metrics = fewest([&] { (void)api.tools()->metrics_text(); }, false);
    api.stop();
    std::filesystem::remove_all(dir);
    return c;
}

}  // namespace

TEST(PoolScale, RedisRoundTripsPerRequestDoNotGrowWithThePool) {
    RedisServer redis;
    const auto one = measure(redis, 1);
    const auto fifty = measure(redis, 50);
    SCOPED_TRACE("1 scanner, submit: " + one.submit.text() + "\n50 scanners, submit: " + fifty.submit.text());
    EXPECT_GT(one.submit.round_trips, 0) << "the submission reached Redis";
    EXPECT_EQ(fifty.submit.round_trips, one.submit.round_trips) << "a submission's round trips grew with the pool";
    EXPECT_LE(fifty.submit.round_trips, 6) << "submit: " << fifty.submit.text();
    // Two: the queue's pool snapshot, and the host's circuit keys of every
    // scanner in one kv_get_many (SDK 2.0 moved circuits out of the queue).
    for (const auto* c : {&one, &fifty}) {
        EXPECT_EQ(c->queue_status.round_trips, 2) << "get_queue_status: " << c->queue_status.text();
        EXPECT_EQ(c->list_scanners.round_trips, 2) << "list_scanners: " << c->list_scanners.text();
        EXPECT_EQ(c->metrics.round_trips, 2) << "/metrics refresh: " << c->metrics.text();
    }
}

TEST(PoolScale, LeasesAreRenewedAtTheHeartbeatNotWhenARunEnds) {
    // Five short scans on one five-slot scanner, leases of five minutes (a
    // beat every 100 s): none is due while they run, so their only lease writes
    // are the five claims. The heartbeat used to wake at each run's end and
    // renew every lease the worker held, four more, three more, ...
    RedisServer redis;
    scanorch::testing::EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--scan-seconds", "0.5",
                                                             "--export-seconds", "0.1", "--max-running", "5"});
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-heartbeat-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream y(dir / "scanners.yaml");
        y << "scanners:\n  - {instance_id: s1, scanner_type: nessus, url: 'http://127.0.0.1:" << emu.port()
          << "', max_concurrent_scans: 5, credentials: {username: admin, password: adminpw},"
          << " options: {export_poll_ms: 50}}\n";
        std::ofstream c(dir / "scanorch.yaml");
        c << "data_dir: " << (dir / "data").string() << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\n"
          << "workers: {poll_interval_ms: 100, lease_ms: 300000}\n"
          << "housekeeping: {interval_seconds: 3600}\nlogging: {level: warn}\n"
          << "plugins:\n  frontend: {use: none}\n  queue: {use: redis-queue, config: {url: '" << redis.url()
          << "', key_prefix: beat}}\n";
    }
    sf::HostConfigDefaults d;
    d.plugin_dir = SCANORCH_PLUGIN_DIR;
    sf::Host host(sf::load_host_config((dir / "scanorch.yaml").string(), d));
    host.load_plugins();
    sf::Orchestrator all(host, sf::Mode::all);
    all.start();
    std::vector<std::string> ids;
    const auto c = count_commands(redis.port(), [&] {
        for (int i = 0; i < 5; ++i) {
            auto r = all.tools()->call(
                "run_untrusted_scan",
                R"({"name":"beat )" + std::to_string(i) + R"(","targets":"192.0.2.)" + std::to_string(20 + i) + R"("})",
                {});
            ASSERT_TRUE(r) << r.error().message;
            ids.push_back(
                Poco::JSON::Parser().parse(*r).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("task_id"));
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        for (const auto& id : ids) {
            while (std::chrono::steady_clock::now() < deadline) {
                auto t = all.store().load(id);
                if (t && t->terminal()) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            auto t = all.store().load(id);
            ASSERT_TRUE(t && t->status == sf::TaskStatus::completed) << id;
        }
    });
    all.stop();
    std::filesystem::remove_all(dir);
    ASSERT_EQ(ids.size(), 5u);
    EXPECT_EQ(c.by_command.count("ZADD") ? c.by_command.at("ZADD") : 0, 5)
        << "lease writes beyond the five claims' (renewals at run ends): " << c.text();
}
