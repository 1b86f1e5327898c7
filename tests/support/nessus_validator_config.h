// The nessus-validator's config as the host builds it from the plugin's
// kConfigKeys: tests run on the declared defaults, not on a copy of them
// (ValidatorConfig has no other public way to be made).
#pragma once

#include <stdexcept>
#include <string>

#include "scanorch/framework/plugins/config_values.h"
#include "validator_config.h"

/// kConfigKeys with the given values over the defaults, read by parse_config.
inline scanorch::nessus_validator::ValidatorConfig config_from(const std::string& json) {
    scanorch::framework::PluginInfo info;
    info.name = "nessus-validator";
    info.kind = SCANORCH_KIND_VALIDATOR;
    info.config = scanorch::framework::ConfigValues::fields(scanorch::nessus_validator::kConfigKeys);
    auto typed = scanorch::framework::ConfigValues::config(info, json);
    if (!typed) throw std::runtime_error("validator config " + json + ": " + typed.error().message);
    auto parsed = scanorch::nessus_validator::parse_config(*typed);
    if (!parsed) throw std::runtime_error("validator config " + json + ": " + parsed.error().message);
    return std::move(parsed).value();
}

/// The declared defaults, built once.
inline const scanorch::nessus_validator::ValidatorConfig& defaults() {
    static const auto config = config_from("{}");
    return config;
}
