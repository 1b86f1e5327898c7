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
    std::vector<std::string> tools;       ///< empty = all
    std::vector<std::string> scope;       ///< inside the global scope; empty = the global scope
    std::uint32_t max_concurrent_scans = 0;  ///< 0 = no cap
};

struct HttpConfig {
    ServerOptions server;  ///< where and how connections are served
    std::vector<Client> clients;
    bool require_auth = false;  ///< always true off loopback
    std::vector<std::string> allowed_origins;  ///< besides http(s)://localhost|127.0.0.1[:port]
    std::uint32_t max_sessions = 1000;
    std::int64_t session_idle_seconds = 3600;
    bool public_metrics = false;

    bool loopback() const;
};

sdk::Result<HttpConfig> parse_config(const std::string& json);

}  // namespace scanorch::http
