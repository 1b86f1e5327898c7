// Issue 10, from outside: the faults of a task's lifecycle reproduced against
// real processes (redis-server, nessus-emulators, scanorchd in `all`, `api` and
// `worker` modes, scanorchctl), observed only through the public surfaces:
// the REST tools, /health, /metrics, the CLI, and each emulator's
// /emulator/scans journal of the scans it was asked to create, stop, delete.
// Each test waits on conditions with deadlines; every process it starts is
// reaped when it ends, and on failure every process's log is printed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "emulator_process.h"
#include "redis_server.h"
#include "scanorch_rig.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using scanorch::testing::Child;
using scanorch::testing::EmulatorProcess;
using scanorch::testing::http_call;
using scanorch::testing::HttpReply;
using scanorch::testing::JsonPtr;
using scanorch::testing::RedisServer;
using scanorch::testing::wait_until;

namespace {

// API and worker processes share the credential key, as in production (only
// `scanorchd all` may make its own); the daemons inherit it. A test key.
[[maybe_unused]] const bool kSharedKey =
    ::setenv("SCANORCH_CREDENTIAL_KEY", "5c0a2e7f1b9d4c3a8e6f0b2d4a6c8e1f3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f13", 0) == 0;

constexpr const char* kKeyPrefix = "faults";
constexpr const char* kCappedToken = "capped-client-token-0123456789";

struct ScannerDef {
    std::string id;
    int port = 0;
    int max = 1;
};

struct RigConfig {
    const RedisServer* redis = nullptr;  ///< null: memory-queue
    int lease_ms = 2000;
    int poll_ms = 200;
    int housekeeping_s = 3600;
    std::vector<ScannerDef> scanners;
    bool capped_client = false;  ///< a REST client `capped` with max_concurrent_scans 5
    int retries = 2;
    int retry_base_ms = 200;
    std::string workers_more;   ///< more `workers:` settings, each after ", "
    int scanner_timeout_s = 5;  ///< the nessus plugin's request timeout
};

std::vector<std::string> emulator_args(const std::string& scan_seconds, const std::string& export_seconds,
                                       std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"--user",           "admin:adminpw",
                                  "--scan-seconds",   scan_seconds,
                                  "--export-seconds", export_seconds,
                                  "--extra-items",    "2",
                                  "--max-running",    "50"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

bool terminal(const std::string& s) { return s == "completed" || s == "failed" || s == "cancelled"; }

std::string str(const JsonPtr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return "";
    return o->get(key).convert<std::string>();
}

std::string stringify(const JsonPtr& o) {
    if (!o) return "(none)";
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

/// The scans an emulator was asked to create with this name (deleted ones too).
std::vector<JsonPtr> scans_named(int emulator_port, const std::string& name) {
    std::vector<JsonPtr> out;
    auto r = http_call(emulator_port, "GET", "/emulator/scans");
    auto o = r.json();
    if (!o) {
        ADD_FAILURE() << "emulator :" << emulator_port << " /emulator/scans: " << r.status << " " << r.body;
        return out;
    }
    auto arr = o->getArray("scans");
    for (std::size_t i = 0; arr && i < arr->size(); ++i) {
        auto s = arr->getObject(static_cast<unsigned>(i));
        if (str(s, "name") == name) out.push_back(s);
    }
    return out;
}

std::string describe(const std::vector<JsonPtr>& scans) {
    std::string out;
    for (const auto& s : scans) out += stringify(s) + " ";
    return out.empty() ? "(no scan)" : out;
}

bool scan_active(const JsonPtr& s) {
    if (s->getValue<bool>("deleted")) return false;
    static const std::set<std::string> active = {"pending", "running", "processing", "stopping",
                                                 "pausing", "paused",  "resuming"};
    return active.count(str(s, "status")) > 0;
}

class Rig : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string tag = std::string(info->test_suite_name()) + "-" + info->name();
        std::replace(tag.begin(), tag.end(), '/', '_');
        dir_ = fs::temp_directory_path() / ("scanorch-faults-" + std::to_string(::getpid()) + "-" + tag);
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        http_port_ = scanorch::testing::free_port();
    }

    void TearDown() override {
        for (auto& k : kids_) k->kill9();
        // SCANORCH_TEST_LOGS=1 prints them on success too (to see a fault really happen).
        if (HasFailure() || std::getenv("SCANORCH_TEST_LOGS") != nullptr) {
            for (auto& k : kids_) {
                std::cerr << "----- log of " << k->name() << " (" << k->log() << ") -----\n"
                          << tail(k->log_text(), 150) << "----- end of " << k->name() << " -----\n";
            }
        }
        kids_.clear();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    static std::string tail(const std::string& text, std::size_t lines) {
        std::size_t at = text.size(), n = 0;
        while (at > 0 && n <= lines) {
            at = text.rfind('\n', at - 1);
            if (at == std::string::npos) return text;
            ++n;
        }
        return text.substr(at + 1);
    }

    fs::path write_config(const RigConfig& c) {
        {
            std::ofstream y(dir_ / "scanners.yaml");
            y << "scanners:\n";
            for (const auto& s : c.scanners) {
                y << "  - {instance_id: " << s.id << ", scanner_type: nessus, url: 'http://127.0.0.1:" << s.port
                  << "', max_concurrent_scans: " << s.max
                  << ", credentials: {username: admin, password: adminpw}, options: {export_poll_ms: 50, timeout: "
                  << c.scanner_timeout_s << "}}\n";
            }
        }
        config_ = dir_ / "scanorch.yaml";
        std::ofstream o(config_);
        o << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir_ / "data").string()
          << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\n"
          << "workers: {poll_interval_ms: " << c.poll_ms << ", lease_ms: " << c.lease_ms
          << ", retry_base_ms: " << c.retry_base_ms << ", retries: " << c.retries << ", metrics_listen: '127.0.0.1:0'"
          << c.workers_more << "}\n"
          << "housekeeping: {interval_seconds: " << c.housekeeping_s << "}\n"
          << "logging: {level: info}\nplugins:\n";
        if (c.redis) {
            o << "  queue: {use: redis-queue, config: {url: '" << c.redis->url() << "', key_prefix: " << kKeyPrefix
              << "}}\n";
        } else {
            o << "  queue: {use: memory-queue}\n";
        }
        o << "  frontend:\n    use: http\n    config:\n      listen: '127.0.0.1:" << http_port_ << "'\n";
        default_token_ = c.capped_client ? kCappedToken : "";
        if (c.capped_client) {
            o << "      clients:\n        capped: {token: '" << kCappedToken << "', max_concurrent_scans: 5}\n";
        }
        return config_;
    }

    /// `scanorchd --config <config> <mode...>`, its output in <name>.log.
    Child& daemon(const std::string& name, const std::vector<std::string>& mode) {
        std::vector<std::string> args = {"--config", config_.string()};
        args.insert(args.end(), mode.begin(), mode.end());
        kids_.push_back(std::make_unique<Child>(name, SCANORCHD, args, dir_ / (name + ".log")));
        return *kids_.back();
    }

    /// The size of one of a scanner's sets in Redis: "running" (tasks in its
    /// slots) or "finishing" (held tasks that gave their slot back).
    static std::string scanner_set_size(const RedisServer& redis, const std::string& scanner, const std::string& set) {
        auto r =
            scanorch::testing::run_program(REDIS_CLI, {"-h", "127.0.0.1", "-p", std::to_string(redis.port()), "SCARD",
                                                       std::string(kKeyPrefix) + ":scanners:" + scanner + ":" + set});
        return r.out.substr(0, r.out.find_first_of("\r\n"));
    }

    /// The kill-a-worker rig: an `api` daemon and one `worker` of scanner s1
    /// (one slot) on `redis`, housekeeping every second, the rest as `c`
    /// says (leases of 2 s by default). Returns the worker; the API is healthy.
    Child& api_and_one_worker(const RedisServer& redis, int emulator_port, RigConfig c = {}) {
        c.redis = &redis;
        c.housekeeping_s = 1;
        c.scanners = {{"s1", emulator_port, 1}};
        write_config(c);
        Child& api = daemon("api", {"api"});
        EXPECT_TRUE(healthy(api)) << "the API did not come up";
        return daemon("worker-s1", {"worker", "--scanner", "s1"});
    }

    /// Until the front end answers /health and it is this daemon's (its log says
    /// it serves our port: another test's server there must never pass); false
    /// if the process ended first.
    bool healthy(Child& d, std::chrono::milliseconds timeout = 30s) {
        const std::string mine = "front end serving at http://127.0.0.1:" + std::to_string(http_port_);
        return wait_until(
                   [&] {
                       return !d.alive() || (http_call(http_port_, "GET", "/health").status == 200 &&
                                             d.log_text().find(mine) != std::string::npos);
                   },
                   timeout) &&
               d.alive();
    }

    HttpReply call(const std::string& tool, const std::string& args, const std::string& token = "") {
        return http_call(http_port_, "POST", "/tools/" + tool, args, token.empty() ? default_token_ : token);
    }
    /// With clients configured every request needs a token, loopback included.
    std::string default_token_;

    /// Submits a scan; its task id, or "" after recording a failure.
    std::string submit(const std::string& tool, const std::string& args, const std::string& token = "") {
        auto r = call(tool, args, token);
        auto o = r.json();
        if (r.status != 200 || !o || str(o, "task_id").empty()) {
            ADD_FAILURE() << tool << " " << args << " -> " << r.status << " " << r.body;
            return "";
        }
        return str(o, "task_id");
    }

    /// A scanner's circuit as list_scanners reports it ("?" when not listed).
    std::string circuit_of(const std::string& scanner) {
        auto arr = call("list_scanners", "{}").json();
        auto list = arr ? arr->getArray("scanners") : nullptr;
        for (std::size_t i = 0; list && i < list->size(); ++i) {
            auto s = list->getObject(static_cast<unsigned>(i));
            if (str(s, "instance_id") == scanner) return str(s, "circuit");
        }
        return "?";
    }

    JsonPtr status(const std::string& id) { return call("get_scan_status", R"({"task_id":")" + id + R"("})").json(); }
    std::string status_of(const std::string& id) {
        auto s = status(id);
        return s && s->has("status") ? str(s, "status") : "?";
    }

    /// Waits until the task's status is terminal; the last status seen.
    std::string wait_terminal(const std::string& id, std::chrono::milliseconds timeout) {
        std::string st;
        wait_until([&] { return terminal(st = status_of(id)); }, timeout, 200ms);
        return st;
    }

    /// Hosts named in every finding of the task's results (all pages).
    std::set<std::string> finding_hosts(const std::string& id, std::size_t& findings) {
        std::set<std::string> hosts;
        findings = 0;
        std::string cursor;
        for (int page = 1; page < 100; ++page) {
            auto r =
                call("get_scan_results", R"({"task_id":")" + id + R"(","schema_profile":"minimal","page_size":500)" +
                                             (cursor.empty() ? std::string() : R"(,"cursor":")" + cursor + "\"") + "}");
            auto o = r.json();
            if (r.status != 200 || !o) {
                ADD_FAILURE() << "get_scan_results " << id << ": " << r.status << " " << r.body;
                break;
            }
            auto arr = o->getArray("findings");
            for (std::size_t i = 0; arr && i < arr->size(); ++i) {
                hosts.insert(str(arr->getObject(static_cast<unsigned>(i)), "host"));
                ++findings;
            }
            if (o->isNull("next_cursor")) break;
            cursor = o->getValue<std::string>("next_cursor");
        }
        return hosts;
    }

