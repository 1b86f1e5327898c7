// What the host knows about a loaded plugin: copied out of its descriptor at
// load time, so nothing here points into the plugin's library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/abi.h"

namespace scanorch::framework {

struct ConfigFieldInfo {
    std::string name;
    scanorch_config_type type = SCANORCH_CFG_STRING;
    bool required = false;
    std::optional<std::string> default_json;
    std::string description;
};

struct PluginInfo {
    std::string file;  ///< path it was loaded from, or the origin given to add()
    std::string name;
    std::string version;
    std::string description;
    std::string cxx_abi;
    scanorch_plugin_kind kind = SCANORCH_KIND_SCANNER;
    std::uint16_t abi_major = 0;
    std::uint16_t abi_minor = 0;
    std::vector<ConfigFieldInfo> config;
};

/// "scanner", "validator", "queue", "router", "frontend", "store"; "unknown(N)" otherwise.
std::string kind_name(std::uint32_t kind);
std::optional<scanorch_plugin_kind> parse_kind(std::string_view name);
/// "string", "int", "bool", ... for config field types.
std::string_view config_type_name(std::uint32_t type);

}  // namespace scanorch::framework
