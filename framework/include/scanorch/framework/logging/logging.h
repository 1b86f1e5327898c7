// Process logging: spdlog to stdout, as text or as one JSON object a line
// (for log shippers), at a level from config or LOG_LEVEL.
#pragma once

// spdlog's own forward declarations: the signatures below name its level
// and formatter types, and configure_logging() callers need no more.
#include <spdlog/fwd.h>

#include <memory>
#include <string>

#include "scanorch/framework/config/host_config.h"

namespace scanorch::framework {

/// "info" -> spdlog::level::info; accepts "warning" for warn.
spdlog::level::level_enum parse_log_level(const std::string& level);

/// The line format of "text" or "json": the message is escaped for it (no
/// control character reaches the output raw, so no message makes two lines).
std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format);

/// Replaces the default logger with a stdout logger in the given format.
void configure_logging(const LogSettings& settings);

}  // namespace scanorch::framework
