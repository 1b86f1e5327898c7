// The http front end's settings and its named API clients.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "http_server.h"
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
    std::vector<std::string> allowed_hosts;    ///< Host names accepted on loopback besides localhost and loopback addresses
    std::uint32_t max_sessions = 1000;
    std::uint32_t max_sessions_per_client = 100;
    std::int64_t session_idle_seconds = 3600;
    bool public_metrics = false;

    bool loopback() const;
};

sdk::Result<HttpConfig> parse_config(const std::string& json);

}  // namespace scanorch::http
