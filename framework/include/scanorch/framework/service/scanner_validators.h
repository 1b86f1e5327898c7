// Which validator checks each scanner's exports. Each scanner type exports
// its own format (.nessus, nmap XML, ...), so a pool that mixes types names
// a validator per scanner (scanners.yaml `validator:`); a scanner that names
// none keeps plugins.validator of scanorch.yaml.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "scanorch/framework/host/host.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

class ScannerValidators {
public:
    struct Choice {
        std::shared_ptr<sdk::Validator> validator;  ///< nullptr: exports unchecked, findings not indexed
        std::uint32_t abi_minor = 0;                ///< what extension ids the host may ask it for
    };

    /// `slot_validator`: the instance plugins.validator configures (may be null).
    ScannerValidators(Host& host, std::shared_ptr<sdk::Validator> slot_validator);

    /// The validator of one scanner. A plugin named by scanners is made once,
    /// with its declared defaults (with plugins.validator.config when it is
    /// that slot's plugin, which is then shared). Throws HostError naming the
    /// file, line and scanner when the plugin is not loaded or not a validator.
    Choice of(const ScannerConfig& scanner);

private:
    Host& host_;
    Choice slot_;
    std::map<std::string, Choice> named_;
};

}  // namespace scanorch::framework
