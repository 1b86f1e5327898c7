// The host as the programs use it: the resolved configuration, the loaded
// plugins, and instances of the configured ones, each made with its config
// checked against the plugin's declared fields.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/scanner.h"

namespace scanorch::framework {

/// A start-up failure; the message is one line for the operator.
class HostError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Host {
public:
    /// Where plugins are by default: <dir of the executable>/../lib/scanorch/plugins
    /// (true both in the build tree and when installed).
    static std::string default_plugin_dir();

    /// The config file to read: `explicit_file`, else $SCANORCH_CONFIG, else
    /// /etc/scanorch/scanorch.yaml when it exists, else none (built-in defaults).
    static std::optional<std::string> find_config_file(const std::optional<std::string>& explicit_file);

    /// Reads scanorch.yaml (and the environment). Throws ConfigError.
    static HostConfig read_config(const std::optional<std::string>& explicit_file);

    explicit Host(HostConfig config);
    ~Host();

    const HostConfig& config() const noexcept { return config_; }
    PluginLoader& loader() noexcept { return *loader_; }
    const std::shared_ptr<HostServices>& services() const noexcept { return services_; }

    /// Loads every plugin in plugin_dir; refused files are logged as errors
    /// and returned.
    std::vector<std::string> load_plugins();

    /// Reads scanners.yaml (once). Throws ConfigError.
    const ScannersConfig& scanners();

    /// An instance of the plugin configured for Iface's kind (plugins.<kind>);
    /// nullptr when none is configured. Throws HostError / ConfigError.
    template <class Iface>
    std::shared_ptr<Iface> make_configured(const std::string& kind) {
        const PluginSlot* slot = config_.slot(kind);
        if (slot == nullptr) return nullptr;
        const PluginInfo& info = require(slot->use, slot->path + ".use");
        auto made = loader_->template instantiate<Iface>(info.name, slot_config_json(*slot, info),
                                                         HostApi::make(services_, info.name), config_locator(*slot));
        if (!made) throw HostError(made.error().message);
        return std::move(made).value();
    }

    /// The SDK ABI minor the plugin configured for `kind` was built for (0
    /// when none is configured): what extension ids the host may ask it for.
    std::uint32_t abi_minor_of(const std::string& kind) const;
    /// The ABI minor a loaded plugin was built for, by name; 0 when not loaded.
    std::uint32_t plugin_abi_minor(const std::string& plugin) const;

    /// The scanner plugin instance for one scanners.yaml entry.
    std::shared_ptr<sdk::Scanner> make_scanner(const ScannerConfig& scanner);

private:
    const PluginInfo& require(const std::string& name, const std::string& where) const;
    std::string slot_config_json(const PluginSlot& slot, const PluginInfo& info) const;
    ConfigErrorLocator config_locator(const PluginSlot& slot) const;

    HostConfig config_;
    std::shared_ptr<HostServices> services_;
    std::unique_ptr<PluginLoader> loader_;
    std::optional<ScannersConfig> scanners_;
};

}  // namespace scanorch::framework
