// PluginContext: the plugin-side view of the host's services (logging,
// metrics, clock, data directory, config), built by the SDK from the C
// scanorch_host_api table. Header-only and compiled into the plugin, so the
// host can change how it logs or keeps metrics without a plugin noticing.
//
// Copyable and cheap. Valid from create() until destroy() returns (the host
// table's lifetime); a plugin may keep copies in its instance and threads.
// Every part tolerates a null table, so plugin code can be unit-tested
// without a host: logging and metrics then go nowhere and the clock is the
// system clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/config.h"

namespace scanorch::sdk {

enum class LogLevel : std::uint32_t {
    trace = SCANORCH_LOG_TRACE,
    debug = SCANORCH_LOG_DEBUG,
    info = SCANORCH_LOG_INFO,
    warn = SCANORCH_LOG_WARN,
    error = SCANORCH_LOG_ERROR,
    critical = SCANORCH_LOG_CRITICAL,
};

// True when `field` of the host table lies within the size the host declared
// (a host may be older than the SDK a plugin was built with, by a minor).
#define SCANORCH_HOST_HAS(host, field) \
    ((host) != nullptr && (host)->struct_size >= offsetof(scanorch_host_api, field) + sizeof((host)->field))

/// Sends log lines to the host, which prefixes the plugin name. The variadic
/// forms stream their arguments (`log.info("scan ", id, " launched")`) and
/// format nothing when the level is off.
class Logger {
public:
    explicit Logger(const scanorch_host_api* host = nullptr) noexcept : host_(host) {}

    bool enabled(LogLevel level) const noexcept {
        return SCANORCH_HOST_HAS(host_, log) && host_->log != nullptr &&
               static_cast<std::uint32_t>(level) >= host_->min_log_level;
    }

    void log(LogLevel level, std::string_view message) const noexcept {
        if (enabled(level))
            host_->log(host_->host_ctx, static_cast<std::uint32_t>(level), message.data(), message.size());
    }

    template <class... Parts>
    void trace(const Parts&... p) const {
        emit(LogLevel::trace, p...);
    }
    template <class... Parts>
    void debug(const Parts&... p) const {
        emit(LogLevel::debug, p...);
    }
    template <class... Parts>
    void info(const Parts&... p) const {
        emit(LogLevel::info, p...);
    }
    template <class... Parts>
    void warn(const Parts&... p) const {
        emit(LogLevel::warn, p...);
    }
    template <class... Parts>
    void error(const Parts&... p) const {
        emit(LogLevel::error, p...);
    }

private:
    template <class... Parts>
    void emit(LogLevel level, const Parts&... parts) const {
        if (!enabled(level)) return;
        std::ostringstream out;
        (out << ... << parts);
        log(level, out.str());
    }

    const scanorch_host_api* host_;
};

/// A declared metric family. Records go to the host's registry; an invalid
/// family (rejected by the host, or no host) ignores records.
class Metric {
public:
    Metric() = default;
    Metric(const scanorch_host_api* host, std::uint64_t id, std::size_t label_count) noexcept
        : host_(host), id_(id), label_count_(label_count) {}

    bool valid() const noexcept { return host_ != nullptr && id_ != 0; }

    /// Counter: add `value` (>= 0). Label values in declaration order.
    void add(const std::vector<std::string>& labels, double value = 1.0) const noexcept { record(labels, value); }
    /// Gauge: set to `value`.
    void set(const std::vector<std::string>& labels, double value) const noexcept { record(labels, value); }
    /// Histogram: observe `value`.
    void observe(const std::vector<std::string>& labels, double value) const noexcept { record(labels, value); }

private:
    void record(const std::vector<std::string>& labels, double value) const noexcept {
        if (!valid() || labels.size() != label_count_ || !SCANORCH_HOST_HAS(host_, metric_record)) return;
        try {
            std::vector<const char*> values;
            values.reserve(labels.size());
            for (const auto& l : labels) values.push_back(l.c_str());
            host_->metric_record(host_->host_ctx, id_, values.data(), values.size(), value);
        } catch (...) {  // allocation failure: drop the sample, never the plugin
        }
    }

