// scanners.yaml: the scanner pool (docs/ADMIN_GUIDE.md "scanners.yaml",
// config/scanners.yaml.example), with `pool`, `zones` and plugin `options`.
//
//   scanners:
//     - instance_id: "nessus_prod_1"
//       scanner_type: "nessus"            # the scanner plugin's name
//       url: "https://nessus1.corp.local:8834"
//       max_concurrent_scans: 2           # default 2
//       credentials:
//         username: "${NESSUS_USERNAME_1}"
//         password: "${NESSUS_PASSWORD_1}"
//       enabled: true                     # default true
//       pool: "prod"                      # default "default"
//       zones: ["192.0.2.0/24"]           # networks it can reach; default: all
//       options: {ca_file: /etc/scanorch/nessus-ca.pem}   # checked against the plugin's fields
//       validator: "nessus-validator"     # default: plugins.validator; "none" = not checked
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/framework/config/yaml_reader.h"

namespace scanorch::framework {

struct ScannerCredentials {
    std::string username;
    std::string password;
    std::string access_key;
    std::string secret_key;
};

struct ScannerConfig {
    std::string instance_id;
    std::string scanner_type;
    std::string url;
    std::uint32_t max_concurrent_scans = 2;
    ScannerCredentials credentials;
    bool enabled = true;
    std::string pool = "default";
    std::vector<std::string> zones;
    YAML::Node options;  ///< raw; validated against the plugin's declared fields when it is created
    /// The validator plugin for this scanner's exports: each scanner type
    /// writes its own format, so a pool of several types needs one per type.
    /// Empty = plugins.validator of scanorch.yaml; "none" = exports unchecked.
    std::string validator;
    int line = 0;  ///< where the entry starts, for messages
};

struct ScannersConfig {
    std::string file;
    std::vector<ScannerConfig> scanners;

    const ScannerConfig* find(const std::string& instance_id) const;
    std::vector<const ScannerConfig*> enabled() const;
};

/// Reads and checks a scanners.yaml; throws ConfigError naming file, line and key.
ScannersConfig load_scanners_config(const std::string& file, const EnvLookup& env = process_env());
/// The same, from text (tests); `file` is used in messages.
ScannersConfig parse_scanners_config(const std::string& text, const std::string& file,
                                     const EnvLookup& env = process_env());

}  // namespace scanorch::framework
