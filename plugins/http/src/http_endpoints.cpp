// The routes of the http front end (see http_endpoints.h).
#include "http_endpoints.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/RandomStream.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <Poco/UTF8String.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <sstream>

#include "scanorch/sdk/hex.h"
#include "scanorch/sdk/targets.h"
#include "scanorch/sdk/utf8.h"
#include "scanorch/sdk/version.h"

namespace scanorch::http {

namespace {

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
    return sdk::random_hex(bytes, [&] { return static_cast<unsigned>(rnd.get()); });
}

// Trace ids only tell log lines apart: a per-thread generator, seeded from
// the system's source, spares each request a read of /dev/urandom.
std::string trace_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return sdk::random_hex(8, rng);
}

// Anything from a request that goes into a log line: control characters,
// backslash and non-ASCII bytes escaped (a %0a in a path must not start a
// forged log line), and cut to a length that keeps one line one line.
std::string printable(std::string_view s, std::size_t max = 512) {
    std::string out;
    for (const char ch : s.substr(0, max)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\') {
            out += "\\\\";
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            sdk::append_hex(out, c);
        } else {
            out += ch;
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

// Text that goes into a JSON answer: valid UTF-8, each invalid byte
// replaced by U+FFFD. Paths, headers and what a tool echoes may hold any
// bytes; a JSON writer passes them through and the answer stops being JSON.
std::string utf8(std::string_view s) { return sdk::valid_utf8(s); }

// A caller's X-Trace-Id is kept when it is a plain token, else replaced: it
// is echoed in a header and written to every log line of the request.
bool plain_trace_id(std::string_view t) {
    if (t.empty() || t.size() > 64) return false;
    for (const char c : t) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != ':') return false;
    }
    return true;
}

