// The front end fails closed, stays bounded and answers bad requests
// cleanly (issue 12): each test here failed before its fix.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "http_test_api.h"

using namespace http_test;

namespace {

const std::string kListen = "      listen: 127.0.0.1:0\n";
std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// Every log line written meanwhile, at info and above.
class LogCapture {
public:
    LogCapture() : saved_(spdlog::default_logger()), saved_level_(spdlog::get_level()) {
        auto logger =
            std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
        spdlog::set_level(spdlog::level::info);
    }
    ~LogCapture() {
        spdlog::set_default_logger(saved_);
        spdlog::set_level(saved_level_);
    }
    std::string text() {
        spdlog::default_logger()->flush();
        return out_.str();
    }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> saved_;
    spdlog::level::level_enum saved_level_;
};

}  // namespace

// --- Fail closed ----------------------------------------------------------

TEST(HttpHardening, ClientScopeIsCheckedAtStartUpNamingClientAndEntry) {
    const std::string client = "{listen: '127.0.0.1:0', clients: {soc: {token: 0123456789abcdef0123, scope: ";
    const auto typo = start_error(client + "['192.0.2.0/24', '192.0.2.0/33', 'bad host']}}}");
    EXPECT_NE(typo.find("clients.soc.scope[1]: scope entry '192.0.2.0/33': prefix must be 0..32"), std::string::npos)
        << typo;
    EXPECT_NE(typo.find("clients.soc.scope[2]: scope entry 'bad host'"), std::string::npos)
        << "every bad entry is named: " << typo;
    EXPECT_NE(typo.find("/scanorch.yaml:8: plugins.frontend.config.clients.soc.scope[1]: "), std::string::npos)
        << "the file and line of the first bad entry: " << typo;
    EXPECT_EQ(start_error(client + "['.lab.example.com', '192.0.2.0/25', '::ffff:192.0.2.0/120']}}}"), "")
        << "a host-name suffix is a scope entry, as in the global scope";
    const auto wildcard = start_error(client + "['*.lab.example.com']}}}");
    EXPECT_NE(wildcard.find("write '.lab.example.com'"), std::string::npos) << wildcard;
}

TEST(HttpHardening, AClientWhoseScopeIsEmptyMayScanNothing) {
    Api api(kListen + "      clients:\n        nobody: {token: " + kToken +
            ", scope: []}\n        all: {token: " + kLimited + "}\n");
    auto refused =
        api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.5","name":"x"})", bearer(kToken));
    EXPECT_EQ(refused.status, 422) << "an empty client scope must never mean the global scope: " << refused.body;
    EXPECT_NE(refused.body.find("outside the scope of client 'nobody'"), std::string::npos) << refused.body;
    EXPECT_EQ(
        api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.5","name":"x"})", bearer(kLimited))
            .status,
        200)
        << "a client without `scope` has the global scope";
}

TEST(HttpHardening, WithClientsConfiguredEveryRequestNeedsATokenOnLoopbackToo) {
    Api api(kListen + "      clients:\n        ops: {token: " + kToken + "}\n");
    EXPECT_EQ(api.request("GET", "/tools").status, 401);
    EXPECT_EQ(api.request("POST", "/tools/list_scanners", "{}").status, 401);
    EXPECT_EQ(api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 401);
    EXPECT_EQ(api.request("GET", "/tools", "", bearer(kToken)).status, 200);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Authorization", "bearer " + kToken}}).status, 200)
        << "the scheme is case-insensitive";
    EXPECT_EQ(api.request("GET", "/health").status, 200);
}

