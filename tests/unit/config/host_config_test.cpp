#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/config/host_config.h"
#include "test_env.h"

namespace sf = scanorch::framework;

namespace {
sf::HostConfigDefaults defaults() {
    sf::HostConfigDefaults d;
    d.plugin_dir = "/usr/lib/scanorch/plugins";
    return d;
}
sf::HostConfig parse(const std::string& text, std::map<std::string, std::string> env = {}) {
    return sf::parse_host_config(text, "/etc/scanorch/scanorch.yaml", defaults(), fake_env(std::move(env)));
}
}  // namespace

TEST(HostConfig, ReadsEverySectionAndResolvesRelativePaths) {
    const auto c = parse(R"(plugin_dir: plugins
data_dir: /var/lib/scanorch
scanners_file: scanners.yaml
logging: {level: DEBUG, format: json}
plugins:
  queue: {use: redis-queue, config: {url: "redis://127.0.0.1:6379"}}
  router: {use: capacity-router}
  frontend: {use: none}
)");
    EXPECT_EQ(c.plugin_dir, "/etc/scanorch/plugins");
    EXPECT_EQ(c.scanners_file, "/etc/scanorch/scanners.yaml");
    EXPECT_EQ(c.data_dir, "/var/lib/scanorch");
    EXPECT_EQ(c.logging.level, "debug");
    EXPECT_EQ(c.logging.format, "json");
    ASSERT_NE(c.slot("queue"), nullptr);
    EXPECT_EQ(c.slot("queue")->use, "redis-queue");
    EXPECT_EQ(c.slot("queue")->path, "plugins.queue");
    EXPECT_TRUE(c.slot("queue")->config.IsMap());
    EXPECT_EQ(c.slot("router")->use, "capacity-router");
    EXPECT_EQ(c.slot("validator")->use, "nessus-validator") << "kinds the file does not name keep their default";
    EXPECT_EQ(c.slot("frontend"), nullptr) << "use: none means no plugin";
}

TEST(HostConfig, DefaultsWithoutAFile) {
    const auto c = sf::load_host_config(std::nullopt, defaults(), fake_env({}));
    EXPECT_EQ(c.file, "");
    EXPECT_EQ(c.plugin_dir, "/usr/lib/scanorch/plugins");
    EXPECT_EQ(c.data_dir, "/var/lib/scanorch");
    EXPECT_EQ(c.scanners_file, "/etc/scanorch/scanners.yaml");
    EXPECT_EQ(c.logging.level, "info");
    ASSERT_NE(c.slot("validator"), nullptr);
    EXPECT_EQ(c.slot("validator")->use, "nessus-validator");
    EXPECT_EQ(c.slot("queue")->use, "memory-queue");
    EXPECT_EQ(c.slot("router")->use, "capacity-router");
    EXPECT_EQ(c.slot("frontend")->use, "http");
}

TEST(HostConfig, TheDesignsEnvironmentVariablesOverrideTheFile) {
    const auto c = parse("data_dir: /data\nplugins:\n  queue: {use: memory-queue, config: {max_tasks: 5}}\n",
                         {{"DATA_DIR", "/app/data/tasks"},
                          {"SCANNER_CONFIG", "/app/config/scanners.yaml"},
                          {"LOG_LEVEL", "WARNING"},
                          {"QUEUE_BACKEND", "redis"},
                          {"REDIS_URL", "redis://redis:6379"},
                          {"SCANORCH_LISTEN", "0.0.0.0:8836"}});
    EXPECT_EQ(c.data_dir, "/app/data/tasks");
    EXPECT_EQ(c.scanners_file, "/app/config/scanners.yaml");
    EXPECT_EQ(c.logging.level, "warning");
    ASSERT_NE(c.slot("queue"), nullptr);
    EXPECT_EQ(c.slot("queue")->use, "redis-queue");
    EXPECT_FALSE(c.slot("queue")->config.IsDefined() && c.slot("queue")->config.IsMap())
        << "memory-queue's config must not be handed to redis-queue";
    EXPECT_EQ(c.slot("queue")->overrides.at("url"), "redis://redis:6379");
    EXPECT_EQ(c.plugins.at("frontend").overrides.at("listen"), "0.0.0.0:8836");
}

