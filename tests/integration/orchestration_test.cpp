// The core end to end in one process (`scanorchd all` on the memory queue),
// with real plugins from the build and real nessus-emulator processes.
#include <gtest/gtest.h>

#include <functional>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <numeric>
#include "emulator_process.h"
#include "http_json.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/service/orchestrator.h"
#include "scanorch/framework/service/scanner_pool.h"
#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/tools/submission_rate.h"
#include "scanorch/framework/workers/circuit_state.h"
#include "scanorch/framework/workers/client_slot.h"
#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/extensions.h"
#include "task_store_access.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using scanorch::testing::EmulatorProcess;
using scanorch::testing::get_json;
using Obj = Poco::JSON::Object::Ptr;

namespace {

struct Dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("scanorch-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() { std::filesystem::remove_all(path); }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

// A failed task's record is written first (fenced by its lease), then its
// dead-letter entry and the slot's release: a reader that saw the record
// waits for those, with a deadline.
bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
}

bool in_dlq(sf::Orchestrator& o, const std::string& id) {
    auto e = o.queue().dlq_get(id);
    return e && e->has_value();
}

std::vector<std::string> emulator_args(double seconds) {
    return {"--user",           "admin:adminpw",
            "--target-account", "scan:scanpw",
            "--scan-seconds",   std::to_string(seconds),
            "--export-seconds", "0.1",
            "--extra-items",    "3",
            "--max-running",    "50"};
}

class Deployment {
public:
    Deployment(const Dir& dir, const std::vector<std::pair<std::string, int>>& scanners, std::uint32_t capacity,
               // A TTL no test outlives: the start-up sweep runs while a test
               // may be writing records, and a short TTL would race it.
               const std::string& housekeeping = "{ttl_seconds: 3600, interval_seconds: 3600}",
               const std::string& scope = "[192.0.2.0/24, 198.51.100.0/24]", const std::string& extra_yaml = "",
               const std::string& workers_extra = "") {
        std::ofstream y(dir.path / "scanners.yaml");
        y << "scanners:\n";
        for (const auto& [id, port] : scanners) {
            y << "  - instance_id: " << id << "\n    scanner_type: nessus\n    url: http://127.0.0.1:" << port
              << "\n    max_concurrent_scans: " << capacity << "\n    pool: " << (id == "east" ? "dmz" : "internal")
              << "\n    credentials: {username: admin, password: adminpw}\n    options: {export_poll_ms: 50, timeout: 5}\n";
        }
        y.close();
        std::ofstream c(dir.path / "scanorch.yaml");
        c << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir.path / "data").string()
          << "\nscanners_file: scanners.yaml\nscope: " << scope
          << "\n"
             "workers: {poll_interval_ms: 100, retry_base_ms: 20, retries: 1, circuit_failures: 2, circuit_open_ms: 1500"
          << workers_extra << "}\n"
          << "housekeeping: " << housekeeping << "\n"
          << "logging: {level: warn}\nplugins:\n  frontend: {use: none}\n"
          << extra_yaml;
        c.close();
        sf::HostConfigDefaults d;
        d.plugin_dir = SCANORCH_PLUGIN_DIR;
        host = std::make_unique<sf::Host>(sf::load_host_config((dir.path / "scanorch.yaml").string(), d));
        host->load_plugins();
        orchestrator = std::make_unique<sf::Orchestrator>(*host, sf::Mode::all);
        orchestrator->start();
    }
    ~Deployment() { orchestrator->stop(); }

    sdk::Result<Obj> call(const std::string& tool, const std::string& args, const std::string& client = "",
                          std::uint32_t client_cap = 0) {
        sdk::CallContext ctx;
        ctx.client = client;
        ctx.max_concurrent_scans = client_cap;
        auto r = orchestrator->tools()->call(tool, args, ctx);
        if (!r) return std::move(r).error();
        return Poco::JSON::Parser().parse(*r).extract<Obj>();
    }
    Obj must(const std::string& tool, const std::string& args) {
        auto r = call(tool, args);
        EXPECT_TRUE(r) << tool << ": " << (r ? "" : r.error().message);
        return r ? *r : Obj(new Poco::JSON::Object);
    }
    Obj wait_done(const std::string& id, int seconds = 60) {
        for (int i = 0; i < seconds * 10; ++i) {
            auto s = must("get_scan_status", R"({"task_id":")" + id + R"("})");
            const auto st = s->getValue<std::string>("status");
            if (st == "completed" || st == "failed" || st == "cancelled") return s;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "task " << id << " did not finish";
        return must("get_scan_status", R"({"task_id":")" + id + R"("})");
    }

    // Each task waited for to its end, expected completed; the records read.
    std::vector<sf::TaskRecord> completed_records(const std::vector<std::string>& ids) {
        std::vector<sf::TaskRecord> out;
        for (const auto& id : ids) {
            EXPECT_EQ(wait_done(id)->getValue<std::string>("status"), "completed") << id;
            auto t = orchestrator->store().load(id);
            EXPECT_TRUE(t) << id << ": " << (t ? "" : t.error().message);
            if (t) out.push_back(*t);
        }
        return out;
    }

    std::unique_ptr<sf::Host> host;
    std::unique_ptr<sf::Orchestrator> orchestrator;
};

std::string scan_args(const std::string& name, const std::string& targets, const std::string& extra = "") {
    return R"({"name":")" + name + R"(","targets":")" + targets + "\"" + extra + "}";
}

}  // namespace

TEST(Orchestration, ManyScansOnASmallPoolNeverExceedALimitAndAllComplete) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.6)), b(NESSUS_EMULATOR, emulator_args(0.6)),
        c(NESSUS_EMULATOR, emulator_args(0.6));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}, {"west", b.port()}, {"north", c.port()}}, 2);  // capacity 6 in all

    std::vector<std::string> ids;
    std::vector<std::thread> submitters;
    std::mutex mu;
    for (int i = 0; i < 14; ++i) {
        submitters.emplace_back([&, i] {
            const std::string named = i < 4 ? R"(,"scanner_instance":"west")" : "";
            auto r = dep.call(i % 2 ? "run_trusted_scan" : "run_untrusted_scan",
                              scan_args("load " + std::to_string(i), "192.0.2." + std::to_string(10 + i),
                                        named + (i % 2 ? R"(,"ssh_username":"scan","ssh_password":"scanpw")" : "")));
            ASSERT_TRUE(r) << r.error().message;
            std::lock_guard lock(mu);
            ids.push_back((*r)->getValue<std::string>("task_id"));
        });
    }
    for (auto& t : submitters) t.join();
    ASSERT_EQ(ids.size(), 14u);

    // While they run: no scanner's slots ever above its limit, and no more
    // tasks held on it than its slots plus as many finishing (their scans
    // ended: exporting, validating).
    std::set<std::string> done;
    for (int round = 0; round < 600 && done.size() < ids.size(); ++round) {
        const std::vector<std::string> names = {"east", "west", "north"};
        auto d = dep.orchestrator->queue().depths(names);
        ASSERT_TRUE(d);
        for (const auto& s : d->scanners) EXPECT_LE(s.running, 2u) << s.scanner_id;
        for (const auto& s : names) {
            auto r = dep.orchestrator->queue().running(s);
            ASSERT_TRUE(r);
            EXPECT_LE(r->size(), 4u) << s;
        }
        for (const auto& id : ids) {
            auto st = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})")->getValue<std::string>("status");
            if (st == "completed" || st == "failed") done.insert(id);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(done.size(), ids.size()) << "every task accounted for";
    std::map<std::string, int> per_scanner;
    for (const auto& id : ids) {
        auto s = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})");
        EXPECT_EQ(s->getValue<std::string>("status"), "completed") << id << ": " << s->get("error").toString();
        ++per_scanner[s->getValue<std::string>("scanner_instance")];
        auto summary = s->getObject("results_summary");
        ASSERT_TRUE(summary) << id;
        EXPECT_EQ(summary->getValue<int>("hosts_scanned"), 1);
    }
    EXPECT_GE(per_scanner.size(), 2u) << "tasks spread across scanners";
    EXPECT_GE(per_scanner["west"], 4) << "the four named tasks ran on west";
    // The scanners' own view agrees: never more than 2 at once.
    for (auto* e : {&a, &b, &c}) {
        auto stats = get_json(e->port(), "/emulator/stats");
        EXPECT_LE(stats->getValue<int>("peak_running"), 2);
        EXPECT_EQ(stats->getValue<int>("current_running"), 0);
    }
    auto q = dep.must("get_queue_status", "{}");
    EXPECT_EQ(q->getValue<int>("total_queued"), 0);
    EXPECT_EQ(q->getValue<int>("dead_letter"), 0);
}