    /// The body of the two AWorkerStoppedPastItsLease tests (below).
    void stop_a_worker_past_its_lease_mid_export(bool before_the_slot_is_given_back);

    /// A handed-back task's scan ran once on the scanner: the one scan of
    /// that name, launched once (the next run resumed it), and no other
    /// scan created on the emulator.
    void expect_one_scan_resumed(int emulator_port, const std::string& name) {
        const auto scans = scans_named(emulator_port, name);
        ASSERT_EQ(scans.size(), 1u) << describe(scans);
        EXPECT_EQ(scans[0]->getValue<int>("launches"), 1) << "resumed, not launched again: " << describe(scans);
        auto stats = http_call(emulator_port, "GET", "/emulator/stats");
        EXPECT_EQ(str(stats.json(), "scans_created"), "1") << "the scanner created one scan in all: " << stats.body;
    }

    /// The validator's own count of a finished task's ReportItems (its
    /// results_summary, by severity); -1 without one.
    std::int64_t reported_items(const std::string& id) {
        const auto s = status(id);
        const auto summary = s ? s->getObject("results_summary") : nullptr;
        const auto by_severity = summary ? summary->getObject("severity_breakdown") : nullptr;
        if (!by_severity) return -1;
        std::int64_t items = 0;
        for (const auto& [severity, n] : *by_severity) items += n.convert<std::int64_t>();
        return items;
    }

    /// Sum of scanorch_tasks_finished_total{...status="<status>"} on /metrics.
    double finished_total(const std::string& status_label, std::string& text) {
        text = http_call(http_port_, "GET", "/metrics").body;
        std::istringstream in(text);
        std::string line;
        double sum = 0;
        while (std::getline(in, line)) {
            if (line.rfind("scanorch_tasks_finished_total{", 0) != 0) continue;
            if (line.find("status=\"" + status_label + "\"") == std::string::npos) continue;
            sum += std::stod(line.substr(line.rfind(' ') + 1));
        }
        return sum;
    }

    fs::path dir_;
    fs::path config_;
    int http_port_ = 0;
    std::vector<std::unique_ptr<Child>> kids_;
};

class LifecycleFaultsByQueue : public Rig, public ::testing::WithParamInterface<std::string> {
protected:
    std::unique_ptr<RedisServer> backend() { return GetParam() == "redis" ? std::make_unique<RedisServer>() : nullptr; }
};

class LifecycleFaultsHandBack : public Rig, public ::testing::WithParamInterface<std::string> {};

using LifecycleFaults = Rig;

}  // namespace

// Issue 10 #1: an export slower than the worker lease. The heartbeat must keep
// the lease through the export: the task completes exactly once, one scan is
// created, and the daemon lives on (today it aborts: a second claim of the same
// task replaces a still-joinable job thread).
TEST_P(LifecycleFaultsByQueue, ExportSlowerThanTheLeaseCompletesOnceAndTheDaemonLives) {
    auto redis = backend();
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "5"));
    RigConfig c;
    c.redis = redis.get();
    c.lease_ms = 1000;
    c.scanners = {{"s1", emu.port(), 2}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d)) << "scanorchd all did not answer /health";

    const std::string id = submit("run_untrusted_scan", R"({"name":"slow-export","targets":"192.0.2.10"})");
    ASSERT_FALSE(id.empty());
    std::string st;
    wait_until([&] { return !d.alive() || terminal(st = status_of(id)); }, 45s, 200ms);
    ASSERT_TRUE(d.alive()) << "scanorchd died while an export outlasted the lease (" << d.how_it_ended()
                           << "); task status last seen: " << st;
    ASSERT_EQ(st, "completed") << stringify(status(id));
    // A second claim of the task (a lapsed lease) would show within a few
    // leases as a second scan, a second completion or a crash.
    wait_until([&] { return !d.alive() || scans_named(emu.port(), "slow-export").size() > 1; }, 4s, 200ms);
    EXPECT_TRUE(d.alive()) << "scanorchd died after the task completed (" << d.how_it_ended() << ")";
    EXPECT_EQ(http_call(http_port_, "GET", "/health").status, 200);
    const auto scans = scans_named(emu.port(), "slow-export");
    EXPECT_EQ(scans.size(), 1u) << describe(scans);
    std::string metrics;
    EXPECT_EQ(finished_total("completed", metrics), 1.0) << "the task must finish exactly once:\n" << metrics;
    EXPECT_EQ(status_of(id), "completed");
}

