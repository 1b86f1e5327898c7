// A few hundred malformed requests against a running front end: each gets a
// deliberate answer (never a 5xx, never a dropped connection without one),
// and the server still serves afterwards.
#include <gtest/gtest.h>

#include <set>

#include "http_test_api.h"

using namespace http_test;
using namespace std::string_literals;

namespace {

struct Case {
    std::string name;
    std::string raw;         ///< the whole request, as sent
    std::set<int> expected;  ///< acceptable status codes
};

// The status line's code, or 0 when the server closed without answering.
int status_of(const std::string& reply) {
    if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12) return 0;
    return std::atoi(reply.substr(9, 3).c_str());
}

std::string request(const std::string& method, const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers,
                    const std::string& content_type = "application/json") {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) r += k + ": " + v + "\r\n";
    if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
}

}  // namespace

TEST(HttpBadInput, AHundredsOfMalformedRequestsEachGetADeliberateAnswer) {
    Api api("      listen: 127.0.0.1:0\n      request_timeout: 3\n");
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api.port()));
    const auto sid = api.mcp_session();
    const std::map<std::string, std::string> mcp = {{"Accept", "application/json, text/event-stream"},
                                                    {"Mcp-Session-Id", sid},
                                                    {"MCP-Protocol-Version", "2025-11-25"}};
    auto rpc = [&](const std::string& body) { return request("POST", "/mcp", body, mcp); };
    std::vector<Case> cases;
    auto add = [&](std::string name, std::string raw, std::set<int> expected) {
        cases.push_back({std::move(name), std::move(raw), std::move(expected)});
    };

    // Truncated JSON: every prefix of a valid message is a parse error.
    for (
        const std::string& whole : std::vector<std::string>{
            std::string(R"({"jsonrpc":"2.0","id":2,"method":"ping"})"),
            std::string(
                R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_queue_status","arguments":{}}})")}) {
        for (std::size_t n = 0; n < whole.size(); ++n)
            add("mcp truncated at " + std::to_string(n), rpc(whole.substr(0, n)), {400});
    }
    for (std::size_t n = 0; n < 30; ++n) {
        add("rest truncated at " + std::to_string(n),
            request("POST", "/tools/run_untrusted_scan",
                    std::string(R"({"targets":"192.0.2.1","name":"x"})").substr(0, n + 1), {}),
            {400});
    }
    // Wrong types in the JSON-RPC envelope.
    for (const std::string& id : std::vector<std::string>{"{}", "[]", "true", "1.5", "-1", "\"\"", "null"}) {
        add("id " + id, rpc(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})"), {200, 202, 400});
    }
    for (const std::string& method : std::vector<std::string>{"1", "null", "[]", "{}", "true"}) {
        add("method " + method, rpc(R"({"jsonrpc":"2.0","id":1,"method":)" + method + "}"), {400});
    }
    for (const std::string& jsonrpc : std::vector<std::string>{"\"1.0\"", "2.0", "null", "\"2.0 \"", "[]"}) {
        add("jsonrpc " + jsonrpc, rpc(R"({"jsonrpc":)" + jsonrpc + R"(,"id":1,"method":"ping"})"), {400});
    }
    for (const std::string& params : std::vector<std::string>{
             "\"x\"", "1", "[]", "null", "true", R"({"name":1})", R"({"name":null})",
             R"({"name":"get_queue_status","arguments":[]})", R"({"name":"get_queue_status","arguments":"{}"})",
             R"({"name":"run_untrusted_scan","arguments":{"targets":1,"name":[]}})"}) {
        add("tools/call params " + params,
            rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":)" + params + "}"), {200});
    }
    // Scalars and non-objects at the top.
    for (const std::string& top :
         std::vector<std::string>{"1", "\"x\"", "null", "true", "[]", "[1,2]",
                                  R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "  ", "\xef\xbb\xbf{}"}) {
        add("top-level " + top, rpc(top), {400});
    }
    // Huge numbers.
    for (const std::string& n :
         std::vector<std::string>{"1e400", "-1e400", "123456789012345678901234567890", "1e-400",
                                  "0.0000000000000000000000001", "18446744073709551616", "-9223372036854775809"}) {
        add("huge id " + n, rpc(R"({"jsonrpc":"2.0","id":)" + n + R"(,"method":"ping"})"), {200, 400});
        add("huge limit " + n, request("POST", "/tools/list_tasks", R"({"limit":)" + n + "}", {}), {200, 400});
        add("huge task id " + n, request("POST", "/tools/get_scan_status", R"({"task_id":)" + n + "}", {}), {400});
    }
    // Deep nesting: refused or parsed, never a crash.
    for (const std::size_t depth : std::vector<std::size_t>{64, 1000, 10000, 100000}) {
        add("nested arrays " + std::to_string(depth), rpc(std::string(depth, '[') + std::string(depth, ']')), {400});
        std::string obj;
        for (std::size_t i = 0; i < depth; ++i) obj += R"({"a":)";
        obj += "1" + std::string(depth, '}');
        add("nested arguments " + std::to_string(depth),
            rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_queue_status","arguments":)" +
                obj + "}}"),
            {200, 400});
        add("nested rest " + std::to_string(depth), request("POST", "/tools/get_queue_status", obj, {}), {400});
    }
    // Invalid UTF-8 in strings.
    for (const std::string& bad : std::vector<std::string>{"\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                                           "\xc0\xaf", std::string("a\0b", 3)}) {
        add("utf8 method", rpc(R"({"jsonrpc":"2.0","id":1,"method":")" + bad + R"("})"), {200, 400});
        add("utf8 tool name",
            rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":")" + bad + R"("}})"), {200, 400});
        add("utf8 target",
            request("POST", "/tools/run_untrusted_scan", R"({"targets":")" + bad + R"(","name":"x"})", {}), {400, 422});
        add("utf8 path", request("GET", "/x" + bad, "", {}, ""), {400, 404});
    }
    // Duplicate keys: one of them wins; the request is judged as such.
    add("duplicate id", rpc(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"ping"})"), {200});
    add("duplicate method", rpc(R"({"jsonrpc":"2.0","id":1,"method":"nope","method":"ping"})"), {200});
    add("duplicate targets",
        request("POST", "/tools/run_untrusted_scan", R"({"targets":"203.0.113.1","targets":"192.0.2.1","name":"x"})",
                {}),
        {200, 400, 422});
    // Unknown methods and paths.
    for (const std::string& m : std::vector<std::string>{"", "nope", "tools/cal", "TOOLS/LIST", "rpc.discover",
                                                         "resources/list", "prompts/list", "initialize "}) {
        add("unknown rpc " + m, rpc(R"({"jsonrpc":"2.0","id":1,"method":")" + m + R"("})"), {200});
    }
    for (const std::string& m : std::vector<std::string>{"PUT", "PATCH", "TRACE", "CONNECT", "PROPFIND", "get"}) {
        add("http method " + m, request(m, "/tools/list_scanners", "{}", {}), {400, 404, 405});
    }
    for (const std::string& p : std::vector<std::string>{"/tools/", "/tools/../health", "/TOOLS", "//mcp", "/mcp/",
                                                         "/metrics/x", "*", "http://127.0.0.1/health", "/%00", "/%",
                                                         "/%2", "/%G0", "/" + std::string(8000, 'a')}) {
        add("path " + p.substr(0, 40), request("GET", p, "", {}, ""), {200, 400, 404, 405});
    }
    // Wrong content types and accept headers.
    for (const std::string& ct : std::vector<std::string>{"text/plain", "application/x-www-form-urlencoded",
                                                          "multipart/form-data; boundary=x", "application/xml", ""}) {
        add("content type " + ct, request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", mcp, ct),
            {200});
    }
    auto text_only = mcp;
    text_only["Accept"] = "text/html";
    add("accept html", request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", text_only), {406});
    // Broken framing.
    add("two content lengths",
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", {400});
    add("negative content length", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n", {400});
    add("text content length", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n", {400});
    add("huge content length", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        {400, 413});
    add("bad chunk size",
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", {400});
    add("chunked and length",
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        {400});
    add("bare LF lines", "GET /health HTTP/1.1\nHost: 127.0.0.1\n\n", {200, 400});
    add("no version", "GET /health\r\n\r\n", {400});
    add("HTTP/2.0", "GET /health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", {400, 505});
    add("space in header name", "GET /health HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", {400});
    add("NUL in header", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0b\r\n\r\n"s, {400});
    add("binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n", {400});
    // Header floods.
    std::string many = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (int i = 0; i < 500; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    add("500 small headers", many + "\r\n", {200, 431});
    std::string flood = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 2000; ++i) flood += "X-Flood: " + std::string(20, 'x') + "\r\n";
    add("header flood past 16 KiB", flood + "\r\n", {431});
    add("one huge header", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + std::string(40000, 'c') + "\r\n\r\n",
        {431});
    add("huge request line", "GET /" + std::string(40000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        {400, 414, 431});
    for (const std::string& h : std::vector<std::string>{"127.attacker.example", "", "[::1", "127.0.0.1:99999999",
                                                         "localhost:", "evil.example"}) {
        add("host " + h, "GET /tools HTTP/1.1\r\nHost: " + h + "\r\nConnection: close\r\n\r\n", {200, 400, 403});
    }
    add("many trace ids", request("GET", "/health", "", {{"X-Trace-Id", std::string(5000, 't')}}, ""), {200});
    // MCP session header abuse.
    for (const std::string& s : std::vector<std::string>{"", "x", std::string(1000, 'a'), sid + "x", "../" + sid}) {
        auto h = mcp;
        h["Mcp-Session-Id"] = s;
        add("session " + s.substr(0, 20), request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", h),
            {400, 404});
    }
    for (const std::string& v : std::vector<std::string>{"1999-01-01", "2025-11-25\x01", std::string(500, '9')}) {
        auto h = mcp;
        h["MCP-Protocol-Version"] = v;
        add("protocol version", request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", h), {400});
    }

    ASSERT_GE(cases.size(), 300u);
    int failures = 0;
    for (const auto& c : cases) {
        const auto reply = roundtrip(at, c.raw);
        const int status = status_of(reply);
        if (c.expected.count(status) == 0) {
            ADD_FAILURE() << c.name << ": got " << (status == 0 ? std::string("no answer") : std::to_string(status))
                          << "\n"
                          << reply.substr(0, 300);
            if (++failures > 30) break;
        }
        if (reply.find("Content-Type: application/json") !=
            std::string::npos) {  // every JSON answer is JSON, errors too
            const auto body = reply.substr(reply.find("\r\n\r\n") + 4);
            if (!body.empty()) {
                EXPECT_NO_THROW(Poco::JSON::Parser().parse(body))
                    << c.name << ": the answer is not JSON: " << body.substr(0, 200);
            }
        }
    }
    // Still serving, MCP sessions included.
    EXPECT_EQ(api.request("GET", "/health").status, 200);
    const auto ping = api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":99,"method":"ping"})", mcp);
    EXPECT_EQ(ping.status, 200) << ping.body;
    EXPECT_EQ(api.request("POST", "/tools/get_queue_status", "{}").status, 200);
}
