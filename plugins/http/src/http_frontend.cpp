// The `http` front end plugin: MCP over Streamable HTTP at /mcp, the same
// tools as REST under /tools, Prometheus /metrics, /health and /ready.
// Listens on loopback unless told otherwise; off loopback every request needs
// a bearer token (a named client with its own tool list, target scope and
// scan cap). Origin is checked against an allow-list and Host on loopback
// (DNS rebinding); bodies are capped; TLS is optional. Connections, timeouts
// and TLS are http_server.cpp's; this file is the routes.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/RandomStream.h>
#include <Poco/URI.h>
#include <Poco/UTF8String.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "http_config.h"
#include "http_server.h"
#include "scanorch/sdk/frontend.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/version.h"

namespace {

namespace sdk = scanorch::sdk;
namespace http = scanorch::http;
using Obj = Poco::JSON::Object::Ptr;

const std::vector<std::string> kVersions = {"2025-11-25", "2025-06-18", "2025-03-26"};

std::string json(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    if (v.type() == typeid(Obj)) {
        v.extract<Obj>()->stringify(out);
    } else {
        Poco::JSON::Stringifier::stringify(v, out);
    }
    return out.str();
}

std::string random_hex(std::size_t bytes) {
    Poco::RandomInputStream rnd;  // the system's cryptographic source
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned char>(rnd.get());
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

// Trace ids only tell log lines apart: a per-thread generator, seeded from
// the system's source, spares each request a read of /dev/urandom.
std::string trace_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(16, '0');
    auto v = rng();
    for (auto& c : out) {
        c = hex[v & 15];
        v >>= 4;
    }
    return out;
}

// Constant time for equal lengths: a wrong token takes as long as a right one.
bool same(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

Obj rpc_error(const Poco::Dynamic::Var& id, int code, const std::string& message) {
    Obj e = new Poco::JSON::Object, o = new Poco::JSON::Object;
    e->set("code", code);
    e->set("message", message);
    o->set("jsonrpc", "2.0");
    o->set("id", id);
    o->set("error", e);
    return o;
}

Obj rpc_result(const Poco::Dynamic::Var& id, const Poco::Dynamic::Var& result) {
    Obj o = new Poco::JSON::Object;
    o->set("jsonrpc", "2.0");
    o->set("id", id);
    o->set("result", result);
    return o;
}

struct Session {
    std::string client;
    std::string version;
    std::chrono::steady_clock::time_point last_used;
};

// The routes: what each path answers, behind the connection handling of
// http_server.cpp.
class Endpoints {
public:
    Endpoints(http::HttpConfig cfg, sdk::PluginContext ctx) : cfg_(std::move(cfg)), ctx_(std::move(ctx)) {
        requests_ = ctx_.metrics().counter("scanorch_http_requests_total", "HTTP requests by endpoint and status",
                                           {"endpoint", "code"});
    }

    sdk::Result<void> start(sdk::ToolService& tools) {
        tools_ = &tools;
        // The tool set is fixed for the service's lifetime: list it once.
        tool_names_.clear();
        for (const auto& t : tools.tools()) tool_names_.insert(t.name);
        tools_list_json_ = tools_list();
        server_ = std::make_unique<http::Server>(
            cfg_.server, [this](const http::Request& req) { return handle(req); },
            [this](const std::string& message) { ctx_.log().warn(message); });
        auto endpoint = server_->start();
        if (!endpoint) {
            server_.reset();
            return std::move(endpoint).error();
        }
        endpoint_ = *endpoint;
        ctx_.log().info("serving MCP at ", endpoint_, "/mcp and REST at ", endpoint_, "/tools (auth ",
                        cfg_.require_auth ? "required" : cfg_.clients.empty() ? "off" : "optional", ")");
        return {};
    }

    void stop() {
        server_.reset();  // joins its threads: no request runs after this
        tools_ = nullptr;
    }

    const std::string& endpoint() const { return endpoint_; }

private:
    using Reply = http::Reply;

    const http::Client* authenticate(const http::Request& req, bool& refused) const {
        refused = false;
        const std::string_view auth = req.header("Authorization");
        if (auth.empty()) {
            refused = cfg_.require_auth;
            return nullptr;
        }
        constexpr std::string_view prefix = "Bearer ";
        if (auth.size() <= prefix.size() || auth.substr(0, prefix.size()) != prefix) {
            refused = true;
            return nullptr;
        }
        const std::string token(auth.substr(prefix.size()));
        const http::Client* found = nullptr;
        for (const auto& c : cfg_.clients) {  // every token compared, in constant time
            if (same(c.token, token)) found = &c;
        }
        refused = found == nullptr;
        return found;
    }

    bool origin_allowed(const std::string& origin) const {
        if (origin.empty()) return true;
        for (const auto& o : cfg_.allowed_origins) {
            if (o == origin) return true;
        }
        try {
            const Poco::URI u(origin);
            const auto h = u.getHost();
            return (u.getScheme() == "http" || u.getScheme() == "https") &&
                   (h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h == "::1");
        } catch (...) {
            return false;
        }
    }

    bool host_allowed(const std::string& host_header) const {
        if (!cfg_.loopback()) return true;  // off loopback, tokens protect; on it, refuse rebinding names
        std::string h = host_header;
        if (!h.empty() && h.front() == '[') h = h.substr(1, h.find(']') - 1);
        else h = h.substr(0, h.rfind(':') == std::string::npos ? h.size() : h.rfind(':'));
        return h == "localhost" || h == "127.0.0.1" || h == "::1" || h.rfind("127.", 0) == 0;
    }

    sdk::CallContext context(const http::Client* c, const std::string& trace) const {
        sdk::CallContext ctx;
        ctx.trace_id = trace;
        if (c != nullptr) {
            ctx.client = c->name;
            ctx.scope = c->scope;
            ctx.allowed_tools = c->tools;
            ctx.max_concurrent_scans = c->max_concurrent_scans;
        }
        return ctx;
    }

    Reply handle(const http::Request& req);
    Reply route(const http::Request& req, const std::string& path, const std::string& trace, std::string& endpoint,
                std::string& tool);
    Reply rest(const std::string& tool, std::string_view body, const http::Client* client, const std::string& trace);
    Reply mcp(const http::Request& req, const http::Client* client, const std::string& trace);
    std::string mcp_call(const Poco::Dynamic::Var& id, const Obj& params, const http::Client* client, const std::string& trace);
    Obj tools_list() const;

    http::HttpConfig cfg_;
    sdk::PluginContext ctx_;
    sdk::Metric requests_;
    sdk::ToolService* tools_ = nullptr;
    std::unique_ptr<http::Server> server_;
    std::string endpoint_;
    std::mutex sessions_mu_;
    std::map<std::string, Session> sessions_;
    std::set<std::string> tool_names_;
    Obj tools_list_json_;
};

std::string path_of(std::string_view target) {
    const auto q = target.find('?');
    const std::string raw(target.substr(0, q));
    if (raw.find('%') == std::string::npos) return raw;
    std::string decoded;
    Poco::URI::decode(raw, decoded);
    return decoded;
}

http::Reply Endpoints::handle(const http::Request& req) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string path = path_of(req.target());
    std::string trace(req.header("X-Trace-Id"));
    if (trace.empty()) trace = trace_id();
    std::string endpoint = path.rfind("/tools/", 0) == 0 ? "/tools/*" : path;
    std::string tool;
    Reply r;
    try {
        r = route(req, path, trace, endpoint, tool);
    } catch (const std::exception& e) {
        r = {500, R"({"error":"internal error"})", "application/json", {}};
        ctx_.log().error("request ", req.method(), " ", path, " (trace ", trace, "): ", e.what());
    }
    r.headers["X-Trace-Id"] = trace;
    requests_.add({endpoint, std::to_string(r.status)});
    const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 1000.0;
    ctx_.log().info(req.method(), " ", path, tool.empty() ? "" : " tool=" + tool, " status=", r.status, " duration_ms=", ms,
                    " trace=", trace);
    return r;
}

http::Reply Endpoints::route(const http::Request& req, const std::string& path, const std::string& trace,
                             std::string& endpoint, std::string& tool) {
    const std::string_view method = req.method();
    const std::string origin(req.header("Origin"));
    const std::string host(req.header("Host"));
    if (!origin_allowed(origin)) {
        return {403, json(rpc_error(Poco::Dynamic::Var(), -32600, "Forbidden: Origin " + origin + " is not allowed")), "application/json", {}};
    }
    if (!host_allowed(host)) {
        return {403, json(rpc_error(Poco::Dynamic::Var(), -32600, "Forbidden: Host " + host + " is not this server")), "application/json", {}};
    }
    if (path == "/health" && method == "GET") return {200, R"({"status":"ok"})", "application/json", {}};
    if (path == "/ready" && method == "GET") {
        auto ready = tools_->ready();
        if (ready) return {200, R"({"status":"ready"})", "application/json", {}};
        Obj o = new Poco::JSON::Object;
        o->set("status", "not ready");
        o->set("reason", ready.error().message);
        return {503, json(o), "application/json", {}};
    }
    bool refused = false;
    const http::Client* client = authenticate(req, refused);
    if (refused && !(path == "/metrics" && cfg_.public_metrics)) {
        return {401, R"json({"error":"a valid bearer token is required (Authorization: Bearer <token>)"})json",
                "application/json", {{"WWW-Authenticate", "Bearer realm=\"scanorch\""}}};
    }
    // The body is judged only now, so that a request refused above is refused
    // for that reason whatever its body.
    switch (req.body_state()) {
        case http::BodyState::too_large:
            return {413, R"({"error":"request body larger than )" + std::to_string(cfg_.server.max_body_bytes) + R"( bytes"})", "application/json", {}};
        case http::BodyState::incomplete:
            // Stalled past request_timeout or cut off: never run a tool on part of its arguments.
            return {408, R"({"error":"the request body did not arrive in full within )" +
                             std::to_string(cfg_.server.request_timeout.count()) + R"( s"})",
                    "application/json", {}};
        case http::BodyState::complete: break;
    }
    if (path == "/metrics" && method == "GET") return {200, tools_->metrics_text(), "text/plain; version=0.0.4", {}};
    if (path == "/tools" && method == "GET") {
        Obj o = new Poco::JSON::Object;
        o->set("tools", tools_list_json_->get("tools"));
        return {200, json(o), "application/json", {}};
    }
    if (path.rfind("/tools/", 0) == 0 && method == "POST") {
        tool = path.substr(7);
        return rest(tool, req.body(), client, trace);
    }
    if (path == "/mcp") return mcp(req, client, trace);
    if (path.rfind("/tools/", 0) == 0 || path == "/tools" || path == "/metrics") {
        return {405, R"({"error":"method not allowed"})", "application/json", {}};
    }
    endpoint = "other";
    return {404, R"({"error":"not found: )" + path + R"("})", "application/json", {}};
}