// Issue 10 #4: cancel_scan racing a worker's claim. Its answer must be true:
// "Removed from the queue." means no scan was ever created for the task;
// "being stopped" means the task ends cancelled and its scan is stopped or
// deleted on the emulator, never left running nor run to its end.
TEST_P(LifecycleFaultsByQueue, CancelRacingAClaimAnswersTruthfully) {
    auto redis = backend();
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("2", "0.1"));
    RigConfig c;
    c.redis = redis.get();
    c.poll_ms = 100;
    c.scanners = {{"s1", emu.port(), 20}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));

    constexpr int kRounds = 40;
    std::map<std::string, std::pair<std::string, std::string>> asked;  // task -> (name, cancel message)
    for (int i = 0; i < kRounds; ++i) {
        const std::string name = "cancel-race-" + std::to_string(i);
        const std::string id = submit(
            "run_untrusted_scan", R"({"name":")" + name + R"(","targets":"192.0.2.)" + std::to_string(100 + i) + "\"}");
        ASSERT_FALSE(id.empty());
        // Spread the cancels over the claim's window: at once, or up to ~3 ms later.
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(750 * (i % 5));
        while (std::chrono::steady_clock::now() < until) {
        }
        auto r = call("cancel_scan", R"({"task_id":")" + id + R"("})");
        ASSERT_EQ(r.status, 200) << r.body;
        asked[id] = {name, str(r.json(), "message")};
    }
    // Settled: every task ended and no scan of theirs is still active.
    auto settled = [&] {
        for (const auto& [id, a] : asked) {
            if (!terminal(status_of(id))) return false;
            for (const auto& s : scans_named(emu.port(), a.first)) {
                if (scan_active(s)) return false;
            }
        }
        return true;
    };
    const bool quiet = wait_until(settled, 40s, 250ms);
    // One line per broken promise; the first few are printed in full.
    int removed = 0, stopping = 0;
    std::vector<std::string> lies, not_cancelled;
    for (const auto& [id, a] : asked) {
        const auto& [name, message] = a;
        const auto scans = scans_named(emu.port(), name);
        const auto st = status(id);
        if (str(st, "status") != "cancelled") {
            not_cancelled.push_back(name + " ended " + str(st, "status") + " after cancel said '" + message +
                                    "'; scans: " + describe(scans));
        }
        if (message == "Removed from the queue.") {
            ++removed;
            if (!scans.empty()) {
                lies.push_back(name + ": cancel said 'Removed from the queue.' yet " + std::to_string(scans.size()) +
                               " scan(s) were created: " + describe(scans));
            }
        } else if (message == "The scan is being stopped on its scanner.") {
            ++stopping;
            for (const auto& s : scans) {
                const bool stopped_or_deleted = s->getValue<bool>("stopped") || s->getValue<bool>("deleted");
                if (!stopped_or_deleted || str(s, "status") == "completed") {
                    lies.push_back(
                        name + ": cancel said its scan is being stopped, but the scan was " +
                        (str(s, "status") == "completed" ? "run to its end" : "neither stopped nor deleted") + ": " +
                        stringify(s));
                }
            }
        } else {
            lies.push_back(name + ": unexpected cancel message '" + message + "'");
        }
    }
    auto first = [](const std::vector<std::string>& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size() && i < 5; ++i) out += "\n  " + v[i];
        return out;
    };
    std::cout << "[ cancel race ] " << removed << " removed from the queue, " << stopping
              << " stopped on the scanner\n";
    EXPECT_EQ(lies.size(), 0u) << "untruthful cancel answers in " << kRounds << " rounds (" << removed
                               << " said removed, " << stopping << " said being stopped); first ones:" << first(lies);
    EXPECT_EQ(not_cancelled.size(), 0u) << "tasks not ended cancelled; first ones:" << first(not_cancelled);
    EXPECT_TRUE(quiet) << "within 40 s, some task had not ended or some scan was still active";
    EXPECT_TRUE(d.alive()) << "scanorchd " << d.how_it_ended();
}

INSTANTIATE_TEST_SUITE_P(Queue, LifecycleFaultsByQueue, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

// Issue 10 #2: a task that started on s1 (from the global queue) goes back to
// the global queue — handed back by SIGTERM, or reclaimed after s1's worker
// was SIGKILLed and its lease lapsed — and s2's worker claims it. s2 must not
// touch s1's scan: the task goes to s1's queue, and s1's restarted worker
// resumes the same scan. It ends completed, with findings for its own
// target only, one scan on s1's emulator and none on s2's.
TEST_P(LifecycleFaultsHandBack, ATaskWhoseScanLivesOnS1CompletesOnS1AfterS2Claims) {
    const bool kill = GetParam() == "sigkill";
    RedisServer redis;
    EmulatorProcess e1(NESSUS_EMULATOR, emulator_args("6", "0.2")), e2(NESSUS_EMULATOR, emulator_args("1", "0.2"));
    RigConfig c;
    c.redis = &redis;
    c.lease_ms = 2000;
    c.housekeeping_s = 1;
    c.scanners = {{"s1", e1.port(), 1}, {"s2", e2.port(), 1}};
    write_config(c);
    Child& api = daemon("api", {"api"});
    ASSERT_TRUE(healthy(api));
    auto* w1 = &daemon("worker-s1", {"worker", "--scanner", "s1"});

    // s1 busy with A; B waits in s2's queue (no s2 worker yet): both full, so T goes to the global queue.
    const std::string a =
        submit("run_untrusted_scan", R"({"name":"hb-a","targets":"192.0.2.11","scanner_instance":"s1"})");
    ASSERT_FALSE(a.empty());
    ASSERT_TRUE(wait_until([&] { return status_of(a) == "running"; }, 30s)) << stringify(status(a));
    const std::string b =
        submit("run_untrusted_scan", R"({"name":"hb-b","targets":"192.0.2.12","scanner_instance":"s2"})");
    ASSERT_FALSE(b.empty());
    auto tr = call("run_untrusted_scan", R"({"name":"hb-t","targets":"192.0.2.13"})");
    ASSERT_EQ(tr.status, 200) << tr.body;
    const std::string t = str(tr.json(), "task_id");
    ASSERT_EQ(str(tr.json(), "queue"), "global") << "setup: T must wait in the global queue: " << tr.body;

    // When A ends, s1 claims T; wait until T's scan runs on s1 (its scan id is recorded then).
    ASSERT_TRUE(wait_until(
        [&] {
            auto s = scans_named(e1.port(), "hb-t");
            return status_of(t) == "running" && !s.empty() && s[0]->getValue<int>("launches") > 0;
        },
        40s, 200ms))
        << "T did not start on s1: " << stringify(status(t))
        << "; s1 scans: " << describe(scans_named(e1.port(), "hb-t"));
    ASSERT_EQ(str(status(t), "scanner_instance"), "s1");

    if (kill) {
        w1->kill9();
    } else {
        ASSERT_TRUE(w1->terminate(20s)) << "s1's worker did not stop within 20 s of SIGTERM";
        // The worker wrote it in another process: the API's status poll
        // shows that within its bound (TaskStore::kPollStaleness, a second).
        EXPECT_TRUE(wait_until([&] { return status_of(t) == "queued"; }, 10s, 50ms))
            << "a handed-back task is queued again: " << stringify(status(t));
    }
    Child& w2 = daemon("worker-s2", {"worker", "--scanner", "s2"});

    // Let s2 try: B done, T out of the global queue and no longer held for s1.
    auto s2_tried = [&] {
        if (status_of(b) != "completed") return false;
        auto q = call("get_queue_status", "{}").json();
        auto sc = call("list_scanners", "{}").json();
        if (!q || !sc || q->getValue<int>("global") != 0) return false;
        auto arr = sc->getArray("scanners");
        for (std::size_t i = 0; arr && i < arr->size(); ++i) {
            auto s = arr->getObject(static_cast<unsigned>(i));
            if (str(s, "instance_id") == "s1" && s->getValue<int>("running") != 0) return false;
        }
        return true;
    };
    const bool tried = wait_until(s2_tried, 40s, 250ms);
    EXPECT_TRUE(tried) << "within 40 s, s2 did not take T out of the global queue: queue "
                       << call("get_queue_status", "{}").body << " scanners " << call("list_scanners", "{}").body;
    daemon("worker-s1-again", {"worker", "--scanner", "s1"});

    const std::string st = wait_terminal(t, 60s);
    const auto on_s1 = scans_named(e1.port(), "hb-t"), on_s2 = scans_named(e2.port(), "hb-t");
    EXPECT_EQ(st, "completed") << stringify(status(t));
    EXPECT_EQ(on_s1.size(), 1u) << "exactly one scan for T, on s1's emulator: " << describe(on_s1);
    EXPECT_TRUE(on_s2.empty()) << "s2's emulator must never see T: " << describe(on_s2);
    auto s2_stats = http_call(e2.port(), "GET", "/emulator/stats");
    EXPECT_EQ(str(s2_stats.json(), "unknown_scan_requests"), "0")
        << "s2 was asked about a scan it does not have (s1's scan of T): " << s2_stats.body;
    if (st == "completed") {
        std::size_t n = 0;
        const auto hosts = finding_hosts(t, n);
        EXPECT_GT(n, 0u);
        EXPECT_EQ(hosts, std::set<std::string>{"192.0.2.13"}) << "T's findings must be for its own target only";
        EXPECT_EQ(str(status(t), "scanner_instance"), "s1");
    }
    EXPECT_EQ(wait_terminal(a, 30s), "completed");
    EXPECT_EQ(wait_terminal(b, 30s), "completed");
    EXPECT_TRUE(api.alive()) << "the api process " << api.how_it_ended();
    EXPECT_TRUE(w2.alive()) << "s2's worker " << w2.how_it_ended();
}

INSTANTIATE_TEST_SUITE_P(Signal, LifecycleFaultsHandBack, ::testing::Values("sigterm", "sigkill"),
                         [](const auto& info) { return info.param; });

// Issue 10 #3: a worker SIGKILLed while it waits for the export. The task is
// reclaimed when the lease lapses, a new worker finishes it once, on the same
// scan. The slow export had given the scanner's slot back (its scan had
// ended) before the kill: the claim it kept is still reclaimed, and no slot
// or held entry is left over in Redis.
TEST_F(LifecycleFaults, WorkerKilledDuringTheExportWaitIsReclaimedAndCompletesOnce) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "4"));
    Child& w1 = api_and_one_worker(redis, emu.port());
    auto scard = [&](const std::string& set) { return scanner_set_size(redis, "s1", set); };

    const std::string id = submit("run_untrusted_scan", R"({"name":"export-kill","targets":"192.0.2.40"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_until([&] { return str(status(id), "phase") == "exporting"; }, 30s, 100ms))
        << stringify(status(id));
    ASSERT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "1"; }, 5s, 50ms))
        << "the slow export kept its slot: running " << scard("running") << ", finishing " << scard("finishing");
    w1.kill9();
    daemon("worker-s1-again", {"worker", "--scanner", "s1"});

    const std::string st = wait_terminal(id, 60s);
    EXPECT_EQ(st, "completed") << stringify(status(id));
    EXPECT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "0"; }, 5s, 50ms))
        << "left over: running " << scard("running") << ", finishing " << scard("finishing");
    const auto scans = scans_named(emu.port(), "export-kill");
    EXPECT_EQ(scans.size(), 1u) << describe(scans);
    if (st == "completed") {
        std::size_t n = 0;
        EXPECT_EQ(finding_hosts(id, n), std::set<std::string>{"192.0.2.40"});
    }
}