    const scanorch_host_api* host_ = nullptr;
    std::uint64_t id_ = 0;
    std::size_t label_count_ = 0;
};

/// Declares metric families in the host's Prometheus registry. Names must be
/// valid Prometheus names; declaring the same family twice (e.g. from two
/// instances of one plugin) returns the same family.
class Metrics {
public:
    explicit Metrics(const scanorch_host_api* host = nullptr) noexcept : host_(host) {}

    Metric counter(const std::string& name, const std::string& help,
                   const std::vector<std::string>& labels = {}) const {
        return declare(SCANORCH_METRIC_COUNTER, name, help, labels, {});
    }
    Metric gauge(const std::string& name, const std::string& help, const std::vector<std::string>& labels = {}) const {
        return declare(SCANORCH_METRIC_GAUGE, name, help, labels, {});
    }
    Metric histogram(const std::string& name, const std::string& help, const std::vector<std::string>& labels,
                     const std::vector<double>& buckets) const {
        return declare(SCANORCH_METRIC_HISTOGRAM, name, help, labels, buckets);
    }

private:
    Metric declare(scanorch_metric_type type, const std::string& name, const std::string& help,
                   const std::vector<std::string>& labels, const std::vector<double>& buckets) const {
        if (!SCANORCH_HOST_HAS(host_, metric_family) || host_->metric_family == nullptr) return {};
        std::vector<const char*> names;
        names.reserve(labels.size());
        for (const auto& l : labels) names.push_back(l.c_str());
        const std::uint64_t id = host_->metric_family(host_->host_ctx, type, name.c_str(), help.c_str(), names.data(),
                                                      names.size(), buckets.data(), buckets.size());
        return Metric(host_, id, labels.size());
    }

    const scanorch_host_api* host_;
};

/// Everything the host gives a plugin instance.
class PluginContext {
public:
    /// `config` need only live during the call (its values are copied).
    explicit PluginContext(const scanorch_host_api* host, const scanorch_config* config = nullptr)
        : host_(host), config_(config) {}

    const Logger& log() const noexcept { return logger_; }
    Metrics metrics() const noexcept { return Metrics(host_); }

    /// The plugin's config, checked by the host against the declared fields
    /// (kConfig) with their defaults applied: `ctx.config().integer("threads")`.
    const Config& config() const noexcept { return config_; }

    /// The same config as one JSON object, for plugins that check a nested
    /// mapping themselves.
    const std::string& config_json() const noexcept { return config_.json(); }

    /// Directory the plugin may write below (task files, state); empty when
    /// the host gave none.
    std::string data_dir() const {
        return SCANORCH_HOST_HAS(host_, data_dir) && host_->data_dir != nullptr ? host_->data_dir : "";
    }

    /// Milliseconds since the Unix epoch, from the host's clock.
    std::int64_t now_unix_ms() const noexcept {
        if (SCANORCH_HOST_HAS(host_, now_unix_ms) && host_->now_unix_ms != nullptr) {
            return host_->now_unix_ms(host_->host_ctx);
        }
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    /// ABI 1.3: the store's tasks a process-local queue must hold (see
    /// scanorch_host_api::local_queue_tasks), as a JSON array; nullopt when
    /// the host offers none or cannot read its store now.
    std::optional<std::string> local_queue_tasks() const {
        if (!SCANORCH_HOST_HAS(host_, local_queue_tasks) || host_->local_queue_tasks == nullptr) return std::nullopt;
        std::string out;
        const auto sink = [](void* user, const char* json, size_t len) {
            static_cast<std::string*>(user)->assign(json, len);
        };
        if (host_->local_queue_tasks(host_->host_ctx, sink, &out) != 0) return std::nullopt;
        return out;
    }

    /// The raw table, for code that needs a newer field than this SDK wraps.
    const scanorch_host_api* host_api() const noexcept { return host_; }

private:
    const scanorch_host_api* host_;
    Logger logger_{host_};
    Config config_;
};

}  // namespace scanorch::sdk
