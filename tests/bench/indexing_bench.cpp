// The cost of indexing findings while validating an export: one mode per
// process, so its peak RSS is its own. Run by hand (tests/bench/indexing_bench.sh):
//   indexing_bench validate|null|sqlite|postgres EXPORT PLUGIN_DIR [RUNS] [STORE_CONFIG_JSON]
// Prints one line: mode, median wall seconds over RUNS, findings, peak RSS
// (KB), median CPU seconds (user + system) of this process over RUNS: on a
// shared machine the CPU time is the steadier figure.
// postgres: a server of its own (Debian's package, loopback, like the
// contract suite's); its RSS is the server's, not counted here.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "postgres_server.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/workers/finding_writer.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/validator.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

// Takes every finding and touches its text, so emitting is measured in full.
class NullSink final : public sdk::FindingSink {
public:
    sdk::Result<void> accept(const sdk::Finding& f) noexcept override {
        ++count;
        bytes += f.description.size() + f.plugin_output.size() + f.synopsis.size();
        return {};
    }
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "indexing_bench: %s\n", what.c_str());
    std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(
            stderr,
            "usage: indexing_bench validate|null|sqlite|postgres EXPORT PLUGIN_DIR [RUNS] [STORE_CONFIG_JSON]\n");
        return 2;
    }
    const std::string mode = argv[1], file = argv[2], dir = argv[3];
    const int runs = argc > 4 ? std::max(1, std::stoi(argv[4])) : 3;
    std::string store_config = argc > 5 ? argv[5] : "";
    if (mode != "validate" && mode != "null" && mode != "sqlite" && mode != "postgres") die("unknown mode " + mode);
    const auto data_dir =
        std::filesystem::temp_directory_path() / ("scanorch-indexing-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(data_dir);
    auto services = std::make_shared<sf::HostServices>(nullptr, data_dir.string());

    sf::PluginLoader loader;
    if (auto r = loader.load_file(dir + "/libscanorch-nessus-validator.so"); !r) die(r.error().message);
    auto validator =
        loader.instantiate<sdk::Validator>("nessus-validator", "{}", sf::HostApi::make(services, "nessus-validator"));
    if (!validator) die(validator.error().message);
    const auto minor = loader.find("nessus-validator")->abi_minor;

    std::unique_ptr<scanorch::testing::PostgresServer> pg;
    sdk::Result<std::shared_ptr<sdk::Store>> store = sdk::Error::internal("no store");
    if (mode == "sqlite" || mode == "postgres") {
        const std::string name = mode + "-store";
        if (mode == "postgres") {
            pg = std::make_unique<scanorch::testing::PostgresServer>();
            if (store_config.empty()) store_config = R"({"url":")" + pg->url() + R"("})";
        }
        if (store_config.empty()) store_config = "{}";  // the defaults a deployment gets
        if (auto r = loader.load_file(dir + "/libscanorch-" + name + ".so"); !r) die(r.error().message);
        store = loader.instantiate<sdk::Store>(name, store_config, sf::HostApi::make(services, name));
        if (!store) die(store.error().message);
    }

    const sdk::ValidationRequest req{file, sdk::ScanType::trusted_basic, ""};
    std::vector<double> seconds, cpu;
    std::uint64_t findings = 0;
    for (int run = 0; run < runs; ++run) {
        std::string task_id;
        if (store) {  // a task of its own per run, so begin() has nothing to clear
            // The shape of the ids the product makes (UUIDs): the key of
            // every row and index entry of the task's findings.
            char id[40];
            std::snprintf(id, sizeof id, "3f2b8c1e-9d4a-4b7e-a5c6-%012d", run);
            task_id = id;
            sdk::StoredTask t;
            t.task_id = task_id;
            t.lease_token = "lease";
            t.status = sdk::TaskState::running;
            if (auto r = (*store)->tasks().create(t); !r) die(r.error().message);
        }
        const auto t0 = Clock::now();
        const double c0 = cpu_seconds();
        if (mode == "validate") {
            auto v = (*validator)->validate(req);
            if (!v) die(v.error().message);
        } else if (mode == "null") {
            auto* emitter = sf::finding_emitter(**validator, minor);
            if (!emitter) die("the validator offers no FindingEmitter");
            NullSink sink;
            auto v = emitter->validate_and_emit(req, sink);
            if (!v) die(v.error().message);
            findings = sink.count;
        } else {
            sf::FindingWriter writer((*store)->findings(), task_id, "lease", 1'700'000'000'000);
            sf::FindingsIndexing how;
            auto v = sf::validate_with_findings(**validator, minor, req, &writer, &how);
            if (!v) die(v.error().message);
            if (how != sf::FindingsIndexing::indexed)
                die(std::string("not indexed: ") + std::string(sf::to_string(how)));
            findings = writer.written();
        }
        seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        cpu.push_back(cpu_seconds() - c0);
    }
    std::sort(seconds.begin(), seconds.end());
    std::sort(cpu.begin(), cpu.end());
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("%s %.4f %llu %ld %.4f\n", mode.c_str(), seconds[seconds.size() / 2],
                static_cast<unsigned long long>(findings), ru.ru_maxrss, cpu[cpu.size() / 2]);
    store = sdk::Error::internal("released");  // close connections before the server stops
    validator = sdk::Error::internal("released");
    if (std::getenv("INDEXING_BENCH_KEEP")) {  // to look at the database the run wrote
        std::fprintf(stderr, "kept %s\n", data_dir.c_str());
        return 0;
    }
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
    return 0;
}