// The `endpoint` label of the request counter: a fixed set, whatever path
// was asked for, so that random paths cannot grow /metrics.
enum class Route { mcp, tools, tool, metrics, health, ready, other };
const char* label(Route r) {
    switch (r) {
        case Route::mcp: return "/mcp";
        case Route::tools: return "/tools";
        case Route::tool: return "/tools/*";
        case Route::metrics: return "/metrics";
        case Route::health: return "/health";
        case Route::ready: return "/ready";
        case Route::other: break;
    }
    return "other";
}
Route route_of(const std::string& path) {
    if (path == "/mcp") return Route::mcp;
    if (path == "/tools") return Route::tools;
    if (path.rfind("/tools/", 0) == 0) return Route::tool;
    if (path == "/metrics") return Route::metrics;
    if (path == "/health") return Route::health;
    if (path == "/ready") return Route::ready;
    return Route::other;
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

// A CORS preflight from an allowed origin (checked before): what a
// browser may send and read. No token is needed to ask.
Reply preflight(const std::string& origin) {
    return {204,
            "",
            "application/json",
            {{"Access-Control-Allow-Origin", origin},
             {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
             {"Access-Control-Allow-Headers",
              "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, X-Trace-Id"},
             {"Access-Control-Expose-Headers", "Mcp-Session-Id, X-Trace-Id, WWW-Authenticate"},
             {"Access-Control-Max-Age", "600"},
             {"Vary", "Origin"}}};
}

}  // namespace

Endpoints::Endpoints(HttpConfig cfg, sdk::PluginContext ctx) : cfg_(std::move(cfg)), ctx_(std::move(ctx)) {
    requests_ = ctx_.metrics().counter("scanorch_http_requests_total", "HTTP requests by endpoint and status",
                                       {"endpoint", "code"});
}

sdk::Result<void> Endpoints::attach(sdk::ToolService& tools) {
    tools_ = &tools;
    // The tool set is fixed for the service's lifetime: list it once.
    tool_names_.clear();
    for (const auto& t : tools.tools()) tool_names_.insert(t.name);
    tools_list_json_ = tools_list();
    for (const auto& c : cfg_.clients) {
        for (const auto& t : c.tools) {
            if (tool_names_.count(t) == 0) {
                std::string valid;
                for (const auto& n : tool_names_) valid += (valid.empty() ? "" : ", ") + n;
                return sdk::Error::invalid_input("clients." + c.name + ".tools: unknown tool '" + t +
                                                 "' (valid: " + valid + ")");
            }
        }
    }
    return {};
}

sdk::Result<void> Endpoints::start(sdk::ToolService& tools) {
    if (auto a = attach(tools); !a) return a;
    if (cfg_.allow_anonymous_loopback && !cfg_.clients.empty()) {
        ctx_.log().warn(
            "allow_anonymous_loopback is set: requests on loopback without a token run as no client "
            "(every tool, the global scope, no scan cap)");
    }
    server_ = std::make_unique<Server>(
        cfg_.server, [this](const Request& req) { return *serve(req, false); },
        [this](const std::string& message) { ctx_.log().warn(message); },
        [this](const Request& req) { return serve(req, true); });
    auto endpoint = server_->start();
    if (!endpoint) {
        server_.reset();
        return std::move(endpoint).error();
    }
    endpoint_ = *endpoint;
    ctx_.log().info("serving MCP at ", endpoint_, "/mcp and REST at ", endpoint_, "/tools (auth ",
                    cfg_.require_auth      ? "required"
                    : cfg_.clients.empty() ? "off"
                                           : "optional on loopback",
                    ")");
    return {};
}

void Endpoints::stop() {
    server_.reset();  // joins its threads: no request runs after this
    tools_ = nullptr;
}

const Client* Endpoints::authenticate(const Request& req, bool& refused) const {
    refused = false;
    const std::string_view auth = req.header("Authorization");
    if (auth.empty()) {
        refused = cfg_.require_auth;
        return nullptr;
    }
    constexpr std::string_view prefix = "Bearer ";
    if (auth.size() <= prefix.size() ||
        Poco::icompare(std::string(auth.substr(0, prefix.size())), std::string(prefix)) != 0) {
        refused = true;
        return nullptr;
    }
    const std::string token(auth.substr(prefix.size()));
    const Client* found = nullptr;
    for (const auto& c : cfg_.clients) {  // every token compared, in constant time
        if (same(c.token, token)) found = &c;
    }
    refused = found == nullptr;
    return found;
}

bool Endpoints::origin_allowed(const std::string& origin) const {
    if (origin.empty()) return true;
    for (const auto& o : cfg_.allowed_origins) {
        if (o == origin) return true;
    }
    try {
        const Poco::URI u(origin);
        const auto& h = u.getHost();
        return (u.getScheme() == "http" || u.getScheme() == "https") && sdk::targets::is_loopback_host(h);
    } catch (...) {
        return false;
    }
}

// Off loopback, tokens protect; on it, a page on another site may reach
// us through a name it re-points at 127.0.0.1 (DNS rebinding): accept
// only localhost, a loopback address, and the names configured.
bool Endpoints::host_allowed(const std::string& host_header) const {
    if (!cfg_.loopback()) return true;
    std::string h, port;
    if (!host_header.empty() && host_header.front() == '[') {
        const auto close = host_header.find(']');
        if (close == std::string::npos) return false;
        h = host_header.substr(1, close - 1);
        const auto rest = host_header.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
        }
    } else {
        const auto colon = host_header.find(':');
        if (colon != std::string::npos && host_header.find(':', colon + 1) != std::string::npos)
            return false;  // IPv6 needs []
        h = host_header.substr(0, colon);
        if (colon != std::string::npos) port = host_header.substr(colon + 1);
    }
    if (!port.empty() && (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)) return false;
    if (h.empty()) return false;
    if (sdk::targets::is_loopback_host(h)) return true;
    for (const auto& name : cfg_.allowed_hosts) {
        if (Poco::icompare(h, name) == 0) return true;
    }
    return false;
}

