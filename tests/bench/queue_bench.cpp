// Claim-and-complete cycles per second through a queue plugin, from N
// threads each with its own connection pool (as N worker processes would).
//   queue_bench PLUGIN.so CONFIG_JSON THREADS TASKS
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/queue_backend.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: queue_bench PLUGIN.so CONFIG_JSON THREADS TASKS\n");
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);  // the result line alone on stdout
    const int threads = std::stoi(argv[3]);
    const int tasks = std::stoi(argv[4]);
    sf::PluginLoader loader;
    auto info = loader.load_file(argv[1]);
    if (!info) {
        std::fprintf(stderr, "%s\n", info.error().message.c_str());
        return 1;
    }
    auto services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto make = [&] {
        auto q = loader.instantiate<sdk::QueueBackend>((*info)->name, argv[2], sf::HostApi::make(services, "bench"));
        if (!q) {
            std::fprintf(stderr, "%s\n", q.error().message.c_str());
            std::exit(1);
        }
        return std::move(q).value();
    };
    auto feeder = make();
    const std::vector<std::string> scanners = {"s1", "s2", "s3", "s4"};
    for (int i = 0; i < tasks; ++i) {
        sdk::QueueTask t;
        t.task_id = "bench-" + std::to_string(i);
        t.scanner_id = i % 5 == 4 ? "" : scanners[i % 4];
        t.payload = R"({"task_id":"bench","scan_type":"untrusted","targets":"192.0.2.1","name":"bench"})";
        if (!feeder->enqueue(t)) return 1;
    }
    std::atomic<int> done{0};
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (int w = 0; w < threads; ++w) {
        pool.emplace_back([&, w] {
            auto q = make();
            const auto& scanner = scanners[w % scanners.size()];
            while (true) {
                auto c = q->claim(scanner, 1000000, 60000);
                if (!c || !c->has_value()) break;
                if (!q->complete(**c)) break;
                ++done;
            }
        });
    }
    for (auto& t : pool) t.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%d claim+complete cycles in %.3f s with %d threads: %.0f cycles/s\n", done.load(), s, threads,
                done / s);
    return done.load() == tasks ? 0 : 1;
}
