// The validator's config as the host builds it from the plugin's kConfigKeys:
// the tests run on the declared defaults, not on a copy of them.
#pragma once

#include <gtest/gtest.h>

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
    EXPECT_TRUE(typed) << typed.error().message;
    if (!typed) return {};
    auto parsed = scanorch::nessus_validator::parse_config(*typed);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return parsed ? std::move(parsed).value() : scanorch::nessus_validator::ValidatorConfig{};
}

/// The declared defaults, built once.
inline const scanorch::nessus_validator::ValidatorConfig& defaults() {
    static const auto config = config_from("{}");
    return config;
}