// The interrupted path between the take-over, which records running/creating,
// and the scan's creation: a worker SIGKILLed while its POST /scans waits on
// the server. The task is reclaimed when the lease lapses and the next run
// creates, launches and completes one scan. The dead worker's request still
// creates a scan on the server (a server that received it does): that one is
// never launched, and the task never names it.
TEST_F(LifecycleFaults, WorkerKilledWhileCreatingItsScanIsReclaimedAndLaunchesOneScan) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "0.1", {"--create-seconds", "3"}));
    RigConfig c;
    c.scanner_timeout_s = 10;  // longer than the create: the first run is killed, not timed out
    Child& w1 = api_and_one_worker(redis, emu.port(), c);

    const std::string id = submit("run_untrusted_scan", R"({"name":"create-kill","targets":"192.0.2.45"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_until([&] { return str(status(id), "phase") == "creating"; }, 30s, 50ms)) << stringify(status(id));
    // Killed once its POST /scans is on the server (held there 3 s).
    ASSERT_TRUE(wait_until(
        [&] { return str(http_call(emu.port(), "GET", "/emulator/stats").json(), "creates_received") == "1"; }, 30s,
        20ms));
    w1.kill9();
    daemon("worker-s1-again", {"worker", "--scanner", "s1"});

    const std::string st = wait_terminal(id, 60s);
    EXPECT_EQ(st, "completed") << stringify(status(id));
    // The dead run's create lands 3 s after it was sent: wait for it too.
    ASSERT_TRUE(wait_until([&] { return scans_named(emu.port(), "create-kill").size() >= 2; }, 10s, 200ms))
        << describe(scans_named(emu.port(), "create-kill"));
    const auto scans = scans_named(emu.port(), "create-kill");
    int launched = 0;
    for (const auto& s : scans) launched += s->getValue<int>("launches") > 0 ? 1 : 0;
    EXPECT_EQ(scans.size(), 2u) << "one scan per run that reached the server: " << describe(scans);
    EXPECT_EQ(launched, 1) << "one scan launched for the task: " << describe(scans);
}

// Counts a task's rows in the store's findings index, read straight from the
// sqlite-store file the daemons share (read-only, beside their writes).
struct IndexCount {
    std::int64_t rows = -1, distinct_seqs = -1, max_seq = -1;
};
IndexCount index_count(const std::filesystem::path& db_file, const std::string& task_id) {
    IndexCount n;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return n;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), count(DISTINCT seq), coalesce(max(seq), -1) FROM findings"
                           " WHERE task_key = (SELECT task_key FROM tasks WHERE task_id = ?)",
                           -1, &st, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, task_id.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            n.rows = sqlite3_column_int64(st, 0);
            n.distinct_seqs = sqlite3_column_int64(st, 1);
            n.max_seq = sqlite3_column_int64(st, 2);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// The interrupted path of indexing: a worker SIGKILLed while its validator
// streams a large export into the findings index. The task is reclaimed when
// the lease lapses; the next run exports again, clears the half-written
// index and indexes every finding exactly once, on the same scan.
TEST_F(LifecycleFaults, WorkerKilledWhileIndexingIsReclaimedAndIndexesEveryFindingOnce) {
    RedisServer redis;
    // 16 hosts x 6000 findings: indexing takes long enough to be caught.
    EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--scan-seconds", "1", "--export-seconds", "0.1",
                                          "--extra-items", "6000", "--max-running", "50"});
    RigConfig c;
    c.redis = &redis;
    c.lease_ms = 2000;
    c.scanners = {{"s1", emu.port(), 1}};
    write_config(c);
    Child& api = daemon("api", {"api"});
    ASSERT_TRUE(healthy(api));
    Child& w1 = daemon("worker-s1", {"worker", "--scanner", "s1"});
    const auto db_file = dir_ / "data" / "store.sqlite";

    const std::string id = submit("run_untrusted_scan", R"({"name":"index-kill","targets":"192.0.2.32/28"})");
    ASSERT_FALSE(id.empty());
    // Rows appear batch by batch while the task is still validating.
    IndexCount at_kill;
    ASSERT_TRUE(wait_until([&] { return (at_kill = index_count(db_file, id)).rows > 0; }, 60s, 5ms))
        << stringify(status(id));
    w1.kill9();
    const auto after_kill = status(id);
    ASSERT_EQ(str(after_kill, "status"), "running") << "indexing ended before the kill: " << stringify(after_kill);
    ASSERT_EQ(str(after_kill, "phase"), "validating") << stringify(after_kill);
    const auto half = index_count(db_file, id);
    daemon("worker-s1-again", {"worker", "--scanner", "s1"});

    const std::string st = wait_terminal(id, 120s);
    ASSERT_EQ(st, "completed") << stringify(status(id));
    EXPECT_EQ(scans_named(emu.port(), "index-kill").size(), 1u) << "the next run exports the same scan";
    const std::int64_t items = reported_items(id);
    ASSERT_GE(items, 0) << stringify(status(id));
    const auto now = index_count(db_file, id);
    EXPECT_GT(items, half.rows) << "the kill came before the last batch";
    EXPECT_EQ(now.rows, items) << "every ReportItem indexed, none twice";
    EXPECT_EQ(now.distinct_seqs, items);
    EXPECT_EQ(now.max_seq, items - 1);
}

// Issue 10 #5: a submission under an idempotency key whose enqueue fails must
// release the key, so that the same call, once the backend works again,
// queues a task that completes. (a) Redis down: the key cannot even be taken.
// (b) Redis up but refusing writes to task records (an ACL), so the key is
// taken and then the enqueue fails: today the retry answers 404 for 24 h.
TEST_F(LifecycleFaults, AFailedEnqueueUnderAnIdempotencyKeyCanBeRetried) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "0.1"));
    RigConfig c;
    c.redis = &redis;
    c.scanners = {{"s1", emu.port(), 2}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));
    auto redis_cli = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"-h", "127.0.0.1", "-p", std::to_string(redis.port())});
        return scanorch::testing::run_program(REDIS_CLI, args);
    };

    // (a) Redis stopped.
    const std::string args_a = R"({"name":"idem-a","targets":"192.0.2.21","idempotency_key":"key-a"})";
    redis.stop();
    auto first = call("run_untrusted_scan", args_a);
    EXPECT_EQ(first.status, 503) << first.body;
    redis.start();
    ASSERT_TRUE(wait_until([&] { return http_call(http_port_, "GET", "/ready").status == 200; }, 30s));
    auto again = call("run_untrusted_scan", args_a);
    ASSERT_EQ(again.status, 200) << "(a) the retry after Redis came back: " << again.body;
    const std::string id_a = str(again.json(), "task_id");
    EXPECT_EQ(wait_terminal(id_a, 40s), "completed") << stringify(status(id_a));

    // (b) The key is taken, then the enqueue fails.
    const std::string pattern_rw = std::string("~") + kKeyPrefix + ":[^t]*";
    const std::string pattern_r = std::string("%R~") + kKeyPrefix + ":task:*";
    auto acl = redis_cli({"ACL", "SETUSER", "default", "resetkeys", pattern_rw, pattern_r});
    ASSERT_NE(acl.out.find("OK"), std::string::npos) << acl.out;
    const std::string args_b = R"({"name":"idem-b","targets":"192.0.2.22","idempotency_key":"key-b"})";
    auto refused = call("run_untrusted_scan", args_b);
    auto restore = redis_cli({"ACL", "SETUSER", "default", "allkeys"});
    ASSERT_NE(restore.out.find("OK"), std::string::npos) << restore.out;
    ASSERT_EQ(refused.status, 503) << "setup: with task records read-only the enqueue must fail: " << refused.body;
    auto retried = call("run_untrusted_scan", args_b);
    ASSERT_EQ(retried.status, 200) << "(b) the retry with the same key after the enqueue failed: " << retried.body;
    const std::string id_b = str(retried.json(), "task_id");
    ASSERT_FALSE(id_b.empty()) << retried.body;
    EXPECT_EQ(wait_terminal(id_b, 40s), "completed") << stringify(status(id_b));
    EXPECT_EQ(scans_named(emu.port(), "idem-b").size(), 1u);
}

