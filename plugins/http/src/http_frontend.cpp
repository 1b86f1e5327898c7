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
#include "scanorch/sdk/guard.h"
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
    static constexpr const auto& kConfig = http::kConfigKeys;

    HttpFrontend(http::HttpConfig cfg, sdk::PluginContext ctx) : endpoints_(std::move(cfg), std::move(ctx)) {}
    ~HttpFrontend() override { endpoints_.stop(); }

    static sdk::Result<std::unique_ptr<HttpFrontend>> create(sdk::PluginContext ctx) {
        auto cfg = http::parse_config(ctx.config());
        if (!cfg) return std::move(cfg).error();
        return std::make_unique<HttpFrontend>(std::move(cfg).value(), std::move(ctx));
    }

    sdk::Result<void> start(sdk::ToolService& tools) noexcept override {
        return sdk::guard("start", [&] { return endpoints_.start(tools); });
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
