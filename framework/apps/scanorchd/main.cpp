// scanorchd: the scanorch daemon.
//
//   scanorchd [--config FILE] [all]            API + one worker per enabled scanner (default)
//   scanorchd [--config FILE] api              the API front end only
//   scanorchd [--config FILE] worker --scanner ID   one worker (or SCANNER_INSTANCE_ID)
//   scanorchd plugins [--plugin-dir DIR]       load every plugin and list them
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "scanorch/framework/cli/args.h"
#include "scanorch/framework/cli/table.h"
#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/logging/logging.h"
#include "scanorch/framework/runtime/runtime.h"
#include "scanorch/framework/service/orchestrator.h"
#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/frontend.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/validator.h"
#include "scanorch/sdk/version.h"

namespace sf = scanorch::framework;
namespace cli = scanorch::framework::cli;

namespace {

using cli::kExitFailure;
using cli::kExitOk;
using cli::kExitUsage;

Poco::Util::OptionSet options() {
    Poco::Util::OptionSet set;
    set.addOption(cli::config_option());
    set.addOption(cli::option("scanner", "s",
                              "worker mode: the scanner instance this worker serves (or SCANNER_INSTANCE_ID)", "ID"));
    set.addOption(cli::option("plugin-dir", "p", "plugins mode: directory to list (default: from the config)", "DIR"));
    set.addOption(cli::option("version", "v", "print the version and SDK ABI, then exit"));
    set.addOption(cli::option("help", "h", "print this help, then exit"));
    return set;
}

std::string help_text(const Poco::Util::OptionSet& set) {
    return cli::help(
        set, "scanorchd", "[--config FILE] [all | api | worker --scanner ID | plugins [--plugin-dir DIR]]",
        "The scanorch daemon: orchestrates scans over a pool of scanners.\n\n"
        "Modes:\n"
        "  all      API and one worker per enabled scanner in one process (default)\n"
        "  api      the front end only; workers run elsewhere against the same queue\n"
        "  worker   one worker for one scanner instance\n"
        "  plugins  load every plugin in the plugin directory and list them; exit 1 if any is refused",
        "Environment: SCANORCH_CONFIG, SCANNER_CONFIG, DATA_DIR, LOG_LEVEL, LOG_FORMAT, REDIS_URL, "
        "QUEUE_BACKEND, SCANNER_INSTANCE_ID, SCANORCH_LISTEN, SCANORCH_METRICS_LISTEN, SCANORCH_PLUGIN_DIR.");
}

int list_plugins(const std::string& dir) {
    sf::PluginLoader loader;
    const auto report = loader.load_directory(dir);
    cli::Table table({"KIND", "NAME", "VERSION", "ABI", "FILE"});
    for (const auto* p : report.loaded) {
        table.add({sf::kind_name(p->kind), p->name, p->version,
                   std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor), p->file});
    }
    table.print(std::cout);
    std::cout << report.loaded.size() << " plugin(s) loaded from " << dir;
    if (!report.errors.empty()) std::cout << ", " << report.errors.size() << " refused";
    std::cout << "\n";
    for (const auto& e : report.errors) std::cerr << "refused: " << e << "\n";
    return report.errors.empty() ? kExitOk : kExitFailure;
}

std::string slot_name(const sf::Host& host, const std::string& kind) {
    const auto* slot = host.config().slot(kind);
    return slot ? slot->use : "none";
}

// The modes that serve. Each instantiates the plugins its role needs, so a
// misconfiguration stops the process at start-up, then runs until SIGTERM.
int serve(const std::string& mode, const cli::Args& args) {
    sf::Host host(sf::Host::read_config(args.get("config")));
    sf::configure_logging(host.config().logging);
    spdlog::info("scanorchd {} starting in '{}' mode (SDK ABI {}.{}); config: {}", SCANORCH_VERSION_STRING, mode,
                 SCANORCH_SDK_ABI_MAJOR, SCANORCH_SDK_ABI_MINOR,
                 host.config().file.empty() ? "built-in defaults" : host.config().file);
    host.load_plugins();

    std::string worker_scanner;
    if (mode == "worker") {
        worker_scanner = args.get("scanner").value_or("");
        if (worker_scanner.empty()) {
            if (const char* env = std::getenv("SCANNER_INSTANCE_ID")) worker_scanner = env;
        }
        if (worker_scanner.empty()) {
            throw cli::UsageError("worker mode needs --scanner ID or SCANNER_INSTANCE_ID");
        }
    }

    const sf::Mode m = mode == "all" ? sf::Mode::all : mode == "api" ? sf::Mode::api : sf::Mode::worker;
    sf::Orchestrator orchestrator(host, m, worker_scanner);
    const auto& pool = host.scanners();
    spdlog::info("{} scanner(s) configured, {} enabled; queue: {}, router: {}, validator: {}, frontend: {}",
                 pool.scanners.size(), pool.enabled().size(), slot_name(host, "queue"), slot_name(host, "router"),
                 slot_name(host, "validator"), slot_name(host, "frontend"));
    orchestrator.start();

    sf::Runtime runtime(2);
    runtime.on_shutdown("stop the front end and workers", [&] { orchestrator.stop(); });
    spdlog::info("scanorchd ready");
    runtime.run();
    spdlog::info("scanorchd stopped");
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const cli::Args args = cli::parse(set, std::vector<std::string>(argv + 1, argv + argc));
        if (args.has("help")) {
            std::cout << help_text(set);
            return kExitOk;
        }
        if (args.has("version")) {
            std::cout << "scanorchd " << SCANORCH_VERSION_STRING << " (SDK ABI " << SCANORCH_SDK_ABI_MAJOR << "."
                      << SCANORCH_SDK_ABI_MINOR << ")\n";
            return kExitOk;
        }
        if (args.positional.size() > 1)
            throw cli::UsageError("one mode at a time, got '" + args.positional[1] + "' too");
        const std::string mode = args.positional.empty() ? "all" : args.positional[0];
        if (mode == "plugins") {
            std::string dir;
            if (auto d = args.get("plugin-dir")) {
                dir = *d;
            } else {
                dir = sf::Host::read_config(args.get("config")).plugin_dir;
            }
            return list_plugins(dir);
        }
        if (mode != "all" && mode != "api" && mode != "worker") {
            throw cli::UsageError("unknown mode '" + mode + "' (all, api, worker, plugins)");
        }
        return serve(mode, args);
    } catch (const cli::UsageError& e) {
        std::cerr << "scanorchd: " << e.what() << "\nTry 'scanorchd --help'.\n";
        return kExitUsage;
    } catch (const sf::ConfigError& e) {
        std::cerr << "scanorchd: " << e.what() << "\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "scanorchd: " << e.what() << "\n";
        return kExitFailure;
    }
}
