// Store plugins at scale: index a large scan's findings, page them, and list
// tasks from a store holding many. Run by hand (tests/bench/store_bench.sh):
//   store_bench sqlite|postgres PLUGIN_DIR [FINDINGS] [TASKS]
// postgres: a server of its own from Debian's package, like the contract suite.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "postgres_server.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/store.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Stats {
    std::vector<double> ms;
    void print(const char* what) {
        std::sort(ms.begin(), ms.end());
        auto at = [&](double q) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
        std::printf("  %-44s n=%-6zu p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", what, ms.size(), at(0.5), at(0.99),
                    ms.empty() ? 0.0 : ms.back());
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
    const auto data_dir = std::filesystem::temp_directory_path() / ("scanorch-store-bench-" + std::to_string(::getpid()));
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
    sdk::StoredTask t;
    t.task_id = "big-scan";
    t.lease_token = "run";
    t.status = sdk::TaskState::running;
    must(store.tasks().create(t), "create");
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
    std::printf("  indexing: %.1f s, %.0f findings/s (batches of 1000)\n", insert_ms / 1000, n_findings / (insert_ms / 1000));

    auto walk = [&](sdk::FindingFilter f, std::uint32_t limit, bool text, const char* what) {
        Stats s;
        sdk::FindingPageQuery q;
        q.task_id = "big-scan";
        q.filter = f;
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
    start = Clock::now();
    const std::vector<std::string> clients = {"", "team-a", "team-b", "team-c"};
    for (std::uint64_t i = 0; i < n_tasks; ++i) {
        sdk::StoredTask x;
        x.task_id = "task-" + std::to_string(i);
        x.client = clients[i % clients.size()];
        x.status = static_cast<sdk::TaskState>(1 + i % 5);
        x.scanner = "nessus-" + std::to_string(i % 8);
        x.targets = "192.0.2." + std::to_string(i % 250);
        x.created_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i) * 1000;
        x.summary = std::string(250, 'm');
        x.document = std::string(3000, 'D');
        must(store.tasks().create(x), "create task");
    }
    const double create_ms = ms_since(start);
    std::printf("  tasks: %.1f s to create %llu (%.0f/s, one transaction each)\n", create_ms / 1000,
                static_cast<unsigned long long>(n_tasks), n_tasks / (create_ms / 1000));
    auto list = [&](sdk::TaskQuery q, int pages, const char* what) {
        Stats s;
        for (int i = 0; i < pages; ++i) {
            auto t0 = Clock::now();
            auto p = store.tasks().list(q);
            s.ms.push_back(ms_since(t0));
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
            auto t0 = Clock::now();
            must(store.tasks().get("task-" + std::to_string((i * 7919) % n_tasks)), "get");
            s.ms.push_back(ms_since(t0));
        }
        s.print("get one task");
    }
    made = sdk::Error::internal("released");  // close connections before the server stops
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
    return 0;
}