TEST(Orchestration, FailedAuthenticationEndsInTheDlqWithTroubleshooting) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 2);
    auto r = dep.must("run_trusted_scan",
                      scan_args("bad creds", "192.0.2.40", R"(,"ssh_username":"scan","ssh_password":"wrong")"));
    const auto id = r->getValue<std::string>("task_id");
    auto s = dep.wait_done(id);
    EXPECT_EQ(s->getValue<std::string>("status"), "failed");
    EXPECT_EQ(s->getValue<std::string>("authentication_status"), "failed");
    EXPECT_NE(s->getValue<std::string>("error").find("authentication failed on every host"), std::string::npos);
    auto ts = s->getObject("troubleshooting");
    ASSERT_TRUE(ts);
    EXPECT_NE(ts->getValue<std::string>("likely_cause").find("rejected the supplied credentials"), std::string::npos);
    ASSERT_TRUE(eventually([&] { return in_dlq(*dep.orchestrator, id); }));
    auto dlq = dep.orchestrator->queue().dlq_get(id);
    ASSERT_TRUE(dlq && dlq->has_value());
    EXPECT_NE((*dlq)->reason.find("authentication failed"), std::string::npos);
    // The export is still there to read.
    auto results =
        dep.must("get_scan_results",
                 R"({"task_id":")" + id + R"(","schema_profile":"minimal","filters":{"plugin_id":"104410"}})");
    EXPECT_EQ(results->getValue<int>("total_matching"), 1);
    // Credentials never reach the task store: not the record, not the
    // payload (sealed), not any byte of the database's files.
    auto store = scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN);
    auto row = store->db().tasks().get(id);
    ASSERT_TRUE(row) << row.error().message;
    EXPECT_EQ(row->document.find("wrong"), std::string::npos);
    EXPECT_EQ(row->summary.find("wrong"), std::string::npos);
    for (const auto& e : std::filesystem::directory_iterator(dir.path / "data")) {
        if (e.path().filename().string().rfind("store.sqlite", 0) != 0) continue;
        std::ifstream f(e.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bytes.find("ssh_password\":\"wrong"), std::string::npos) << e.path();
    }
    const std::string& sealed = row->payload;
    EXPECT_EQ(sealed.find("wrong"), std::string::npos);
    EXPECT_NE(sealed.find("\"credentials\":\"v1:"), std::string::npos);
}

TEST(Orchestration, ResultsStatusListCancelIdempotencyScope) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    auto first = dep.must("run_untrusted_scan", scan_args("weekly", "192.0.2.1-3", R"(,"idempotency_key":"k1")"));
    const auto id = first->getValue<std::string>("task_id");
    EXPECT_EQ(first->getValue<std::string>("queue"), "east");
    auto again = dep.must("run_untrusted_scan", scan_args("weekly", "192.0.2.1-3", R"(,"idempotency_key":"k1")"));
    EXPECT_EQ(again->getValue<std::string>("task_id"), id);
    auto clash = dep.call("run_untrusted_scan", scan_args("weekly", "192.0.2.9", R"(,"idempotency_key":"k1")"));
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().message, "idempotency_key 'k1' was already used with different arguments");

    auto out = dep.call("run_untrusted_scan", scan_args("nope", "192.0.2.1, 203.0.113.5"));
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().kind, sdk::ErrorKind::forbidden);
    EXPECT_NE(out.error().message.find("203.0.113.5 is outside the allowed scan scope"), std::string::npos);
    auto unknown = dep.call("run_untrusted_scan", scan_args("x", "192.0.2.1", R"(,"scanner_instance":"mars")"));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "unknown scanner 'mars' (valid: east)");
    auto bad_arg = dep.call("run_untrusted_scan", R"({"name":"x","targets":"192.0.2.1","ssh_username":"u"})");
    ASSERT_FALSE(bad_arg);
    EXPECT_NE(bad_arg.error().message.find("unknown argument 'ssh_username'"), std::string::npos);

    // A second scan waits behind the first (capacity 1): cancel it while queued.
    auto second = dep.must("run_untrusted_scan", scan_args("second", "192.0.2.4"));
    const auto id2 = second->getValue<std::string>("task_id");
    auto cancelled = dep.must("cancel_scan", R"({"task_id":")" + id2 + R"("})");
    EXPECT_EQ(cancelled->getValue<std::string>("status"), "cancelled");

    auto s = dep.wait_done(id);
    EXPECT_EQ(s->getValue<std::string>("status"), "completed");
    EXPECT_EQ(s->getValue<std::string>("authentication_status"), "not_applicable");
    auto page = dep.must(
        "get_scan_results",
        R"({"task_id":")" + id + R"(","page_size":5,"schema_profile":"summary","filters":{"min_severity":"medium"}})");
    EXPECT_LE(page->getArray("findings")->size(), 5u);
    EXPECT_GT(page->getValue<int>("total_matching"), 0);
    for (std::size_t i = 0; i < page->getArray("findings")->size(); ++i) {
        EXPECT_GE(page->getArray("findings")->getObject(static_cast<unsigned>(i))->getValue<int>("severity"), 2);
    }
    auto listed = dep.must("list_tasks", R"({"target":"192.0.2.2"})");
    ASSERT_EQ(listed->getValue<int>("count"), 1) << "only the first task's range holds 192.0.2.2";
    EXPECT_EQ(listed->getArray("tasks")->getObject(0)->getValue<std::string>("task_id"), id);
    EXPECT_EQ(dep.must("list_tasks", R"({"status":"cancelled"})")->getValue<int>("count"), 1);
    auto scanners = dep.must("list_scanners", "{}")->getArray("scanners");
    ASSERT_EQ(scanners->size(), 1u);
    EXPECT_EQ(scanners->getObject(0)->getValue<int>("capacity"), 1);
    EXPECT_EQ(dep.must("get_pool_status", R"({"scanner_pool":"dmz"})")->getValue<int>("capacity"), 1);
    EXPECT_FALSE(dep.call("get_pool_status", R"({"scanner_pool":"mars"})"));
}

