#include "scanorch/framework/plugins/host_services.h"

#include <prometheus/check_names.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <variant>

namespace scanorch::framework {

struct HostServices::Family {
    std::string owner;
    scanorch_metric_type type;
    std::string name;
    std::vector<std::string> labels;
    std::vector<double> buckets;
    std::variant<prometheus::Family<prometheus::Counter>*, prometheus::Family<prometheus::Gauge>*,
                 prometheus::Family<prometheus::Histogram>*>
        family;
};

HostServices::HostServices(std::shared_ptr<prometheus::Registry> registry, std::string data_dir, Clock clock)
    : registry_(registry ? std::move(registry) : std::make_shared<prometheus::Registry>()),
      data_dir_(std::move(data_dir)),
      clock_(std::move(clock)) {}

HostServices::~HostServices() = default;

std::int64_t HostServices::now_unix_ms() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t HostServices::declare_metric(std::string_view owner, scanorch_metric_type type, const std::string& name,
                                           const std::string& help, std::vector<std::string> labels,
                                           std::vector<double> buckets) {
    auto reject = [&](const std::string& why) -> std::uint64_t {
        spdlog::warn("[plugin:{}] metric '{}' rejected: {}", owner, name, why);
        return 0;
    };
    if (!prometheus::CheckMetricName(name)) return reject("not a valid Prometheus metric name");
    for (const auto& l : labels) {
        if (!prometheus::CheckLabelName(l)) return reject("label '" + l + "' is not a valid label name");
    }
    if (type != SCANORCH_METRIC_COUNTER && type != SCANORCH_METRIC_GAUGE && type != SCANORCH_METRIC_HISTOGRAM) {
        return reject("unknown metric type " + std::to_string(type));
    }
    if (type == SCANORCH_METRIC_HISTOGRAM && !std::is_sorted(buckets.begin(), buckets.end())) {
        return reject("histogram buckets must be in increasing order");
    }

    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < families_.size(); ++i) {
        const Family& f = *families_[i];
        if (f.name != name) continue;
        if (f.type == type && f.labels == labels && f.buckets == buckets) return i + 1;
        return reject("already declared by '" + f.owner + "' with another type, labels or buckets");
    }
    auto rec = std::make_unique<Family>();
    rec->owner = std::string(owner);
    rec->type = type;
    rec->name = name;
    rec->labels = std::move(labels);
    rec->buckets = std::move(buckets);
    try {
        switch (type) {
            case SCANORCH_METRIC_COUNTER:
                rec->family = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
                break;
            case SCANORCH_METRIC_GAUGE:
                rec->family = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
                break;
            default: rec->family = &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_); break;
        }
    } catch (const std::exception& e) {  // e.g. the host registered this name itself
        return reject(e.what());
    }
    families_.push_back(std::move(rec));
    return families_.size();
}

void HostServices::record_metric(std::uint64_t handle, const std::vector<std::string>& label_values, double value) {
    Family* f = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (handle == 0 || handle > families_.size()) return;
        f = families_[handle - 1].get();  // families are never removed, so f stays valid
    }
    if (label_values.size() != f->labels.size()) return;
    prometheus::Labels labels;
    for (std::size_t i = 0; i < label_values.size(); ++i) labels.emplace(f->labels[i], label_values[i]);
    try {
        std::visit(
            [&](auto* family) {
                using F = std::remove_pointer_t<decltype(family)>;
                if constexpr (std::is_same_v<F, prometheus::Family<prometheus::Counter>>) {
                    if (value >= 0) family->Add(labels).Increment(value);
                } else if constexpr (std::is_same_v<F, prometheus::Family<prometheus::Gauge>>) {
                    family->Add(labels).Set(value);
                } else {
                    family->Add(labels, prometheus::Histogram::BucketBoundaries(f->buckets)).Observe(value);
                }
            },
            f->family);
    } catch (const std::exception& e) {
        spdlog::warn("metric '{}': record failed: {}", f->name, e.what());
    }
}