TEST(HttpHardening, AnonymousLoopbackAccessIsAnExplicitLoggedOptOut) {
    LogCapture log;
    Api api(kListen + "      allow_anonymous_loopback: true\n      clients:\n        ops: {token: " + kToken + "}\n");
    EXPECT_EQ(api.request("GET", "/tools").status, 200);
    EXPECT_EQ(api.request("GET", "/tools", "", bearer("wrong-wrong-wrong-wrong")).status, 401)
        << "a wrong token is still refused";
    EXPECT_NE(log.text().find("allow_anonymous_loopback is set"), std::string::npos) << log.text();
    EXPECT_NE(
        start_error(
            "{listen: '192.0.2.1:0', allow_anonymous_loopback: true, clients: {ops: {token: 0123456789abcdef0123}}}")
            .find("allow_anonymous_loopback applies on loopback only"),
        std::string::npos);
}

TEST(HttpHardening, HostHeaderAcceptsLoopbackAndConfiguredNamesOnly) {
    Api api(kListen + "      allowed_hosts: [scanorch.internal]\n");
    auto host = [&](const std::string& h) { return api.request("GET", "/tools", "", {{"Host", h}}).status; };
    EXPECT_EQ(host("127.attacker.example"), 403) << "DNS rebinding through a name that starts with 127.";
    EXPECT_EQ(host("127.0.0.1.nip.io:8836"), 403);
    EXPECT_EQ(host("localhost.attacker.example"), 403);
    EXPECT_EQ(host("127.0.0.1:8836:1"), 403);
    EXPECT_EQ(host("[::1"), 403);
    EXPECT_EQ(host("127.0.0.1:http"), 403);
    EXPECT_EQ(host("127.0.0.1"), 200);
    EXPECT_EQ(host("127.0.0.1:8836"), 200);
    EXPECT_EQ(host("127.1.2.3:1"), 200) << "all of 127.0.0.0/8 is loopback";
    EXPECT_EQ(host("localhost:8836"), 200);
    EXPECT_EQ(host("LocalHost"), 200);
    EXPECT_EQ(host("[::1]:8836"), 200);
    EXPECT_EQ(host("[::ffff:127.0.0.1]:8836"), 200);
    EXPECT_EQ(host("scanorch.internal:8836"), 200) << "allowed_hosts";
    EXPECT_EQ(host("other.internal:8836"), 403);
}

// --- Bounded --------------------------------------------------------------

TEST(HttpHardening, RefusedRandomPathsDoNotGrowMetrics) {
    Api api(kListen + "      clients:\n        ops: {token: " + kToken + "}\n");
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(api.request("GET", "/probe-" + std::to_string(i)).status, 401);
        EXPECT_EQ(api.request("GET", "/probe-" + std::to_string(i), "", {{"Origin", "http://evil.example"}}).status,
                  403);
    }
    EXPECT_EQ(api.request("GET", "/probe-x", "", bearer(kToken)).status, 404);
    const auto metrics = api.request("GET", "/metrics", "", bearer(kToken)).body;
    EXPECT_EQ(metrics.find("probe-"), std::string::npos) << "endpoint labels come from a fixed set";
    EXPECT_NE(metrics.find(R"(scanorch_http_requests_total{code="401",endpoint="other"} 5)"), std::string::npos)
        << metrics;
}

TEST(HttpHardening, OneClientCannotTakeEveryMcpSession) {
    Api api(kListen +
            "      max_sessions: 10\n      max_sessions_per_client: 2\n      clients:\n        greedy: {token: " +
            kToken + "}\n        other: {token: " + kLimited + "}\n");
    const std::string init =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
    auto with = [](std::map<std::string, std::string> h) {
        h["Accept"] = "application/json, text/event-stream";
        return h;
    };
    EXPECT_EQ(api.request("POST", "/mcp", init, with(bearer(kToken))).status, 200);
    EXPECT_EQ(api.request("POST", "/mcp", init, with(bearer(kToken))).status, 200);
    const auto third = api.request("POST", "/mcp", init, with(bearer(kToken)));
    EXPECT_EQ(third.status, 429) << third.body;
    EXPECT_NE(third.body.find("client 'greedy' has 2 MCP sessions open"), std::string::npos) << third.body;
    EXPECT_EQ(api.request("POST", "/mcp", init, with(bearer(kLimited))).status, 200)
        << "the other client still gets in";
}