sdk::CallContext Endpoints::context(const Client* c, const std::string& trace) const {
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

namespace {

// The decoded path, or nullopt when its percent-encoding is malformed.
std::optional<std::string> path_of(std::string_view target) {
    const auto q = target.find('?');
    const std::string raw(target.substr(0, q));
    if (raw.find('%') == std::string::npos) return raw;
    std::string decoded;
    try {
        Poco::URI::decode(raw, decoded);
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    return decoded;
}

}  // namespace

// Every request passes here twice when a body follows its headers: first
// with the headers only (headers_only: a refusal ends it before the body is
// read; nullopt lets it on), then whole. Whatever is answered is counted,
// logged and given its trace id here.
std::optional<Reply> Endpoints::serve(const Request& req, bool headers_only) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string trace(req.header("X-Trace-Id"));
    if (!plain_trace_id(trace)) trace = trace_id();
    const auto decoded = path_of(req.target());
    const std::string path = decoded ? *decoded : std::string(req.target());
    std::string tool;
    std::optional<Reply> r;
    try {
        if (!decoded) {
            r = Reply{400, R"({"error":"malformed percent-encoding in the request path"})", "application/json", {}};
        } else if (headers_only) {
            const Client* client = nullptr;
            r = gate(req, path, client);
        } else {
            r = route(req, path, trace, tool);
        }
    } catch (const std::exception& e) {
        r = Reply{500, R"({"error":"internal error"})", "application/json", {}};
        ctx_.log().error("request ", printable(req.method()), " ", printable(path), " (trace ", trace,
                         "): ", printable(e.what()));
    }
    if (!r) return r;
    const std::string origin(req.header("Origin"));
    if (!origin.empty() && r->status != 403 && origin_allowed(origin)) {  // a browser may read the answer
        r->headers.emplace("Access-Control-Allow-Origin", origin);
        r->headers.emplace("Access-Control-Expose-Headers", "Mcp-Session-Id, X-Trace-Id, WWW-Authenticate");
        r->headers.emplace("Vary", "Origin");
    }
    r->headers["X-Trace-Id"] = trace;
    requests_.add({label(decoded ? route_of(path) : Route::other), std::to_string(r->status)});
    const auto ms =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 1000.0;
    ctx_.log().info(printable(req.method(), 16), " ", printable(path),
                    tool.empty() ? "" : " tool=" + printable(tool, 64), " status=", r->status, " duration_ms=", ms,
                    " trace=", trace);
    return r;
}

// What is decided from the headers alone: origin, Host, CORS preflight,
// token. A reply refuses (or answers a preflight); nullopt lets it on, with
// `client` the caller (nullptr: anonymous).
std::optional<Reply> Endpoints::gate(const Request& req, const std::string& path, const Client*& client) const {
    client = nullptr;
    const std::string_view method = req.method();
    const std::string origin(req.header("Origin"));
    const std::string host(req.header("Host"));
    if (!origin_allowed(origin)) {
        return Reply{
            403,
            json(rpc_error(Poco::Dynamic::Var(), -32600, "Forbidden: Origin " + utf8(origin) + " is not allowed")),
            "application/json",
            {}};
    }
    if (!host_allowed(host)) {
        return Reply{
            403,
            json(rpc_error(Poco::Dynamic::Var(), -32600, "Forbidden: Host " + utf8(host) + " is not this server")),
            "application/json",
            {}};
    }
    if (method == "OPTIONS") {
        if (!origin.empty() && !req.header("Access-Control-Request-Method").empty()) return preflight(origin);
        return Reply{405, R"({"error":"method not allowed"})", "application/json", {{"Allow", "GET, POST, DELETE"}}};
    }
    if ((path == "/health" || path == "/ready") && method == "GET") return std::nullopt;
    bool refused = false;
    client = authenticate(req, refused);
    if (refused && !(path == "/metrics" && cfg_.public_metrics)) {
        return Reply{401,
                     R"json({"error":"a valid bearer token is required (Authorization: Bearer <token>)"})json",
                     "application/json",
                     {{"WWW-Authenticate", "Bearer realm=\"scanorch\""}}};
    }
    return std::nullopt;
}

Reply Endpoints::route(const Request& req, const std::string& path, const std::string& trace, std::string& tool) {
    const std::string_view method = req.method();
    const Client* client = nullptr;
    if (auto refused = gate(req, path, client)) return std::move(*refused);
    if (path == "/health" && method == "GET") return {200, R"({"status":"ok"})", "application/json", {}};
    if (path == "/ready" && method == "GET") {
        auto ready = tools_->ready();
        if (ready) return {200, R"({"status":"ready"})", "application/json", {}};
        Obj o = new Poco::JSON::Object;
        o->set("status", "not ready");
        o->set("reason", ready.error().message);
        return {503, json(o), "application/json", {}};
    }
    // The body is judged only now, so that a request refused above is refused
    // for that reason whatever its body.
    switch (req.body_state()) {
        case BodyState::too_large:
            return {
                413,
                R"({"error":"request body larger than )" + std::to_string(cfg_.server.max_body_bytes) + R"( bytes"})",
                "application/json",
                {}};
        case BodyState::incomplete:
            // Stalled past request_timeout or cut off: never run a tool on part of its arguments.
            return {408,
                    R"({"error":"the request body did not arrive in full within )" +
                        std::to_string(cfg_.server.request_timeout.count()) + R"( s"})",
                    "application/json",
                    {}};
        case BodyState::pending:
            return {500, R"({"error":"internal error"})", "application/json", {}};  // route() gets whole requests
        case BodyState::complete: break;
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
    Obj o = new Poco::JSON::Object;
    o->set("error", "not found: " + utf8(path));
    return {404, json(o), "application/json", {}};
}