// TTL housekeeping removes a finished task nobody has read for the TTL — and
// keys on the last read, not on age: every task here is seconds old, each is
// made to look unread for two hours (as another process sharing the data dir
// would see it), then one is read. Only the unread finished one goes; the read
// one and a running one stay.
TEST(Orchestration, TtlRemovesOnlyFinishedTasksNotReadForTheTtl) {
    EmulatorProcess fast(NESSUS_EMULATOR, emulator_args(0.3)), slow(NESSUS_EMULATOR, emulator_args(300));
    Dir dir;
    Deployment dep(dir, {{"east", fast.port()}, {"west", slow.port()}}, 1,
                   "{ttl_seconds: 3600, interval_seconds: 3600}");
    auto submit = [&](const std::string& name, const std::string& scanner) {
        return dep
            .must("run_untrusted_scan", scan_args(name, "192.0.2.30", R"(,"scanner_instance":")" + scanner + "\""))
            ->getValue<std::string>("task_id");
    };
    const auto unread = submit("unread", "east"), read = submit("read", "east"), running = submit("running", "west");
    ASSERT_EQ(dep.wait_done(unread)->getValue<std::string>("status"), "completed");
    ASSERT_EQ(dep.wait_done(read)->getValue<std::string>("status"), "completed");
    auto status_of = [&](const std::string& id) {
        return dep.must("get_scan_status", R"({"task_id":")" + id + R"("})")->getValue<std::string>("status");
    };
    for (int i = 0; i < 100 && status_of(running) != "running"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(status_of(running), "running");

    const auto two_hours_ago = sf::now_ms() - 2 * 3600 * 1000;
    for (const auto& id : {unread, read, running}) scanorch::testing::age_task(dir.path / "data", id, two_hours_ago);
    // A read: the TTL starts again. A status poll may answer from what it
    // read up to a second ago (TaskStore::kPollStaleness), before the aging
    // above, so it is polled until the store has the read.
    auto elsewhere = scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (elsewhere->load(read)->last_accessed_at == two_hours_ago && std::chrono::steady_clock::now() < deadline) {
        EXPECT_EQ(status_of(read), "completed");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(elsewhere->load(read)->last_accessed_at, two_hours_ago) << "get_scan_status never recorded the read";

    dep.orchestrator->housekeeping_pass();
    auto gone = dep.call("get_scan_status", R"({"task_id":")" + unread + R"("})");
    ASSERT_FALSE(gone) << "a finished task not read for the TTL must be removed";
    EXPECT_EQ(gone.error().kind, sdk::ErrorKind::not_found);
    EXPECT_FALSE(std::filesystem::exists(dir.path / "data" / "exports" / unread)) << "its export goes with it";
    EXPECT_EQ(status_of(read), "completed") << "a task read within the TTL stays";
    EXPECT_TRUE(std::filesystem::exists(dir.path / "data" / "exports" / read));
    EXPECT_EQ(status_of(running), "running") << "an unfinished task is never removed by the TTL";
}

// get_scan_status keeps what it printed for an unchanged task; any change of
// the task must show: one made by this process (a cancel, the queue moving)
// in the very next answer, one made through a second store on the same data
// dir, as a worker on another host would, within the poll's bound
// (TaskStore::kPollStaleness), waited for with a deadline.
TEST(Orchestration, StatusShowsEveryChangeOfTheTask) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(2.0));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    const auto id = dep.must("run_untrusted_scan", scan_args("first", "192.0.2.1"))->getValue<std::string>("task_id");
    const auto second =
        dep.must("run_untrusted_scan", scan_args("second", "192.0.2.2"))->getValue<std::string>("task_id");
    const auto queued =
        dep.must("run_untrusted_scan", scan_args("third", "192.0.2.3"))->getValue<std::string>("task_id");
    // A queued task's answer moves with its place in the queue, though its
    // task.json does not change.
    auto position = [&](const std::string& task) {
        auto s = dep.must("get_scan_status", R"({"task_id":")" + task + R"("})");
        return s->isNull("queue_position") ? 0 : s->getValue<int>("queue_position");
    };
    for (int i = 0; i < 50 && position(queued) != 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(position(queued), 2) << "the first scan runs; two wait behind it";
    EXPECT_EQ(position(queued), 2);
    ASSERT_EQ(dep.must("cancel_scan", R"({"task_id":")" + second + R"("})")->getValue<std::string>("status"),
              "cancelled");
    EXPECT_EQ(position(queued), 1);

    const auto args = R"({"task_id":")" + id + R"("})";
    EXPECT_EQ(dep.wait_done(id)->getValue<std::string>("status"), "completed");
    auto elsewhere_store = scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN);
    auto& elsewhere = *elsewhere_store;
    auto warnings = [&] {
        std::vector<std::string> out;
        auto w = dep.must("get_scan_status", args)->getArray("warnings");
        for (std::size_t i = 0; i < w->size(); ++i) out.push_back(w->getElement<std::string>(static_cast<unsigned>(i)));
        return out;
    };
    const auto before = warnings();
    EXPECT_EQ(warnings(), before);  // unchanged: the same answer
    // Polls until `seen` holds, for far longer than the bound.
    auto eventually = [](const std::function<bool()>& seen) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!seen() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return seen();
    };
    for (const std::string w : {"first change", "second change"}) {
        ASSERT_TRUE(elsewhere.update(id, [&](sf::TaskRecord& t) {
            t.validation_warnings = {w};
            return true;
        }));
        EXPECT_TRUE(eventually([&] { return warnings() == std::vector<std::string>{w}; })) << w;
    }
    ASSERT_TRUE(elsewhere.update(id, [](sf::TaskRecord& t) {
        t.error = "marked by another process";
        return true;
    }));
    EXPECT_TRUE(eventually([&] {
        auto s = dep.must("get_scan_status", args);
        return !s->isNull("error") && s->getValue<std::string>("error") == "marked by another process";
    }));
    EXPECT_EQ(dep.wait_done(queued)->getValue<std::string>("status"), "completed");
    EXPECT_EQ(position(queued), 0) << "no position once it left the queue";
}

TEST(Orchestration, AClientAtItsCapWhenAScanStartsWaitsForItsSlot) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    auto& q = dep.orchestrator->queue();
    auto slot_holder = [&]() -> std::string {
        auto v = q.kv_get(sf::client_slot_key("agent", 0));
        return v && v->has_value() ? **v : std::string();
    };
    auto wait_for_phase = [&](const std::string& id, const std::string& phase) {
        for (int i = 0; i < 100; ++i) {
            if (dep.must("get_scan_status", R"({"task_id":")" + id + R"("})")->getValue<std::string>("phase") == phase)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    };
    // A scan submitted for "agent" through another API process holds the
    // client's only slot; this process's submission cannot see it, the start must.
    const auto key = sf::client_slot_key("agent", 0);
    // The holder is a live task (housekeeping frees slots whose holder has
    // ended or does not exist), one this submission's count did not see.
    sf::TaskRecord holder;
    holder.task_id = "elsewhere";
    holder.targets = "192.0.2.99";
    holder.status = sf::TaskStatus::running;
    holder.phase = sf::TaskPhase::scanning;
    holder.created_at = holder.queued_at = holder.updated_at = holder.last_accessed_at = sf::now_ms();
    ASSERT_TRUE(scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN)->create(holder, ""));
    auto taken = q.kv_set_if_absent(key, "elsewhere", 60'000);
    ASSERT_TRUE(taken && !taken->has_value());

    // Cancelled while it waits: its scanner slot comes back (capacity 1).
    auto first = dep.call("run_untrusted_scan", scan_args("capped", "192.0.2.7"), "agent", 1);
    ASSERT_TRUE(first) << first.error().message;
    const auto id1 = (*first)->getValue<std::string>("task_id");
    ASSERT_TRUE(wait_for_phase(id1, "waiting_for_client_slot"));
    auto still = dep.must("get_scan_status", R"({"task_id":")" + id1 + R"("})");
    EXPECT_EQ(still->getValue<std::string>("status"), "queued") << "no scan may start past the client's cap";
    EXPECT_EQ(slot_holder(), "elsewhere");
    EXPECT_EQ(dep.must("cancel_scan", R"({"task_id":")" + id1 + R"("})")->getValue<std::string>("status"), "cancelled");
    // Over its whole wait, from the worker's claim to the cancel, no scan was created for it.
    EXPECT_EQ(get_json(a.port(), "/emulator/stats")->getValue<int>("scans_created"), 0)
        << "no scan may start past the client's cap";

    auto second = dep.call("run_untrusted_scan", scan_args("capped-2", "192.0.2.8"), "agent", 1);
    ASSERT_TRUE(second) << second.error().message;
    const auto id2 = (*second)->getValue<std::string>("task_id");
    ASSERT_TRUE(wait_for_phase(id2, "waiting_for_client_slot")) << "the cancelled task must free the scanner";

    // The other scan ends: this one takes the slot, runs, and gives it back.
    auto freed = q.kv_delete_if(key, "elsewhere");
    ASSERT_TRUE(freed && *freed);
    EXPECT_EQ(dep.wait_done(id2)->getValue<std::string>("status"), "completed");
    for (int i = 0; i < 40 && !slot_holder().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(slot_holder(), "") << "a finished scan must free its client's slot";

    // Without a cap nothing is waited for, even with the slot taken.
    ASSERT_TRUE(q.kv_set_if_absent(key, "elsewhere", 60'000));
    auto free_client = dep.call("run_untrusted_scan", scan_args("uncapped", "192.0.2.9"), "agent", 0);
    ASSERT_TRUE(free_client);
    EXPECT_EQ(dep.wait_done((*free_client)->getValue<std::string>("task_id"))->getValue<std::string>("status"),
              "completed");
}

// At submission a capped client may not have more unfinished scans than its
// cap; ended ones (here cancelled) make room; other clients are not counted.
TEST(Orchestration, AClientAtItsCapIsRefusedAtSubmission) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(30));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    std::vector<std::string> ids;
    for (const char* target : {"192.0.2.60", "192.0.2.61"}) {
        auto r = dep.call("run_untrusted_scan", scan_args("capped", target), "agent", 2);
        ASSERT_TRUE(r) << r.error().message;
        ids.push_back((*r)->getValue<std::string>("task_id"));
    }
    auto refused = dep.call("run_untrusted_scan", scan_args("one too many", "192.0.2.62"), "agent", 2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, sdk::ErrorKind::capacity);
    EXPECT_EQ(refused.error().message,
              "client 'agent' already has 2 unfinished scans (its limit); wait for one to finish");
    EXPECT_TRUE(dep.call("run_untrusted_scan", scan_args("someone else", "192.0.2.63"), "other", 2))
        << "caps are per client";
    EXPECT_EQ(dep.must("cancel_scan", R"({"task_id":")" + ids[1] + R"("})")->getValue<std::string>("status"),
              "cancelled");
    auto room = dep.call("run_untrusted_scan", scan_args("after the cancel", "192.0.2.64"), "agent", 2);
    EXPECT_TRUE(room) << (room ? "" : room.error().message);
    EXPECT_FALSE(dep.call("run_untrusted_scan", scan_args("full again", "192.0.2.65"), "agent", 2));
}

// A client's submissions per hour are capped across the deployment: the
// scan past the limit is refused (429) saying when the next fits; a repeat
// under an idempotency key, a refused submission and one that queued nothing
// do not count; other clients keep their own count.
TEST(Orchestration, AClientPastItsSubmissionRateIsRefusedAndNothingElseCounts) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1, "{ttl_seconds: 3600, interval_seconds: 3600}",
                   "[192.0.2.0/24, 198.51.100.0/24]",
                   "limits:\n  submissions_per_hour: 100\n  client_submissions_per_hour: {soc: 3, race: 5}\n");
    auto submit = [&](const std::string& client, const std::string& extra = "",
                      const std::string& targets = "192.0.2.7") {
        return dep.call("run_untrusted_scan", scan_args("rated", targets, extra), client);
    };
    ASSERT_TRUE(submit("soc", R"(,"idempotency_key":"once")"));
    ASSERT_TRUE(submit("soc", R"(,"idempotency_key":"once")")) << "a repeat answers with the first task";
    EXPECT_FALSE(submit("soc", "", "203.0.113.9")) << "outside the scope";
    EXPECT_FALSE(submit("soc", R"(,"scanner_instance":"mars")")) << "unknown scanner: routed nowhere";
    ASSERT_TRUE(submit("soc"));
    ASSERT_TRUE(submit("soc")) << "the third of three";
    auto over = submit("soc");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().kind, sdk::ErrorKind::capacity);
    EXPECT_NE(over.error().message.find(
                  "client 'soc' reached the limit of 3 scan submissions per hour; the next one fits in about"),
              std::string::npos)
        << over.error().message;
    EXPECT_FALSE(submit("soc")) << "still refused";
    auto* counters = static_cast<sdk::SharedCounters*>(dep.orchestrator->queue().extension(sdk::kQueueCounters));
    ASSERT_NE(counters, nullptr);
    auto counted = [&](const std::string& client) {
        std::vector<std::string> keys;
        const auto bucket = sf::now_ms() / sf::submission_window::kBucketMs;
        for (std::int64_t b = bucket - 12; b <= bucket; ++b) keys.push_back(sf::shared_keys::submissions(client, b));
        const auto v = counters->read(keys).value();
        return std::accumulate(v.begin(), v.end(), std::int64_t{0});
    };
    EXPECT_EQ(counted("soc"), 3) << "only what was queued counts: no refusal, repeat or failed submission";
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(submit("ci")) << "another client has its own (default) limit";
    std::size_t soc_tasks = 0;
    auto listed = dep.must("list_tasks", "{}")->getArray("tasks");
    for (std::size_t i = 0; i < listed->size(); ++i) {
        soc_tasks += listed->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == "rated";
    }
    EXPECT_EQ(soc_tasks, 3u + 5u) << "three of soc's, five of ci's; nothing refused was created";
    // Exactly the limit under a race of many submitters.
    std::atomic<int> accepted{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < 12; ++i) {
        racers.emplace_back([&] { accepted += submit("race").ok() ? 1 : 0; });
    }
    for (auto& t : racers) t.join();
    EXPECT_EQ(accepted.load(), 5);
    EXPECT_EQ(counted("race"), 5) << "every refused racer gave its count back";
}

