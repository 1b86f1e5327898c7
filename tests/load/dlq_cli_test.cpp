// The operator's dead-letter workflow through the real scanorchctl binary,
// against a running core, on each queue backend.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <fstream>
#include <thread>

#include "emulator_process.h"
#include "redis_server.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/service/orchestrator.h"
#include "task_store_access.h"

namespace sf = scanorch::framework;
using Obj = Poco::JSON::Object::Ptr;

namespace {

struct Run {
    int rc;
    std::string out;
};

Run ctl(const std::filesystem::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config.string()});
    Poco::Pipe out;
    auto h = Poco::Process::launch(SCANORCHCTL, args, nullptr, &out, &out);  // stdout and stderr, in order
    Poco::PipeInputStream in(out);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return {h.wait(), text};
}

class DlqCli : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(DlqCli, ListInspectRetryPurgeStats) {
    const bool redis_backend = GetParam() == "redis";
    std::unique_ptr<scanorch::testing::RedisServer> redis;
    if (redis_backend) redis = std::make_unique<scanorch::testing::RedisServer>();
    const auto dir =
        std::filesystem::temp_directory_path() / ("scanorch-dlq-" + std::to_string(::getpid()) + GetParam());
    std::filesystem::create_directories(dir);
    const int port =
        scanorch::testing::free_port();  // held for the emulator; nothing listens there yet: the scanner is down
    std::ofstream(dir / "scanners.yaml")
        << "scanners:\n  - {instance_id: east, scanner_type: nessus, url: 'http://127.0.0.1:" << port
        << "', credentials: {username: admin, password: adminpw},"
           " options: {export_poll_ms: 50, timeout: 2}}\n";
    std::ofstream(dir / "scanorch.yaml")
        << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir / "data").string()
        << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\n"
           "workers: {poll_interval_ms: 100, retry_base_ms: 10, retries: 0, circuit_failures: 100}\n"
           "logging: {level: warn}\nplugins:\n  frontend: {use: none}\n"
        << (redis_backend ? "  queue: {use: redis-queue, config: {url: '" + redis->url() + "'}}\n" : "");
    sf::HostConfigDefaults d;
    d.plugin_dir = SCANORCH_PLUGIN_DIR;
    sf::Host host(sf::load_host_config((dir / "scanorch.yaml").string(), d));
    host.load_plugins();
    sf::Orchestrator core(host, sf::Mode::all);
    core.start();

    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) {
        auto r = core.tools()->call("run_untrusted_scan",
                                    R"({"name":"n","targets":"192.0.2.)" + std::to_string(i + 1) + "\"}", {});
        ASSERT_TRUE(r) << r.error().message;
        ids.push_back(Poco::JSON::Parser().parse(*r).extract<Obj>()->getValue<std::string>("task_id"));
    }
    auto status_of = [&](const std::string& id) {
        auto r = core.tools()->call("get_scan_status", R"({"task_id":")" + id + R"("})", {});
        return r ? Poco::JSON::Parser().parse(*r).extract<Obj>()->getValue<std::string>("status") : "?";
    };
    for (int i = 0; i < 100 && (status_of(ids[0]) != "failed" || status_of(ids[1]) != "failed"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(status_of(ids[0]), "failed");

    auto list = ctl(dir / "scanorch.yaml", {"dlq", "list", "--json"});
    ASSERT_EQ(list.rc, 0) << list.out;
    EXPECT_EQ(Poco::JSON::Parser().parse(list.out).extract<Obj>()->getArray("entries")->size(), 2u) << list.out;
    auto table = ctl(dir / "scanorch.yaml", {"dlq", "list"});
    EXPECT_NE(table.out.find("TASK"), std::string::npos);
    EXPECT_NE(table.out.find("2 entries"), std::string::npos) << table.out;
    auto inspect = ctl(dir / "scanorch.yaml", {"dlq", "inspect", ids[0], "--json"});
    ASSERT_EQ(inspect.rc, 0);
    const auto inspected = Poco::JSON::Parser().parse(inspect.out).extract<Obj>();
    EXPECT_NE(inspected->getValue<std::string>("reason").find("connection refused"), std::string::npos) << inspect.out;
    // The entry comes with its task's details, not only the queue's view.
    ASSERT_TRUE(inspected->getObject("task")) << inspect.out;
    EXPECT_EQ(inspected->getObject("task")->getValue<std::string>("targets"), "192.0.2.1") << inspect.out;
    EXPECT_EQ(inspected->getObject("task")->getValue<std::string>("status"), "failed") << inspect.out;
    auto inspect_text = ctl(dir / "scanorch.yaml", {"dlq", "inspect", ids[0]});
    EXPECT_NE(inspect_text.out.find("targets:   192.0.2.1"), std::string::npos) << inspect_text.out;
    auto stats = ctl(dir / "scanorch.yaml", {"stats", "--json"});
    ASSERT_EQ(stats.rc, 0) << stats.out;
    EXPECT_EQ(Poco::JSON::Parser().parse(stats.out).extract<Obj>()->getValue<int>("dead_letter"), 2) << stats.out;
    EXPECT_EQ(ctl(dir / "scanorch.yaml", {"dlq", "inspect", "no-such-task"}).rc, 1);

    // The scanner comes back; retry one task, purge the other.
    scanorch::testing::EmulatorProcess emulator(
        NESSUS_EMULATOR, {"--listen", "127.0.0.1:" + std::to_string(port), "--user", "admin:adminpw", "--scan-seconds",
                          "0.3", "--export-seconds", "0.1", "--extra-items", "2"});
    ASSERT_EQ(emulator.port(), port) << "the emulator must serve the scanner's configured port";
    auto retry = ctl(dir / "scanorch.yaml", {"dlq", "retry", ids[0]});
    ASSERT_EQ(retry.rc, 0) << retry.out;
    EXPECT_NE(retry.out.find("re-queued to east"), std::string::npos) << retry.out;
    for (int i = 0; i < 300 && status_of(ids[0]) != "completed"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(status_of(ids[0]), "completed");
    if (redis_backend) {
        // An entry whose task record is gone (housekeeping removed it) is
        // refused, naming why, and stays for purge. (The memory queue derives
        // its dead letters from the records, so there the entry goes with it.)
        ASSERT_TRUE(scanorch::testing::open_task_store(dir / "data", SQLITE_STORE_PLUGIN)->remove(ids[1]));
        auto orphan = ctl(dir / "scanorch.yaml", {"dlq", "retry", ids[1]});
        EXPECT_EQ(orphan.rc, 1) << orphan.out;
        EXPECT_NE(orphan.out.find("no task '" + ids[1] + "'"), std::string::npos) << orphan.out;
    }
    auto purge = ctl(dir / "scanorch.yaml", {"dlq", "purge", "--yes"});
    ASSERT_EQ(purge.rc, 0) << purge.out;
    EXPECT_NE(purge.out.find("purged 1 entry"), std::string::npos) << purge.out;
    std::uint64_t left = 1;
    for (int i = 0; i < 50 && left != 0; ++i) {  // the running core sees it too
        left = core.queue().depths({}).value().dead_letter;
        if (left) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(left, 0u);
    EXPECT_EQ(Poco::JSON::Parser()
                  .parse(ctl(dir / "scanorch.yaml", {"stats", "--json"}).out)
                  .extract<Obj>()
                  ->getValue<int>("dead_letter"),
              0);
    core.stop();
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, DlqCli, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });
