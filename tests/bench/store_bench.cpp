// Store plugins at scale: index a large scan's findings, page them, and list
// tasks from a store holding many. Run by hand (tests/bench/store_bench.sh):
//   store_bench sqlite|postgres PLUGIN_DIR [FINDINGS] [TASKS]
// postgres: a server of its own from Debian's package, like the contract suite.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "postgres_server.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/targets.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// This process's CPU time: on a shared machine the wall time's tail is mostly
// waiting for a core; the CPU time says what a call itself costs here (for
// PostgreSQL, the client's part only).
double cpu_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
    std::vector<double> ms, cpu;
    template <class F>
    auto time(F&& f) {
        const auto t0 = Clock::now();
        const double c0 = cpu_ms();
        auto r = f();
        cpu.push_back(cpu_ms() - c0);
        ms.push_back(ms_since(t0));
        return r;
    }
    void print(const char* what) {
        std::sort(ms.begin(), ms.end());
        std::sort(cpu.begin(), cpu.end());
        auto at = [](const std::vector<double>& v, double q) {
            return v.empty() ? 0.0 : v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
        };
        std::printf("  %-44s n=%-6zu p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms", what, ms.size(), at(ms, 0.5),
                    at(ms, 0.99), ms.empty() ? 0.0 : ms.back());
        if (!cpu.empty()) std::printf("  (cpu p50 %6.2f p99 %6.2f)", at(cpu, 0.5), at(cpu, 0.99));
        std::printf("\n");
    }
};

