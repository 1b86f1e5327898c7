// A configuration error: one line naming file, line and key.
#pragma once

#include <stdexcept>
#include <string>

namespace scanorch::framework {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace scanorch::framework