Reply Endpoints::rest(const std::string& tool, std::string_view body, const Client* client, const std::string& trace) {
    auto result = tools_->call(tool, body.empty() ? std::string_view("{}") : body, context(client, trace));
    if (result) return {200, utf8(*result), "application/json", {}};
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
    o->set("error", utf8(e.message));
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
std::string Endpoints::mcp_call(const Poco::Dynamic::Var& id, const Obj& params, const Client* client,
                                const std::string& trace) {
    if (!params || !params->has("name") || !params->get("name").isString()) {
        return json(rpc_error(id, -32602, "Invalid params: tools/call needs params.name"));
    }
    const auto name = params->getValue<std::string>("name");
    if (!tool_names_.count(name)) return json(rpc_error(id, -32602, "Unknown tool: " + utf8(name)));
    std::string args = "{}";
    if (params->has("arguments") && !params->isNull("arguments")) {
        if (!params->isObject("arguments"))
            return json(rpc_error(id, -32602, "Invalid params: arguments must be an object"));
        args = json(params->get("arguments"));
    }
    const auto result = tools_->call(name, args, context(client, trace));
    const std::string text = utf8(result ? *result : result.error().message);
    std::string out = R"({"jsonrpc":"2.0","id":)" + json(id) + R"(,"result":{"content":[{"type":"text","text":")" +
                      Poco::UTF8::escape(text, true) + R"("}])";
    // A tool execution error is a result the agent reads and can act on.
    out += result ? R"(,"structuredContent":)" + text + "}}" : std::string(R"(,"isError":true}})");
    return out;
}

Reply Endpoints::mcp(const Request& req, const Client* client, const std::string& trace) {
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
    if (method == "GET")
        return {405,
                R"({"error":"this server offers no server-to-client stream"})",
                "application/json",
                {{"Allow", "POST, DELETE"}}};
    if (method == "DELETE") {
        if (sid.empty()) return fail(400, -32600, "Bad Request: Mcp-Session-Id header is required");
        if (session_for(false).first == 404)
            return fail(404, -32001, "Session not found (expired or terminated); re-initialize");
        std::lock_guard lock(sessions_mu_);
        sessions_.erase(sid);
        return {200, "", "application/json", {}};
    }
    if (method != "POST")
        return {405, R"({"error":"method not allowed"})", "application/json", {{"Allow", "POST, DELETE"}}};
    const std::string_view accept = req.header("Accept");
    if (!accept.empty() && accept.find("application/json") == std::string::npos &&
        accept.find("*/*") == std::string::npos) {
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
    if (msg->optValue<std::string>("jsonrpc", "") != "2.0")
        return fail(400, -32600, "Invalid Request: jsonrpc must be \"2.0\"");
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
                it = now - it->second.last_used > std::chrono::seconds(cfg_.session_idle_seconds) ? sessions_.erase(it)
                                                                                                  : std::next(it);
            }
            if (sessions_.size() >= cfg_.max_sessions) {
                return fail(
                    503, -32000,
                    "too many MCP sessions (" + std::to_string(cfg_.max_sessions) + "); end unused ones with DELETE");
            }
            // One client must not take every session and lock the others out.
            const std::string who = client ? client->name : "";
            std::size_t mine = 0;
            for (const auto& [id, s] : sessions_) mine += s.client == who ? 1 : 0;
            if (mine >= cfg_.max_sessions_per_client) {
                return fail(429, -32000,
                            "client '" + (who.empty() ? std::string("anonymous") : who) + "' has " +
                                std::to_string(mine) +
                                " MCP sessions open, its cap (max_sessions_per_client); end unused ones with DELETE");
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
        return fail(400, -32000,
                    "Bad Request: Unsupported protocol version: " + utf8(header_version) +
                        " (supported versions: 2025-11-25, 2025-06-18, 2025-03-26)");
    }
    if (!has_id) return {202, "", "application/json", {}};  // notifications: initialized, cancelled, ...

    if (rpc == "tools/call")
        return {200, mcp_call(id, params, client, trace), "application/json", {{"Mcp-Session-Id", sid}}};
    Obj out;
    if (rpc == "ping") {
        out = rpc_result(id, Obj(new Poco::JSON::Object));
    } else if (rpc == "tools/list") {
        out = rpc_result(id, tools_list_json_);
    } else if (rpc == "logging/setLevel") {
        const auto level = params ? params->optValue<std::string>("level", "") : "";
        static const std::vector<std::string> levels = {"debug", "info",     "notice", "warning",
                                                        "error", "critical", "alert",  "emergency"};
        out = std::find(levels.begin(), levels.end(), level) == levels.end()
                  ? rpc_error(id, -32602, "Invalid params: unknown logging level '" + utf8(level) + "'")
                  : rpc_result(id, Obj(new Poco::JSON::Object));
    } else {
        out = rpc_error(id, -32601, "Method not found: " + utf8(rpc));
    }
    return {200, json(out), "application/json", {{"Mcp-Session-Id", sid}}};
}

}  // namespace scanorch::http