// Sizes like a Nessus export's: ~100 B synopsis, ~700 B description, ~400 B output;
// 4000 plugins, each with its own texts.
sdk::Finding finding(std::uint64_t i) {
    sdk::Finding f;
    f.seq = i;
    f.host = "198.51.100." + std::to_string(i / 400 % 250 + 1);  // ~400 findings per host, as in a large scan
    f.host_ip = f.host;
    f.port = static_cast<std::uint32_t>(i % 7 == 0 ? 0 : 1 + i % 1000);
    f.protocol = "tcp";
    f.service = "www";
    f.plugin_id = 10000 + (i * 7919) % 4000;
    f.plugin_name = "Plugin " + std::to_string(f.plugin_id) + " detection of something";
    f.plugin_family = "General";
    f.severity = static_cast<sdk::Severity>((i % 100 < 70) ? 0 : 1 + i % 4);
    f.risk_factor = "Medium";
    if (f.severity != sdk::Severity::info) f.cvss3_base_score = 5.3;
    if (i % 20 == 0) f.cves = {"CVE-2023-" + std::to_string(i % 9000)};
    // A plugin's texts are its own and the same on every host, as Nessus's.
    const auto pad = [&](std::string s, std::size_t n, char c) {
        s.resize(std::max(n, s.size()), c);
        return s;
    };
    const auto id = std::to_string(f.plugin_id);
    f.synopsis = pad("Synopsis of plugin " + id + " ", 100, 's');
    f.solution = pad("Solution for " + id + " ", 80, 'u');
    f.description = pad("Description of plugin " + id + " ", 700, 'd');
    f.see_also = "https://example.invalid/" + id;
    f.plugin_output = std::string(400, 'o');
    f.seen_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: store_bench sqlite|postgres PLUGIN_DIR [FINDINGS] [TASKS]\n");
        return 2;
    }
    const std::string backend = argv[1];
    const std::string dir = argv[2];
    const std::uint64_t n_findings = argc > 3 ? std::stoull(argv[3]) : 100000;
    const std::uint64_t n_tasks = argc > 4 ? std::stoull(argv[4]) : 100000;
    const auto data_dir =
        std::filesystem::temp_directory_path() / ("scanorch-store-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(data_dir);
    std::unique_ptr<scanorch::testing::PostgresServer> pg;
    std::string name, config;
    if (backend == "sqlite") {
        name = "sqlite-store";
        config = R"({"synchronous":"normal"})";
    } else if (backend == "postgres") {
        pg = std::make_unique<scanorch::testing::PostgresServer>();
        name = "postgres-store";
        config = R"({"url":")" + pg->url() + R"("})";
    } else {
        std::fprintf(stderr, "unknown backend %s\n", backend.c_str());
        return 2;
    }
    sf::PluginLoader loader;
    if (auto r = loader.load_file(dir + "/libscanorch-" + name + ".so"); !r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 1;
    }
    auto services = std::make_shared<sf::HostServices>(nullptr, data_dir.string());
    auto made = loader.instantiate<sdk::Store>(name, config, sf::HostApi::make(services, name));
    if (!made) {
        std::fprintf(stderr, "%s\n", made.error().message.c_str());
        return 1;
    }
    auto& store = **made;
    auto must = [](const auto& r, const char* what) {
        if (!r) {
            std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
            std::exit(1);
        }
    };
    std::printf("== store benchmark: %s, %llu findings, %llu tasks\n", name.c_str(),
                static_cast<unsigned long long>(n_findings), static_cast<unsigned long long>(n_tasks));

    // --- findings ---------------------------------------------------------
    // The host's view of the store, which writes the tasks as the host does.
    std::optional<sf::TaskStore> owner(std::in_place, *made, data_dir / "exports");
    auto& hosts = *owner;
    sf::TaskRecord t;
    t.task_id = "big-scan";
    t.lease_token = "run";
    t.status = sf::TaskStatus::running;
    must(hosts.create(t, ""), "create");
    auto start = Clock::now();
    std::vector<sdk::Finding> batch;
    for (std::uint64_t i = 0; i < n_findings; ++i) {
        batch.push_back(finding(i));
        if (batch.size() == 1000 || i + 1 == n_findings) {
            must(store.findings().append("big-scan", "run", batch), "append");
            batch.clear();
        }
    }
    const double insert_ms = ms_since(start);
    std::printf("  indexing: %.1f s, %.0f findings/s (batches of 1000)\n", insert_ms / 1000,
                n_findings / (insert_ms / 1000));

    auto walk = [&](sdk::FindingFilter f, std::uint32_t limit, bool text, const char* what) {
        Stats s;
        sdk::FindingPageQuery q;
        q.task_id = "big-scan";
        q.filter = std::move(f);
        q.limit = limit;
        q.with_text = text;
        for (;;) {
            auto t0 = Clock::now();
            auto p = store.findings().page(q);
            s.ms.push_back(ms_since(t0));
            must(p, "page");
            if (p->next_cursor.empty()) break;
            q.cursor = p->next_cursor;
        }
        s.print(what);
    };
    walk({}, 500, false, "page of 500, brief, every page");
    walk({}, 500, true, "page of 500, with texts, every page");
    sdk::FindingFilter high;
    high.min_severity = sdk::Severity::high;
    walk(high, 500, false, "page of 500, min_severity high");
    sdk::FindingFilter host;
    host.host = "198.51.100.18";
    walk(host, 100, false, "page of 100, one host");
    {
        Stats s;
        sdk::FindingPageQuery q;
        q.task_id = "big-scan";
        q.limit = 500;
        q.count = true;
        for (int i = 0; i < 20; ++i) {
            auto t0 = Clock::now();
            must(store.findings().page(q), "count");
            s.ms.push_back(ms_since(t0));
        }
        s.print("first page with counts (a pass)");
    }
    {
        Stats s;
        sdk::FindingSearch q;
        q.cve = "CVE-2023-100";
        for (int i = 0; i < 50; ++i) {
            auto t0 = Clock::now();
            must(store.findings().search(q), "search");
            s.ms.push_back(ms_since(t0));
        }
        s.print("search by CVE");
    }

    // --- tasks -------------------------------------------------------------
    // Written as the host writes them (TaskStore: the document and the list
    // summary are the record's JSON), so list pages carry summaries of a real
    // record's size and the host's decoding of them is measured too.
    start = Clock::now();
    const std::vector<std::string> clients = {"", "team-a", "team-b", "team-c"};
    for (std::uint64_t i = 0; i < n_tasks; ++i) {
        sf::TaskRecord x;
        x.task_id = "task-" + std::to_string(i);
        x.trace_id = "4bf92f3577b34da6a3ce929d0e0e" + std::to_string(4736 + i % 1000);
        x.name = "weekly scan of segment " + std::to_string(i % 250);
        x.description = std::string(2400, 'D');  // the document's bulk, never in a list page
        x.client = clients[i % clients.size()];
        x.status = static_cast<sf::TaskStatus>(i % 5);
        x.phase = sf::TaskPhase::queued;
        x.scan_type = sdk::ScanType::trusted_basic;
        x.scanner_instance = "nessus-" + std::to_string(i % 8);
        x.requested_pool = "dmz";
        x.scanner_url = "https://nessus-" + std::to_string(i % 8) + ".example.invalid:8834";
        x.targets = "192.0.2." + std::to_string(i % 250);
        x.created_at = 1'700'000'000'000 + static_cast<std::int64_t>(i) * 1000;
        x.queued_at = x.updated_at = x.created_at;
        must(hosts.create(x, ""), "create task");
    }
    const double create_ms = ms_since(start);
    std::printf("  tasks: %.1f s to create %llu (%.0f/s, one transaction each)\n", create_ms / 1000,
                static_cast<unsigned long long>(n_tasks), n_tasks / (create_ms / 1000));
    auto list = [&](sdk::TaskQuery q, int pages, const char* what) {
        Stats s;
        for (int i = 0; i < pages; ++i) {
            auto p = s.time([&] { return store.tasks().list(q); });
            must(p, "list");
            if (p->next_cursor.empty()) q.cursor.clear();
            else q.cursor = p->next_cursor;
        }
        s.print(what);
    };
    sdk::TaskQuery q;
    q.limit = 100;
    list(q, 300, "list_tasks 100, walking 300 pages");
    q.clients = std::vector<std::string>{"", "team-b"};
    list(q, 300, "list_tasks 100, visible clients");
    q.statuses = {sdk::TaskState::failed};
    list(q, 300, "list_tasks 100, clients + status");
    sdk::TaskQuery prev;
    prev.targets = "192.0.2.77";
    prev.statuses = {sdk::TaskState::completed};
    prev.limit = 1;
    list(prev, 300, "previous completed scan of the same targets");
    {
        Stats s;
        for (int i = 0; i < 300; ++i) {
            must(s.time([&] { return store.tasks().get("task-" + std::to_string((i * 7919) % n_tasks)); }), "get");
        }
        s.print("get one task");
    }
    // What list_tasks itself runs: the host's list over the store, which
    // decodes each row's summary into a record (and, with a target, tests
    // each record's targets until a page is full or its scan budget is spent).
    auto host_list = [&](sf::TaskListQuery q, int pages, const char* what) {
        Stats s;
        for (int i = 0; i < pages; ++i) {
            auto p = s.time([&] { return hosts.list(q); });
            must(p, "host list");
            q.after = p->next;
        }
        s.print(what);
    };
    sf::TaskListQuery hq;
    hq.limit = 100;
    host_list(hq, 300, "host list 100, walking 300 pages");
    hq.clients = std::vector<std::string>{"team-b", ""};
    host_list(hq, 300, "host list 100, visible clients");
    hq.statuses = {sf::TaskStatus::failed};
    host_list(hq, 300, "host list 100, clients + status");
    host_list(sf::TaskListQuery{}, 1, "host list 100, first page (once, to warm)");
    {
        // The commonest call: an agent polling the newest tasks, most unchanged since.
        Stats s;
        for (int i = 0; i < 300; ++i) must(s.time([&] { return hosts.list(sf::TaskListQuery{}); }), "host list");
        s.print("host list 100, first page again");
    }
    const auto wanted = sdk::targets::parse_target("192.0.2.77/32");
    if (!wanted) return 1;
    sf::TaskListQuery ht;
    ht.limit = 100;
    ht.accept_targets = [&](const std::string& targets) {
        const auto l = sdk::targets::parse_list(targets);
        if (!l) return false;
        return std::any_of(l->begin(), l->end(), [&](const auto& x) {
            return sdk::targets::contains(x, *wanted) || sdk::targets::contains(*wanted, x);
        });
    };
    host_list(ht, 20, "host list 100, one target (overlap)");
    owner.reset();
    made = sdk::Error::internal("released");  // close connections before the server stops
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
    return 0;
}
