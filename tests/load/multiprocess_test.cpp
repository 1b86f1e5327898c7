// The scale-out path: an API (here, in the test process) and separate
// `scanorchd worker` processes sharing one Redis, against real emulators.
// A worker is SIGKILLed mid-scan and Redis is restarted mid-load; every task
// must still complete exactly once, and no scanner may ever run more scans
// than its limit.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Process.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "emulator_process.h"
#include "http_json.h"
#include "redis_server.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/service/orchestrator.h"

namespace sf = scanorch::framework;
using scanorch::testing::EmulatorProcess;
using scanorch::testing::get_json;
using scanorch::testing::RedisServer;
using Obj = Poco::JSON::Object::Ptr;

namespace {

// API and worker processes share the credential key, as in production (only
// `scanorchd all` may make its own); the daemons inherit it. A test key.
[[maybe_unused]] const bool kSharedKey =
    ::setenv("SCANORCH_CREDENTIAL_KEY", "5c0a2e7f1b9d4c3a8e6f0b2d4a6c8e1f3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f13", 0) == 0;

// A scanorchd process with its output in a log file.
class Daemon {
public:
    Daemon(const std::filesystem::path& config, const std::vector<std::string>& mode,
           const std::filesystem::path& log) {
        std::string cmd = "exec '" + std::string(SCANORCHD) + "' --config '" + config.string() + "'";
        for (const auto& m : mode) cmd += " " + m;
        cmd += " >'" + log.string() + "' 2>&1";
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", {"-c", cmd}));
    }
    ~Daemon() { terminate(); }
    void kill9() {
        if (!handle_) return;
        ::kill(handle_->id(), SIGKILL);
        handle_->wait();
        handle_.reset();
    }
    void terminate() {
        if (!handle_) return;
        ::kill(handle_->id(), SIGTERM);
        handle_->wait();
        handle_.reset();
    }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("scanorch-load-" + std::to_string(::getpid()));
    Dir() { std::filesystem::create_directories(path / "redis"); }
    ~Dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST(MultiProcess, ApiAndWorkersOnRedisSurviveAKilledWorkerAndARedisRestart) {
    Dir dir;
    RedisServer redis((dir.path / "redis").string());
    const std::vector<std::string> emu = {"--user",           "admin:adminpw",
                                          "--scan-seconds",   "3",
                                          "--export-seconds", "0.1",
                                          "--extra-items",    "3",
                                          "--max-running",    "50"};
    EmulatorProcess east(NESSUS_EMULATOR, emu), west(NESSUS_EMULATOR, emu);
    {
        std::ofstream y(dir.path / "scanners.yaml");
        y << "scanners:\n";
        for (auto [id, port] : {std::pair{"east", east.port()}, std::pair{"west", west.port()}}) {
            y << "  - {instance_id: " << id << ", scanner_type: nessus, url: 'http://127.0.0.1:" << port
              << "', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw},"
                 " options: {export_poll_ms: 50, timeout: 5}}\n";
        }
        std::ofstream c(dir.path / "scanorch.yaml");
        c << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir.path / "data").string()
          << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\n"
             "workers: {poll_interval_ms: 200, lease_ms: 2000, retry_base_ms: 200, retries: 3,"
             " metrics_listen: '127.0.0.1:0'}\n"      // three workers on one host: each its own port
             "housekeeping: {interval_seconds: 1}\n"  // runs during the load, in whichever process wins the lock
             "logging: {level: info}\nplugins:\n  frontend: {use: none}\n  queue: {use: redis-queue, config: {url: '"
          << redis.url() << "', key_prefix: load}}\n";
    }
    sf::HostConfigDefaults d;
    d.plugin_dir = SCANORCH_PLUGIN_DIR;
    sf::Host host(sf::load_host_config((dir.path / "scanorch.yaml").string(), d));
    host.load_plugins();
    sf::Orchestrator api(host, sf::Mode::api);  // the API process
    api.start();

