// libFuzzer target: the config reader (YAML, environment substitution, the
// host config's checks), a plugin's config as the host builds it, and the
// http front end's own checks of that config. Bad input must end in a
// ConfigError or an invalid_input error, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http_config.h"
#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/config/host_config.h"
#include "scanorch/framework/config/plugin_config.h"
#include "scanorch/framework/config/scanners_config.h"
#include "scanorch/framework/plugins/config_values.h"
#include "scanorch/sdk/targets.h"

namespace sf = scanorch::framework;

namespace {

// The http plugin's declared options (its kConfig), as the host sees them.
sf::PluginInfo http_like() {
    sf::PluginInfo p;
    p.name = "http";
    p.kind = SCANORCH_KIND_FRONTEND;
    p.config = sf::ConfigValues::fields(scanorch::http::kConfigKeys);
    return p;
}

std::optional<std::string> env(const std::string& name) {
    if (name == "SCANORCH_FUZZ") return std::string("192.0.2.0/24");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const sf::PluginInfo http = http_like();
    sf::HostConfigDefaults defaults;
    defaults.plugin_dir = "/nonexistent";
    try {
        const auto host = sf::parse_host_config(text, "fuzz.yaml", defaults, env);
        if (const sf::PluginSlot* slot = host.slot("frontend")) {
            const sf::YamlReader r("fuzz.yaml", env);
            const auto cfg = sf::build_plugin_config(r, slot->config, slot->path + ".config", http);
            const auto typed = sf::ConfigValues::config(http, cfg.json);
            if (!typed) std::abort();  // what the config reader built always has the declared types
            const auto parsed = scanorch::http::parse_config(*typed);
            if (parsed) {
                for (const auto& c : parsed->clients) {
                    // A client scope that parsed is never an empty list standing for "everything" by accident.
                    if (c.scope_nothing != scanorch::sdk::targets::is_nothing_scope(c.scope)) std::abort();
                    if (!scanorch::sdk::targets::parse_scope(c.scope).errors.empty()) std::abort();
                }
                if (parsed->max_sessions_per_client > parsed->max_sessions) std::abort();
                if (parsed->server.max_connections_per_address > parsed->server.max_connections) std::abort();
            }
        }
    } catch (const sf::ConfigError&) {
    }
    try {
        (void)sf::parse_scanners_config(text, "scanners.yaml", env);
    } catch (const sf::ConfigError&) {
    }
    return 0;
}