http::Reply Endpoints::rest(const std::string& tool, std::string_view body, const http::Client* client,
                            const std::string& trace) {
    auto result = tools_->call(tool, body.empty() ? std::string_view("{}") : body, context(client, trace));
    if (result) return {200, *result, "application/json", {}};
    const auto& e = result.error();
    int status = 400;
    switch (e.kind) {
        case sdk::ErrorKind::not_found: status = 404; break;
        case sdk::ErrorKind::auth: status = 403; break;
        case sdk::ErrorKind::capacity: status = 429; break;
        case sdk::ErrorKind::transient: status = 503; break;
        case sdk::ErrorKind::internal: status = 500; break;
        // A well-formed request that no policy allows (targets outside the scope): 422.
        case sdk::ErrorKind::forbidden: status = 422; break;
        case sdk::ErrorKind::invalid_input:
        case sdk::ErrorKind::permanent: status = 400; break;
    }
    Obj o = new Poco::JSON::Object;
    o->set("error", e.message);
    o->set("kind", std::string(sdk::to_string(e.kind)));
    return {status, json(o), "application/json", {}};
}

Obj Endpoints::tools_list() const {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& t : tools_->tools()) {
        Obj o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("name", t.name);
        o->set("title", t.title);
        o->set("description", t.description);
        o->set("inputSchema", Poco::JSON::Parser().parse(t.input_schema_json));
        o->set("outputSchema", Poco::JSON::Parser().parse(t.output_schema_json));
        Obj a = new Poco::JSON::Object;
        a->set("title", t.title);
        a->set("readOnlyHint", t.read_only);
        a->set("destructiveHint", t.destructive);
        a->set("idempotentHint", t.idempotent);
        a->set("openWorldHint", t.open_world);
        o->set("annotations", a);
        arr->add(o);
    }
    Obj r = new Poco::JSON::Object;
    r->set("tools", arr);
    return r;
}

