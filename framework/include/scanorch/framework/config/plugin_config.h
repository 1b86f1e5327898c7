// Turns a plugin's YAML config into the JSON it receives, checked against the
// fields the plugin declared (unknown key, wrong type, missing required key:
// each an error naming file, line and key), with declared defaults applied.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "scanorch/framework/config/host_config.h"
#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/config/yaml_reader.h"
#include "scanorch/framework/plugins/plugin_info.h"

namespace scanorch::framework {

struct PluginConfigJson {
    std::string json;      ///< what the plugin gets
    std::string redacted;  ///< the same with secret fields as "***", for logs
};

/// `config` may be undefined or null (no config given). `overrides` come
/// from the environment and apply only to keys the plugin declares.
PluginConfigJson build_plugin_config(const YamlReader& reader, const YAML::Node& config, std::string_view path,
                                     const PluginInfo& plugin,
                                     const std::map<std::string, std::string>& overrides = {});

/// Plugins start a config error with the key's path (`clients.soc.scope[1]:
/// ...` or `clients.soc.token must ...`; docs/SDK_RULES.md). When that path
/// is in `config`, returns the message with the file and line of the key and
/// the path of `config` itself in front:
/// `scanorch.yaml:12: plugins.frontend.config.clients.soc.scope[1]: ...`.
std::optional<std::string> locate_config_error(const std::string& file, const YAML::Node& config,
                                               std::string_view config_path, std::string_view message);

/// The config of a host slot (plugins.<kind>) in scanorch.yaml.
PluginConfigJson slot_plugin_config(const HostConfig& host, const PluginSlot& slot, const PluginInfo& plugin,
                                    const EnvLookup& env = process_env());

/// A scanner plugin's config for one scanners.yaml entry:
/// {"instance_id", "url", "credentials": {...}, "options": {...}}, where
/// options are checked against the plugin's declared fields.
PluginConfigJson scanner_plugin_config(const ScannersConfig& scanners, const ScannerConfig& scanner,
                                       const PluginInfo& plugin, const EnvLookup& env = process_env());

}  // namespace scanorch::framework
