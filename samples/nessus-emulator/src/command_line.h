// nessus-emulator's command line: its options (Poco::Util's OptionSet, Unix
// style: --name VALUE, --name=VALUE, -n VALUE), turned into Options.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "emulator_options.h"

namespace scanorch::emulator {

/// A usage error: the message names what was wrong. The program exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What the command line asked for: the help text, or a server with these options.
struct CommandLine {
    bool help = false;
    Options options;
};

/// Parses the arguments after the program name. Throws UsageError.
CommandLine parse_command_line(const std::vector<std::string>& argv);

/// The --help text.
std::string help_text();

}  // namespace scanorch::emulator
