// The http front end's settings and its named API clients.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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
    std::string host = "127.0.0.1";
    std::uint16_t port = 8836;
    std::vector<Client> clients;
    bool require_auth = false;  ///< always true off loopback
    std::vector<std::string> allowed_origins;  ///< besides http(s)://localhost|127.0.0.1[:port]
    std::uint64_t max_body_bytes = 1 << 20;
    std::int64_t request_timeout_seconds = 30;     ///< a stalled read or write drops the connection
    std::int64_t keep_alive_timeout_seconds = 5;   ///< an idle keep-alive connection is closed
    std::uint32_t max_sessions = 1000;
    std::int64_t session_idle_seconds = 3600;
    std::string tls_cert, tls_key;
    std::uint32_t threads = 8;                   ///< run requests; connections are not tied to threads
    std::size_t max_connections = 1024;
    bool public_metrics = false;

    bool loopback() const;
};

sdk::Result<HttpConfig> parse_config(const std::string& json);

}  // namespace scanorch::http