// Issue 10 #6: Redis restarted without persistence while one task runs and
// four wait. Housekeeping's reconciliation must bring every task to its end,
// none run twice, and no client slot leak: the capped client can still scan.
TEST_F(LifecycleFaults, RedisRestartWithoutPersistenceLosesNoTaskAndNoClientSlot) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("3", "0.2"));
    RigConfig c;
    c.redis = &redis;
    c.lease_ms = 2000;
    c.housekeeping_s = 1;
    c.capped_client = true;
    c.scanners = {{"s1", emu.port(), 1}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));

    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(submit(
            "run_untrusted_scan",
            R"({"name":"wipe-)" + std::to_string(i) + R"(","targets":"192.0.2.)" + std::to_string(50 + i) + "\"}",
            kCappedToken));
        ASSERT_FALSE(ids.back().empty());
    }
    ASSERT_TRUE(wait_until(
        [&] {
            auto s = scans_named(emu.port(), "wipe-0");
            return status_of(ids[0]) == "running" && !s.empty() && s[0]->getValue<int>("launches") > 0;
        },
        30s, 200ms))
        << stringify(status(ids[0]));
    for (int i = 1; i < 5; ++i) ASSERT_EQ(status_of(ids[i]), "queued") << i;

    redis.stop();
    redis.start();  // empty: the queues, leases and client slots are gone

    std::map<std::string, std::string> final_status;
    wait_until(
        [&] {
            bool all_ended = true;
            for (const auto& id : ids) all_ended = terminal(final_status[id] = status_of(id)) && all_ended;
            return all_ended;
        },
        75s, 500ms);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(final_status[ids[i]], "completed") << "75 s after the Redis restart: " << stringify(status(ids[i]));
        const auto scans = scans_named(emu.port(), "wipe-" + std::to_string(i));
        EXPECT_EQ(scans.size(), 1u) << "wipe-" << i << " must run once: " << describe(scans);
    }
    auto next = call("run_untrusted_scan", R"({"name":"wipe-after","targets":"192.0.2.60"})", kCappedToken);
    ASSERT_EQ(next.status, 200) << "the capped client must still be able to start a scan: " << next.body;
    const std::string id = str(next.json(), "task_id");
    EXPECT_EQ(wait_terminal(id, 30s), "completed") << stringify(status(id));
    EXPECT_TRUE(d.alive()) << "scanorchd " << d.how_it_ended();
}

// Redis restarted without persistence while a slow export has given its slot
// back and the scanner's next scan runs in it: both claims, the running and
// finishing sets and the scanner's queue are gone at once. The runs in
// flight lose their leases; housekeeping queues both tasks again, and each
// completes once, on its own scan, never two scans running at a time on the
// one-slot scanner, nothing left in either set, and the finished export's
// findings indexed once.
TEST_F(LifecycleFaults, RedisRestartWhileASlotIsGivenBackLosesNoTaskAndRunsNoScanTwice) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "6"));
    RigConfig c;
    c.redis = &redis;
    c.housekeeping_s = 1;
    c.scanners = {{"s1", emu.port(), 1}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));
    auto scard = [&](const std::string& set) { return scanner_set_size(redis, "s1", set); };

    const std::string a = submit("run_untrusted_scan", R"({"name":"vacate-wipe-a","targets":"192.0.2.81"})");
    const std::string b = submit("run_untrusted_scan", R"({"name":"vacate-wipe-b","targets":"192.0.2.82"})");
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    // a's export (6 s) gave its slot back, and b's scan runs in it.
    ASSERT_TRUE(wait_until(
        [&] {
            const auto sb = scans_named(emu.port(), "vacate-wipe-b");
            return scard("finishing") == "1" && scard("running") == "1" && !sb.empty() &&
                   sb[0]->getValue<int>("launches") > 0;
        },
        30s, 50ms))
        << "a: " << stringify(status(a)) << "\nb: " << stringify(status(b));
    ASSERT_EQ(str(status(a), "phase"), "exporting") << stringify(status(a));

    redis.stop();
    redis.start();  // empty: claims, leases, both sets and the queues are gone

    std::map<std::string, std::string> final_status;
    wait_until(
        [&] {
            final_status[a] = status_of(a);
            final_status[b] = status_of(b);
            return terminal(final_status[a]) && terminal(final_status[b]);
        },
        75s, 500ms);
    EXPECT_EQ(final_status[a], "completed") << stringify(status(a));
    EXPECT_EQ(final_status[b], "completed") << stringify(status(b));
    for (const char* name : {"vacate-wipe-a", "vacate-wipe-b"}) {
        const auto scans = scans_named(emu.port(), name);
        ASSERT_EQ(scans.size(), 1u) << name << " must have one scan: " << describe(scans);
        EXPECT_EQ(scans[0]->getValue<int>("launches"), 1) << name << " resumed, not launched again";
    }
    auto stats = http_call(emu.port(), "GET", "/emulator/stats");
    EXPECT_EQ(str(stats.json(), "peak_running"), "1") << "two scans ran at once on a one-slot scanner: " << stats.body;
    EXPECT_EQ(str(stats.json(), "scans_created"), "2") << stats.body;
    EXPECT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "0"; }, 5s, 50ms))
        << "left over: running " << scard("running") << ", finishing " << scard("finishing");
    std::size_t n = 0;
    if (final_status[a] == "completed") {
        EXPECT_EQ(finding_hosts(a, n), std::set<std::string>{"192.0.2.81"});
        EXPECT_EQ(static_cast<std::int64_t>(n), reported_items(a)) << "a's findings indexed once";
        EXPECT_GT(n, 0u);
    }
    // Each run in flight is told once that its lease is gone, not at every
    // heartbeat until it reaches its next step.
    const std::string log = d.log_text();
    for (const auto& id : {a, b}) {
        const std::string line = "task " + id + ": lease lost";
        std::size_t count = 0;
        for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++count;
        EXPECT_LE(count, 1u) << line;
    }
    EXPECT_TRUE(d.alive()) << "scanorchd " << d.how_it_ended();
}

// The slow, interrupted and concurrent path of a lapsed lease, against real
// processes: worker-s1 is stopped (SIGSTOP) past its lease while its run
// exports slowly (6 s). worker-s2's dispatcher reclaims the lease meanwhile,
// which puts the task back at the head of s1's queue; worker-s1 then goes on
// and claims it again. Stopped once the export has given its slot back, its
// dispatcher has room at once and claims before the heartbeat renews: the
// run adopts the new claim and goes on. Stopped as the export is asked for,
// the run still holds the slot, so the heartbeat first finds the lease lost
// and the claim that follows must not be adopted: the lost run stops after
// its export, and a fresh run takes the record over and exports again.
// Either way the task completes once, on its one scan, with its findings
// indexed once and nothing left in the scanner's queue or sets.
void LifecycleFaults::stop_a_worker_past_its_lease_mid_export(bool before_the_slot_is_given_back) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "6"));
    RigConfig c;
    c.redis = &redis;
    c.lease_ms = 2000;
    c.housekeeping_s = 1;
    c.scanners = {{"s1", emu.port(), 1}, {"s2", emu.port(), 1}};
    write_config(c);
    Child& api = daemon("api", {"api"});
    ASSERT_TRUE(healthy(api));
    Child& w1 = daemon("worker-s1", {"worker", "--scanner", "s1"});
    Child& w2 = daemon("worker-s2", {"worker", "--scanner", "s2"});
    auto scard = [&](const std::string& set) { return scanner_set_size(redis, "s1", set); };
    auto queued_on_s1 = [&] {
        auto r = scanorch::testing::run_program(REDIS_CLI, {"-h", "127.0.0.1", "-p", std::to_string(redis.port()),
                                                            "LLEN", std::string(kKeyPrefix) + ":queue:nessus:s1"});
        return r.out.substr(0, r.out.find_first_of("\r\n"));
    };
    auto exports_asked = [&] { return str(http_call(emu.port(), "GET", "/emulator/stats").json(), "exports"); };

    const std::string id =
        submit("run_untrusted_scan", R"({"name":"stopped-export","targets":"192.0.2.91","scanner_instance":"s1"})");
    ASSERT_FALSE(id.empty());
    if (before_the_slot_is_given_back) {
        ASSERT_TRUE(wait_until([&] { return exports_asked() == "1"; }, 30s, 20ms)) << stringify(status(id));
    } else {
        ASSERT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "1"; }, 30s, 50ms))
            << "the slow export never gave its slot back: " << stringify(status(id));
    }
    w1.signal(SIGSTOP);
    // worker-s2 reclaims the lapsed lease (one pass every 5 s per process).
    const bool reclaimed = wait_until([&] { return queued_on_s1() == "1"; }, 20s, 100ms);
    w1.signal(SIGCONT);
    ASSERT_TRUE(reclaimed) << "the lapsed lease was not reclaimed: " << stringify(status(id));

    EXPECT_EQ(wait_terminal(id, 60s), "completed") << stringify(status(id));
    expect_one_scan_resumed(emu.port(), "stopped-export");
    std::size_t n = 0;
    EXPECT_EQ(finding_hosts(id, n), std::set<std::string>{"192.0.2.91"});
    EXPECT_EQ(static_cast<std::int64_t>(n), reported_items(id)) << "findings indexed once";
    EXPECT_TRUE(wait_until(
        [&] { return scard("running") == "0" && scard("finishing") == "0" && queued_on_s1() == "0"; }, 5s, 50ms))
        << "left over: running " << scard("running") << ", finishing " << scard("finishing") << ", queued "
        << queued_on_s1();
    const std::string log = w1.log_text();
    auto times = [&](const std::string& line) {
        std::size_t k = 0;
        for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++k;
        return k;
    };
    EXPECT_LE(times("task " + id + ": lease lost"), 1u);
    if (before_the_slot_is_given_back) {
        // The path this test is for: found lost first, then claimed again.
        EXPECT_EQ(times("task " + id + ": lease lost"), 1u) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
        EXPECT_EQ(times("task " + id + ": claimed again while running here"), 0u) << "a lost run adopted a claim";
    }
    EXPECT_TRUE(w1.alive()) << "worker-s1 " << w1.how_it_ended();
    EXPECT_TRUE(w2.alive()) << "worker-s2 " << w2.how_it_ended();
}

