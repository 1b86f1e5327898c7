#include "scanorch/framework/config/host_config.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "scanorch/framework/config/config_error.h"
#include "scanorch/sdk/targets.h"

namespace scanorch::framework {

namespace {

constexpr std::string_view kKinds[] = {"queue", "router", "validator", "frontend", "store"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// "off", or HOST:PORT with a port in 0..65535 ("[::1]:9465" for IPv6).
bool valid_listen(const std::string& v) {
    if (v == "off") return true;
    const auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == v.size() || v.size() - colon > 6) return false;
    const std::string port = v.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](unsigned char ch) { return std::isdigit(ch); })) return false;
    return std::stoi(port) <= 65535;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
    if (p.empty() || base_dir.empty() || std::filesystem::path(p).is_absolute()) return p;
    return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

HostConfig parse(const YamlReader& r, const YAML::Node& root, const std::string& file, const HostConfigDefaults& d,
                 const EnvLookup& env) {
    HostConfig c;
    c.file = file;
    c.plugin_dir = d.plugin_dir;
    c.data_dir = d.data_dir;
    c.scanners_file = d.scanners_file;

    for (const auto& [kind, use] : d.plugins) {
        c.plugins[kind].use = use;
        c.plugins[kind].path = "plugins." + kind;
    }
    const std::string base = file.empty() ? "" : std::filesystem::path(file).parent_path().string();
    if (root.IsDefined() && !root.IsNull()) {
        r.check_keys(root, "",
                     {"plugin_dir", "data_dir", "exports_dir", "scanners_file", "logging", "plugins", "scope",
                      "workers", "housekeeping", "limits"});
        c.scope = r.string_list(root, "", "scope");
        // Fail closed: an entry that does not parse stops the start (the
        // tool layer would otherwise drop it and scan within what is left).
        for (std::size_t i = 0; i < c.scope.size(); ++i) {
            if (auto e = sdk::targets::parse_scope_entry(c.scope[i]); !e) {
                const YAML::Node list = root["scope"];
                r.fail(list.IsSequence() && i < list.size() ? list[i] : list, "scope[" + std::to_string(i) + "]",
                       e.error().message);
            }
        }
        if (const YAML::Node w = root["workers"]; w && !w.IsNull()) {
            r.check_keys(w, "workers",
                         {"poll_interval_ms", "progress_write_ms", "cancel_check_ms", "lease_ms", "retry_base_ms",
                          "retries", "circuit_failures", "circuit_open_ms", "metrics_listen"});
            auto& ws = c.workers;
            ws.poll_interval_ms = r.integer(w, "workers", "poll_interval_ms", ws.poll_interval_ms, 10, 3'600'000);
            ws.progress_write_ms = r.integer(w, "workers", "progress_write_ms", ws.progress_write_ms, 0, 3'600'000);
            ws.cancel_check_ms = r.integer(w, "workers", "cancel_check_ms", ws.cancel_check_ms, 10, 3'600'000);
            ws.lease_ms = r.integer(w, "workers", "lease_ms", ws.lease_ms, 1000, 86'400'000);
            ws.retry_base_ms = r.integer(w, "workers", "retry_base_ms", ws.retry_base_ms, 1, 600'000);
            ws.retries = r.integer(w, "workers", "retries", ws.retries, 0, 20);
            ws.circuit_failures = r.integer(w, "workers", "circuit_failures", ws.circuit_failures, 1, 1000);
            ws.circuit_open_ms = r.integer(w, "workers", "circuit_open_ms", ws.circuit_open_ms, 100, 86'400'000);
            ws.metrics_listen = r.string_or(w, "workers", "metrics_listen", ws.metrics_listen);
            if (!valid_listen(ws.metrics_listen)) {
                r.fail(w["metrics_listen"], "workers.metrics_listen",
                       "'" + ws.metrics_listen +
                           "' is not HOST:PORT or off (e.g. 127.0.0.1:9465; port 0 = any free port)");
            }
        }
        if (const YAML::Node h = root["housekeeping"]; h && !h.IsNull()) {
            r.check_keys(h, "housekeeping", {"ttl_seconds", "interval_seconds", "max_queue_wait_seconds"});
            auto& hs = c.housekeeping;
            hs.ttl_seconds = r.integer(h, "housekeeping", "ttl_seconds", hs.ttl_seconds, 1, 10LL * 365 * 86400);
            hs.interval_seconds = r.integer(h, "housekeeping", "interval_seconds", hs.interval_seconds, 1, 86400);
            hs.max_queue_wait_seconds =
                r.integer(h, "housekeeping", "max_queue_wait_seconds", hs.max_queue_wait_seconds, 1, 365LL * 86400);
        }
        if (const YAML::Node l = root["limits"]; l && !l.IsNull()) {
            r.check_keys(l, "limits", {"submissions_per_hour", "client_submissions_per_hour"});
            auto& ls = c.limits;
            ls.submissions_per_hour = r.integer(l, "limits", "submissions_per_hour", 0, 0, 1'000'000);
            if (const YAML::Node per = l["client_submissions_per_hour"]; per && !per.IsNull()) {
                if (!per.IsMap())
                    r.fail(per, "limits.client_submissions_per_hour", "expected a mapping of CLIENT: scans per hour");
                for (const auto& kv : per) {
                    const auto name = kv.first.as<std::string>("");
                    if (ls.client_submissions_per_hour.count(name)) {
                        r.fail(kv.first, "limits.client_submissions_per_hour." + name, "key given twice");
                    }
                    ls.client_submissions_per_hour[name] =
                        r.integer(per, "limits.client_submissions_per_hour", name, 0, 0, 1'000'000);
                }
            }
        }
        c.plugin_dir = resolve(base, r.string_or(root, "", "plugin_dir", c.plugin_dir));
        c.data_dir = resolve(base, r.string_or(root, "", "data_dir", c.data_dir));
        c.exports_dir = resolve(base, r.string_or(root, "", "exports_dir", c.exports_dir));
        c.scanners_file = resolve(base, r.string_or(root, "", "scanners_file", c.scanners_file));
        if (const YAML::Node l = root["logging"]; l && !l.IsNull()) {
            r.check_keys(l, "logging", {"level", "format"});
            c.logging.level = lower(r.string_or(l, "logging", "level", c.logging.level));
            if (!valid_log_level(c.logging.level)) {
                r.fail(l["level"], "logging.level",
                       "'" + c.logging.level + "' is not a level (trace, debug, info, warn, error, critical, off)");
            }
            c.logging.format = lower(r.string_or(l, "logging", "format", c.logging.format));
            if (c.logging.format != "text" && c.logging.format != "json") {
                r.fail(l["format"], "logging.format", "'" + c.logging.format + "' is not text or json");
            }
        }
        if (const YAML::Node p = root["plugins"]; p && !p.IsNull()) {
            r.check_keys(p, "plugins", {"queue", "router", "validator", "frontend", "store"});
            for (auto kind : kKinds) {
                const YAML::Node s = p[std::string(kind)];
                if (!s || s.IsNull()) continue;
                const std::string path = "plugins." + std::string(kind);
                r.check_keys(s, path, {"use", "config"});
                PluginSlot slot;
                slot.path = path;
                slot.use = r.required_string(s, path, "use");
                if (slot.use == "none") slot.use.clear();  // explicitly no plugin for this kind
                // yaml-cpp throws when assigning from a missing key's node; copy only a real one.
                if (const YAML::Node cfg = s["config"]) slot.config = cfg;
                if (slot.config && !slot.config.IsNull() && !slot.config.IsMap()) {
                    r.fail(slot.config, path + ".config", "expected a mapping of plugin options");
                }
                c.plugins[std::string(kind)] = std::move(slot);
            }
        }
    }

    // The environment wins over the file.
    auto var = [&](const char* name) -> std::optional<std::string> {
        auto v = env(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    };
    if (auto v = var("SCANORCH_PLUGIN_DIR")) c.plugin_dir = *v;
    if (auto v = var("DATA_DIR")) c.data_dir = *v;
    if (auto v = var("SCANORCH_EXPORTS_DIR")) c.exports_dir = *v;
    // Beside the rest of this host's data unless placed elsewhere (a larger
    // disk, or a share where an operator picks up raw exports).
    if (c.exports_dir.empty()) c.exports_dir = (std::filesystem::path(c.data_dir) / "exports").string();
    if (auto v = var("SCANNER_CONFIG")) c.scanners_file = *v;
    if (auto v = var("LOG_LEVEL")) {
        c.logging.level = lower(*v);
        if (!valid_log_level(c.logging.level)) {
            throw ConfigError("environment: LOG_LEVEL: '" + *v +
                              "' is not a level (trace, debug, info, warn, error, critical, off)");
        }
    }
    if (auto v = var("LOG_FORMAT")) {
        c.logging.format = lower(*v);
        if (c.logging.format != "text" && c.logging.format != "json") {
            throw ConfigError("environment: LOG_FORMAT: '" + *v + "' is not text or json");
        }
    }
    auto select_queue = [&](const std::string& use) {
        auto& slot = c.plugins["queue"];
        if (slot.path.empty()) slot.path = "plugins.queue";
        if (slot.use != use) slot.config = YAML::Node();  // another plugin's config does not apply
        slot.use = use;
    };
    if (auto v = var("QUEUE_BACKEND")) {
        const std::string b = lower(*v);
        if (b != "memory" && b != "redis") {
            throw ConfigError("environment: QUEUE_BACKEND: '" + *v + "' is not memory or redis");
        }
        select_queue(b + "-queue");
    } else if (var("REDIS_URL") && c.plugins["queue"].use == "memory-queue") {
        // A compose file or unit that names a Redis means the processes to
        // share it; staying on the process-local default would leave each
        // process with its own queue. Another queue plugin keeps the URL.
        select_queue("redis-queue");
    }
    if (auto v = var("SCANORCH_SCOPE")) {
        c.scope.clear();
        std::stringstream ss(*v);
        for (std::string item; std::getline(ss, item, ',');) {
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty()) c.scope.push_back(item);
        }
        for (const auto& item : c.scope) {
            if (auto e = sdk::targets::parse_scope_entry(item); !e)
                throw ConfigError("environment: SCANORCH_SCOPE: " + e.error().message);
        }
    }
    if (auto v = var("REDIS_URL")) c.plugins["queue"].overrides["url"] = *v;
    if (auto v = var("DATABASE_URL")) {
        // Like REDIS_URL: naming a PostgreSQL means the processes share it.
        auto& slot = c.plugins["store"];
        if (slot.path.empty()) slot.path = "plugins.store";
        if (slot.use == "sqlite-store") {
            slot.use = "postgres-store";
            slot.config = YAML::Node();  // sqlite-store's options do not apply
        }
        slot.overrides["url"] = *v;
    }
    if (auto v = var("SCANORCH_LISTEN")) c.plugins["frontend"].overrides["listen"] = *v;
    if (auto v = var("SCANORCH_METRICS_LISTEN")) {
        if (!valid_listen(*v)) {
            throw ConfigError("environment: SCANORCH_METRICS_LISTEN: '" + *v +
                              "' is not HOST:PORT or off (e.g. 127.0.0.1:9465; port 0 = any free port)");
        }
        c.workers.metrics_listen = *v;
    }
    for (auto& [kind, slot] : c.plugins) {
        if (slot.path.empty()) slot.path = "plugins." + kind;
    }
    return c;
}

}  // namespace

bool valid_log_level(const std::string& level) {
    const std::string l = lower(level);
    return l == "trace" || l == "debug" || l == "info" || l == "warn" || l == "warning" || l == "error" ||
           l == "critical" || l == "off";
}

const PluginSlot* HostConfig::slot(const std::string& kind) const {
    auto it = plugins.find(kind);
    if (it == plugins.end() || it->second.use.empty()) return nullptr;
    return &it->second;
}

HostConfig load_host_config(const std::optional<std::string>& file, const HostConfigDefaults& defaults,
                            const EnvLookup& env) {
    if (!file) return parse(YamlReader("(defaults)", env), YAML::Node(), "", defaults, env);
    const YamlReader r(*file, env);
    return parse(r, r.load(), *file, defaults, env);
}

HostConfig parse_host_config(const std::string& text, const std::string& file, const HostConfigDefaults& defaults,
                             const EnvLookup& env) {
    const YamlReader r(file, env);
    return parse(r, r.load_string(text), file, defaults, env);
}

}  // namespace scanorch::framework