TEST(HttpHardening, AuthenticatesFromTheHeadersBeforeReadingTheBody) {
    Api api(kListen + "      request_timeout: 5\n      clients:\n        ops: {token: " + kToken + "}\n");
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api.port()));
    Poco::Net::StreamSocket s(at);
    const std::string head =
        "POST /tools/get_queue_status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
        "Expect: 100-continue\r\n\r\n";
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    s.setReceiveTimeout(Poco::Timespan(3, 0));
    char buf[512];
    int n = 0;
    try {
        n = s.receiveBytes(buf, sizeof buf);
    } catch (const Poco::TimeoutException&) {
    }
    const std::string first(buf, static_cast<std::size_t>(std::max(n, 0)));
    EXPECT_EQ(first.rfind("HTTP/1.1 401", 0), 0u)
        << "no 100 Continue, no waiting for the body, before the token is checked: " << first;
    // With a token the body is invited as before.
    Poco::Net::StreamSocket ok(at);
    const std::string authed = "POST /tools/get_queue_status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                               kToken + "\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
    ok.sendBytes(authed.data(), static_cast<int>(authed.size()));
    ok.setReceiveTimeout(Poco::Timespan(5, 0));
    n = ok.receiveBytes(buf, sizeof buf);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max(n, 0))).rfind("HTTP/1.1 100 Continue", 0), 0u);
    ok.sendBytes("{}", 2);
    EXPECT_NE(read_until_closed(ok).data.find("HTTP/1.1 200 OK"), std::string::npos);
}

TEST(HttpHardening, CapsOpenConnectionsPerAddress) {
    Api api(kListen + "      max_connections_per_address: 2\n");
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api.port()));
    Poco::Net::StreamSocket one(at), two(at);
    EXPECT_NE(ask_health(one).find("200 OK"), std::string::npos);
    EXPECT_NE(ask_health(two).find("200 OK"), std::string::npos);
    Poco::Net::StreamSocket three(at);
    const auto third = read_until_closed(three);
    EXPECT_TRUE(third.closed && third.data.empty())
        << "a third connection from one address is closed on arrival: " << third.data;
    EXPECT_NE(ask_health(one).find("200 OK"), std::string::npos);
}

TEST(HttpHardening, ConfigValuesAreRangeChecked) {
    auto error = [](const std::string& extra) { return start_error("{listen: '127.0.0.1:0', " + extra + "}"); };
    EXPECT_NE(error("max_sessions: -1").find("max_sessions: -1 is out of range (1 to 1000000)"), std::string::npos)
        << error("max_sessions: -1");
    EXPECT_NE(error("max_sessions: 0").find("max_sessions: 0 is out of range"), std::string::npos);
    EXPECT_NE(error("session_idle_timeout: 99999999999")
                  .find("session_idle_timeout: 99999999999 is out of range (1 to 2592000)"),
              std::string::npos)
        << error("session_idle_timeout: 99999999999");
    EXPECT_NE(error("request_timeout: 100000d").find("request_timeout:"), std::string::npos);
    EXPECT_NE(error("keep_alive_timeout: 0").find("keep_alive_timeout: 0 is out of range (1 to 3600)"),
              std::string::npos);
    EXPECT_NE(error("max_body_bytes: -5").find("max_body_bytes: -5 is out of range"), std::string::npos);
    EXPECT_NE(error("max_sessions: 5, max_sessions_per_client: 6")
                  .find("max_sessions_per_client: 6 is out of range (1 to 5)"),
              std::string::npos);
    EXPECT_NE(start_error("{listen: '127.0.0.1:http'}").find("port must be a number from 0 to 65535"),
              std::string::npos);
    EXPECT_NE(error("clients: {ops: {token: 0123456789abcdef0123, max_concurrent_scans: -1}}")
                  .find("clients.ops.max_concurrent_scans: -1 is out of range (0 to 100000)"),
              std::string::npos);
    EXPECT_NE(error("clients: {ops: {token: 0123456789abcdef0123, scopes: [192.0.2.1]}}")
                  .find("clients.ops.scopes: unknown key"),
              std::string::npos)
        << "a misspelt key must not silently drop a restriction";
    EXPECT_NE(error("clients: {ops: {token: 0123456789abcdef0123, tools: [run_untrusted_scna]}}")
                  .find("clients.ops.tools: unknown tool 'run_untrusted_scna'"),
              std::string::npos);
    EXPECT_NE(
        error("clients: {a: {token: 0123456789abcdef0123}, b: {token: 0123456789abcdef0123}}").find("is the same as"),
        std::string::npos);
}

