// libFuzzer target: raw bytes as one connection's worth of HTTP requests,
// through the http front end's parser limits, header check, routing, MCP
// JSON-RPC dispatch and REST, in front of a small in-memory tool service.
// Any crash, sanitizer report, leak or hang is a bug; so is a reply that
// breaks the front end's promises (checked below).
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http_config.h"
#include "http_endpoints.h"
#include "http_server.h"
#include "scanorch/framework/plugins/config_values.h"
#include "scanorch/sdk/targets.h"

namespace {

namespace sdk = scanorch::sdk;
namespace http = scanorch::http;

// Three tools with real schemas: one takes targets (and checks them against
// a fixed scope, the client's scope too), one reads a task, one lists.
class MemoryTools final : public sdk::ToolService {
public:
    std::vector<sdk::ToolInfo> tools() const noexcept override {
        return {
            {"run_untrusted_scan", "Run", "scan",
             R"({"type":"object","properties":{"targets":{"type":"string"},"name":{"type":"string"}},"required":["targets","name"]})",
             R"({"type":"object"})", false, false, false, true},
            {"get_scan_status", "Status", "status", R"({"type":"object","properties":{"task_id":{"type":"string"}}})",
             R"({"type":"object"})", true, false, true, false},
            {"list_scanners", "List", "list", R"({"type":"object"})", R"({"type":"object"})", true, false, true,
             false}};
    }
    sdk::Result<std::string> call(std::string_view tool, std::string_view arguments_json,
                                  const sdk::CallContext& context) noexcept override {
        try {
            const auto args =
                Poco::JSON::Parser().parse(std::string(arguments_json)).extract<Poco::JSON::Object::Ptr>();
            if (!args) return sdk::Error::invalid_input("arguments must be a JSON object");
            if (tool == "list_scanners") return std::string(R"({"scanners":[]})");
            if (tool == "get_scan_status") {
                if (!args->has("task_id") || !args->get("task_id").isString())
                    return sdk::Error::invalid_input("task_id");
                return sdk::Error::not_found("no such task");
            }
            if (tool != "run_untrusted_scan") return sdk::Error::not_found("unknown tool");
            if (!args->has("targets") || !args->get("targets").isString()) return sdk::Error::invalid_input("targets");
            const auto wanted = sdk::targets::parse_list(args->getValue<std::string>("targets"));
            if (!wanted) return wanted.error();
            const auto client = sdk::targets::parse_scope(context.scope);
            for (const auto& t : *wanted) {
                if (!scope_.allows(t))
                    return sdk::Error::invalid_input("target " + t.text + " is outside the allowed scan scope");
                if (!context.scope.empty() && !client.allows(t)) {
                    return sdk::Error::invalid_input("target " + t.text + " is outside the scope of client '" +
                                                     context.client + "'");
                }
            }
            return std::string(R"({"task_id":"t1","status":"queued"})");
        } catch (const std::exception& e) {
            return sdk::Error::invalid_input(e.what());
        }
    }
    std::string metrics_text() noexcept override { return "# none\n"; }
    sdk::Result<void> ready() noexcept override { return {}; }

private:
    sdk::targets::ParsedScope scope_ = sdk::targets::parse_scope({"192.0.2.0/24", ".lab.example.com"});
};

struct Front {
    MemoryTools tools;
    http::HttpConfig cfg;
    std::unique_ptr<http::Endpoints> endpoints;
    Front() {
        scanorch::framework::PluginInfo info;
        info.name = "http";
        info.kind = SCANORCH_KIND_FRONTEND;
        info.config = scanorch::framework::ConfigValues::fields(http::kConfigKeys);
        auto typed = scanorch::framework::ConfigValues::config(
            info,
            R"({"listen":"127.0.0.1:0","max_body_bytes":65536,"max_sessions":16,"max_sessions_per_client":4,)"
            R"("allowed_origins":["https://console.example"],"clients":{"ops":{"token":"tok-ops-0123456789abcdef"},)"
            R"("viewer":{"token":"tok-ro-0123456789abcdef0","tools":["get_scan_status"],"scope":["192.0.2.0/28",".lab.example.com"]},)"
            R"("nobody":{"token":"tok-no-0123456789abcdef0","scope":[]}}})");
        if (!typed) std::abort();
        auto c = http::parse_config(*typed);
        if (!c) std::abort();
        cfg = *c;
        endpoints = std::make_unique<http::Endpoints>(cfg, sdk::PluginContext(nullptr));
        if (!endpoints->attach(tools)) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Front front;  // sessions carry over between inputs, as on a long-running server
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto replies = http::serve_bytes(
        bytes, front.cfg.server, [](const http::Request& r) { return *front.endpoints->serve(r, false); },
        [](const http::Request& r) { return front.endpoints->serve(r, true); });
    for (const auto& r : replies) {
        if (r.status < 100 || r.status > 599 || r.status == 500) std::abort();  // a 500 is an unhandled case
        if (r.content_type == "application/json" && !r.body.empty()) {
            try {
                Poco::JSON::Parser().parse(r.body);
            } catch (...) {
                std::abort();  // every JSON answer must be JSON
            }
        }
        for (const auto& [k, v] : r.headers) {
            if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
                std::abort();
        }
    }
    return 0;
}
