// The http front end's routes: what each path answers (MCP, REST, /metrics,
// /health, /ready), who may ask (origin, Host, bearer token), and the MCP
// sessions. Behind the connection handling of http_server.cpp; usable
// without a socket (attach + serve), which is how the fuzz target drives it.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "http_config.h"
#include "http_server.h"
#include "scanorch/sdk/context.h"
#include "scanorch/sdk/tool_service.h"

namespace scanorch::http {

class Endpoints {
public:
    Endpoints(HttpConfig cfg, sdk::PluginContext ctx);

    /// Takes the tool service without serving: lists the tools and checks
    /// every client's tool list against them.
    sdk::Result<void> attach(sdk::ToolService& tools);
    /// attach(), then listens (see Server::start).
    sdk::Result<void> start(sdk::ToolService& tools);
    void stop();
    const std::string& endpoint() const { return endpoint_; }

    /// One request, as the server hands it over: with headers_only (a body
    /// is still to come) a Reply refuses it and nullopt lets it on; else
    /// always a Reply.
    std::optional<Reply> serve(const Request& req, bool headers_only);

private:
    using Obj = Poco::JSON::Object::Ptr;
    struct Session {
        std::string client;
        std::string version;
        std::chrono::steady_clock::time_point last_used;
    };

    const Client* authenticate(const Request& req, bool& refused) const;
    bool origin_allowed(const std::string& origin) const;
    bool host_allowed(const std::string& host_header) const;
    sdk::CallContext context(const Client* c, const std::string& trace) const;
    std::optional<Reply> gate(const Request& req, const std::string& path, const Client*& client) const;
    Reply route(const Request& req, const std::string& path, const std::string& trace, std::string& tool);
    Reply rest(const std::string& tool, std::string_view body, const Client* client, const std::string& trace);
    Reply mcp(const Request& req, const Client* client, const std::string& trace);
    std::string mcp_call(const Poco::Dynamic::Var& id, const Obj& params, const Client* client,
                         const std::string& trace);
    Obj tools_list() const;

    HttpConfig cfg_;
    sdk::PluginContext ctx_;
    sdk::Metric requests_;
    sdk::ToolService* tools_ = nullptr;
    std::unique_ptr<Server> server_;
    std::string endpoint_;
    std::mutex sessions_mu_;
    std::map<std::string, Session> sessions_;
    std::set<std::string> tool_names_;
    Obj tools_list_json_;
};

}  // namespace scanorch::http
