#include "scanorch/framework/service/scanner_validators.h"

#include "scanorch/framework/config/plugin_config.h"

namespace scanorch::framework {

ScannerValidators::ScannerValidators(Host& host, std::shared_ptr<sdk::Validator> slot_validator)
    : host_(host), slot_{std::move(slot_validator), host.abi_minor_of("validator")} {}

ScannerValidators::Choice ScannerValidators::of(const ScannerConfig& s) {
    if (s.validator.empty()) return slot_;
    if (s.validator == "none") return {};
    const PluginSlot* slot = host_.config().slot("validator");
    if (slot != nullptr && slot->use == s.validator) return slot_;
    if (auto it = named_.find(s.validator); it != named_.end()) return it->second;

    const std::string where =
        host_.scanners().file + ":" + std::to_string(s.line) + ": scanner '" + s.instance_id + "' validator";
    const PluginInfo* info = host_.loader().find(s.validator);
    if (info == nullptr) {
        throw HostError(where + ": plugin '" + s.validator + "' is not in " + host_.config().plugin_dir);
    }
    PluginSlot own;  // no config of its own: the plugin's declared defaults
    own.use = s.validator;
    own.path = "scanners.validator";
    auto made = host_.loader().instantiate<sdk::Validator>(
        info->name, slot_plugin_config(host_.config(), own, *info).json, HostApi::make(host_.services(), info->name));
    if (!made) throw HostError(where + ": " + made.error().message);
    return named_[s.validator] = {std::move(made).value(), info->abi_minor};
}

}  // namespace scanorch::framework
