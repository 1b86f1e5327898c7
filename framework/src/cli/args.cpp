#include "scanorch/framework/cli/args.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

#include <sstream>

namespace scanorch::framework::cli {

std::optional<std::string> Args::get(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

Args parse(const Poco::Util::OptionSet& options, const std::vector<std::string>& argv) {
    Args out;
    Poco::Util::OptionProcessor processor(options);
    processor.setUnixStyle(true);
    bool only_positional = false;
    for (const auto& arg : argv) {
        if (only_positional) {
            out.positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positional = true;
            continue;
        }
        std::string name, value;
        try {
            if (processor.process(arg, name, value)) {
                if (!name.empty()) out.options[name].push_back(value);
                continue;
            }
        } catch (const Poco::Util::OptionException& e) {
            throw UsageError(e.displayText());
        }
        if (arg.size() > 1 && arg[0] == '-') throw UsageError("unknown option '" + arg + "'");
        out.positional.push_back(arg);
    }
    try {
        processor.checkRequired();
    } catch (const Poco::Util::OptionException& e) {
        throw UsageError(e.displayText());
    }
    return out;
}

std::string help(const Poco::Util::OptionSet& options, const std::string& command, const std::string& usage,
                 const std::string& description, const std::string& footer) {
    std::ostringstream out;
    Poco::Util::HelpFormatter f(options);
    f.setUnixStyle(true);
    f.setCommand(command);
    f.setUsage(usage);
    f.setHeader(description);
    f.setFooter(footer);
    f.setWidth(100);
    f.format(out);
    return out.str();
}

Poco::Util::Option config_option() {
    return option("config", "c", "scanorch.yaml to read (default: $SCANORCH_CONFIG, then /etc/scanorch/scanorch.yaml)",
                  "FILE");
}

Poco::Util::Option option(const std::string& full, const std::string& short_name, const std::string& description,
                          const std::string& argument) {
    Poco::Util::Option o(full, short_name, description, false);
    o.repeatable(true);
    if (!argument.empty()) o.argument(argument, true);
    return o;
}

}  // namespace scanorch::framework::cli