// The whole JSON-RPC response, as text: the tool's result is JSON already and
// goes in twice (as text content and as structuredContent) without being
// parsed and printed again.
std::string Endpoints::mcp_call(const Poco::Dynamic::Var& id, const Obj& params, const http::Client* client,
                                const std::string& trace) {
    if (!params || !params->has("name") || !params->get("name").isString()) {
        return json(rpc_error(id, -32602, "Invalid params: tools/call needs params.name"));
    }
    const auto name = params->getValue<std::string>("name");
    if (!tool_names_.count(name)) return json(rpc_error(id, -32602, "Unknown tool: " + name));
    std::string args = "{}";
    if (params->has("arguments") && !params->isNull("arguments")) {
        if (!params->isObject("arguments")) return json(rpc_error(id, -32602, "Invalid params: arguments must be an object"));
        args = json(params->get("arguments"));
    }
    const auto result = tools_->call(name, args, context(client, trace));
    const std::string text = result ? *result : result.error().message;
    std::string out = R"({"jsonrpc":"2.0","id":)" + json(id) + R"(,"result":{"content":[{"type":"text","text":")" +
                      Poco::UTF8::escape(text, true) + R"("}])";
    // A tool execution error is a result the agent reads and can act on.
    out += result ? R"(,"structuredContent":)" + *result + "}}" : std::string(R"(,"isError":true}})");
    return out;
}