// --- Clean errors ---------------------------------------------------------

TEST(HttpHardening, BadPercentEncodingIs400AndThe404BodyIsValidJson) {
    Api api(kListen);
    const auto bad = api.request("GET", "/%zz");
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("percent-encoding"), std::string::npos) << bad.body;
    EXPECT_EQ(api.request("GET", "/tools/%").status, 400);
    const auto quoted = api.request("GET", "/a%22%7D%0Ab");
    EXPECT_EQ(quoted.status, 404);
    Obj body;
    ASSERT_NO_THROW(body = quoted.json()) << quoted.body;
    EXPECT_EQ(body->getValue<std::string>("error"), "not found: /a\"}\nb");
    EXPECT_EQ(api.request("GET", "/health").status, 200);
}

TEST(HttpHardening, RequestTextIsEscapedInLogLines) {
    LogCapture log;
    Api api(kListen);
    EXPECT_EQ(api.request("GET", "/x%0a2026-01-01T00:00:00.000%20INFO%20forged-line%0d%1b[31m").status, 404);
    EXPECT_EQ(api.request("GET", "/health", "", {{"X-Trace-Id", "t1 status=200 trace=forged"}}).status, 200);
    const auto text = log.text();
    EXPECT_EQ(text.find("\n2026-01-01T00:00:00.000 INFO forged-line"), std::string::npos) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no terminal escapes either";
    EXPECT_NE(text.find("/x\\x0a2026-01-01T00:00:00.000 INFO forged-line\\x0d\\x1b[31m"), std::string::npos) << text;
    EXPECT_EQ(text.find("trace=forged"), std::string::npos)
        << "a trace id that is not a plain token is replaced: " << text;
}

TEST(HttpHardening, CorsPreflightForAllowedOriginsOnly) {
    Api api(kListen + "      allowed_origins: ['https://console.example']\n      clients:\n        ops: {token: " +
            kToken + "}\n");
    const std::map<std::string, std::string> pre = {
        {"Origin", "https://console.example"},
        {"Access-Control-Request-Method", "POST"},
        {"Access-Control-Request-Headers", "authorization, content-type, mcp-session-id"}};
    const auto ok = api.request("OPTIONS", "/mcp", "", pre);
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(ok.headers.count("Access-Control-Allow-Origin") ? ok.headers.at("Access-Control-Allow-Origin") : "",
              "https://console.example");
    EXPECT_NE(ok.headers.count("Access-Control-Allow-Headers")
                  ? ok.headers.at("Access-Control-Allow-Headers").find("Mcp-Session-Id")
                  : std::string::npos,
              std::string::npos);
    auto evil = pre;
    evil["Origin"] = "https://evil.example";
    const auto refused = api.request("OPTIONS", "/mcp", "", evil);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.headers.count("Access-Control-Allow-Origin"), 0u);
    // The real request from the allowed origin: answered with the header a browser needs to read it.
    auto real = bearer(kToken);
    real["Origin"] = "https://console.example";
    const auto tools = api.request("GET", "/tools", "", real);
    EXPECT_EQ(tools.status, 200);
    EXPECT_EQ(tools.headers.count("Access-Control-Allow-Origin") ? tools.headers.at("Access-Control-Allow-Origin") : "",
              "https://console.example");
}
