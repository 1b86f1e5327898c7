// The services the host offers every plugin instance (logging, metrics,
// clock, data dir), and HostApi: the C table one instance is handed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/abi.h"

namespace prometheus {
class Registry;
}

namespace scanorch::framework {

/// Process-wide: owns the Prometheus registry that plugins declare metric
/// families in. Thread-safe.
class HostServices {
public:
    using Clock = std::function<std::int64_t()>;

    HostServices(std::shared_ptr<prometheus::Registry> registry, std::string data_dir, Clock clock = {});
    ~HostServices();
    HostServices(const HostServices&) = delete;
    HostServices& operator=(const HostServices&) = delete;

    prometheus::Registry& registry() noexcept { return *registry_; }
    const std::shared_ptr<prometheus::Registry>& registry_ptr() const noexcept { return registry_; }
    const std::string& data_dir() const noexcept { return data_dir_; }
    std::int64_t now_unix_ms() const;

    /// Declares a family for `owner` (a plugin name, for messages). Returns a
    /// handle > 0, the same one for an identical re-declaration, or 0 when
    /// rejected (the reason is logged).
    std::uint64_t declare_metric(std::string_view owner, scanorch_metric_type type, const std::string& name,
                                 const std::string& help, std::vector<std::string> labels, std::vector<double> buckets);
    /// Records into a family; wrong handles or label counts are ignored.
    void record_metric(std::uint64_t handle, const std::vector<std::string>& label_values, double value);

    /// What a process-local queue rebuilds itself from (the JSON of
    /// scanorch_host_api::local_queue_tasks); nullopt = none to offer now.
    using LocalQueueTasks = std::function<std::optional<std::string>()>;
    void set_local_queue_tasks(LocalQueueTasks source);
    std::optional<std::string> local_queue_tasks() const;

private:
    struct Family;
    std::shared_ptr<prometheus::Registry> registry_;
    std::string data_dir_;
    Clock clock_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Family>> families_;
    LocalQueueTasks local_queue_tasks_;
};

/// The C table handed to one plugin instance. Kept alive by that instance's
/// deleter, so it stays valid until the plugin's destroy() returns.
class HostApi {
public:
    static std::shared_ptr<HostApi> make(std::shared_ptr<HostServices> services, std::string plugin_name);

    const scanorch_host_api* c_api() const noexcept { return &table_; }
    const std::string& plugin_name() const noexcept { return plugin_name_; }
    HostServices& services() noexcept { return *services_; }

    HostApi(const HostApi&) = delete;
    HostApi& operator=(const HostApi&) = delete;

private:
    HostApi(std::shared_ptr<HostServices> services, std::string plugin_name);

    std::shared_ptr<HostServices> services_;
    std::string plugin_name_;
    std::string data_dir_;
    scanorch_host_api table_{};
};

}  // namespace scanorch::framework