// A worker that stopped between creating a scan and launching it left the
// scan recorded on the task: the next holder launches that scan (the
// scanner reports it `created`) instead of waiting on it forever or
// creating a second one.
TEST(Orchestration, AScanCreatedButNeverLaunchedIsLaunchedOnResume) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(1.0));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    const auto blocker =
        dep.must("run_untrusted_scan", scan_args("blocker", "192.0.2.60"))->getValue<std::string>("task_id");
    const auto waiting =
        dep.must("run_untrusted_scan", scan_args("resumed", "192.0.2.61"))->getValue<std::string>("task_id");
    ASSERT_EQ(dep.must("get_scan_status", R"({"task_id":")" + waiting + R"("})")->getValue<std::string>("status"),
              "queued");
    // The scan the crashed holder created, as it would have: on east, not launched.
    auto scanner = dep.host->make_scanner(dep.host->scanners().scanners.at(0));
    sdk::ScanRequest request;
    request.task_id = waiting;
    request.name = "resumed";
    request.targets = "192.0.2.61";
    const auto created = scanner->create_scan(request);
    ASSERT_TRUE(created) << created.error().message;
    const auto before = scanner->poll_scan(*created);
    ASSERT_TRUE(before);
    ASSERT_EQ(before->state, sdk::ScanState::created) << "the scanner's word for never launched";
    auto elsewhere_store = scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN);
    auto& elsewhere = *elsewhere_store;
    ASSERT_TRUE(elsewhere.update(waiting, [&](sf::TaskRecord& t) {
        t.scan = {"east", *created};
        t.phase = sf::TaskPhase::launching;
        return true;
    }));
    EXPECT_EQ(dep.wait_done(blocker)->getValue<std::string>("status"), "completed");
    const auto done = dep.wait_done(waiting);
    EXPECT_EQ(done->getValue<std::string>("status"), "completed") << done->get("error").toString();
    const auto stats = get_json(a.port(), "/emulator/stats");
    EXPECT_EQ(stats->getValue<int>("scans_created"), 2) << "the blocker's and the recorded one; no third";
    EXPECT_EQ(stats->getValue<int>("scans_launched"), 2);
    EXPECT_EQ(elsewhere.load(waiting)->scan.id, *created);
}

// list_tasks pages with a cursor: every task once, newest first (ties on the
// creation time ordered by id), a task created between pages neither repeats
// nor shifts the pages, and a cursor that list_tasks did not make is refused.
TEST(Orchestration, ListTasksPagesEveryTaskOnceWithACursor) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    // Records written as another process would, five to a millisecond so
    // the order has ties to break.
    auto elsewhere_store = scanorch::testing::open_task_store(dir.path / "data", SQLITE_STORE_PLUGIN);
    auto& elsewhere = *elsewhere_store;
    auto add = [&](std::int64_t created_at, int n) {
        sf::TaskRecord t;
        t.task_id = "00000000-0000-4000-8000-" + std::string(12 - std::to_string(n).size(), '0') + std::to_string(n);
        t.name = "paged " + std::to_string(n);
        t.targets = "192.0.2.1";
        t.status = sf::TaskStatus::completed;
        t.created_at = t.queued_at = t.updated_at = created_at;
        // Read just now: the start-up sweep, which may run while these are
        // written, must keep them all (CI once lost the two oldest to it).
        t.last_accessed_at = sf::now_ms();
        EXPECT_TRUE(elsewhere.create(t, "")) << t.task_id;
        return t.task_id;
    };
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (int n = 0; n < 23; ++n) {
        const std::int64_t at = 1'700'000'000'000 + n / 5;
        expected.emplace_back(at, add(at, n));
    }
    std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) { return x > y; });

    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
        const auto page = dep.must(
            "list_tasks", R"({"limit":4)" + (cursor.empty() ? std::string() : R"(,"cursor":")" + cursor + "\"") + "}");
        const auto tasks = page->getArray("tasks");
        for (std::size_t i = 0; i < tasks->size(); ++i)
            seen.push_back(tasks->getObject(static_cast<unsigned>(i))->getValue<std::string>("task_id"));
        ++pages;
        if (pages == 2) {
            add(1'800'000'000'000, 90);  // newer than every page: belongs before the cursor
            expected.emplace_back(1'600'000'000'000, add(1'600'000'000'000, 91));  // older: on a later page
        }
        if (page->isNull("next_cursor")) {
            EXPECT_FALSE(page->getValue<bool>("truncated"));
            break;
        }
        EXPECT_TRUE(page->getValue<bool>("truncated"));
        EXPECT_EQ(tasks->size(), 4u) << "a page before the last is full";
        cursor = page->getValue<std::string>("next_cursor");
        ASSERT_LT(pages, 20) << "the cursor does not advance";
    }
    std::vector<std::string> want;
    for (const auto& [at, id] : expected) want.push_back(id);
    EXPECT_EQ(seen, want);
    EXPECT_EQ(pages, 6);

    for (const char* bad : {"nonsense", "t1.", "t1.12x.abc", "t1.99999999999999999999.abc"}) {
        auto r = dep.call("list_tasks", std::string(R"({"cursor":")") + bad + "\"}");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input) << bad;
        EXPECT_NE(r.error().message.find("is not a list_tasks cursor"), std::string::npos) << r.error().message;
    }
    auto big = dep.call("list_tasks", R"({"limit":1001})");
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().kind, sdk::ErrorKind::invalid_input);
}