TEST(HostConfig, EveryErrorNamesFileLineAndKey) {
    EXPECT_CONFIG_ERROR(
        parse("plugin_dirs: /x\n"),
        "/etc/scanorch/scanorch.yaml:1: plugin_dirs: unknown key (valid: plugin_dir, data_dir, exports_dir, "
        "scanners_file, logging, plugins, scope, workers, housekeeping, limits)");
    EXPECT_CONFIG_ERROR(parse("logging:\n  level: loud\n"),
                        "/etc/scanorch/scanorch.yaml:2: logging.level: 'loud' is not a level (trace, debug, info, "
                        "warn, error, critical, off)");
    EXPECT_CONFIG_ERROR(parse("logging: {format: xml}\n"),
                        "/etc/scanorch/scanorch.yaml:1: logging.format: 'xml' is not text or json");
    EXPECT_CONFIG_ERROR(parse("plugins:\n  scanner: {use: nessus}\n"),
                        "/etc/scanorch/scanorch.yaml:2: plugins.scanner: unknown key (valid: queue, router, "
                        "validator, frontend, store)");
    EXPECT_CONFIG_ERROR(parse("plugins:\n  queue: {config: {}}\n"),
                        "/etc/scanorch/scanorch.yaml:2: plugins.queue.use: is required");
    EXPECT_CONFIG_ERROR(parse("plugins:\n  queue:\n    use: memory-queue\n    config: [1, 2]\n"),
                        "/etc/scanorch/scanorch.yaml:4: plugins.queue.config: expected a mapping of plugin options");
    EXPECT_CONFIG_ERROR(parse("data_dir: ${DATA_ROOT}/scanorch\n"),
                        "/etc/scanorch/scanorch.yaml:1: data_dir: environment variable DATA_ROOT is not set (write "
                        "${DATA_ROOT:-default} to give a default)");
    EXPECT_CONFIG_ERROR(parse("data_dir: /a\ndata_dir: /b\n"),
                        "/etc/scanorch/scanorch.yaml:2: data_dir: key given twice");
    EXPECT_CONFIG_ERROR(parse("", {{"QUEUE_BACKEND", "kafka"}}),
                        "environment: QUEUE_BACKEND: 'kafka' is not memory or redis");
    EXPECT_CONFIG_ERROR(
        parse("", {{"LOG_LEVEL", "chatty"}}),
        "environment: LOG_LEVEL: 'chatty' is not a level (trace, debug, info, warn, error, critical, off)");
}

TEST(HostConfig, ScopeWorkersAndHousekeeping) {
    const auto c = parse(
        "scope: [127.0.0.0/8, 192.0.2.0/24]\nworkers: {poll_interval_ms: 200, retries: 1}\n"
        "housekeeping: {ttl_seconds: 60}\n");
    EXPECT_EQ(c.scope, (std::vector<std::string>{"127.0.0.0/8", "192.0.2.0/24"}));
    EXPECT_EQ(c.workers.poll_interval_ms, 200);
    EXPECT_EQ(c.workers.retries, 1);
    EXPECT_EQ(c.workers.lease_ms, 60000);
    EXPECT_EQ(c.workers.progress_write_ms, 10000);
    EXPECT_EQ(parse("workers: {progress_write_ms: 0}\n").workers.progress_write_ms, 0);
    EXPECT_CONFIG_ERROR(parse("workers: {progress_write_ms: -1}\n"),
                        "/etc/scanorch/scanorch.yaml:1: workers.progress_write_ms: expected an integer from 0 to "
                        "3600000, got '-1'");
    EXPECT_EQ(c.workers.cancel_check_ms, 5000);
    EXPECT_EQ(parse("workers: {cancel_check_ms: 250}\n").workers.cancel_check_ms, 250);
    EXPECT_CONFIG_ERROR(parse("workers: {cancel_check_ms: 0}\n"),
                        "/etc/scanorch/scanorch.yaml:1: workers.cancel_check_ms: expected an integer from 10 to "
                        "3600000, got '0'");
    EXPECT_EQ(c.housekeeping.ttl_seconds, 60);
    EXPECT_EQ(parse("scope: [a]\n", {{"SCANORCH_SCOPE", "198.51.100.0/24, 203.0.113.7"}}).scope,
              (std::vector<std::string>{"198.51.100.0/24", "203.0.113.7"}));
    EXPECT_CONFIG_ERROR(
        parse("workers: {poll_interval_ms: 1}\n"),
        "/etc/scanorch/scanorch.yaml:1: workers.poll_interval_ms: expected an integer from 10 to 3600000, got '1'");
}

