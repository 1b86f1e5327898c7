// The http front end's settings and its named API clients.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "http_server.h"
#include "scanorch/sdk/config.h"
#include "scanorch/sdk/result.h"

namespace scanorch::http {

/// A named client: its bearer token, and what it may do.
struct Client {
    std::string name;
    std::string token;
    std::vector<std::string> tools;  ///< empty = all
    /// Inside the global scope (the tool layer checks both). Absent in the
    /// config: the global scope. Given but empty (`scope: []`): nothing, as
    /// the one entry targets::kNothingInScope, never "no restriction".
    std::vector<std::string> scope;
    bool scope_nothing = false;              ///< `scope: []`: this client may scan nothing
    std::uint32_t max_concurrent_scans = 0;  ///< 0 = no cap
};

struct HttpConfig {
    ServerOptions server;  ///< where and how connections are served
    std::vector<Client> clients;
    /// Every request but /health and /ready needs a bearer token. True off
    /// loopback, and whenever a client is configured unless
    /// allow_anonymous_loopback says otherwise.
    bool require_auth = false;
    /// With clients configured on loopback: let requests without a token in
    /// (anonymous: no tool list, no client scope, no cap). An explicit,
    /// logged opt-out.
    bool allow_anonymous_loopback = false;
    std::vector<std::string> allowed_origins;  ///< besides http(s)://localhost|127.0.0.1[:port]
    std::vector<std::string>
        allowed_hosts;  ///< Host names accepted on loopback besides localhost and loopback addresses
    std::uint32_t max_sessions = 0;
    std::uint32_t max_sessions_per_client = 0;
    std::int64_t session_idle_seconds = 0;
    bool public_metrics = false;

    bool loopback() const;
};

/// The plugin's config keys, their types and defaults: the one place they
/// are declared (the plugin's kConfig; the fuzzers read it too).
inline constexpr scanorch_config_field kConfigKeys[] = {
    sdk::ConfigKey{.name = "listen",
                   .type = SCANORCH_CFG_STRING,
                   .default_json = "\"127.0.0.1:8836\"",
                   .description = "HOST:PORT to listen on (SCANORCH_LISTEN)"},
    sdk::ConfigKey{.name = "clients",
                   .type = SCANORCH_CFG_OBJECT,
                   .description = "Named API clients: NAME: {token, tools: [...], scope: [...], max_concurrent_scans}"},
    sdk::ConfigKey{
        .name = "require_auth",
        .type = SCANORCH_CFG_BOOL,
        .default_json = "false",
        .description =
            "Require a token on loopback too (always required off loopback, and whenever clients are configured)"},
    sdk::ConfigKey{
        .name = "allow_anonymous_loopback",
        .type = SCANORCH_CFG_BOOL,
        .default_json = "false",
        .description =
            "With clients configured, still let loopback requests without a token in, unrestricted (logged at start)"},
    sdk::ConfigKey{.name = "allowed_origins",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .description = "Origins allowed besides localhost (browser clients; CORS)"},
    sdk::ConfigKey{.name = "allowed_hosts",
                   .type = SCANORCH_CFG_STRING_LIST,
                   .description = "Host header names accepted on loopback besides localhost and loopback addresses"},
    sdk::ConfigKey{.name = "max_body_bytes",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "1048576",
                   .description = "Larger request bodies get 413"},
    sdk::ConfigKey{.name = "request_timeout",
                   .type = SCANORCH_CFG_DURATION,
                   .default_json = "30",
                   .description = "A request stalled this long (headers or body) is dropped"},
    sdk::ConfigKey{.name = "keep_alive_timeout",
                   .type = SCANORCH_CFG_DURATION,
                   .default_json = "5",
                   .description = "An idle keep-alive connection is closed after this long"},
    sdk::ConfigKey{.name = "max_sessions",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "1000",
                   .description = "MCP sessions at once (1 to 1000000)"},
    sdk::ConfigKey{.name = "max_sessions_per_client",
                   .type = SCANORCH_CFG_INT,
                   .description = "MCP sessions one client may hold (default 100, at most max_sessions)"},
    sdk::ConfigKey{.name = "session_idle_timeout",
                   .type = SCANORCH_CFG_DURATION,
                   .default_json = "3600",
                   .description = "An MCP session unused this long ends"},
    sdk::ConfigKey{
        .name = "tls_cert", .type = SCANORCH_CFG_STRING, .description = "Serve HTTPS with this certificate (PEM)"},
    sdk::ConfigKey{.name = "tls_key", .type = SCANORCH_CFG_STRING, .description = "The certificate's key (PEM)"},
    sdk::ConfigKey{
        .name = "threads",
        .type = SCANORCH_CFG_INT,
        .default_json = "16",
        .description =
            "Event loops: each reads, runs and answers its connections' requests (a tool call that waits holds "
            "its loop); a new connection joins the loop with the fewest, and connections sharing one take turns"},
    sdk::ConfigKey{.name = "max_connections",
                   .type = SCANORCH_CFG_INT,
                   .default_json = "1024",
                   .description = "Open connections at once; more are closed on arrival"},
    sdk::ConfigKey{.name = "max_connections_per_address",
                   .type = SCANORCH_CFG_INT,
                   .description = "Open connections from one client address (default 256, at most max_connections)"},
    sdk::ConfigKey{.name = "public_metrics",
                   .type = SCANORCH_CFG_BOOL,
                   .default_json = "false",
                   .description = "Serve /metrics without a token"},
};

/// Checks the values the host read from the YAML (defaults from kConfig)
/// and the inside of `clients`; errors name the key.
sdk::Result<HttpConfig> parse_config(const sdk::Config& config);

}  // namespace scanorch::http