TEST(Orchestration, ATaskQueuedPastMaxQueueWaitFailsInsteadOfWaitingForever) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(5));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1, "{max_queue_wait_seconds: 1, interval_seconds: 3600}");
    const auto busy = dep.must("run_untrusted_scan", scan_args("long", "192.0.2.50"))->getValue<std::string>("task_id");
    // Taken by the worker before the pass below, or it too would have waited
    // past max_queue_wait: on a loaded machine the claim can take a while.
    bool started = false;
    for (int i = 0; i < 200 && !started; ++i) {
        started = dep.must("get_scan_status", R"({"task_id":")" + busy + R"("})")->getValue<std::string>("status") ==
                  "running";
        if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(started) << "the first scan holds the scanner's only slot";
    const auto waiting =
        dep.must("run_untrusted_scan", scan_args("behind", "192.0.2.51"))->getValue<std::string>("task_id");
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // past max_queue_wait (1 s): the time it checks
    dep.orchestrator->housekeeping_pass();
    auto s = dep.must("get_scan_status", R"({"task_id":")" + waiting + R"("})");
    EXPECT_EQ(s->getValue<std::string>("status"), "failed");
    EXPECT_NE(s->getValue<std::string>("error").find("max_queue_wait"), std::string::npos)
        << s->getValue<std::string>("error");
    EXPECT_EQ(dep.orchestrator->queue().position(waiting).value(), std::nullopt) << "no longer queued";
    EXPECT_NE(dep.must("get_scan_status", R"({"task_id":")" + busy + R"("})")->getValue<std::string>("status"),
              "failed")
        << "the running task is not affected";
}

TEST(Orchestration, ARestartResumesTheSameScanInsteadOfStartingAnother) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(3));
    Dir dir;
    std::string id;
    {
        Deployment dep(dir, {{"east", a.port()}}, 1);
        id = dep.must("run_untrusted_scan", scan_args("long", "192.0.2.77"))->getValue<std::string>("task_id");
        bool scanning = false;
        for (int i = 0; i < 200 && !scanning; ++i) {  // until the scan runs on the scanner
            scanning = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})")->getValue<std::string>("phase") ==
                       "scanning";
            if (!scanning) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ASSERT_TRUE(scanning) << "the scan must be running before the stop, or nothing is handed back";
    }  // stopped mid-scan: the task is handed back with its scan id
    Deployment again(dir, {{"east", a.port()}}, 1);
    auto s = again.wait_done(id);
    EXPECT_EQ(s->getValue<std::string>("status"), "completed");
    auto stats = get_json(a.port(), "/emulator/stats");
    EXPECT_EQ(stats->getValue<int>("scans_created"), 1) << "resumed, not rescanned";
    EXPECT_EQ(stats->getValue<int>("scans_launched"), 1);
}

TEST(Orchestration, AScannerKilledMidLoadOpensItsCircuitAndNothingIsLost) {
    auto east = std::make_unique<EmulatorProcess>(NESSUS_EMULATOR, emulator_args(2));
    EmulatorProcess west(NESSUS_EMULATOR, emulator_args(0.5));
    Dir dir;
    Deployment dep(dir, {{"east", east->port()}, {"west", west.port()}}, 2);
    std::vector<std::string> ids;
    for (int i = 0; i < 8; ++i) {  // east gets the named ones and its share of the rest
        const std::string named = i < 4 ? R"(,"scanner_instance":"east")" : "";
        ids.push_back(dep.must("run_untrusted_scan", scan_args("m" + std::to_string(i), "192.0.2.5", named))
                          ->getValue<std::string>("task_id"));
    }
    for (int i = 0; i < 100 && dep.orchestrator->queue().running("east").value().size() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(dep.orchestrator->queue().running("east").value().size(), 2u) << "east is mid-scan";
    east.reset();  // killed mid-load, with two scans on it and two more waiting for it
    std::map<std::string, std::string> final;
    for (const auto& id : ids) final[id] = dep.wait_done(id)->getValue<std::string>("status");
    int completed = 0, failed = 0;
    for (const auto& [id, st] : final) {
        if (st == "completed") ++completed;
        if (st == "failed") {
            ++failed;
            EXPECT_TRUE(eventually([&, &id = id] {  // named: clang 14 cannot capture a binding
                return in_dlq(*dep.orchestrator, id);
            })) << id
                << " failed but is not in the DLQ";
        }
    }
    EXPECT_EQ(completed + failed, 8) << "every task accounted for";
    EXPECT_GE(failed, 2) << "east's tasks fail once retries are exhausted";
    EXPECT_GE(completed, 3) << "west kept working";
    // The circuit opened. Its open time here is short (1.5 s, so east's waiting
    // tasks get their trials within the test), so by now it may have turned
    // half-open on its own: either says it opened, closed would not. The
    // whole cycle, gauge included, is tested with a long open time in
    // LifecycleFaults.CircuitBreakerOpensTriesOnceAndClosesOrReopens.
    auto circuit = sf::read_circuit(dep.orchestrator->queue(), "east");
    ASSERT_TRUE(circuit);
    EXPECT_NE(circuit->info.state, sdk::CircuitState::closed);
    EXPECT_GE(circuit->info.consecutive_failures, 2u);
    // New work avoids an open circuit: shown only by a placement the router
    // decided while east's circuit was open and west had room. Checked at an
    // arbitrary moment, the placement raced the breaker: once the 1.5 s open
    // time runs out east's worker turns the circuit half-open, which takes a
    // trial scan, and a placement on east is then right (by the time every
    // task above has ended that has often happened, and only a failed trial
    // opens it again). A submission also routes on a view of the pool up to
    // ScannerPool::kRoutingStaleness old, so a circuit opened, or west's
    // slots freed, just before the call may not be in it yet; and with west
    // full the scan would wait in the global queue. So a placement counts
    // only when the circuit had been open, and west idle, for a view's age
    // before the call, and the circuit is still in that same open period
    // (same opened_at_ms) after it. While it is half-open with nothing to try,
    // a scan named for east is the trial that opens it again.
    const std::int64_t view_age = sf::ScannerPool::kRoutingStaleness.count();
    auto finished = [&](const std::string& id) {
        const auto st = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})")->getValue<std::string>("status");
        return st == "completed" || st == "failed" || st == "cancelled";
    };
    auto west_idle = [&] {
        auto d = dep.orchestrator->queue().depths({"west"});
        return d && d->scanners.size() == 1 && d->scanners[0].running == 0 && d->scanners[0].queued == 0;
    };
    std::vector<std::string> others;  // trials and placements that did not count, waited for below
    std::string after, trial;
    std::int64_t west_idle_since = 0;
    for (const auto deadline = sf::now_ms() + 30'000; after.empty() && sf::now_ms() < deadline;) {
        const auto now = sf::now_ms();
        const auto before = sf::read_circuit(dep.orchestrator->queue(), "east");
        ASSERT_TRUE(before);
        if (!west_idle()) {
            west_idle_since = 0;
        } else if (west_idle_since == 0) {
            west_idle_since = now;
        }
        if (before->info.state == sdk::CircuitState::half_open && (trial.empty() || finished(trial))) {
            trial = dep.must("run_untrusted_scan", scan_args("trial", "192.0.2.7", R"(,"scanner_instance":"east")"))
                        ->getValue<std::string>("task_id");
            others.push_back(trial);
            continue;
        }
        if (before->info.state != sdk::CircuitState::open || before->info.opened_at_ms > now - view_age ||
            west_idle_since == 0 || west_idle_since > now - view_age) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        auto r = dep.must("run_untrusted_scan", scan_args("after", "192.0.2.6"));
        const auto still = sf::read_circuit(dep.orchestrator->queue(), "east");
        if (still && still->info.state == sdk::CircuitState::open &&
            still->info.opened_at_ms == before->info.opened_at_ms) {
            EXPECT_EQ(r->getValue<std::string>("queue"), "west") << r->get("routing_reason").toString();
            after = r->getValue<std::string>("task_id");
        } else {
            others.push_back(r->getValue<std::string>("task_id"));
            west_idle_since = 0;  // it may be on west now
        }
    }
    ASSERT_FALSE(after.empty()) << "within 30 s, east's circuit was never open with west idle for " << view_age
                                << " ms before a submission";
    EXPECT_EQ(dep.wait_done(after)->getValue<std::string>("status"), "completed");
    for (const auto& id : others) dep.wait_done(id);
    auto metrics = dep.orchestrator->tools()->metrics_text();
    EXPECT_NE(metrics.find("nessus_scanner_capacity{scanner_instance=\"west\"} 2"), std::string::npos);
    EXPECT_TRUE(eventually([&] { return dep.orchestrator->queue().running("east").value().empty(); }))
        << "slots released";
}

