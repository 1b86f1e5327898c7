// Loads plugin shared objects (Boost.DLL), checks their descriptors, and
// makes instances whose lifetime keeps the library mapped.
//
// Every refusal is a one-line Error naming the file, the plugin (when known)
// and both sides' values, e.g.
//   plugin /x/libscanorch-foo.so: plugin 'foo' was built for SDK ABI 2.0, this scanorchd provides 1.0 (major differs);
//   rebuild it against scanorch-sdk 1.x
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/plugin_info.h"
#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"

namespace scanorch::framework {

/// Given a plugin's own message refusing its config, the same message with
/// the file and line of the key it names, or nullopt when it names none.
using ConfigErrorLocator = std::function<std::optional<std::string>(std::string_view)>;

class PluginLoader {
public:
    PluginLoader();
    ~PluginLoader();
    PluginLoader(const PluginLoader&) = delete;
    PluginLoader& operator=(const PluginLoader&) = delete;

    /// Loads one shared object and registers its plugin.
    sdk::Result<const PluginInfo*> load_file(const std::filesystem::path& file);

    /// Registers a descriptor directly (tests, statically linked plugins).
    /// `keepalive` is held by every instance made from it.
    sdk::Result<const PluginInfo*> add(const scanorch_plugin_descriptor* descriptor, std::string origin,
                                       std::shared_ptr<const void> keepalive = {});

    struct DirectoryReport {
        std::vector<const PluginInfo*> loaded;
        std::vector<std::string> errors;  ///< one line each
    };
    /// Loads every `*.so` in `dir` (sorted by name). A missing directory is
    /// one error.
    DirectoryReport load_directory(const std::filesystem::path& dir);

    const PluginInfo* find(std::string_view name) const;
    std::vector<const PluginInfo*> plugins() const;

    /// Creates an instance of plugin `name`, which must be of Iface's kind.
    /// The returned pointer's deleter holds the library and the host table
    /// and calls the plugin's destroy(); it may outlive this loader.
    template <class Iface>
    sdk::Result<std::shared_ptr<Iface>> instantiate(std::string_view name, const std::string& config_json,
                                                    const std::shared_ptr<HostApi>& host,
                                                    const ConfigErrorLocator& locate = {}) const {
        auto raw = instantiate_raw(name, Iface::kind, config_json, host, locate);
        if (!raw) return std::move(raw).error();
        std::shared_ptr<void> owner = std::move(raw).value();
        Iface* typed = static_cast<Iface*>(owner.get());
        return std::shared_ptr<Iface>(std::move(owner), typed);
    }

private:
    struct Entry;
    sdk::Result<std::shared_ptr<void>> instantiate_raw(std::string_view name, scanorch_plugin_kind expected,
                                                       const std::string& config_json,
                                                       const std::shared_ptr<HostApi>& host,
                                                       const ConfigErrorLocator& locate) const;
    sdk::Result<const PluginInfo*> register_descriptor(const scanorch_plugin_descriptor* descriptor, std::string origin,
                                                       std::shared_ptr<const void> keepalive);

    std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace scanorch::framework