namespace {

spdlog::level::level_enum to_spdlog(std::uint32_t level) {
    switch (level) {
        case SCANORCH_LOG_TRACE: return spdlog::level::trace;
        case SCANORCH_LOG_DEBUG: return spdlog::level::debug;
        case SCANORCH_LOG_INFO: return spdlog::level::info;
        case SCANORCH_LOG_WARN: return spdlog::level::warn;
        case SCANORCH_LOG_ERROR: return spdlog::level::err;
        case SCANORCH_LOG_CRITICAL: return spdlog::level::critical;
        default: return spdlog::level::off;
    }
}

std::uint32_t from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return SCANORCH_LOG_TRACE;
        case spdlog::level::debug: return SCANORCH_LOG_DEBUG;
        case spdlog::level::info: return SCANORCH_LOG_INFO;
        case spdlog::level::warn: return SCANORCH_LOG_WARN;
        case spdlog::level::err: return SCANORCH_LOG_ERROR;
        case spdlog::level::critical: return SCANORCH_LOG_CRITICAL;
        default: return SCANORCH_LOG_OFF;
    }
}

// The C callbacks. They never throw into the plugin.
void cb_log(void* ctx, std::uint32_t level, const char* msg, std::size_t len) {
    try {
        auto* api = static_cast<HostApi*>(ctx);
        spdlog::log(to_spdlog(level), "[plugin:{}] {}", api->plugin_name(), std::string_view(msg, len));
    } catch (...) {
    }
}

std::uint64_t cb_metric_family(void* ctx, std::uint32_t type, const char* name, const char* help,
                               const char* const* label_names, std::size_t label_count, const double* buckets,
                               std::size_t bucket_count) {
    try {
        auto* api = static_cast<HostApi*>(ctx);
        if (name == nullptr) return 0;
        std::vector<std::string> labels;
        for (std::size_t i = 0; i < label_count; ++i) {
            if (label_names[i] == nullptr) return 0;
            labels.emplace_back(label_names[i]);
        }
        std::vector<double> b(buckets, buckets + (buckets != nullptr ? bucket_count : 0));
        return api->services().declare_metric(api->plugin_name(), static_cast<scanorch_metric_type>(type), name,
                                              help != nullptr ? help : "", std::move(labels), std::move(b));
    } catch (...) {
        return 0;
    }
}

void cb_metric_record(void* ctx, std::uint64_t family, const char* const* label_values, std::size_t label_count,
                      double value) {
    try {
        auto* api = static_cast<HostApi*>(ctx);
        std::vector<std::string> values;
        for (std::size_t i = 0; i < label_count; ++i) values.emplace_back(label_values[i] ? label_values[i] : "");
        api->services().record_metric(family, values, value);
    } catch (...) {
    }
}

std::int64_t cb_now(void* ctx) {
    try {
        return static_cast<HostApi*>(ctx)->services().now_unix_ms();
    } catch (...) {
        return 0;
    }
}

int cb_local_queue_tasks(void* ctx, void (*sink)(void*, const char*, size_t), void* user) {
    try {
        auto tasks = static_cast<HostApi*>(ctx)->services().local_queue_tasks();
        if (!tasks || sink == nullptr) return -1;
        sink(user, tasks->data(), tasks->size());
        return 0;
    } catch (...) {
        return -1;
    }
}

}  // namespace

void HostServices::set_local_queue_tasks(LocalQueueTasks source) {
    std::lock_guard lock(mutex_);
    local_queue_tasks_ = std::move(source);
}

std::optional<std::string> HostServices::local_queue_tasks() const {
    LocalQueueTasks source;
    {
        std::lock_guard lock(mutex_);
        source = local_queue_tasks_;
    }
    if (!source) return std::nullopt;
    return source();
}

HostApi::HostApi(std::shared_ptr<HostServices> services, std::string plugin_name)
    : services_(std::move(services)), plugin_name_(std::move(plugin_name)), data_dir_(services_->data_dir()) {
    table_.struct_size = sizeof(scanorch_host_api);
    table_.host_ctx = this;
    table_.min_log_level = from_spdlog(spdlog::get_level());
    table_.log = &cb_log;
    table_.metric_family = &cb_metric_family;
    table_.metric_record = &cb_metric_record;
    table_.data_dir = data_dir_.c_str();
    table_.now_unix_ms = &cb_now;
    table_.local_queue_tasks = &cb_local_queue_tasks;
}

std::shared_ptr<HostApi> HostApi::make(std::shared_ptr<HostServices> services, std::string plugin_name) {
    return std::shared_ptr<HostApi>(new HostApi(std::move(services), std::move(plugin_name)));
}

}  // namespace scanorch::framework
