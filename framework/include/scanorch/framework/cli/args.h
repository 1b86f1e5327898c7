// Command-line parsing on Poco::Util's option processor (Unix style:
// --name VALUE, --name=VALUE, -n VALUE), with positional arguments kept in
// order, for scanorchd's modes and scanorchctl's subcommands.
#pragma once

#include <Poco/Util/OptionSet.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scanorch::framework::cli {

/// Exit codes of scanorchd and scanorchctl.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  ///< also: scanorchctl validate found the file invalid
constexpr int kExitUsage = 2;

/// A usage error: the message names what was wrong. Programs exit 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Args {
    std::map<std::string, std::vector<std::string>> options;  ///< full option name -> values
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::optional<std::string> get(const std::string& name) const;
};

/// Parses `argv` against `options`; stops treating words as options after "--".
Args parse(const Poco::Util::OptionSet& options, const std::vector<std::string>& argv);

/// Help text: usage line, description, options table, footer.
std::string help(const Poco::Util::OptionSet& options, const std::string& command, const std::string& usage,
                 const std::string& description, const std::string& footer = "");

/// The --config option both programs take.
Poco::Util::Option config_option();

/// Shorthand to build an option.
Poco::Util::Option option(const std::string& full, const std::string& short_name, const std::string& description,
                          const std::string& argument = "");

}  // namespace scanorch::framework::cli
