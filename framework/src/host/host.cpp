#include "scanorch/framework/host/host.h"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "scanorch/framework/config/plugin_config.h"

namespace scanorch::framework {

std::string Host::default_plugin_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto dir = (exe.parent_path() / ".." / "lib" / "scanorch" / "plugins").lexically_normal();
        if (std::filesystem::is_directory(dir, ec)) return dir.string();
    }
    return SCANORCH_DEFAULT_PLUGIN_DIR;  // the install prefix's, set by CMake
}

std::optional<std::string> Host::find_config_file(const std::optional<std::string>& explicit_file) {
    if (explicit_file) return explicit_file;
    if (const char* env = std::getenv("SCANORCH_CONFIG"); env != nullptr && *env != '\0') return std::string(env);
    std::error_code ec;
    if (std::filesystem::exists("/etc/scanorch/scanorch.yaml", ec)) return std::string("/etc/scanorch/scanorch.yaml");
    return std::nullopt;
}

HostConfig Host::read_config(const std::optional<std::string>& explicit_file) {
    HostConfigDefaults defaults;
    defaults.plugin_dir = default_plugin_dir();
    return load_host_config(find_config_file(explicit_file), defaults);
}

Host::Host(HostConfig config)
    : config_(std::move(config)),
      services_(std::make_shared<HostServices>(std::make_shared<prometheus::Registry>(), config_.data_dir)),
      loader_(std::make_unique<PluginLoader>()) {}

Host::~Host() = default;

std::vector<std::string> Host::load_plugins() {
    auto report = loader_->load_directory(config_.plugin_dir);
    for (const auto* p : report.loaded) {
        spdlog::debug("loaded {} plugin '{}' {} from {}", kind_name(p->kind), p->name, p->version, p->file);
    }
    for (const auto& e : report.errors) spdlog::error("{}", e);
    return report.errors;
}

const ScannersConfig& Host::scanners() {
    if (!scanners_) scanners_ = load_scanners_config(config_.scanners_file);
    return *scanners_;
}

const PluginInfo& Host::require(const std::string& name, const std::string& where) const {
    if (const PluginInfo* p = loader_->find(name)) return *p;
    std::string loaded;
    for (const auto* p : loader_->plugins()) loaded += (loaded.empty() ? "" : ", ") + p->name;
    throw HostError((config_.file.empty() ? std::string("config") : config_.file) + ": " + where + ": plugin '" + name +
                    "' is not in " + config_.plugin_dir + " (loaded: " + (loaded.empty() ? "none" : loaded) + ")");
}

std::string Host::slot_config_json(const PluginSlot& slot, const PluginInfo& info) const {
    const auto cfg = slot_plugin_config(config_, slot, info);
    spdlog::debug("plugin '{}' config: {}", info.name, cfg.redacted);
    return cfg.json;
}

std::uint32_t Host::abi_minor_of(const std::string& kind) const {
    const PluginSlot* slot = config_.slot(kind);
    const PluginInfo* info = slot ? loader_->find(slot->use) : nullptr;
    return info ? info->abi_minor : 0;
}

ConfigErrorLocator Host::config_locator(const PluginSlot& slot) const {
    return [file = config_.file, config = slot.config, path = slot.path + ".config",
            overrides = slot.overrides](std::string_view message) -> std::optional<std::string> {
        // A value the environment set is not the one written in the file.
        const auto first = message.substr(0, message.find_first_of(".[: "));
        if (overrides.count(std::string(first))) return std::nullopt;
        return locate_config_error(file, config, path, message);
    };
}

std::uint32_t Host::plugin_abi_minor(const std::string& plugin) const {
    const PluginInfo* info = loader_->find(plugin);
    return info ? info->abi_minor : 0;
}

std::shared_ptr<sdk::Scanner> Host::make_scanner(const ScannerConfig& scanner) {
    const ScannersConfig& all = scanners();
    const PluginInfo& info = require(scanner.scanner_type, all.file + ":" + std::to_string(scanner.line) +
                                                               ": scanner '" + scanner.instance_id + "' scanner_type");
    const auto cfg = scanner_plugin_config(all, scanner, info);
    spdlog::debug("scanner '{}' config: {}", scanner.instance_id, cfg.redacted);
    auto made = loader_->instantiate<sdk::Scanner>(info.name, cfg.json,
                                                   HostApi::make(services_, info.name + ":" + scanner.instance_id));
    if (!made) throw HostError("scanner '" + scanner.instance_id + "': " + made.error().message);
    return std::move(made).value();
}

}  // namespace scanorch::framework
