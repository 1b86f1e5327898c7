// scanorchctl: the operator's tool.
//
//   scanorchctl [--config FILE] config check
//   scanorchctl [--config FILE] plugins list | describe NAME   [--plugin-dir DIR]
//   scanorchctl [--config FILE] validate FILE --scan-type TYPE [--targets LIST] [--json]
//   scanorchctl [--config FILE] dlq list | inspect ID | retry ID | purge [--yes]   [--json]
//   scanorchctl [--config FILE] stats [--json]
//
// Exit codes: 0 success (validate: file valid), 1 failure (validate: file
// invalid), 2 usage error.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "scanorch/framework/cli/args.h"
#include "scanorch/framework/cli/table.h"
#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/config/plugin_config.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/logging/logging.h"
#include "scanorch/framework/service/metered_queue.h"
#include "scanorch/framework/tasks/legacy_import.h"
#include "scanorch/framework/tasks/local_queue_tasks.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/framework/tools/submission.h"
#include "scanorch/framework/tools/task_views.h"
#include "scanorch/sdk/queue_backend.h"
#include "scanorch/sdk/router.h"
#include "scanorch/sdk/validator.h"
#include "scanorch/sdk/version.h"

namespace sf = scanorch::framework;
namespace cli = scanorch::framework::cli;
namespace sdk = scanorch::sdk;

