// scanorch.yaml: where plugins and data live, which plugin serves each kind
// and with what config, and logging. The design's environment variables
// override it, so containers and systemd units need no edited copies:
//
//   SCANNER_CONFIG   scanners_file            DATA_DIR        data_dir
//   SCANORCH_EXPORTS_DIR  exports_dir (default data_dir/exports)
//   LOG_LEVEL        logging.level            LOG_FORMAT      logging.format
//   QUEUE_BACKEND    plugins.queue.use        (memory -> memory-queue, redis -> redis-queue)
//   REDIS_URL        the queue plugin's `url`; without QUEUE_BACKEND it also turns
//                    the memory-queue default into redis-queue
//   SCANORCH_LISTEN  the frontend plugin's `listen`
//   SCANORCH_PLUGIN_DIR  plugin_dir          SCANORCH_SCOPE  scope (comma list)
//   SCANORCH_METRICS_LISTEN  workers.metrics_listen (a worker's /metrics)
//   DATABASE_URL     the store plugin's `url`; it also turns the sqlite-store
//                    default into postgres-store
//
// Relative paths are relative to the directory of scanorch.yaml.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/framework/config/yaml_reader.h"

namespace scanorch::framework {

/// Which plugin serves one kind (`use: none` for none), and its config (checked against the
/// plugin's declared fields once the plugin is loaded).
struct PluginSlot {
    std::string use;
    YAML::Node config;                             ///< undefined/null = no config given
    std::string path;                              ///< "plugins.queue", for messages
    std::map<std::string, std::string> overrides;  ///< from the environment: key -> value
};

struct LogSettings {
    std::string level = "info";   ///< trace, debug, info, warn, error, critical, off
    std::string format = "text";  ///< text or json
};

/// How workers run scans (scanorch.yaml `workers:`).
struct WorkerSettings {
    std::int64_t poll_interval_ms = 5'000;
    /// A running scan's progress is recorded at most this often (0: at
    /// every change); each record is a durable store write.
    std::int64_t progress_write_ms = 10'000;
    /// How soon a running scan whose scanner lists its scans notices a
    /// cancel (or a lost lease): its run sleeps until its scan changes or
    /// this much has passed. Without such a scanner, every poll checks.
    std::int64_t cancel_check_ms = 5'000;
    std::int64_t lease_ms = 60'000;
    std::int64_t retry_base_ms = 1'000;  ///< retries after 1x, 2x, 4x this
    std::int64_t retries = 3;
    std::int64_t circuit_failures = 5;
    std::int64_t circuit_open_ms = 300'000;
    /// Where a `scanorchd worker` serves /metrics, /health and /ready
    /// (SCANORCH_METRICS_LISTEN); "off" for nowhere, port 0 for any free one.
    std::string metrics_listen = "127.0.0.1:9465";
};

/// TTL housekeeping and queue-wait limits (scanorch.yaml `housekeeping:`).
struct HousekeepingSettings {
    std::int64_t ttl_seconds = 7 * 86400;  ///< finished tasks unread this long are removed
    std::int64_t interval_seconds = 3600;
    std::int64_t max_queue_wait_seconds = 86400;  ///< a task queued longer fails
};

/// Per-client limits on what callers may ask for (scanorch.yaml `limits:`).
/// A client is the name its bearer token carries; anonymous callers (no
/// clients configured) share one count.
struct LimitSettings {
    /// Scans a client may submit in any hour (sliding); 0 = no limit.
    std::int64_t submissions_per_hour = 0;
    /// Per-client overrides of submissions_per_hour (0 = that client has none).
    std::map<std::string, std::int64_t> client_submissions_per_hour;

    bool any() const {
        if (submissions_per_hour > 0) return true;
        for (const auto& [client, n] : client_submissions_per_hour) {
            if (n > 0) return true;
        }
        return false;
    }
};

struct HostConfig {
    std::string file;  ///< empty when no file was read (built-in defaults)
    std::string plugin_dir;
    std::string data_dir;
    std::string exports_dir;  ///< raw exports this host downloaded; default data_dir/exports
    std::string scanners_file;
    LogSettings logging;
    std::map<std::string, PluginSlot> plugins;  ///< by kind name: queue, router, validator, frontend
    std::vector<std::string> scope;             ///< targets scans may touch; SCANORCH_SCOPE overrides
    WorkerSettings workers;
    HousekeepingSettings housekeeping;
    LimitSettings limits;

    const PluginSlot* slot(const std::string& kind) const;
};

struct HostConfigDefaults {
    std::string plugin_dir;  ///< next to the executable: <prefix>/lib/scanorch/plugins
    std::string data_dir = "/var/lib/scanorch";
    std::string scanners_file = "/etc/scanorch/scanners.yaml";
    /// The plugin for each kind when the file names none: the defaults shipped.
    std::map<std::string, std::string> plugins{{"queue", "memory-queue"},
                                               {"router", "capacity-router"},
                                               {"validator", "nessus-validator"},
                                               {"frontend", "http"},
                                               {"store", "sqlite-store"}};
};

/// Reads `file` (nullopt = built-in defaults only) and applies the
/// environment. Throws ConfigError naming file, line and key.
HostConfig load_host_config(const std::optional<std::string>& file, const HostConfigDefaults& defaults,
                            const EnvLookup& env = process_env());
HostConfig parse_host_config(const std::string& text, const std::string& file, const HostConfigDefaults& defaults,
                             const EnvLookup& env = process_env());

/// True for the level names LOG_LEVEL and logging.level accept (any case).
bool valid_log_level(const std::string& level);

}  // namespace scanorch::framework