TEST_F(LifecycleFaults, AWorkerStoppedPastItsLeaseAfterGivingItsSlotBackLosesNothing) {
    stop_a_worker_past_its_lease_mid_export(false);
}

TEST_F(LifecycleFaults, AWorkerStoppedPastItsLeaseWhileHoldingItsSlotStartsAFreshRun) {
    stop_a_worker_past_its_lease_mid_export(true);
}

// Issue 10 #7: `scanorchctl dlq retry` after a trusted scan failed for its
// login shows no stale results: right after the retry the status has no
// results_summary, no authentication_status, no warnings and no error; then
// the task runs again (a second scan).
TEST_F(LifecycleFaults, DlqRetryOfAFailedTrustedScanShowsNoStaleResults) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("3", "0.1", {"--target-account", "scan:rightpw"}));
    RigConfig c;
    c.redis = &redis;
    c.scanners = {{"s1", emu.port(), 2}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));

    const std::string id =
        submit("run_trusted_scan",
               R"({"name":"dlq-auth","targets":"192.0.2.31","ssh_username":"scan","ssh_password":"wrongpw"})");
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(wait_terminal(id, 40s), "failed") << stringify(status(id));
    auto before = status(id);
    ASSERT_EQ(str(before, "authentication_status"), "failed") << "setup: the login must fail: " << stringify(before);
    ASSERT_FALSE(before->isNull("results_summary")) << stringify(before);

    auto retry = scanorch::testing::run_program(SCANORCHCTL, {"--config", config_.string(), "dlq", "retry", id});
    ASSERT_EQ(retry.rc, 0) << retry.out;
    // scanorchctl wrote the retry in another process: the daemon's status
    // poll shows it within its bound (TaskStore::kPollStaleness, a second),
    // and the task's new scan runs 3 s, so the retried state is seen before
    // it can fail again. The first answer that shows it must carry nothing
    // of the failed run.
    JsonPtr after;
    EXPECT_TRUE(wait_until(
        [&] {
            after = status(id);
            return after && str(after, "status") != "failed";
        },
        10s, 50ms))
        << "the retry never showed: " << stringify(after);
    ASSERT_TRUE(after) << "get_scan_status after the retry";
    EXPECT_TRUE(after->isNull("results_summary")) << "stale results_summary after dlq retry: " << stringify(after);
    EXPECT_EQ(str(after, "authentication_status"), "")
        << "stale authentication_status after dlq retry: " << stringify(after);
    auto warnings = after->getArray("warnings");
    EXPECT_TRUE(!warnings || warnings->size() == 0) << "stale warnings after dlq retry: " << stringify(after);
    EXPECT_TRUE(after->isNull("error")) << "stale error after dlq retry: " << stringify(after);
    EXPECT_TRUE(after->isNull("troubleshooting")) << stringify(after);
    // The failed run's export is not the retried task's result (its new scan runs 3 s).
    auto stale = call("get_scan_results", R"({"task_id":")" + id + R"("})");
    EXPECT_NE(stale.status, 200) << "right after dlq retry, get_scan_results served the failed run's export: "
                                 << stale.body.substr(0, 300);

    EXPECT_TRUE(wait_until([&] { return scans_named(emu.port(), "dlq-auth").size() == 2; }, 30s))
        << "the retried task must run again: " << describe(scans_named(emu.port(), "dlq-auth"));
    EXPECT_EQ(wait_terminal(id, 40s), "failed") << "the same wrong password fails again: " << stringify(status(id));
}

// A worker SIGTERMed mid-scan hands its task back at once: another worker of
// the same scanner resumes the same scan well inside lease_ms (30 s here),
// and the emulator still has created one scan.
TEST_F(LifecycleFaults, SigtermedWorkerHandsBackAndAnotherResumesWellInsideTheLease) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("4", "0.2"));
    RigConfig c;
    c.redis = &redis;
    c.lease_ms = 30000;
    c.scanners = {{"s1", emu.port(), 1}};
    write_config(c);
    Child& api = daemon("api", {"api"});
    ASSERT_TRUE(healthy(api));
    Child& w1 = daemon("worker-s1-a", {"worker", "--scanner", "s1"});
    const std::string id = submit("run_untrusted_scan", R"({"name":"handoff","targets":"192.0.2.70"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_until(
        [&] {
            auto s = scans_named(emu.port(), "handoff");
            return status_of(id) == "running" && !s.empty() && s[0]->getValue<int>("launches") > 0;
        },
        30s, 100ms))
        << stringify(status(id));
    daemon("worker-s1-b", {"worker", "--scanner", "s1"});
    ASSERT_TRUE(w1.terminate(20s)) << "worker-s1-a did not stop within 20 s of SIGTERM";
    const auto t0 = std::chrono::steady_clock::now();
    const std::string st = wait_terminal(id, 25s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(st, "completed") << stringify(status(id));
    EXPECT_LT(took.count(), 15000) << "after the hand-back the task took " << took.count()
                                   << " ms: it waited for the lease";
    expect_one_scan_resumed(emu.port(), "handoff");
}

// SIGTERM while a slow export runs after its slot was given back: the worker
// finishes the export it is in, hands the task back to the head of its
// scanner's queue, and the other worker of the scanner resumes the same scan
// (exporting it again) to one completion. Nothing is left in the scanner's
// running or finishing set.
TEST_F(LifecycleFaults, SigtermedWorkerHandsBackATaskThatGaveItsSlotBack) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "5"));
    RigConfig c;
    c.lease_ms = 30000;
    Child& w1 = api_and_one_worker(redis, emu.port(), c);
    auto scard = [&](const std::string& set) { return scanner_set_size(redis, "s1", set); };
    const std::string id = submit("run_untrusted_scan", R"({"name":"vacated-handoff","targets":"192.0.2.71"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "1"; }, 30s, 50ms))
        << "the slow export never gave its slot back: " << stringify(status(id));
    daemon("worker-s1-b", {"worker", "--scanner", "s1"});
    ASSERT_TRUE(w1.terminate(20s)) << "worker-s1-a did not stop within 20 s of SIGTERM";
    const std::string st = wait_terminal(id, 40s);
    EXPECT_EQ(st, "completed") << stringify(status(id));
    expect_one_scan_resumed(emu.port(), "vacated-handoff");
    EXPECT_TRUE(wait_until([&] { return scard("running") == "0" && scard("finishing") == "0"; }, 5s, 50ms))
        << "left over: running " << scard("running") << ", finishing " << scard("finishing");
}