// estimated_wait_time is 0 for a scan that starts at once, and grows for one
// that waits behind a running scan.
TEST(Orchestration, AScanThatStartsAtOnceHasNoEstimatedWait) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(2));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    auto first = dep.must("run_untrusted_scan", scan_args("now", "192.0.2.90"));
    EXPECT_EQ(first->getValue<std::int64_t>("estimated_wait_time"), 0) << first->get("routing_reason").toString();
    for (int i = 0; i < 200; ++i) {  // until it holds the scanner's only slot
        auto s = dep.must("get_scan_status", R"({"task_id":")" + first->getValue<std::string>("task_id") + R"("})");
        if (s->getValue<std::string>("status") == "running") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto second = dep.must("run_untrusted_scan", scan_args("later", "192.0.2.91"));
    EXPECT_GT(second->getValue<std::int64_t>("estimated_wait_time"), 0) << "it waits for the running scan";
    dep.wait_done(second->getValue<std::string>("task_id"));
}

// The scope is checked again when a scan starts: a task queued under a wider
// scope, started after the scope was narrowed, fails without touching the
// scanner (and not as the scanner's fault).
TEST(Orchestration, AScopeNarrowedWhileATaskWaitsRefusesItAtStart) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(2));
    Dir dir;
    std::string blocker, waiting;
    {
        Deployment dep(dir, {{"east", a.port()}}, 1);
        blocker = dep.must("run_untrusted_scan", scan_args("blocker", "192.0.2.95"))->getValue<std::string>("task_id");
        bool running = false;
        for (int i = 0; i < 200 && !running; ++i) {
            running =
                dep.must("get_scan_status", R"({"task_id":")" + blocker + R"("})")->getValue<std::string>("status") ==
                "running";
            if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ASSERT_TRUE(running);
        waiting =
            dep.must("run_untrusted_scan", scan_args("narrowed", "198.51.100.5"))->getValue<std::string>("task_id");
        ASSERT_EQ(dep.must("get_scan_status", R"({"task_id":")" + waiting + R"("})")->getValue<std::string>("status"),
                  "queued");
    }
    Deployment narrower(dir, {{"east", a.port()}}, 1, "{ttl_seconds: 1, interval_seconds: 3600}", "[192.0.2.0/24]");
    EXPECT_EQ(narrower.wait_done(blocker)->getValue<std::string>("status"), "completed");
    auto s = narrower.wait_done(waiting);
    EXPECT_EQ(s->getValue<std::string>("status"), "failed");
    EXPECT_EQ(s->getValue<std::string>("error_kind"), "forbidden");
    EXPECT_NE(s->getValue<std::string>("error").find("refused at start"), std::string::npos)
        << s->getValue<std::string>("error");
    EXPECT_EQ(get_json(a.port(), "/emulator/stats")->getValue<int>("scans_created"), 1)
        << "only the blocker reached the scanner";
    auto circuit =
        narrower.must("list_scanners", "{}")->getArray("scanners")->getObject(0)->getValue<std::string>("circuit");
    EXPECT_EQ(circuit, "closed");
}

std::string text_of(const Obj& o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

// What changed since the last scan, end to end: two scans of the same hosts
// on the emulator, the first logged in with an account that works (local
// checks: package vulnerabilities), the second without one. compare_scans
// on the second finds the first by itself and reports exactly the findings
// that only the first had as fixed, computed here from both tasks' pages;
// search_findings finds a CVE-less plugin and a host across both.
TEST(Orchestration, CompareScansReportsWhatChangedBetweenTwoRuns) {
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 2);
    const std::string targets = "192.0.2.70-71";
    const auto first = dep.must("run_trusted_scan",
                                scan_args("with account", targets, R"(,"ssh_username":"scan","ssh_password":"scanpw")"))
                           ->getValue<std::string>("task_id");
    ASSERT_EQ(dep.wait_done(first)->getValue<std::string>("status"), "completed");
    const auto second = dep.must("run_untrusted_scan", scan_args("without", targets))->getValue<std::string>("task_id");
    ASSERT_EQ(dep.wait_done(second)->getValue<std::string>("status"), "completed");

    // Every finding of a task, keyed as compare_scans keys them, by cursor.
    using Key = std::tuple<std::string, std::string, std::string, std::string>;  // host, port, protocol, plugin
    auto findings_of = [&](const std::string& id) {
        std::map<Key, int> out;
        std::string cursor;
        for (int pages = 0; pages < 100; ++pages) {
            auto page =
                dep.must("get_scan_results",
                         R"({"task_id":")" + id +
                             R"(","page_size":9,"custom_fields":["host","port","protocol","plugin_id","severity"])" +
                             (cursor.empty() ? std::string() : R"(,"cursor":")" + cursor + "\"") + "}");
            auto arr = page->getArray("findings");
            for (std::size_t i = 0; arr && i < arr->size(); ++i) {
                auto f = arr->getObject(static_cast<unsigned>(i));
                out[{f->getValue<std::string>("host"), f->getValue<std::string>("port"),
                     f->getValue<std::string>("protocol"), f->getValue<std::string>("plugin_id")}] =
                    f->getValue<int>("severity");
            }
            if (page->isNull("next_cursor") || !page->has("next_cursor")) break;
            cursor = page->getValue<std::string>("next_cursor");
        }
        return out;
    };
    const auto before = findings_of(first), after = findings_of(second);
    ASSERT_FALSE(before.empty());
    ASSERT_FALSE(after.empty());
    std::uint64_t fixed = 0, added = 0, unchanged = 0, rerated = 0;  // at min_severity info: everything
    for (const auto& [k, sev] : before) {
        auto it = after.find(k);
        if (it == after.end()) ++fixed;
        else if (it->second == sev) ++unchanged;
        else ++rerated;
    }
    for (const auto& [k, sev] : after) added += before.count(k) ? 0 : 1;
    ASSERT_GT(fixed, 0u) << "the local checks of the first run are gone from the second";

    auto cmp = dep.must("compare_scans", R"({"task_id":")" + second + R"(","min_severity":"info"})");
    EXPECT_EQ(cmp->getObject("older")->getValue<std::string>("task_id"), first)
        << "the previous completed scan of the same targets";
    EXPECT_EQ(cmp->getObject("newer")->getValue<std::string>("task_id"), second);
    auto totals = cmp->getObject("totals");
    ASSERT_TRUE(totals) << text_of(cmp);
    EXPECT_EQ(totals->getValue<std::uint64_t>("fixed"), fixed);
    EXPECT_EQ(totals->getValue<std::uint64_t>("new"), added);
    EXPECT_EQ(totals->getValue<std::uint64_t>("unchanged"), unchanged);
    EXPECT_EQ(totals->getValue<std::uint64_t>("rerated"), rerated);
    EXPECT_EQ(cmp->getArray("hosts")->size(), 2u);

    auto hits = dep.must("search_findings", R"({"host":"192.0.2.70","plugin_id":"19506"})");
    auto arr = hits->getArray("findings");
    ASSERT_TRUE(arr) << text_of(hits);
    std::set<std::string> tasks;
    for (std::size_t i = 0; i < arr->size(); ++i)
        tasks.insert(arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("task_id"));
    EXPECT_EQ(tasks, (std::set<std::string>{first, second})) << "plugin 19506 is reported by both runs";
}

