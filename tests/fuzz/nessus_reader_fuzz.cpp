// libFuzzer target: the .nessus reader and the authentication classifier on
// arbitrary bytes. Any crash, sanitizer report, leak or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "auth_classifier.h"
#include "nessus_reader.h"
#include "nessus_validator_config.h"  // tests/support: the plugin's declared defaults, read as scanorchd reads them

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& config = defaults();
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    const auto outcome = scanorch::nessus_validator::read_report(in, config);
    std::vector<scanorch::nessus_validator::HostVerdict> verdicts;
    for (const auto& host : outcome.facts.hosts) verdicts.push_back(classify_host(host, config));
    (void)scanorch::nessus_validator::aggregate(verdicts);
    (void)scanorch::nessus_validator::parse_credentialed_checks(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}
