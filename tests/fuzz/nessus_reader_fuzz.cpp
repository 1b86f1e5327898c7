// libFuzzer target: the .nessus reader and the authentication classifier on
// arbitrary bytes. Any crash, sanitizer report, leak or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "auth_classifier.h"
#include "nessus_reader.h"
#include "scanorch/framework/plugins/config_values.h"
#include "validator_config.h"

namespace {

// The plugin's declared defaults, read as scanorchd reads them.
scanorch::nessus_validator::ValidatorConfig default_config() {
    scanorch::framework::PluginInfo info;
    info.name = "nessus-validator";
    info.kind = SCANORCH_KIND_VALIDATOR;
    info.config = scanorch::framework::ConfigValues::fields(scanorch::nessus_validator::kConfigKeys);
    auto typed = scanorch::framework::ConfigValues::config(info, "{}");
    if (!typed) std::abort();
    auto parsed = scanorch::nessus_validator::parse_config(*typed);
    if (!parsed) std::abort();
    return std::move(parsed).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const scanorch::nessus_validator::ValidatorConfig config = default_config();
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    const auto outcome = scanorch::nessus_validator::read_report(in, config);
    std::vector<scanorch::nessus_validator::HostVerdict> verdicts;
    for (const auto& host : outcome.facts.hosts) verdicts.push_back(classify_host(host, config));
    (void)scanorch::nessus_validator::aggregate(verdicts);
    (void)scanorch::nessus_validator::parse_credentialed_checks(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}
