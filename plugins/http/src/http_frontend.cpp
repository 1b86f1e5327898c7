// The `http` front end plugin: MCP over Streamable HTTP at /mcp, the same
// tools as REST under /tools, Prometheus /metrics, /health and /ready.
// Listens on loopback unless told otherwise; off loopback, and whenever
// clients are configured, every request needs a bearer token (a named client
// with its own tool list, target scope and scan cap). Origin is checked
// against an allow-list and Host on loopback (DNS rebinding); bodies are
// capped; TLS is optional. Connections, timeouts and TLS are
// http_server.cpp's, the routes http_endpoints.cpp's; this file is the plugin.
#include <memory>

#include "http_config.h"
#include "http_endpoints.h"
#include "scanorch/sdk/frontend.h"
#include "scanorch/sdk/plugin.h"

namespace {

namespace sdk = scanorch::sdk;
namespace http = scanorch::http;

class HttpFrontend final : public sdk::Frontend {
public:
    using interface_type = sdk::Frontend;
    static constexpr const char* kName = "http";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "MCP (Streamable HTTP), REST tools, /metrics, /health and /ready";
    static constexpr scanorch_config_field kConfig[] = {
        {"listen", SCANORCH_CFG_STRING, 0, "\"127.0.0.1:8836\"", "HOST:PORT to listen on (SCANORCH_LISTEN)"},
        {"clients", SCANORCH_CFG_OBJECT, 0, nullptr,
         "Named API clients: NAME: {token, tools: [...], scope: [...], max_concurrent_scans}"},
        {"require_auth", SCANORCH_CFG_BOOL, 0, "false",
         "Require a token on loopback too (always required off loopback, and whenever clients are configured)"},
        {"allow_anonymous_loopback", SCANORCH_CFG_BOOL, 0, "false",
         "With clients configured, still let loopback requests without a token in, unrestricted (logged at start)"},
        {"allowed_origins", SCANORCH_CFG_STRING_LIST, 0, nullptr, "Origins allowed besides localhost (browser clients; CORS)"},
        {"allowed_hosts", SCANORCH_CFG_STRING_LIST, 0, nullptr,
         "Host header names accepted on loopback besides localhost and loopback addresses"},
        {"max_body_bytes", SCANORCH_CFG_INT, 0, "1048576", "Larger request bodies get 413"},
        {"request_timeout", SCANORCH_CFG_DURATION, 0, "30", "A request stalled this long (headers or body) is dropped"},
        {"keep_alive_timeout", SCANORCH_CFG_DURATION, 0, "5", "An idle keep-alive connection is closed after this long"},
        {"max_sessions", SCANORCH_CFG_INT, 0, "1000", "MCP sessions at once (1 to 1000000)"},
        {"max_sessions_per_client", SCANORCH_CFG_INT, 0, nullptr, "MCP sessions one client may hold (default 100, at most max_sessions)"},
        {"session_idle_timeout", SCANORCH_CFG_DURATION, 0, "3600", "An MCP session unused this long ends"},
        {"tls_cert", SCANORCH_CFG_STRING, 0, nullptr, "Serve HTTPS with this certificate (PEM)"},
        {"tls_key", SCANORCH_CFG_STRING, 0, nullptr, "The certificate's key (PEM)"},
        {"threads", SCANORCH_CFG_INT, 0, "8", "Threads that run requests (a tool call that waits holds one); connections are not tied to threads"},
        {"max_connections", SCANORCH_CFG_INT, 0, "1024", "Open connections at once; more are closed on arrival"},
        {"max_connections_per_address", SCANORCH_CFG_INT, 0, nullptr,
         "Open connections from one client address (default 256, at most max_connections)"},
        {"public_metrics", SCANORCH_CFG_BOOL, 0, "false", "Serve /metrics without a token"},
    };

    HttpFrontend(http::HttpConfig cfg, sdk::PluginContext ctx) : endpoints_(std::move(cfg), std::move(ctx)) {}
    ~HttpFrontend() override { endpoints_.stop(); }

    static sdk::Result<std::unique_ptr<HttpFrontend>> create(sdk::PluginContext ctx) {
        auto cfg = http::parse_config(ctx.config_json());
        if (!cfg) return std::move(cfg).error();
        return std::make_unique<HttpFrontend>(std::move(cfg).value(), std::move(ctx));
    }

    sdk::Result<void> start(sdk::ToolService& tools) noexcept override {
        try {
            return endpoints_.start(tools);
        } catch (const std::exception& e) {
            return sdk::Error::internal(e.what());
        }
    }
    void stop() noexcept override {
        try {
            endpoints_.stop();
        } catch (...) {
        }
    }
    std::string endpoint() const noexcept override { return endpoints_.endpoint(); }

private:
    http::Endpoints endpoints_;
};

}  // namespace

SCANORCH_PLUGIN(HttpFrontend)