namespace {

using cli::kExitFailure;
using cli::kExitOk;
using cli::kExitUsage;

/// One node of the command tree: a leaf runs, a branch lists its children.
struct Command {
    std::string usage;
    std::string description;
    std::vector<std::string> options;  // names of the options it accepts, besides the global ones
    std::function<int(const cli::Args&, const std::vector<std::string>&)> run;  // positional args after the path
    std::map<std::string, Command> children;
};

Poco::Util::OptionSet all_options() {
    Poco::Util::OptionSet set;
    set.addOption(cli::config_option());
    set.addOption(cli::option("help", "h", "print help for this command, then exit"));
    set.addOption(cli::option("version", "v", "print the version, then exit"));
    set.addOption(cli::option("json", "j", "print one JSON object instead of a table"));
    set.addOption(cli::option("plugin-dir", "p", "plugin directory (default: from the config)", "DIR"));
    set.addOption(cli::option("scan-type", "t", "untrusted, trusted_basic or trusted_privileged", "TYPE"));
    set.addOption(
        cli::option("targets", "T", "the scan's targets (comma list, CIDR, range), to count missing hosts", "LIST"));
    set.addOption(cli::option("limit", "n", "at most this many rows (default 50)", "N"));
    set.addOption(cli::option("yes", "y", "do not ask for confirmation"));
    return set;
}

Poco::Util::OptionSet subset(const Poco::Util::OptionSet& all, const std::vector<std::string>& names) {
    Poco::Util::OptionSet set;
    for (const auto& o : all) {
        const bool global = o.fullName() == "config" || o.fullName() == "help";
        if (global || std::find(names.begin(), names.end(), o.fullName()) != names.end()) set.addOption(o);
    }
    return set;
}

sf::HostConfig read_config(const cli::Args& args) {
    auto cfg = sf::Host::read_config(args.get("config"));
    if (auto d = args.get("plugin-dir")) cfg.plugin_dir = *d;
    return cfg;
}

// A host with its plugins loaded, logging to stderr only at warn and above so
// that stdout stays the command's output.
std::unique_ptr<sf::Host> open_host(const cli::Args& args) {
    auto cfg = read_config(args);
    auto logger = spdlog::stderr_logger_mt("scanorchctl");
    logger->set_pattern("scanorchctl: %l: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    auto host = std::make_unique<sf::Host>(std::move(cfg));
    host->load_plugins();
    return host;
}

template <class Iface>
std::shared_ptr<Iface> need(sf::Host& host, const std::string& kind) {
    auto p = host.make_configured<Iface>(kind);
    if (!p) {
        throw sf::HostError("no " + kind + " plugin is configured (set plugins." + kind + ".use in " +
                            (host.config().file.empty() ? std::string("scanorch.yaml") : host.config().file) + ")");
    }
    return p;
}

int config_check(const cli::Args& args, const std::vector<std::string>&) {
    auto host = open_host(args);
    int problems = 0;
    auto report = [&](const std::string& what, const std::function<void()>& check) {
        try {
            check();
            std::cout << "ok      " << what << "\n";
        } catch (const std::exception& e) {
            ++problems;
            std::cout << "FAILED  " << what << ": " << e.what() << "\n";
        }
    };
    const auto& cfg = host->config();
    std::cout << "config: " << (cfg.file.empty() ? "built-in defaults" : cfg.file) << "\n";
    for (const auto& [kind, slot] : cfg.plugins) {
        if (slot.use.empty()) continue;
        // Named captures: clang before 16 (clang-tidy 14) cannot capture a structured binding.
        report(slot.path + ": " + slot.use, [&, &kind = kind, &slot = slot] {
            const auto* info = host->loader().find(slot.use);
            if (info == nullptr) throw sf::HostError("plugin '" + slot.use + "' is not in " + cfg.plugin_dir);
            if (sf::kind_name(info->kind) != kind) {
                throw sf::HostError("plugin '" + slot.use + "' is a " + sf::kind_name(info->kind) + ", not a " + kind);
            }
            sf::slot_plugin_config(cfg, slot, *info);
        });
    }
    report("scanners: " + cfg.scanners_file, [&] {
        const auto& pool = host->scanners();
        for (const auto& s : pool.scanners) {
            const auto* info = host->loader().find(s.scanner_type);
            if (info == nullptr) {
                throw sf::HostError(pool.file + ":" + std::to_string(s.line) + ": scanner '" + s.instance_id +
                                    "': no scanner plugin named '" + s.scanner_type + "' in " + cfg.plugin_dir);
            }
            sf::scanner_plugin_config(pool, s, *info);
        }
    });
    return problems == 0 ? kExitOk : kExitFailure;
}

int plugins_list(const cli::Args& args, const std::vector<std::string>&) {
    sf::PluginLoader loader;
    const auto dir = read_config(args).plugin_dir;
    const auto report = loader.load_directory(dir);
    cli::Table t({"KIND", "NAME", "VERSION", "ABI", "DESCRIPTION"});
    for (const auto* p : report.loaded) {
        t.add({sf::kind_name(p->kind), p->name, p->version,
               std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor), p->description});
    }
    t.print(std::cout);
    for (const auto& e : report.errors) std::cerr << "refused: " << e << "\n";
    return report.errors.empty() ? kExitOk : kExitFailure;
}

int plugins_describe(const cli::Args& args, const std::vector<std::string>& rest) {
    if (rest.size() != 1) throw cli::UsageError("plugins describe takes one plugin name");
    sf::PluginLoader loader;
    const auto dir = read_config(args).plugin_dir;
    loader.load_directory(dir);
    const auto* p = loader.find(rest[0]);
    if (p == nullptr) {
        std::cerr << "scanorchctl: no plugin named '" << rest[0] << "' in " << dir << "\n";
        return kExitFailure;
    }
    std::cout << p->name << " " << p->version << " (" << sf::kind_name(p->kind) << ", SDK ABI " << p->abi_major << "."
              << p->abi_minor << ")\n"
              << p->description << "\n"
              << "file: " << p->file << "\n\n";
    if (p->config.empty()) {
        std::cout << "No config keys.\n";
        return kExitOk;
    }
    cli::Table t({"KEY", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"});
    for (const auto& f : p->config) {
        t.add({f.name, std::string(sf::config_type_name(f.type)), f.required ? "yes" : "no",
               f.default_json.value_or("-"), f.description});
    }
    t.print(std::cout);
    return kExitOk;
}

int validate(const cli::Args& args, const std::vector<std::string>& rest) {
    if (rest.size() != 1) throw cli::UsageError("validate takes one .nessus file");
    const auto type_text = args.get("scan-type");
    if (!type_text) throw cli::UsageError("validate needs --scan-type untrusted|trusted_basic|trusted_privileged");
    const auto type = sdk::parse_scan_type(*type_text);
    if (!type) {
        throw cli::UsageError("--scan-type '" + *type_text + "' is not untrusted, trusted_basic or trusted_privileged");
    }
    auto host = open_host(args);
    auto validator = need<sdk::Validator>(*host, "validator");
    sdk::ValidationRequest req;
    req.path = rest[0];
    req.scan_type = *type;
    req.targets = args.get("targets").value_or("");
    auto result = validator->validate(req);
    if (!result) {
        std::cerr << "scanorchctl: validator failed: " << result.error().message << "\n";
        return kExitFailure;
    }
    const sdk::ValidationResult& r = result.value();
    if (args.has("json")) {
        std::cout << sf::stringify(sf::to_json(r)) << "\n";
        return r.is_valid ? kExitOk : kExitFailure;
    }
    const auto& s = r.stats;
    std::cout << "file:            " << req.path << "\n"
              << "valid:           " << (r.is_valid ? "yes" : "no") << "\n";
    if (!r.error.empty()) std::cout << "error:           " << r.error << "\n";
    std::cout << "authentication:  " << sdk::to_string(r.authentication_status) << "\n"
              << "hosts:           " << s.hosts_scanned;
    if (s.hosts_expected > 0) std::cout << " of " << s.hosts_expected << " expected";
    std::cout << "\nvulnerabilities: " << s.total_vulnerabilities << " (critical " << s.severity_breakdown.critical
              << ", high " << s.severity_breakdown.high << ", medium " << s.severity_breakdown.medium << ", low "
              << s.severity_breakdown.low << "; info " << s.severity_breakdown.info << ")\n"
              << "report items:    " << s.report_items << " (" << s.auth_plugins
              << " from authenticated-only plugins)\n"
              << "size:            " << s.file_size_bytes << " bytes\n";
    for (const auto& w : r.warnings) std::cout << "warning:         " << w << "\n";
    if (!s.hosts.empty()) {
        std::cout << "\n";
        cli::Table t({"HOST", "CREDENTIALED", "AUTH", "ITEMS", "EVIDENCE"});
        for (const auto& h : s.hosts) {
            t.add({h.name, h.credentialed ? "yes" : "no", std::string(sdk::to_string(h.auth)), std::to_string(h.items),
                   h.auth_evidence});
        }
        t.print(std::cout);
    }
    return r.is_valid ? kExitOk : kExitFailure;
}

std::uint64_t limit_of(const cli::Args& args) {
    const auto text = args.get("limit").value_or("50");
    const auto n = sf::parse_int(text);
    if (!n || *n < 1) throw cli::UsageError("--limit '" + text + "' is not a positive integer");
    return static_cast<std::uint64_t>(*n);
}

template <class T>
T value_or_throw(sdk::Result<T> r, const std::string& what) {
    if (!r) throw sf::HostError(what + ": " + r.error().message);
    return std::move(r).value();
}

std::string format_time(std::int64_t ms) {
    if (ms <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

// The task store the daemons use: the configured store plugin (its
// migrations run as it opens) over the configured data dir. Opened before
// the queue: a process-local queue rebuilds itself from it, and so shows
// the daemons' tasks and dead-letter queue here too.
std::shared_ptr<sf::TaskStore> open_store(sf::Host& host) {
    auto store = std::make_shared<sf::TaskStore>(need<sdk::Store>(host, "store"), host.config().exports_dir,
                                                 host.abi_minor_of("store"));
    host.services()->set_local_queue_tasks(
        [view = std::make_shared<sf::LocalQueueTasks>(store)]() -> std::optional<std::string> { return view->read(); });
    return store;
}

// The queue and the store it may rebuild from, kept alive together.
struct OpenQueue {
    std::shared_ptr<sf::TaskStore> store;
    std::shared_ptr<sdk::QueueBackend> queue;
};

OpenQueue open_queue(sf::Host& host) {
    OpenQueue q;
    q.store = open_store(host);
    // Through the host's wrapper, as scanorchd does: a retry routes.
    q.queue = sf::metered_queue(need<sdk::QueueBackend>(host, "queue"), host.services()->registry());
    return q;
}

int dlq_list(const cli::Args& args, const std::vector<std::string>&) {
    auto host = open_host(args);
    const auto [store, queue] = open_queue(*host);
    const auto entries = value_or_throw(queue->dlq_list(0, limit_of(args)), "dead-letter queue");
    if (args.has("json")) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
        for (const auto& e : entries) arr->add(sf::to_json(e));
        o->set("entries", arr);
        std::cout << sf::stringify(o) << "\n";
        return kExitOk;
    }
    cli::Table t({"TASK", "QUEUE", "FAILED AT", "ATTEMPTS", "REASON"});
    for (const auto& e : entries) {
        t.add({e.task.task_id, e.task.scanner_id.empty() ? "global" : e.task.scanner_id, format_time(e.failed_at_ms),
               std::to_string(e.task.attempts), e.reason});
    }
    t.print(std::cout);
    std::cout << entries.size() << " entr" << (entries.size() == 1 ? "y" : "ies") << "\n";
    return kExitOk;
}

// The queue and the one DLQ entry a command names; nullopt (after saying
// why) when the task is not in the dead-letter queue.
struct DlqTarget {
    std::unique_ptr<sf::Host> host;
    std::shared_ptr<sf::TaskStore> store;
    std::shared_ptr<sdk::QueueBackend> queue;
    std::optional<sdk::DlqEntry> entry;
};

DlqTarget dlq_target(const cli::Args& args, const std::vector<std::string>& rest, const std::string& verb) {
    if (rest.size() != 1) throw cli::UsageError("dlq " + verb + " takes one task id");
    DlqTarget t;
    t.host = open_host(args);
    auto opened = open_queue(*t.host);
    t.store = std::move(opened.store);
    t.queue = std::move(opened.queue);
    t.entry = value_or_throw(t.queue->dlq_get(rest[0]), "dead-letter queue");
    if (!t.entry) std::cerr << "scanorchctl: task '" << rest[0] << "' is not in the dead-letter queue\n";
    return t;
}

int dlq_inspect(const cli::Args& args, const std::vector<std::string>& rest) {
    const auto [host, store, queue, entry] = dlq_target(args, rest, "inspect");
    if (!entry) return kExitFailure;
    auto task = store->load(entry->task.task_id);
    if (args.has("json")) {
        auto o = sf::to_json(*entry);
        o->set("task",
               task ? Poco::Dynamic::Var(sf::TaskViews::status_object(*task, std::nullopt)) : Poco::Dynamic::Var());
        std::cout << sf::stringify(o) << "\n";
        return kExitOk;
    }
    std::cout << "task:      " << entry->task.task_id << "\n"
              << "queue:     " << (entry->task.scanner_id.empty() ? "global" : entry->task.scanner_id) << "\n"
              << "failed at: " << format_time(entry->failed_at_ms) << "\n"
              << "attempts:  " << entry->task.attempts << "\n"
              << "reason:    " << entry->reason << "\n";
    if (!task) {
        std::cout << "record:    " << task.error().message << "\n";
        return kExitOk;
    }
    std::cout << "name:      " << task->name << "\n"
              << "scan type: " << sdk::to_string(task->scan_type) << "\n"
              << "targets:   " << task->targets << "\n"
              << "scanner:   " << (task->scanner_instance.empty() ? "-" : task->scanner_instance) << "\n"
              << "client:    " << (task->client.empty() ? "-" : task->client) << "\n"
              << "status:    " << sf::to_string(task->status) << " (" << sf::to_string(task->failure) << ")\n"
              << "created:   " << format_time(task->created_at) << "\n"
              << "auth:      "
              << (task->authentication_status ? std::string(sdk::to_string(*task->authentication_status)) : "-")
              << "\n";
    for (const auto& w : task->validation_warnings) std::cout << "warning:   " << w << "\n";
    return kExitOk;
}

int dlq_retry(const cli::Args& args, const std::vector<std::string>& rest) {
    const auto [host, store, queue, entry] = dlq_target(args, rest, "retry");
    if (!entry) return kExitFailure;
    const auto& cfg = host->config();
    auto scope = sf::ScopePolicy::parse(cfg.scope);
    if (!scope) throw sf::HostError("scope in " + cfg.file + ": " + scope.error().message);
    sf::ToolServiceDeps d;
    d.pool = std::make_shared<sf::ScannerPool>(host->scanners());
    d.queue = queue;
    d.router = need<sdk::Router>(*host, "router");
    d.store = store;
    d.db = std::shared_ptr<sdk::Store>(store, &store->db());  // lives as long as the facade
    d.scope = std::make_shared<const sf::ScopePolicy>(std::move(scope).value());
    sf::Submission submission(d);
    // Routed again and queued from nothing: the failed run's results are gone.
    auto placed = submission.retry(entry->task.task_id, entry->task.payload);
    if (!placed) {
        std::cerr << "scanorchctl: task " << entry->task.task_id << " was not retried: " << placed.error().message
                  << "\n";
        return kExitFailure;
    }
    if (!value_or_throw(queue->dlq_remove(entry->task.task_id), "dead-letter queue")) {
        spdlog::warn("task '{}' left the dead-letter queue while it was being retried", entry->task.task_id);
    }
    std::cout << "task " << entry->task.task_id << " re-queued to "
              << (placed->queue.empty() ? "global" : placed->queue) << " at position " << placed->position << "\n";
    return kExitOk;
}

int dlq_purge(const cli::Args& args, const std::vector<std::string>&) {
    auto host = open_host(args);
    const auto [store, queue] = open_queue(*host);
    if (!args.has("yes")) {
        const auto depth = value_or_throw(queue->depths({}), "queue depths").dead_letter;
        std::cout << "Delete all " << depth << " dead-letter entries? Type 'yes': " << std::flush;
        std::string answer;
        if (!std::getline(std::cin, answer) || answer != "yes") {
            std::cout << "Nothing deleted.\n";
            return kExitFailure;
        }
    }
    const auto entries = value_or_throw(queue->dlq_list(0, UINT64_MAX / 2), "dead-letter queue");
    const auto n = value_or_throw(queue->dlq_purge(), "dead-letter queue");
    for (const auto& e : entries) {  // still failed, no longer waiting for a retry
        (void)store->update(e.task.task_id, [](sf::TaskRecord& t) {
            t.dead_letter = false;
            return true;
        });
    }
    std::cout << "purged " << n << " entr" << (n == 1 ? "y" : "ies") << "\n";
    return kExitOk;
}

int task_show(const cli::Args& args, const std::vector<std::string>& rest) {
    if (rest.size() != 1) throw cli::UsageError("task show takes one task id");
    auto host = open_host(args);
    auto store = open_store(*host);
    auto task = store->load(rest[0]);
    if (!task) {
        std::cerr << "scanorchctl: task '" << rest[0] << "': " << task.error().message << "\n";
        return kExitFailure;
    }
    if (args.has("json")) {  // the whole record, as the store holds it
        std::cout << sf::task_json(*task) << "\n";
        return kExitOk;
    }
    const auto& t = *task;
    std::cout << "task:      " << t.task_id << "\n"
              << "name:      " << t.name << "\n"
              << "scan type: " << sdk::to_string(t.scan_type) << "\n"
              << "targets:   " << t.targets << "\n"
              << "client:    " << (t.client.empty() ? "-" : t.client) << "\n"
              << "status:    " << sf::to_string(t.status) << " / " << sf::to_string(t.phase)
              << (t.failure == sf::FailureKind::none ? "" : " (" + std::string(sf::to_string(t.failure)) + ")") << "\n"
              << "scanner:   " << (t.scanner_instance.empty() ? "-" : t.scanner_instance) << "\n"
              << "scan:      " << (t.scan.empty() ? "-" : t.scan.scanner + "/" + t.scan.id) << "\n"
              << "attempts:  " << t.attempts << "\n"
              << "created:   " << format_time(t.created_at) << "\n"
              << "completed: " << (t.completed_at ? format_time(t.completed_at) : "-") << "\n"
              << "auth:      "
              << (t.authentication_status ? std::string(sdk::to_string(*t.authentication_status)) : "-") << "\n";
    if (!t.error.empty()) std::cout << "error:     " << t.error << "\n";
    for (const auto& w : t.validation_warnings) std::cout << "warning:   " << w << "\n";
    return kExitOk;
}

// The store plugin migrates its schema as it opens (under a lock, so
// processes starting together do it once); this runs that step alone, for
// an upgrade done before the daemons start, and imports the tasks an
// earlier scanorch kept as files in the data dir.
int db_migrate(const cli::Args& args, const std::vector<std::string>&) {
    auto host = open_host(args);
    auto store = open_store(*host);
    const auto version = value_or_throw(store->db().schema_version(), "store");
    std::cout << "store '" << host->config().slot("store")->use << "' is at schema version " << version << "\n";
    const std::filesystem::path data_dir = host->config().data_dir;
    if (sf::legacy_task_count(data_dir) == 0) return kExitOk;
    auto validator = host->make_configured<sdk::Validator>("validator");
    if (!validator) std::cout << "no validator configured: finished tasks are imported without their findings\n";
    const auto r = sf::import_legacy_tasks(data_dir, *store, validator.get(), host->abi_minor_of("validator"));
    std::cout << "imported " << r.imported << " task(s) from " << (data_dir / "tasks").string() << " (" << r.indexed
              << " with their findings indexed; " << r.already << " already in the store)\n";
    for (const auto& p : r.problems) std::cerr << "scanorchctl: " << p << "\n";
    if (r.archived)
        std::cout << "the old files are in " << (data_dir / "tasks.imported").string()
                  << " (remove them once satisfied)\n";
    return r.problems.empty() ? kExitOk : kExitFailure;
}

int stats(const cli::Args& args, const std::vector<std::string>&) {
    auto host = open_host(args);
    const auto [store, queue] = open_queue(*host);
    std::vector<std::string> ids;
    std::map<std::string, const sf::ScannerConfig*> by_id;
    for (const auto& s : host->scanners().scanners) {
        ids.push_back(s.instance_id);
        by_id[s.instance_id] = &s;
    }
    const auto d = value_or_throw(queue->depths(ids), "queue depths");
    if (args.has("json")) {
        auto o = sf::to_json(d);
        std::cout << sf::stringify(o) << "\n";
        return kExitOk;
    }
    cli::Table t({"QUEUE", "QUEUED", "RUNNING", "CAPACITY", "ENABLED"});
    std::uint64_t queued = d.global;
    for (const auto& s : d.scanners) {
        const auto* cfg = by_id[s.scanner_id];
        t.add({s.scanner_id, std::to_string(s.queued), std::to_string(s.running),
               cfg ? std::to_string(cfg->max_concurrent_scans) : "-", cfg && cfg->enabled ? "yes" : "no"});
        queued += s.queued;
    }
    t.add({"global", std::to_string(d.global), "-", "-", "-"});
    t.add({"dead-letter", std::to_string(d.dead_letter), "-", "-", "-"});
    t.print(std::cout);
    std::cout << "total queued: " << queued << "\n";
    return kExitOk;
}

Command command_tree() {
    Command root{"[--config FILE] COMMAND ...", "scanorch's operator tool.", {"version"}, nullptr, {}};
    root.children["config"] = {"config check", "Check scanorch.yaml and scanners.yaml.", {}, nullptr, {}};
    root.children["config"].children["check"] = {
        "config check [--plugin-dir DIR]",
        "Read both config files, load the plugins and check every configured plugin's config against its declared "
        "keys. Exit 1 on any problem.",
        {"plugin-dir"},
        config_check,
        {}};
    root.children["plugins"] = {"plugins list | describe NAME", "Inspect the installed plugins.", {}, nullptr, {}};
    root.children["plugins"].children["list"] = {"plugins list [--plugin-dir DIR]",
                                                 "List the plugins in the plugin directory.",
                                                 {"plugin-dir"},
                                                 plugins_list,
                                                 {}};
    root.children["plugins"].children["describe"] = {"plugins describe NAME [--plugin-dir DIR]",
                                                     "Print a plugin's config keys.",
                                                     {"plugin-dir"},
                                                     plugins_describe,
                                                     {}};
    root.children["validate"] = {
        "validate FILE --scan-type TYPE [--targets LIST] [--json]",
        "Validate a .nessus export with the configured validator. Exit 0 when valid, 1 when invalid.",
        {"scan-type", "targets", "json", "plugin-dir"},
        validate,
        {}};
    root.children["dlq"] = {
        "dlq list | inspect ID | retry ID | purge [--yes]", "The dead-letter queue.", {}, nullptr, {}};
    root.children["dlq"].children["list"] = {"dlq list [--limit N] [--json]",
                                             "List failed tasks, newest first.",
                                             {"limit", "json", "plugin-dir"},
                                             dlq_list,
                                             {}};
    root.children["dlq"].children["inspect"] = {
        "dlq inspect ID [--json]", "Show one failed task.", {"json", "plugin-dir"}, dlq_inspect, {}};
    root.children["dlq"].children["retry"] = {
        "dlq retry ID", "Clear a failed task's error and put it back in its queue.", {"plugin-dir"}, dlq_retry, {}};
    root.children["dlq"].children["purge"] = {
        "dlq purge [--yes]", "Delete every dead-letter entry.", {"yes", "plugin-dir"}, dlq_purge, {}};
    root.children["task"] = {"task show ID [--json]", "Tasks in the store.", {}, nullptr, {}};
    root.children["task"].children["show"] = {"task show ID [--json]",
                                              "Show one task; --json prints the whole stored record.",
                                              {"json", "plugin-dir"},
                                              task_show,
                                              {}};
    root.children["db"] = {"db migrate", "The store's database.", {}, nullptr, {}};
    root.children["db"].children["migrate"] = {
        "db migrate",
        "Bring the store's schema to this version (the daemons also do at start), "
        "print the version, and import tasks an earlier version kept as files "
        "in data_dir/tasks.",
        {"plugin-dir"},
        db_migrate,
        {}};
    root.children["stats"] = {
        "stats [--json]", "Queue depths and running scans per scanner.", {"json", "plugin-dir"}, stats, {}};
    return root;
}

std::string help_for(const Command& c, const std::string& path, const Poco::Util::OptionSet& all) {
    std::string footer;
    if (!c.children.empty()) {
        footer = "Commands:\n";
        for (const auto& [name, child] : c.children)
            footer +=
                "  " + name + std::string(10 - std::min<std::size_t>(9, name.size()), ' ') + child.description + "\n";
        footer += "\nRun 'scanorchctl " + (path.empty() ? std::string() : path + " ") + "COMMAND --help' for more.";
    }
    return cli::help(subset(all, c.options), "scanorchctl", c.usage, c.description, footer);
}

}  // namespace

int main(int argc, char** argv) {
    const auto all = all_options();
    const Command root = command_tree();
    try {
        const cli::Args args = cli::parse(all, std::vector<std::string>(argv + 1, argv + argc));
        if (args.has("version") && args.positional.empty()) {
            std::cout << "scanorchctl " << SCANORCH_VERSION_STRING << "\n";
            return kExitOk;
        }
        // Walk the tree along the positional words.
        const Command* c = &root;
        std::string path;
        std::size_t i = 0;
        while (i < args.positional.size() && !c->children.empty()) {
            auto it = c->children.find(args.positional[i]);
            if (it == c->children.end()) {
                throw cli::UsageError("unknown command '" + (path.empty() ? "" : path + " ") + args.positional[i] +
                                      "'");
            }
            path += (path.empty() ? "" : " ") + it->first;
            c = &it->second;
            ++i;
        }
        if (args.has("help")) {
            std::cout << help_for(*c, path, all);
            return kExitOk;
        }
        if (!c->run) {
            std::cerr << help_for(*c, path, all);
            return kExitUsage;
        }
        for (const auto& [name, values] : args.options) {
            if (name == "config" || name == "help") continue;
            if (std::find(c->options.begin(), c->options.end(), name) == c->options.end()) {
                throw cli::UsageError("option --" + name + " does not apply to '" + path + "'");
            }
        }
        return c->run(args,
                      std::vector<std::string>(args.positional.begin() + static_cast<long>(i), args.positional.end()));
    } catch (const cli::UsageError& e) {
        std::cerr << "scanorchctl: " << e.what() << "\nTry 'scanorchctl --help'.\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "scanorchctl: " << e.what() << "\n";
        return kExitFailure;
    }
}