TEST(HostConfig, PerClientSubmissionLimits) {
    EXPECT_FALSE(parse("").limits.any()) << "no limit unless one is set";
    const auto c = parse("limits:\n  submissions_per_hour: 100\n  client_submissions_per_hour: {ci: 5, soc: 0}\n");
    EXPECT_TRUE(c.limits.any());
    EXPECT_EQ(c.limits.submissions_per_hour, 100);
    EXPECT_EQ(c.limits.client_submissions_per_hour.at("ci"), 5);
    EXPECT_EQ(c.limits.client_submissions_per_hour.at("soc"), 0);
    EXPECT_TRUE(parse("limits: {client_submissions_per_hour: {ci: 5}}\n").limits.any());
    EXPECT_FALSE(parse("limits: {client_submissions_per_hour: {ci: 0}}\n").limits.any());
    EXPECT_CONFIG_ERROR(
        parse("limits:\n  submissions_per_hour: -1\n"),
        "/etc/scanorch/scanorch.yaml:2: limits.submissions_per_hour: expected an integer from 0 to 1000000, got '-1'");
    EXPECT_CONFIG_ERROR(parse("limits:\n  client_submissions_per_hour:\n    ci: 5\n    ci: 6\n"),
                        "/etc/scanorch/scanorch.yaml:4: limits.client_submissions_per_hour.ci: key given twice");
    EXPECT_CONFIG_ERROR(
        parse("limits:\n  client_submissions_per_hour: [ci]\n"),
        "/etc/scanorch/scanorch.yaml:2: limits.client_submissions_per_hour: expected a mapping of CLIENT: scans per hour");
    EXPECT_CONFIG_ERROR(
        parse("limits: {rate: 5}\n"),
        "/etc/scanorch/scanorch.yaml:1: limits.rate: unknown key (valid: submissions_per_hour, client_submissions_per_hour)");
}

TEST(HostConfig, RedisUrlAloneSelectsRedisQueue) {
    // What the compose file sets: REDIS_URL and no QUEUE_BACKEND.
    for (const char* file : {"", "plugins:\n  queue: {use: memory-queue}\n"}) {
        const auto c = parse(file, {{"REDIS_URL", "redis://redis:6379/0"}});
        ASSERT_NE(c.slot("queue"), nullptr);
        EXPECT_EQ(c.slot("queue")->use, "redis-queue") << "file: " << file;
        EXPECT_EQ(c.slot("queue")->overrides.at("url"), "redis://redis:6379/0");
    }
    // QUEUE_BACKEND is explicit and wins; another queue plugin keeps the URL as its own.
    EXPECT_EQ(parse("", {{"REDIS_URL", "redis://r"}, {"QUEUE_BACKEND", "memory"}}).slot("queue")->use, "memory-queue");
    const auto other = parse("plugins:\n  queue: {use: pg-queue, config: {table: q}}\n", {{"REDIS_URL", "redis://r"}});
    EXPECT_EQ(other.slot("queue")->use, "pg-queue");
    EXPECT_TRUE(other.slot("queue")->config.IsMap());
    EXPECT_EQ(parse("").slot("queue")->use, "memory-queue");
}

TEST(HostConfig, DatabaseUrlSelectsPostgresAndTheStoreSlotIsConfigurable) {
    EXPECT_EQ(parse("").slot("store")->use, "sqlite-store") << "the embedded default";
    for (const char* file : {"", "plugins:\n  store: {use: sqlite-store, config: {path: other.sqlite}}\n"}) {
        const auto c = parse(file, {{"DATABASE_URL", "postgresql://scanorch@db/scanorch"}});
        EXPECT_EQ(c.slot("store")->use, "postgres-store") << "file: " << file;
        EXPECT_EQ(c.slot("store")->overrides.at("url"), "postgresql://scanorch@db/scanorch");
        EXPECT_FALSE(c.slot("store")->config.IsMap()) << "sqlite-store's options do not apply to postgres-store";
    }
    const auto own =
        parse("plugins:\n  store: {use: my-store, config: {dsn: x}}\n", {{"DATABASE_URL", "postgresql://db"}});
    EXPECT_EQ(own.slot("store")->use, "my-store") << "a third-party store keeps the URL as its own";
    EXPECT_TRUE(own.slot("store")->config.IsMap());
}

TEST(HostConfig, ExportsDirDefaultsBesideTheDataAndMayMove) {
    EXPECT_EQ(parse("data_dir: /srv/d\n").exports_dir, "/srv/d/exports");
    EXPECT_EQ(parse("data_dir: /srv/d\nexports_dir: big/exports\n").exports_dir, "/etc/scanorch/big/exports")
        << "relative to the config file, like every path";
    EXPECT_EQ(parse("data_dir: /srv/d\n", {{"SCANORCH_EXPORTS_DIR", "/mnt/share/exports"}}).exports_dir,
              "/mnt/share/exports");
    EXPECT_EQ(parse("", {{"DATA_DIR", "/app/data"}}).exports_dir, "/app/data/exports") << "follows DATA_DIR";
}

