// One scanner's settings, from the JSON the host builds out of its
// scanners.yaml entry: {instance_id, url, credentials{...}, options{...}}.
#pragma once

#include <cstdint>
#include <string>

#include "scanorch/sdk/config.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nessus {

struct NessusConfig {
    std::string instance_id;
    std::string scheme;  ///< "https" or "http" (loopback only)
    std::string host;
    std::uint16_t port = 8834;
    std::string base_path;               ///< "" or "/nessus" behind a proxy
    std::string username, password;      ///< session login ...
    std::string access_key, secret_key;  ///< ... or API keys (preferred when both are set)
    // options: their defaults live in the plugin's kConfig table only
    std::string ca_file;
    bool verify_tls = true;
    std::int64_t timeout_seconds = 0;
    std::int64_t export_timeout_seconds = 0;
    std::int64_t export_poll_ms = 0;
    std::int64_t keep_alive_seconds = 0;  ///< how long an idle connection is kept; 0 = one per request
    std::int64_t max_idle_connections = 0;
    std::string untrusted_template;
    std::string trusted_template;
    std::int64_t folder_id = 0;  ///< 0 = the server's default folder

    bool uses_api_keys() const { return !access_key.empty(); }
    std::string url() const;  ///< for messages
};

/// Parses and checks the config; errors name the scanner and the key.
/// (`config` is what the host built from scanners.yaml: instance_id, url,
/// credentials.* and the declared options with their defaults.)
sdk::Result<NessusConfig> parse_config(const sdk::Config& config);

}  // namespace scanorch::nessus