// The concurrent path of giving slots back: two worker processes of one
// one-slot scanner, three scans with 6 s exports. A slot one process gives
// back may go to the other, and the bound (as many finishing as slots) holds
// across both: Redis never shows more than one task in the scanner's slot
// nor more than one finishing, the scanner never runs two scans, and all
// three complete with one scan each.
TEST_F(LifecycleFaults, TwoWorkerProcessesOfOneScannerKeepTheBoundOnSlotsGivenBack) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("0.3", "6"));
    RigConfig c;
    c.lease_ms = 30000;
    api_and_one_worker(redis, emu.port(), c);
    daemon("worker-s1-b", {"worker", "--scanner", "s1"});
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(submit("run_untrusted_scan", R"({"name":"two-workers-)" + std::to_string(i) +
                                                       R"(","targets":"192.0.2.7)" + std::to_string(2 + i) + "\"}"));
        ASSERT_FALSE(ids.back().empty());
    }
    int most_finishing = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            const int running = std::stoi("0" + scanner_set_size(redis, "s1", "running"));
            const int finishing = std::stoi("0" + scanner_set_size(redis, "s1", "finishing"));
            EXPECT_LE(running, 1) << "two tasks in a one-slot scanner's slots";
            EXPECT_LE(finishing, 1) << "more tasks finishing than the scanner has slots";
            most_finishing = std::max(most_finishing, finishing);
            return std::all_of(ids.begin(), ids.end(), [&](const auto& id) { return terminal(status_of(id)); });
        },
        90s, 100ms));
    EXPECT_EQ(most_finishing, 1) << "no slot was ever given back";
    for (const auto& id : ids) EXPECT_EQ(status_of(id), "completed") << stringify(status(id));
    auto stats = http_call(emu.port(), "GET", "/emulator/stats");
    EXPECT_EQ(str(stats.json(), "peak_running"), "1") << stats.body;
    EXPECT_EQ(str(stats.json(), "scans_created"), "3") << "one scan per task: " << stats.body;
    EXPECT_TRUE(wait_until(
        [&] {
            return scanner_set_size(redis, "s1", "running") == "0" && scanner_set_size(redis, "s1", "finishing") == "0";
        },
        5s, 50ms));
}

// A task cancelled while its worker is dead (SIGKILLed mid-scan): cancel_scan
// answers "being stopped", so whoever claims the task next, once the lease
// lapses, must stop or delete its scan on the scanner that owns it rather
// than drop the task and leave the scan running to its end.
TEST_F(LifecycleFaults, CancelledTaskWhoseWorkerDiedHasItsScanStoppedByTheNextClaim) {
    RedisServer redis;
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("60", "0.1"));
    Child& w1 = api_and_one_worker(redis, emu.port());
    const std::string id = submit("run_untrusted_scan", R"({"name":"orphan-cancel","targets":"192.0.2.80"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_until(
        [&] {
            auto s = scans_named(emu.port(), "orphan-cancel");
            return status_of(id) == "running" && !s.empty() && s[0]->getValue<int>("launches") > 0;
        },
        30s, 100ms))
        << stringify(status(id));
    w1.kill9();
    auto cancel = call("cancel_scan", R"({"task_id":")" + id + R"("})");
    ASSERT_EQ(cancel.status, 200) << cancel.body;
    EXPECT_EQ(str(cancel.json(), "message"), "The scan is being stopped on its scanner.") << cancel.body;
    daemon("worker-s1-again", {"worker", "--scanner", "s1"});

    // The lease (2 s) lapses, the task is claimed again, its scan is stopped: well before the scan's 60 s.
    auto ended = [&] {
        auto s = scans_named(emu.port(), "orphan-cancel");
        return s.size() == 1 && (s[0]->getValue<bool>("stopped") || s[0]->getValue<bool>("deleted"));
    };
    EXPECT_TRUE(wait_until(ended, 25s, 250ms))
        << "25 s after the cancel the dead worker's scan was neither stopped nor deleted: "
        << describe(scans_named(emu.port(), "orphan-cancel"));
    EXPECT_EQ(status_of(id), "cancelled") << stringify(status(id));
    EXPECT_EQ(scans_named(emu.port(), "orphan-cancel").size(), 1u);
}

// The circuit breaker's whole cycle through `scanorchd all`, with its state
// (list_scanners) and gauge (/metrics) checked at each step: failures open it;
// while open no scan is tried; after circuit_open_ms one trial runs
// (half-open) and its success closes it; a failed trial opens it again. The
// open time (12 s) is far longer than any check made inside it, so no step
// races the flip to half-open; each trial lasts seconds so half-open is seen.
TEST_F(LifecycleFaults, CircuitBreakerOpensTriesOnceAndClosesOrReopens) {
    const int port = scanorch::testing::free_port();  // the scanner's: down, up, slow, in turn
    RigConfig c;
    c.retries = 0;
    c.poll_ms = 200;
    c.scanner_timeout_s = 2;
    c.workers_more = ", circuit_failures: 2, circuit_open_ms: 12000";
    c.scanners = {{"s1", port, 2}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));
    auto circuit = [&] { return circuit_of("s1"); };
    auto gauge = [&] {
        const auto text = http_call(http_port_, "GET", "/metrics").body;
        const std::string series = "nessus_scanner_circuit_breaker_open{scanner_instance=\"s1\"} ";
        const auto at = text.find(series);
        return at == std::string::npos ? std::string("?") : text.substr(at + series.size(), 1);
    };
    auto scan = [&](const std::string& name) {
        return submit("run_untrusted_scan",
                      R"({"name":")" + name + R"(","targets":"192.0.2.90","scanner_instance":"s1"})");
    };
    auto open_with_failures = [&](const std::string& round) {
        // Two failures in a row (nothing listens: connection refused) open it.
        for (const auto& n : {"a", "b"}) EXPECT_EQ(wait_terminal(scan(round + n), 30s), "failed");
        EXPECT_TRUE(wait_until([&] { return circuit() == "open"; }, 5s)) << round << ": " << circuit();
        EXPECT_TRUE(wait_until([&] { return gauge() == "1"; }, 8s)) << round << ": gauge " << gauge();
    };
    ASSERT_EQ(circuit(), "closed");
    EXPECT_EQ(gauge(), "0");

    // 1. Open; a scan submitted now waits, untried, until the open time passes.
    open_with_failures("c1");
    EmulatorProcess up(NESSUS_EMULATOR, emulator_args("3", "0.1", {"--listen", "127.0.0.1:" + std::to_string(port)}));
    ASSERT_EQ(up.port(), port);
    const auto trial = scan("trial-ok");
    EXPECT_EQ(circuit(), "open") << "well inside the 12 s open time";
    // 2. Half-open: one trial scan runs (3 s); the gauge says not open. Until
    // then the trial waits: seen started while the circuit (read after) is
    // still open would be a scan let through an open circuit.
    std::string started_while_open;
    ASSERT_TRUE(wait_until(
        [&] {
            const auto st = status_of(trial);
            const auto now = circuit();
            if (st != "queued" && now == "open") started_while_open = st;
            return now == "half_open";
        },
        30s, 100ms))
        << circuit();
    EXPECT_EQ(started_while_open, "") << "the trial left the queue while the circuit was open";
    EXPECT_TRUE(wait_until([&] { return gauge() == "0"; }, 8s)) << "gauge " << gauge();
    // 3. The trial succeeds: closed.
    EXPECT_EQ(wait_terminal(trial, 30s), "completed") << stringify(status(trial));
    EXPECT_TRUE(wait_until([&] { return circuit() == "closed"; }, 5s)) << circuit();
    EXPECT_EQ(gauge(), "0");
    EXPECT_EQ(http_call(port, "GET", "/emulator/stats").json()->getValue<int>("scans_created"), 1)
        << "one trial, no more";
    up.stop();

    // 4. Open again; the trial meets a scanner that answers too slowly (2 s timeout): open again.
    open_with_failures("c2");
    EmulatorProcess slow(
        NESSUS_EMULATOR,
        emulator_args("3", "0.1", {"--listen", "127.0.0.1:" + std::to_string(port), "--slow-ms", "4000"}));
    const auto failing = scan("trial-fails");
    ASSERT_TRUE(wait_until([&] { return circuit() == "half_open"; }, 30s, 100ms)) << circuit();
    EXPECT_EQ(wait_terminal(failing, 30s), "failed") << stringify(status(failing));
    EXPECT_TRUE(wait_until([&] { return circuit() == "open"; }, 5s)) << "a failed trial reopens it: " << circuit();
    EXPECT_TRUE(wait_until([&] { return gauge() == "1"; }, 8s)) << "gauge " << gauge();
    EXPECT_TRUE(d.alive()) << "scanorchd " << d.how_it_ended();
}

// The circuit is one for the pool, not one per process: two `scanorchd worker`
// processes of s1 count their failures together; one takes the half-open
// trial and keeps it for as long as the trial scan runs (longer than the open
// time, and with SIGKILL longer than the lease), with no second scan started
// meanwhile. Then the trial's owner stops mid-trial:
// - SIGKILLed, the other process takes the trial over once it has gone a
//   lease (3 s) unrenewed;
// - SIGTERMed, it hands its task back and gives the trial back, and the other
//   takes it well inside the lease (30 s here), resuming the same scan.
// No further scan starts on s1 until a trial closes the circuit, and every
// task completes.
class CircuitTrialOwnerStops : public Rig, public ::testing::WithParamInterface<std::string> {};