TEST(HostConfig, WorkerMetricsListen) {
    EXPECT_EQ(parse("").workers.metrics_listen, "127.0.0.1:9465");
    EXPECT_EQ(parse("workers: {metrics_listen: \"0.0.0.0:9470\"}\n").workers.metrics_listen, "0.0.0.0:9470");
    EXPECT_EQ(parse("workers: {metrics_listen: \"[::1]:0\"}\n").workers.metrics_listen, "[::1]:0");
    EXPECT_EQ(parse("workers: {metrics_listen: off}\n").workers.metrics_listen, "off");
    EXPECT_EQ(parse("workers: {metrics_listen: \"127.0.0.1:1\"}\n", {{"SCANORCH_METRICS_LISTEN", "127.0.0.1:9999"}})
                  .workers.metrics_listen,
              "127.0.0.1:9999");
    EXPECT_CONFIG_ERROR(parse("workers:\n  metrics_listen: 9465\n"),
                        "/etc/scanorch/scanorch.yaml:2: workers.metrics_listen: '9465' is not HOST:PORT or off (e.g. "
                        "127.0.0.1:9465; port 0 = any free port)");
    EXPECT_CONFIG_ERROR(
        parse("workers: {metrics_listen: \"h:70000\"}\n"),
        "/etc/scanorch/scanorch.yaml:1: workers.metrics_listen: 'h:70000' is not HOST:PORT or off (e.g. "
        "127.0.0.1:9465; port 0 = any free port)");
    EXPECT_CONFIG_ERROR(parse("", {{"SCANORCH_METRICS_LISTEN", "localhost"}}),
                        "environment: SCANORCH_METRICS_LISTEN: 'localhost' is not HOST:PORT or off (e.g. "
                        "127.0.0.1:9465; port 0 = any free port)");
}

// A scope entry that does not parse stops the start, named with its line,
// instead of being dropped (which narrowed or, for a client, widened scope).
TEST(HostConfig, EveryScopeEntryMustParse) {
    EXPECT_EQ(parse("scope: [192.0.2.0/24, .lab.example.com, '::ffff:198.51.100.0/120']\n").scope.size(), 3u);
    EXPECT_CONFIG_ERROR(parse("scope:\n  - 192.0.2.0/24\n  - 192.0.2.0/33\n"),
                        "/etc/scanorch/scanorch.yaml:3: scope[1]: scope entry '192.0.2.0/33': prefix must be 0..32");
    EXPECT_CONFIG_ERROR(
        parse("scope: ['*.lab.example.com']\n"),
        "/etc/scanorch/scanorch.yaml:1: scope[0]: scope entry '*.lab.example.com': wildcards are not supported; "
        "write '.lab.example.com' for every host name below lab.example.com");
    EXPECT_CONFIG_ERROR(parse("", {{"SCANORCH_SCOPE", "192.0.2.0/24, 198.51.100.0/40"}}),
                        "environment: SCANORCH_SCOPE: scope entry '198.51.100.0/40': prefix must be 0..32");
}

// The sample an operator copies must load and say what its comments say. The
// built-in defaults have no scope (no scan may run) and /etc/scanorch's
// scanners.yaml, so a file that lost its scope or did not resolve its paths
// as documented fails here.
TEST(HostConfig, TheShippedConfigIsValid) {
    const std::string dir = std::string(SCANORCH_SOURCE_DIR) + "/config";
    const auto c = sf::load_host_config(dir + "/scanorch.yaml", defaults(), fake_env({}));
    EXPECT_EQ(c.file, dir + "/scanorch.yaml");
    EXPECT_EQ(c.scanners_file, dir + "/scanners.yaml") << "relative to the file, not the built-in /etc path";
    EXPECT_EQ(c.scope, (std::vector<std::string>{"127.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}))
        << "without a scope no scan may run";
    EXPECT_EQ(c.data_dir, "/var/lib/scanorch");
    for (const auto& [kind, use] : std::map<std::string, std::string>{{"queue", "memory-queue"},
                                                                      {"router", "capacity-router"},
                                                                      {"validator", "nessus-validator"},
                                                                      {"frontend", "http"}}) {
        ASSERT_NE(c.slot(kind), nullptr) << kind;
        EXPECT_EQ(c.slot(kind)->use, use) << kind;
    }
    // ${DATA_DIR:-...} and the documented overrides reach the values.
    const auto env = sf::load_host_config(dir + "/scanorch.yaml", defaults(),
                                          fake_env({{"DATA_DIR", "/srv/scanorch"}, {"SCANORCH_SCOPE", "192.0.2.7"}}));
    EXPECT_EQ(env.data_dir, "/srv/scanorch");
    EXPECT_EQ(env.scope, std::vector<std::string>{"192.0.2.7"});
}