// A scan polled every 100 ms moves its progress at nearly every poll; each
// recorded value is a durable write. With progress_write_ms longer than the
// scan only the 0 that goes with the scan id is recorded; with 0 every change is.
TEST(Orchestration, ProgressIsRecordedAtMostEveryProgressWriteMs) {
    auto progress_seen = [](const std::string& workers_extra) {
        EmulatorProcess a(NESSUS_EMULATOR, emulator_args(2.5));
        Dir dir;
        Deployment dep(dir, {{"east", a.port()}}, 1, "{ttl_seconds: 3600, interval_seconds: 3600}",
                       "[192.0.2.0/24, 198.51.100.0/24]", "", workers_extra);
        const auto id =
            dep.must("run_untrusted_scan", scan_args("progress", "192.0.2.50"))->getValue<std::string>("task_id");
        std::set<int> seen;
        for (int i = 0; i < 600; ++i) {
            auto s = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})");
            const auto status = s->getValue<std::string>("status");
            if (status != "queued" && status != "running") break;
            if (s->getValue<std::string>("phase") == "scanning") seen.insert(s->getValue<int>("progress"));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        EXPECT_EQ(dep.wait_done(id)->getValue<std::string>("status"), "completed");
        return seen;
    };
    const auto every_change = progress_seen(", progress_write_ms: 0");
    EXPECT_GE(every_change.size(), 3u) << "a 2.5 s scan polled every 100 ms showed too few values to compare";
    const auto throttled = progress_seen(", progress_write_ms: 60000");
    EXPECT_EQ(throttled.size(), 1u) << "progress was recorded more than once within progress_write_ms";
}

// Two scanners whose emulators differ in one option: "east" as
// emulator_args gives it, "west" with `flag` set to `value`. Runs record no
// progress, so two runs alike but for the scanner differ in that option only.
struct ScannersApart {
    ScannersApart(const std::string& flag, const std::string& value)
        : east(NESSUS_EMULATOR, emulator_args(0.5)),
          west(NESSUS_EMULATOR, changed(flag, value)),
          dep(dir, {{"east", east.port()}, {"west", west.port()}}, 1, "{ttl_seconds: 3600, interval_seconds: 3600}",
              "[192.0.2.0/24, 198.51.100.0/24]", "", ", progress_write_ms: 60000") {}

    static std::vector<std::string> changed(const std::string& flag, const std::string& value) {
        auto args = emulator_args(0.5);
        args[std::find(args.begin(), args.end(), flag) - args.begin() + 1] = value;
        return args;
    }

    // One scan on `scanner` to its end; the phases its status showed on the way.
    sf::TaskStore::Whole run(const std::string& scanner, const std::string& targets,
                             std::set<std::string>* phases = nullptr) {
        const auto id = dep.must("run_untrusted_scan",
                                 scan_args("apart-" + scanner, targets, R"(,"scanner_instance":")" + scanner + "\""))
                            ->getValue<std::string>("task_id");
        for (int i = 0; phases && i < 400; ++i) {
            auto s = dep.must("get_scan_status", R"({"task_id":")" + id + R"("})");
            phases->insert(s->getValue<std::string>("phase"));
            const auto status = s->getValue<std::string>("status");
            if (status != "queued" && status != "running") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        EXPECT_EQ(dep.wait_done(id)->getValue<std::string>("status"), "completed");
        auto whole = dep.orchestrator->store().load_whole(id);
        EXPECT_TRUE(whole) << (whole ? "" : whole.error().message);
        return whole ? *whole : sf::TaskStore::Whole{};
    }

    EmulatorProcess east, west;
    Dir dir;
    Deployment dep;
};

// A `validating` phase lasting milliseconds is seen by no reader: a small
// export is validated without a write of its own, its path recorded with
// the ending; a large one records the phase first. Two runs alike but for
// the export's size: the large run's record was written exactly once more,
// and both name their export.
TEST(Orchestration, OnlyAnExportOfAMebibyteOrMoreRecordsItsValidatingPhase) {
    ScannersApart apart("--extra-items", "3000");
    const auto s = apart.run("east", "192.0.2.60/30");
    const auto b = apart.run("west", "192.0.2.60/30");
    ASSERT_FALSE(s.record.export_path.empty()) << "the small export's path is recorded with the ending";
    ASSERT_FALSE(b.record.export_path.empty());
    std::error_code ec;
    EXPECT_LT(std::filesystem::file_size(s.record.export_path, ec), 1u << 20);
    EXPECT_GE(std::filesystem::file_size(b.record.export_path, ec), 1u << 20) << "the large export is not large";
    EXPECT_EQ(b.revision, s.revision + 1) << "one write more: the large export's validating phase";
    EXPECT_EQ(s.record.phase, sf::TaskPhase::done);
}

// An `exporting` phase of a second is seen by no reader: only an export
// that outlasts two seconds records it, while it lasts. Two runs alike but
// for the export's duration: the slow one is seen exporting, and its
// record was written exactly once more.
TEST(Orchestration, OnlyAnExportOutlastingTwoSecondsRecordsItsExportingPhase) {
    ScannersApart apart("--export-seconds", "3.5");
    std::set<std::string> fast_phases, slow_phases;
    const auto f = apart.run("east", "192.0.2.64", &fast_phases);
    const auto s = apart.run("west", "192.0.2.64", &slow_phases);
    EXPECT_TRUE(slow_phases.count("exporting")) << "a 3.5 s export was never shown exporting";
    EXPECT_FALSE(fast_phases.count("exporting")) << "a 0.1 s export recorded its phase";
    EXPECT_EQ(s.revision, f.revision + 1) << "one write more: the slow export's exporting phase";
    EXPECT_FALSE(f.record.export_path.empty());
}

