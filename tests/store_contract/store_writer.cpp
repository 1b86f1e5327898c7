// A separate process writing to a store, for the contract's concurrency test:
//   store_writer PLUGIN_FILE PLUGIN_NAME DATA_DIR CONFIG_JSON WRITER_NUMBER COUNT
// Creates COUNT tasks of its own, adds one to the shared "counter" task COUNT
// times by read-modify-write on its revision (retrying when stale), and
// appends COUNT findings to the shared "shared" task. Prints the number of
// stale retries; exits 1 on the first error.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/store.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

int main(int argc, char** argv) {
    if (argc != 7) {
        std::cerr << "usage: store_writer PLUGIN_FILE PLUGIN_NAME DATA_DIR CONFIG_JSON WRITER_NUMBER COUNT\n";
        return 2;
    }
    const std::string name = argv[2];
    const int writer = std::stoi(argv[5]);
    const int count = std::stoi(argv[6]);
    sf::PluginLoader loader;
    if (auto r = loader.load_file(argv[1]); !r) {
        std::cerr << r.error().message << "\n";
        return 1;
    }
    auto services = std::make_shared<sf::HostServices>(nullptr, argv[3]);
    auto made = loader.instantiate<sdk::Store>(name, argv[4], sf::HostApi::make(services, name));
    if (!made) {
        std::cerr << made.error().message << "\n";
        return 1;
    }
    auto& store = **made;
    auto fail = [&](const std::string& what, const sdk::Error& e) {
        std::cerr << "writer " << writer << ": " << what << ": " << e.message << "\n";
        return 1;
    };
    std::uint64_t stale = 0;
    for (int i = 0; i < count; ++i) {
        sdk::StoredTask t;
        t.task_id = "w" + std::to_string(writer) + "-" + std::to_string(i);
        t.created_at_ms = 1'700'000'000'000 + i;
        if (auto r = store.tasks().create(t); !r) return fail("create", r.error());

        for (;;) {  // read-modify-write: one increment, never lost
            auto c = store.tasks().get("counter");
            if (!c) return fail("get counter", c.error());
            auto next = *c;
            next.document = std::to_string(std::stoll(c->document) + 1);
            // Work between the read and the write, as a real read-modify-write
            // has: it widens the window in which the other process writes, so
            // a missing revision check loses increments every run.
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            sdk::WriteGuard g;
            g.revision = c->revision;
            auto u = store.tasks().update(next, g);
            if (!u) return fail("update counter", u.error());
            if (u->outcome == sdk::UpdateOutcome::written) break;
            ++stale;
        }

        sdk::Finding f;
        f.seq = static_cast<std::uint64_t>(writer) * 1'000'000 + static_cast<std::uint64_t>(i);
        f.host = "192.0.2." + std::to_string(writer);
        f.plugin_id = static_cast<std::uint64_t>(i);
        auto a = store.findings().append("shared", "lease", {f});
        if (!a) return fail("append", a.error());
        if (!*a) {
            std::cerr << "writer " << writer << ": append was fenced\n";
            return 1;
        }
    }
    std::cout << stale << "\n";
    return 0;
}
