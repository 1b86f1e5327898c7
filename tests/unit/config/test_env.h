// An environment for config tests, so they never depend on the process's.
#pragma once

#include <map>
#include <string>

#include "scanorch/framework/config/yaml_reader.h"

inline scanorch::framework::EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// Runs `body`, expecting a ConfigError whose message equals `expected`.
#define EXPECT_CONFIG_ERROR(body, expected)                          \
    do {                                                             \
        try {                                                        \
            body;                                                    \
            ADD_FAILURE() << "no error; expected: " << (expected);   \
        } catch (const scanorch::framework::ConfigError& e) {        \
            EXPECT_EQ(std::string(e.what()), std::string(expected)); \
        }                                                            \
    } while (0)