    auto east_a = std::make_unique<Daemon>(
        dir.path / "scanorch.yaml", std::vector<std::string>{"worker", "--scanner", "east"}, dir.path / "east-a.log");
    Daemon west_w(dir.path / "scanorch.yaml", {"worker", "--scanner", "west"}, dir.path / "west.log");
    auto log_has = [&](const char* file, const char* text) {
        std::ifstream in(dir.path / file);
        const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return s.find(text) != std::string::npos;
    };

    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        const std::string named = i < 3 ? R"(,"scanner_instance":"east")" : "";
        auto r = api.tools()->call("run_untrusted_scan",
                                   R"({"name":"load )" + std::to_string(i) + R"(","targets":"192.0.2.)" +
                                       std::to_string(20 + i) + "\"" + named + "}",
                                   {});
        ASSERT_TRUE(r) << r.error().message;
        ids.push_back(Poco::JSON::Parser().parse(*r).extract<Obj>()->getValue<std::string>("task_id"));
    }
    // The second east worker starts only once the first holds scans, so that
    // killing the first certainly leaves work for the second to take over.
    for (int i = 0; i < 100 && !log_has("east-a.log", "created scan"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(log_has("east-a.log", "created scan"));
    Daemon east_b(dir.path / "scanorch.yaml", {"worker", "--scanner", "east"}, dir.path / "east-b.log");
    auto status = [&](const std::string& id) {
        auto r = api.tools()->call("get_scan_status", R"({"task_id":")" + id + R"("})", {});
        return r ? Poco::JSON::Parser().parse(*r).extract<Obj>() : Obj();
    };

    bool killed = false, restarted = false;
    std::set<std::string> done;
    const auto t0 = std::chrono::steady_clock::now();
    while (done.size() < ids.size() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(150)) {
        const auto elapsed = std::chrono::steady_clock::now() - t0;
        if (!killed && elapsed > std::chrono::milliseconds(1500)) {
            east_a->kill9();  // mid-scan: its tasks must be reclaimed, resumed, finished once
            killed = true;
        }
        if (!restarted && elapsed > std::chrono::seconds(4)) {
            redis.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            redis.start();  // append-only file: the queues come back
            restarted = true;
        }
        for (const auto& [port, name] : {std::pair{east.port(), "east"}, std::pair{west.port(), "west"}}) {
            auto s = get_json(port, "/emulator/stats");
            EXPECT_LE(s->getValue<int>("current_running"), 2) << name;
        }
        for (const auto& id : ids) {
            auto s = status(id);
            if (s &&
                (s->getValue<std::string>("status") == "completed" || s->getValue<std::string>("status") == "failed")) {
                done.insert(id);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_EQ(done.size(), ids.size()) << "every task accounted for";
    int on_east = 0;
    for (const auto& id : ids) {
        auto s = status(id);
        EXPECT_EQ(s->getValue<std::string>("status"), "completed") << id << ": " << s->get("error").toString();
        on_east += s->getValue<std::string>("scanner_instance") == "east" ? 1 : 0;
    }
    EXPECT_GE(on_east, 3);
    auto es = get_json(east.port(), "/emulator/stats"), ws = get_json(west.port(), "/emulator/stats");
    EXPECT_LE(es->getValue<int>("peak_running"), 2);
    EXPECT_LE(ws->getValue<int>("peak_running"), 2);
    EXPECT_EQ(es->getValue<int>("scans_created") + ws->getValue<int>("scans_created"), 12)
        << "each task created exactly one scan: the killed worker's task was resumed, not rescanned";
    auto q = api.queue().depths({"east", "west"});
    ASSERT_TRUE(q);
    EXPECT_EQ(q->global, 0u);
    EXPECT_EQ(q->dead_letter, 0u);
    EXPECT_EQ(q->scanners[0].running + q->scanners[1].running, 0u) << "every slot released";
    // The faults really happened: some surviving worker reclaimed the killed
    // one's lapsed lease (any process may), and the other east worker resumed its scan.
    EXPECT_TRUE(log_has("east-b.log", "lease lapsed; returned to its queue") ||
                log_has("west.log", "lease lapsed; returned to its queue"));
    EXPECT_TRUE(log_has("east-b.log", "resuming scan"));
    api.stop();
}