http::Reply Endpoints::mcp(const http::Request& req, const http::Client* client, const std::string& trace) {
    const std::string_view method = req.method();
    const std::string sid(req.header("Mcp-Session-Id"));
    auto fail = [](int status, int code, const std::string& msg) {
        return Reply{status, json(rpc_error(Poco::Dynamic::Var(), code, msg)), "application/json", {}};
    };
    auto session_for = [&](bool touch) -> std::pair<int, std::string> {  // status, version
        std::lock_guard lock(sessions_mu_);
        auto it = sessions_.find(sid);
        const auto now = std::chrono::steady_clock::now();
        if (it == sessions_.end() || now - it->second.last_used > std::chrono::seconds(cfg_.session_idle_seconds) ||
            it->second.client != (client ? client->name : "")) {
            if (it != sessions_.end() && it->second.client == (client ? client->name : "")) sessions_.erase(it);
            return {404, ""};
        }
        if (touch) it->second.last_used = now;
        return {200, it->second.version};
    };
    if (method == "GET") return {405, R"({"error":"this server offers no server-to-client stream"})", "application/json", {{"Allow", "POST, DELETE"}}};
    if (method == "DELETE") {
        if (sid.empty()) return fail(400, -32600, "Bad Request: Mcp-Session-Id header is required");
        if (session_for(false).first == 404) return fail(404, -32001, "Session not found (expired or terminated); re-initialize");
        std::lock_guard lock(sessions_mu_);
        sessions_.erase(sid);
        return {200, "", "application/json", {}};
    }
    if (method != "POST") return {405, R"({"error":"method not allowed"})", "application/json", {{"Allow", "POST, DELETE"}}};
    const std::string_view accept = req.header("Accept");
    if (!accept.empty() && accept.find("application/json") == std::string::npos && accept.find("*/*") == std::string::npos) {
        return fail(406, -32000, "Not Acceptable: the client must accept application/json");
    }
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(std::string(req.body()));
    } catch (...) {
        return fail(400, -32700, "Parse error: body is not valid JSON");
    }
    if (parsed.type() == typeid(Poco::JSON::Array::Ptr)) {
        return fail(400, -32600, "Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18)");
    }
    if (parsed.type() != typeid(Obj)) return fail(400, -32600, "Invalid Request: expected a JSON-RPC object");
    const Obj msg = parsed.extract<Obj>();
    if (msg->optValue<std::string>("jsonrpc", "") != "2.0") return fail(400, -32600, "Invalid Request: jsonrpc must be \"2.0\"");
    const bool has_id = msg->has("id") && !msg->isNull("id");
    if (!msg->has("method")) {  // a response from the client
        return has_id ? Reply{202, "", "application/json", {}} : fail(400, -32600, "Invalid Request: no method");
    }
    if (!msg->get("method").isString()) return fail(400, -32600, "Invalid Request: method must be a string");
    const auto rpc = msg->getValue<std::string>("method");
    const Poco::Dynamic::Var id = has_id ? msg->get("id") : Poco::Dynamic::Var();
    const Obj params = msg->getObject("params");

    if (rpc == "initialize") {
        if (!has_id) return fail(400, -32600, "Invalid Request: initialize needs an id");
        std::string requested = params ? params->optValue<std::string>("protocolVersion", "") : "";
        const bool supported = std::find(kVersions.begin(), kVersions.end(), requested) != kVersions.end();
        const std::string version = supported ? requested : kVersions.front();
        std::string new_id;
        {
            std::lock_guard lock(sessions_mu_);
            const auto now = std::chrono::steady_clock::now();
            for (auto it = sessions_.begin(); it != sessions_.end();) {  // idle expiry
                it = now - it->second.last_used > std::chrono::seconds(cfg_.session_idle_seconds) ? sessions_.erase(it) : std::next(it);
            }
            if (sessions_.size() >= cfg_.max_sessions) {
                return fail(503, -32000, "too many MCP sessions (" + std::to_string(cfg_.max_sessions) + "); end unused ones with DELETE");
            }
            new_id = random_hex(16);
            sessions_[new_id] = {client ? client->name : "", version, now};
        }
        Obj caps = new Poco::JSON::Object, toolcaps = new Poco::JSON::Object, info = new Poco::JSON::Object;
        toolcaps->set("listChanged", false);
        caps->set("tools", toolcaps);
        caps->set("logging", Obj(new Poco::JSON::Object));
        info->set("name", "scanorch");
        info->set("title", "scanorch scan orchestration");
        info->set("version", SCANORCH_VERSION_STRING);
        Obj result = new Poco::JSON::Object;
        result->set("protocolVersion", version);
        result->set("capabilities", caps);
        result->set("serverInfo", info);
        result->set("instructions",
                    "Run vulnerability scans on a pool of Nessus scanners. Start one with run_untrusted_scan, "
                    "run_trusted_scan or run_privileged_scan; poll get_scan_status with the task_id until it is "
                    "completed or failed; read findings with get_scan_results. Targets must lie in the allowed scope.");
        return {200, json(rpc_result(id, result)), "application/json", {{"Mcp-Session-Id", new_id}}};
    }
    if (sid.empty()) return fail(400, -32600, "Bad Request: Mcp-Session-Id header is required");
    const auto [status, version] = session_for(true);
    if (status == 404) return fail(404, -32001, "Session not found (expired or terminated); re-initialize");
    const std::string header_version(req.header("MCP-Protocol-Version"));
    if (!header_version.empty() && std::find(kVersions.begin(), kVersions.end(), header_version) == kVersions.end()) {
        return fail(400, -32000, "Bad Request: Unsupported protocol version: " + header_version +
                                     " (supported versions: 2025-11-25, 2025-06-18, 2025-03-26)");
    }
    if (!has_id) return {202, "", "application/json", {}};  // notifications: initialized, cancelled, ...

    if (rpc == "tools/call") return {200, mcp_call(id, params, client, trace), "application/json", {{"Mcp-Session-Id", sid}}};
    Obj out;
    if (rpc == "ping") {
        out = rpc_result(id, Obj(new Poco::JSON::Object));
    } else if (rpc == "tools/list") {
        out = rpc_result(id, tools_list_json_);
    } else if (rpc == "logging/setLevel") {
        const auto level = params ? params->optValue<std::string>("level", "") : "";
        static const std::vector<std::string> levels = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
        out = std::find(levels.begin(), levels.end(), level) == levels.end()
                  ? rpc_error(id, -32602, "Invalid params: unknown logging level '" + level + "'")
                  : rpc_result(id, Obj(new Poco::JSON::Object));
    } else {
        out = rpc_error(id, -32601, "Method not found: " + rpc);
    }
    return {200, json(out), "application/json", {{"Mcp-Session-Id", sid}}};
}

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
        {"require_auth", SCANORCH_CFG_BOOL, 0, "false", "Require a token on loopback too (always required elsewhere)"},
        {"allowed_origins", SCANORCH_CFG_STRING_LIST, 0, nullptr, "Origins allowed besides localhost (browser clients)"},
        {"max_body_bytes", SCANORCH_CFG_INT, 0, "1048576", "Larger request bodies get 413"},
        {"request_timeout", SCANORCH_CFG_DURATION, 0, "30", "A request stalled this long (headers or body) is dropped"},
        {"keep_alive_timeout", SCANORCH_CFG_DURATION, 0, "5", "An idle keep-alive connection is closed after this long"},
        {"max_sessions", SCANORCH_CFG_INT, 0, "1000", "MCP sessions at once"},
        {"session_idle_timeout", SCANORCH_CFG_DURATION, 0, "3600", "An MCP session unused this long ends"},
        {"tls_cert", SCANORCH_CFG_STRING, 0, nullptr, "Serve HTTPS with this certificate (PEM)"},
        {"tls_key", SCANORCH_CFG_STRING, 0, nullptr, "The certificate's key (PEM)"},
        {"threads", SCANORCH_CFG_INT, 0, "8", "Threads that run requests (a tool call that waits holds one); connections are not tied to threads"},
        {"max_connections", SCANORCH_CFG_INT, 0, "1024", "Open connections at once; more are closed on arrival"},
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
    Endpoints endpoints_;
};

}  // namespace

SCANORCH_PLUGIN(HttpFrontend)