// A scanner's limit is on the scans it runs. An export still going two
// seconds after its scan ended there (6 s here) no longer holds the
// scanner's one slot: the next scan queued for that scanner runs meanwhile.
// At most as many finish as the scanner has slots: the second scan's slow
// export, begun while the first one's still goes on, keeps its slot, so the
// third scan waits for it. The scanner never has two scans running, the
// queue never counts more than one slot taken, and all three complete.
TEST(Orchestration, AScannerRunsItsNextScanWhileTheLastOnesExportIsMade) {
    auto args = emulator_args(0.3);
    args[std::find(args.begin(), args.end(), "--export-seconds") - args.begin() + 1] = "6";
    EmulatorProcess a(NESSUS_EMULATOR, args);
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    std::vector<std::string> ids;
    for (const char* target : {"192.0.2.80", "192.0.2.81", "192.0.2.82"}) {
        ids.push_back(dep.must("run_untrusted_scan",
                               scan_args(std::string("overlap ") + target, target, R"(,"scanner_instance":"east")"))
                          ->getValue<std::string>("task_id"));
    }
    std::size_t most_held = 0;
    for (int i = 0; i < 600; ++i) {
        auto slots = dep.orchestrator->queue().depths({"east"});
        auto held = dep.orchestrator->queue().running("east");
        ASSERT_TRUE(slots && held);
        EXPECT_LE(slots->scanners.at(0).running, 1u);
        EXPECT_LE(held->size(), 2u) << "more tasks finishing than the scanner has slots";
        most_held = std::max(most_held, held->size());
        if (dep.must("get_scan_status", R"({"task_id":")" + ids[2] + R"("})")->getValue<std::string>("status") ==
            "completed")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(most_held, 2u) << "no task was ever seen finishing without its slot";
    const auto t = dep.completed_records(ids);
    ASSERT_EQ(t.size(), ids.size());
    EXPECT_LT(t[1].started_at, t[0].completed_at) << "the second scan waited for the first one's export";
    EXPECT_GE(t[2].started_at, t[1].completed_at)
        << "the third scan started while two exports went on: the second gave its slot back past the bound";
    EXPECT_NE(t[0].export_path, t[1].export_path);
    const auto stats = get_json(a.port(), "/emulator/stats");
    EXPECT_EQ(stats->getValue<int>("peak_running"), 1) << "two scans ran at once on a one-slot scanner";
    EXPECT_EQ(stats->getValue<int>("scans_completed"), 3);
    EXPECT_EQ(stats->getValue<int>("exports"), 3);
    EXPECT_TRUE(eventually([&] {
        auto held = dep.orchestrator->queue().running("east");
        return held && held->empty();
    })) << "a task is still held after all three completed";
}

TEST(Orchestration, RunsOnOneScannerWaitOnOneListingPerPollInterval) {
    // Five scans at once on one five-slot scanner, first with the scanner's
    // scan list (the worker's board: one GET /scans per poll interval for
    // all five), then with every run polling its own scan
    // (progress_write_ms 0 wants each poll's progress, so the board is off).
    // The same scans must cost the scanner far fewer requests the first way,
    // and end the same.
    auto requests_for_five = [](const std::string& workers_extra) {
        // Scans long enough that polling outweighs the requests every scan
        // makes either way (create, launch, export, delete: about 30 here).
        EmulatorProcess a(NESSUS_EMULATOR, emulator_args(3));
        Dir dir;
        Deployment dep(dir, {{"east", a.port()}}, 5, "{ttl_seconds: 3600, interval_seconds: 3600}",
                       "[192.0.2.0/24, 198.51.100.0/24]", "", workers_extra);
        std::vector<std::string> ids;
        for (int i = 0; i < 5; ++i) {
            ids.push_back(dep.must("run_untrusted_scan",
                                   scan_args("board " + std::to_string(i), "192.0.2." + std::to_string(60 + i)))
                              ->getValue<std::string>("task_id"));
        }
        for (const auto& id : ids) {
            auto s = dep.wait_done(id);
            EXPECT_EQ(s->getValue<std::string>("status"), "completed") << id << ": " << s->get("error").toString();
            EXPECT_EQ(s->getValue<int>("progress"), 100) << id;
        }
        const auto stats = get_json(a.port(), "/emulator/stats");
        EXPECT_EQ(stats->getValue<int>("scans_completed"), 5);
        EXPECT_EQ(stats->getValue<int>("unknown_scan_requests"), 0);
        return stats->getValue<int>("requests_served");
    };
    const int board = requests_for_five(", progress_write_ms: 60000");
    const int polling = requests_for_five(", progress_write_ms: 0");
    // 3 s scans polled every 100 ms: about 30 polls each one by one, about
    // 30 listings for all five on the board (under ASan: 59 against 118 for
    // 1.5 s scans, too close to the line).
    EXPECT_LT(board * 2, polling) << "scanner requests: " << board << " on the board, " << polling
                                  << " polling each scan";
}

TEST(Orchestration, AFullWorkerStartsItsNextTaskAsSoonAsARunEnds) {
    // One slot, six short scans queued behind each other. A worker at its
    // limit waits for one of its own runs to end, not for the queue
    // backend's wake-up: that one comes from the run's end in the backend
    // a moment before the run leaves the worker's count, and a worker that
    // took it then found no room slept out the rest of a second each time.
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(0.3));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1);
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) {
        ids.push_back(
            dep.must("run_untrusted_scan", scan_args("next " + std::to_string(i), "192.0.2." + std::to_string(70 + i)))
                ->getValue<std::string>("task_id"));
    }
    auto done = dep.completed_records(ids);
    ASSERT_EQ(done.size(), ids.size());
    std::sort(done.begin(), done.end(), [](const auto& x, const auto& y) { return x.started_at < y.started_at; });
    EXPECT_EQ(get_json(a.port(), "/emulator/stats")->getValue<int>("peak_running"), 1)
        << "one slot: one scan at a time";
    // Exports of 0.1 s: each run keeps its slot to its end (only an
    // aftermath of 2 s gives it back early).
    std::int64_t idle_ms = 0;
    for (std::size_t i = 1; i < done.size(); ++i) {
        EXPECT_GE(done[i].started_at, done[i - 1].completed_at) << "one slot: one task at a time";
        idle_ms += done[i].started_at - done[i - 1].completed_at;
    }
    // Five hand-overs: about a second each when a wake-up was lost, a few ms
    // each now; 2.5 s leaves room for a slow machine.
    EXPECT_LT(idle_ms, 2500) << "the slot stood idle between runs for " << idle_ms << " ms in all";
}

namespace {

// What an operator does on the scanner's own console: log in and stop a scan.
void stop_on_the_scanner(int port, const std::string& scan_id) {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest login("POST", "/session");
    const std::string body = R"({"username":"admin","password":"adminpw"})";
    login.setContentType("application/json");
    login.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(login) << body;
    Poco::Net::HTTPResponse res;
    const auto token = Poco::JSON::Parser()
                           .parse(s.receiveResponse(res))
                           .extract<Poco::JSON::Object::Ptr>()
                           ->getValue<std::string>("token");
    Poco::Net::HTTPRequest stop("POST", "/scans/" + scan_id + "/stop");
    stop.set("X-Cookie", "token=" + token);
    stop.setContentLength(0);
    s.sendRequest(stop);
    Poco::Net::HTTPResponse stopped;
    s.receiveResponse(stopped).ignore(1 << 20);
    ASSERT_EQ(stopped.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
}

}  // namespace

TEST(Orchestration, AScanStoppedOnTheScannerIsNoticedFromItsListing) {
    // The worker learns of a scan's end from its scanner's list of changed
    // scans, not from polling the scan (each run polls its own only every
    // progress_write_ms, 10 s here). A stop made on the scanner's console is
    // a change like any other: the task fails within a few listings.
    EmulatorProcess a(NESSUS_EMULATOR, emulator_args(60));
    Dir dir;
    Deployment dep(dir, {{"east", a.port()}}, 1, "{ttl_seconds: 3600, interval_seconds: 3600}",
                   "[192.0.2.0/24, 198.51.100.0/24]", "", ", progress_write_ms: 10000");
    const auto id =
        dep.must("run_untrusted_scan", scan_args("stopped", "192.0.2.80"))->getValue<std::string>("task_id");
    std::string scan_id;
    for (int i = 0; i < 200 && scan_id.empty(); ++i) {
        if (auto t = dep.orchestrator->store().load(id); t && t->phase == sf::TaskPhase::scanning) scan_id = t->scan.id;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(scan_id.empty()) << "the task never reached its scan";
    // Running on the scanner (the phase is written before the launch).
    bool running = false;
    for (int i = 0; i < 200 && !running; ++i) {
        running = get_json(a.port(), "/emulator/stats")->getValue<int>("current_running") == 1;
        if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(running) << "scan " << scan_id << " never ran on the scanner";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few listings that say "running"
    const auto stopped_at = sf::now_ms();
    ASSERT_NO_FATAL_FAILURE(stop_on_the_scanner(a.port(), scan_id));
    const auto s = dep.wait_done(id, 30);
    EXPECT_EQ(s->getValue<std::string>("status"), "failed");
    EXPECT_NE(s->getValue<std::string>("error").find("stopped on the scanner"), std::string::npos)
        << s->getValue<std::string>("error");
    auto t = dep.orchestrator->store().load(id);
    ASSERT_TRUE(t);
    EXPECT_LT(t->completed_at - stopped_at, 5000) << "noticed only by the scan's own poll, not by a listing";
}

TEST(Orchestration, ARunOnTheBoardNoticesACancelWithinCancelCheckMs) {
    // A run on the board sleeps until a listing shows its scan in a new
    // state, or until its own checks are due: a cancel of a running scan is
    // noticed within workers.cancel_check_ms, not at the next listing
    // (every 100 ms here). With a check every 300 ms the scan is gone from
    // the scanner soon after the cancel; with one a minute it still runs
    // there seconds later, for no listing woke its run.
    auto running_after_cancel = [](const std::string& cancel_check_ms, std::chrono::seconds watch_for) {
        EmulatorProcess a(NESSUS_EMULATOR, emulator_args(60));
        Dir dir;
        Deployment dep(dir, {{"east", a.port()}}, 1, "{ttl_seconds: 3600, interval_seconds: 3600}",
                       "[192.0.2.0/24, 198.51.100.0/24]", "",
                       ", progress_write_ms: 60000, cancel_check_ms: " + cancel_check_ms);
        const auto id =
            dep.must("run_untrusted_scan", scan_args("cancelled", "192.0.2.81"))->getValue<std::string>("task_id");
        const auto running = [&] { return get_json(a.port(), "/emulator/stats")->getValue<int>("current_running"); };
        for (int i = 0; i < 200 && running() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_EQ(running(), 1) << "the scan never ran on the scanner";
        // The run has taken the board's first answer and the listing that
        // says "running" (its own poll is a minute away).
        std::this_thread::sleep_for(std::chrono::seconds(2));
        EXPECT_EQ(dep.must("cancel_scan", R"({"task_id":")" + id + R"("})")->getValue<std::string>("message"),
                  "The scan is being stopped on its scanner.");
        const auto until = std::chrono::steady_clock::now() + watch_for;
        while (running() != 0 && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return running() != 0;
    };
    EXPECT_FALSE(running_after_cancel("300", std::chrono::seconds(10))) << "the cancel was not acted on";
    EXPECT_TRUE(running_after_cancel("60000", std::chrono::seconds(3)))
        << "a run with no check due was woken by a listing that showed nothing new";
}