TEST_P(CircuitTrialOwnerStops, TwoWorkerProcessesShareOneCircuitAndItsTrialOutlivesItsOwner) {
    const bool killed = GetParam() == "sigkill";
    RedisServer redis;
    const int port = scanorch::testing::free_port();  // s1: down, then up with long scans
    RigConfig c;
    c.redis = &redis;
    c.retries = 0;
    c.lease_ms = killed ? 3000 : 30000;
    c.scanner_timeout_s = 2;
    c.workers_more = ", circuit_failures: 2, circuit_open_ms: 4000";
    c.scanners = {{"s1", port, 3}};
    write_config(c);
    Child& api = daemon("api", {"api"});
    ASSERT_TRUE(healthy(api));
    auto circuit = [&] { return circuit_of("s1"); };
    auto scan = [&](const std::string& name) {
        return submit("run_untrusted_scan",
                      R"({"name":")" + name + R"(","targets":"192.0.2.91","scanner_instance":"s1"})");
    };

    // 1. One failure through each of two processes: together they open the circuit.
    Child& first = daemon("worker-first", {"worker", "--scanner", "s1"});
    EXPECT_EQ(wait_terminal(scan("f1"), 30s), "failed");
    ASSERT_TRUE(first.terminate(20s));
    EXPECT_EQ(circuit(), "closed") << "one failure of two";
    Child& a = daemon("worker-a", {"worker", "--scanner", "s1"});
    EXPECT_EQ(wait_terminal(scan("f2"), 30s), "failed");
    ASSERT_TRUE(wait_until([&] { return circuit() == "open"; }, 5s)) << circuit();
    Child& b = daemon("worker-b", {"worker", "--scanner", "s1"});

    // 2. The scanner comes back; three scans wait. One trial runs, and is kept
    // past the open time (4 s) and the lease (3 s) with no second scan.
    // Long enough that the trial is still running when its owner is stopped,
    // a log wait and an 8 s watch after it began (SIGTERM: a longer margin,
    // as the hand-back must find the scan still running to resume it).
    EmulatorProcess up(NESSUS_EMULATOR,
                       emulator_args(killed ? "14" : "25", "0.1", {"--listen", "127.0.0.1:" + std::to_string(port)}));
    ASSERT_EQ(up.port(), port);
    const std::vector<std::string> ids = {scan("t1"), scan("t2"), scan("t3")};
    auto created = [&] {
        auto stats = http_call(port, "GET", "/emulator/stats").json();
        return stats ? stats->getValue<int>("scans_created") : -1;
    };
    ASSERT_TRUE(wait_until([&] { return created() == 1; }, 30s, 100ms)) << "no trial scan: " << circuit();
    // The owner names itself in its log (info lines reach the file within a second).
    const std::string trial_line = "circuit half-open, one trial scan";
    auto took_trial = [&](Child& w) { return w.log_text().find(trial_line) != std::string::npos; };
    ASSERT_TRUE(wait_until([&] { return took_trial(a) || took_trial(b); }, 5s, 100ms)) << "no trial in either log";
    Child& owner = took_trial(a) ? a : b;
    Child& other = took_trial(a) ? b : a;
    const auto kept_until = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < kept_until) {
        ASSERT_EQ(created(), 1) << "a second scan started while the trial ran";
        ASSERT_EQ(circuit(), "half_open");
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_FALSE(took_trial(other)) << "both processes took the trial";

    // 3. The trial's owner stops mid-trial; the other process takes the trial.
    if (killed) {
        owner.kill9();
        ASSERT_TRUE(wait_until([&] { return other.log_text().find("(taken over:") != std::string::npos; }, 20s, 100ms))
            << "the trial was never taken over";
    } else {
        ASSERT_TRUE(owner.terminate(20s)) << owner.name() << " did not stop within 20 s of SIGTERM";
        EXPECT_NE(owner.log_text().find("circuit trial given back"), std::string::npos) << "no trial given back";
        ASSERT_TRUE(wait_until([&] { return took_trial(other); }, 10s, 100ms))
            << "the trial given back was not taken within 10 s (the lease is 30 s)";
    }
    int most = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            const int n = created();
            if (circuit() == "closed") return true;
            most = std::max(most, n);  // counted while the circuit was still not closed
            return false;
        },
        60s, 100ms))
        << circuit();
    EXPECT_LE(most, 2) << "more than the one trial after the takeover ran while the circuit was not closed";
    for (const auto& id : ids) EXPECT_EQ(wait_terminal(id, 60s), "completed") << stringify(status(id));
    EXPECT_TRUE(other.alive()) << other.name() << " " << other.how_it_ended();
    if (!killed) {
        EXPECT_EQ(created(), 3) << "the handed-back trial was resumed, not created again";
    }
}

INSTANTIATE_TEST_SUITE_P(Signal, CircuitTrialOwnerStops, ::testing::Values("sigkill", "sigterm"),
                         [](const auto& info) { return info.param; });

// The retry backoff as the scanner sees it: every request fails (HTTP 500),
// and the worker's attempts at one step arrive 1x, 2x and 4x retry_base_ms
// apart (never sooner; a second of slack above), then the task fails.
TEST_F(LifecycleFaults, RetriesBackOffOneTwoFourTimesTheBase) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "0.1", {"--fail-rate", "1"}));
    RigConfig c;
    c.retries = 3;
    c.retry_base_ms = 400;
    c.scanners = {{"s1", emu.port(), 1}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));
    const std::string id = submit("run_untrusted_scan", R"({"name":"backoff","targets":"192.0.2.95"})");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(wait_terminal(id, 60s), "failed") << stringify(status(id));

    // The attempts: the faults on the request the worker's first attempt hit.
    auto faults = http_call(emu.port(), "GET", "/emulator/faults").json();
    ASSERT_TRUE(faults);
    auto arr = faults->getArray("faults");
    std::string first;
    std::vector<std::int64_t> at;
    for (std::size_t i = 0; arr && i < arr->size(); ++i) {
        auto f = arr->getObject(static_cast<unsigned>(i));
        const auto request = str(f, "method") + " " + str(f, "path");
        if (str(f, "method") != "POST") continue;  // health checks GET; the task's steps start with a POST
        if (first.empty()) first = request;
        if (request == first) at.push_back(f->getValue<std::int64_t>("at_ms"));
    }
    ASSERT_EQ(at.size(), 4u) << "one attempt and three retries of '" << first << "': " << stringify(faults);
    for (std::size_t k = 1; k < at.size(); ++k) {
        const std::int64_t want = 400LL << (k - 1), gap = at[k] - at[k - 1];
        EXPECT_GE(gap, want) << "retry " << k << " came " << gap << " ms after the attempt before it, expected "
                             << want;
        EXPECT_LT(gap, want + 1000) << "retry " << k << " came " << gap << " ms after the attempt before it, expected "
                                    << want;
    }
}

// A flaky scanner (one connection in ten dropped unanswered) costs
// retries, never a second Nessus scan for a task: every task completes with
// exactly one scan, launched once.
TEST_F(LifecycleFaults, AFlakyScannerNeverGetsTwoScansForOneTask) {
    EmulatorProcess emu(NESSUS_EMULATOR, emulator_args("1", "0.1", {"--drop-rate", "0.1"}));
    RigConfig c;
    c.retries = 6;
    c.retry_base_ms = 50;
    c.scanners = {{"s1", emu.port(), 3}};
    write_config(c);
    Child& d = daemon("scanorchd-all", {"all"});
    ASSERT_TRUE(healthy(d));
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        ids.push_back(submit("run_untrusted_scan", R"({"name":"flaky-)" + std::to_string(i) +
                                                       R"(","targets":"192.0.2.)" + std::to_string(110 + i) + "\"}"));
        ASSERT_FALSE(ids.back().empty());
    }
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(wait_terminal(ids[i], 90s), "completed") << stringify(status(ids[i]));
        const auto scans = scans_named(emu.port(), "flaky-" + std::to_string(i));
        ASSERT_EQ(scans.size(), 1u) << "flaky-" << i << ": " << describe(scans);
        EXPECT_EQ(scans[0]->getValue<int>("launches"), 1) << describe(scans);
    }
    auto stats = http_call(emu.port(), "GET", "/emulator/stats").json();
    EXPECT_GT(stats->getValue<int>("faults_injected"), 0) << "the scanner dropped nothing: the test proved nothing";
    EXPECT_TRUE(d.alive()) << "scanorchd " << d.how_it_ended();
}
