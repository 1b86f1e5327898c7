// Process logging: spdlog to stdout, as text or as one JSON object a line
// (for log shippers), at a level from config or LOG_LEVEL.
#pragma once

#include <spdlog/common.h>

#include <string>

#include "scanorch/framework/config/host_config.h"

namespace scanorch::framework {

/// "info" -> spdlog::level::info; accepts "warning" for warn.
spdlog::level::level_enum parse_log_level(const std::string& level);

/// Replaces the default logger with a stdout logger in the given format.
void configure_logging(const LogSettings& settings);

}  // namespace scanorch::framework
