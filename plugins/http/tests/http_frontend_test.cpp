// The http front end through real sockets, in front of the real core (memory
// queue, router, nessus plugin, emulator): every status code and error the
// REST and MCP surfaces promise.
#include <gtest/gtest.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>

#include <thread>

#include "http_test_api.h"

using namespace http_test;

TEST(HttpFrontend, HealthReadyMetricsAndRest) {
    Api api(kOpen);
    EXPECT_EQ(api.request("GET", "/health").body, R"({"status":"ok"})");
    EXPECT_EQ(api.request("GET", "/ready").status, 200);
    auto metrics = api.request("GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.headers["Content-Type"].find("text/plain"), std::string::npos);
    EXPECT_NE(metrics.body.find("nessus_scanner_capacity{scanner_instance=\"nessus_prod_1\"} 2"), std::string::npos)
        << metrics.body;

    auto tools = api.request("GET", "/tools");
    EXPECT_EQ(tools.status, 200);
    EXPECT_GE(tools.json()->getArray("tools")->size(), 11u);

    // The design document's curl line, as written.
    auto submitted = api.request("POST", "/tools/run_untrusted_scan",
                                 R"({"targets":"192.0.2.10","name":"Test scan","scanner_instance":"nessus_prod_1"})");
    ASSERT_EQ(submitted.status, 200) << submitted.body;
    EXPECT_EQ(submitted.json()->getValue<std::string>("scanner_instance"), "nessus_prod_1");
    EXPECT_FALSE(submitted.headers["X-Trace-Id"].empty());

    EXPECT_EQ(api.request("POST", "/tools/run_untrusted_scan", "{not json").status, 400);
    auto scope = api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"203.0.113.1","name":"x"})");
    EXPECT_EQ(scope.status, 422) << scope.body;
    EXPECT_NE(scope.json()->getValue<std::string>("error").find("outside the allowed scan scope"), std::string::npos);
    auto unknown_scanner = api.request("POST", "/tools/run_untrusted_scan",
                                       R"({"targets":"192.0.2.1","name":"x","scanner_instance":"mars"})");
    EXPECT_EQ(unknown_scanner.status, 400);
    EXPECT_NE(unknown_scanner.body.find("unknown scanner 'mars' (valid: nessus_prod_1)"), std::string::npos);
    EXPECT_EQ(api.request("POST", "/tools/no_such_tool", "{}").status, 404);
    EXPECT_EQ(api.request("POST", "/tools/get_scan_status", R"({"task_id":"nope"})").status, 404);
    EXPECT_EQ(api.request("GET", "/tools/run_untrusted_scan").status, 405);
    EXPECT_EQ(api.request("POST", "/tools/run_untrusted_scan", std::string(5000, ' ')).status, 413);
    EXPECT_EQ(api.request("GET", "/nowhere").status, 404);
}

TEST(HttpFrontend, OriginAndHostChecks) {
    Api api(kOpen);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Origin", "http://evil.example"}}).status, 403);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Origin", "http://localhost:6274"}}).status, 200);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Host", "attacker.example:8836"}}).status, 403) << "DNS rebinding";
    // The same loopback rule as the listen address (sdk::targets::is_loopback_host).
    for (const char* origin : {"http://127.0.0.2:6274", "http://[::1]:6274", "https://LOCALHOST"}) {
        EXPECT_EQ(api.request("GET", "/tools", "", {{"Origin", origin}}).status, 200) << origin;
    }
    for (const char* origin : {"http://127.attacker.example", "http://localhost.attacker.example", "file://localhost",
                               "http://localhost@attacker.example"}) {
        EXPECT_EQ(api.request("GET", "/tools", "", {{"Origin", origin}}).status, 403) << origin;
    }
    for (const char* host : {"127.0.0.1:8836", "127.9.8.7", "[::1]:8836", "[::ffff:127.0.0.1]", "Localhost:8836"}) {
        EXPECT_EQ(api.request("GET", "/tools", "", {{"Host", host}}).status, 200) << host;
    }
    for (const char* host : {"127.attacker.example", "127.0.0.1.attacker.example:8836", "[::2]:8836", "::1"}) {
        EXPECT_EQ(api.request("GET", "/tools", "", {{"Host", host}}).status, 403) << host;
    }
}

TEST(HttpFrontend, BearerTokensAndPerClientLimits) {
    Api api(kAuth);
    EXPECT_EQ(api.request("GET", "/health").status, 200) << "health needs no token";
    auto none = api.request("GET", "/tools");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.headers["WWW-Authenticate"].rfind("Bearer", 0), 0u);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Authorization", "Bearer wrong-token-wrong-token"}}).status, 401);
    EXPECT_EQ(api.request("GET", "/tools", "", {{"Authorization", "Basic " + kToken}}).status, 401);
    const std::map<std::string, std::string> ops = {{"Authorization", "Bearer " + kToken}};
    const std::map<std::string, std::string> viewer = {{"Authorization", "Bearer " + kLimited}};
    EXPECT_EQ(api.request("GET", "/tools", "", ops).status, 200);
    EXPECT_EQ(api.request("POST", "/tools/list_scanners", "{}", viewer).status, 200);
    EXPECT_EQ(
        api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"198.51.100.2","name":"x"})", viewer).status,
        403)
        << "not in the client's tool list";
    // Scope per client: `lab` may run scans, but only inside its own scope, a
    // part of the global one; a target the global scope allows is still refused.
    const std::map<std::string, std::string> lab = {{"Authorization", "Bearer " + kScoped}};
    auto outside = api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.8","name":"x"})", lab);
    EXPECT_EQ(outside.status, 422) << outside.body;
    EXPECT_NE(outside.body.find("192.0.2.8 is outside the scope of client 'lab'"), std::string::npos) << outside.body;
    auto inside = api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"198.51.100.3","name":"x"})", lab);
    EXPECT_EQ(inside.status, 200) << inside.body;
    auto mine = api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.7","name":"x"})", ops);
    EXPECT_EQ(mine.status, 200);
    // A task is visible to the client that created it only.
    const auto id = mine.json()->getValue<std::string>("task_id");
    EXPECT_EQ(api.request("POST", "/tools/get_scan_status", R"({"task_id":")" + id + R"("})", viewer).status, 404);
    EXPECT_EQ(api.request("POST", "/tools/get_scan_status", R"({"task_id":")" + id + R"("})", ops).status, 200);
    // MCP needs the token too.
    EXPECT_EQ(api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 401);
    const auto sid = api.mcp_session(ops);
    EXPECT_FALSE(sid.empty());
    EXPECT_EQ(
        api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", api.mcp_headers(sid, viewer)).status,
        404)
        << "a session belongs to the client that opened it";
}

TEST(HttpFrontend, AClientAtItsScanCapGets429) {
    Api api("      listen: 127.0.0.1:0\n      clients:\n        capped: {token: " + kToken +
            ", max_concurrent_scans: 1}\n");
    const std::map<std::string, std::string> capped = {{"Authorization", "Bearer " + kToken}};
    EXPECT_EQ(
        api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.70","name":"first"})", capped).status,
        200);
    auto second =
        api.request("POST", "/tools/run_untrusted_scan", R"({"targets":"192.0.2.71","name":"second"})", capped);
    EXPECT_EQ(second.status, 429) << second.body;
    EXPECT_NE(second.body.find("already has 1 unfinished scans"), std::string::npos) << second.body;
}

TEST(HttpFrontend, McpProtocol) {
    Api api(kOpen);
    const std::map<std::string, std::string> accept = {{"Accept", "application/json, text/event-stream"}};
    // initialize: the client's version when supported, else the latest.
    auto init = api.request(
        "POST", "/mcp",
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
        accept);
    ASSERT_EQ(init.status, 200);
    EXPECT_EQ(init.json()->getObject("result")->getValue<std::string>("protocolVersion"), "2025-06-18");
    EXPECT_TRUE(init.json()->getObject("result")->getObject("capabilities")->has("tools"));
    const auto sid = init.headers["Mcp-Session-Id"];
    EXPECT_EQ(sid.size(), 32u);
    auto old = api.request(
        "POST", "/mcp",
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
        accept);
    EXPECT_EQ(old.json()->getObject("result")->getValue<std::string>("protocolVersion"), "2025-11-25");

    const auto h = api.mcp_headers(sid);
    EXPECT_EQ(api.request("POST", "/mcp", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", h).status, 202);
    EXPECT_EQ(api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", h)
                  .json()
                  ->getObject("result")
                  ->size(),
              0u);

    auto list = api.request("POST", "/mcp", R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})", h).json();
    auto tools = list->getObject("result")->getArray("tools");
    ASSERT_GE(tools->size(), 11u);
    for (std::size_t i = 0; i < tools->size(); ++i) {
        auto t = tools->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(t->getObject("inputSchema")->getValue<std::string>("type"), "object")
            << t->getValue<std::string>("name");
        EXPECT_TRUE(t->has("outputSchema"));
        EXPECT_TRUE(t->getObject("annotations")->has("readOnlyHint"));
        if (t->getValue<std::string>("name") == "get_scan_status") {
            EXPECT_TRUE(t->getObject("annotations")->getValue<bool>("readOnlyHint"));
            EXPECT_FALSE(t->getObject("annotations")->getValue<bool>("openWorldHint"));
        }
    }

    auto ok =
        api.request(
               "POST", "/mcp",
               R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"run_untrusted_scan","arguments":{"targets":"192.0.2.20","name":"mcp"}}})",
               h)
            .json()
            ->getObject("result");
    EXPECT_FALSE(ok->has("isError"));
    EXPECT_EQ(ok->getObject("structuredContent")->getValue<std::string>("status"), "queued");
    EXPECT_EQ(ok->getArray("content")->getObject(0)->getValue<std::string>("type"), "text");

    auto tool_error =
        api.request(
               "POST", "/mcp",
               R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"run_untrusted_scan","arguments":{"targets":"203.0.113.9","name":"x"}}})",
               h)
            .json()
            ->getObject("result");
    EXPECT_TRUE(tool_error->getValue<bool>("isError"));
    EXPECT_NE(tool_error->getArray("content")->getObject(0)->getValue<std::string>("text").find(
                  "outside the allowed scan scope"),
              std::string::npos);

    auto rpc = [&](const std::string& body, const std::map<std::string, std::string>& headers) {
        return api.request("POST", "/mcp", body, headers);
    };
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"nope"}})", h)
                  .json()
                  ->getObject("error")
                  ->getValue<int>("code"),
              -32602);
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":7,"method":"no/such_method"})", h)
                  .json()
                  ->getObject("error")
                  ->getValue<int>("code"),
              -32601);
    auto parse = rpc(R"({"jsonrpc":)", h);
    EXPECT_EQ(parse.status, 400);
    EXPECT_EQ(parse.json()->getObject("error")->getValue<int>("code"), -32700);
    EXPECT_TRUE(parse.json()->isNull("id"));
    auto batch = rpc(R"([{"jsonrpc":"2.0","id":8,"method":"ping"}])", h);
    EXPECT_EQ(batch.status, 400);
    EXPECT_EQ(batch.json()->getObject("error")->getValue<int>("code"), -32600);
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":9,"method":"ping"})", accept).status, 400) << "no session id";
    EXPECT_EQ(
        rpc(R"({"jsonrpc":"2.0","id":9,"method":"ping"})", api.mcp_headers("00000000000000000000000000000000")).status,
        404);
    auto bad_version = h;
    bad_version["MCP-Protocol-Version"] = "1999-01-01";
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":10,"method":"ping"})", bad_version).status, 400);
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":11,"method":"logging/setLevel","params":{"level":"warning"}})", h).status,
              200);
    EXPECT_EQ(api.request("GET", "/mcp", "", h).status, 405);
    EXPECT_EQ(rpc(std::string(5000, ' '), h).status, 413);
    EXPECT_EQ(api.request("DELETE", "/mcp", "", h).status, 200);
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":12,"method":"ping"})", h).status, 404) << "ended";
}

TEST(HttpFrontend, McpSessionsAreCapped) {
    Api api("      listen: 127.0.0.1:0\n      max_sessions: 2\n");
    const std::map<std::string, std::string> accept = {{"Accept", "application/json, text/event-stream"}};
    const std::string init =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
    const auto first = api.request("POST", "/mcp", init, accept);
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(api.request("POST", "/mcp", init, accept).status, 200);
    auto third = api.request("POST", "/mcp", init, accept);
    EXPECT_EQ(third.status, 503);
    EXPECT_NE(third.body.find("too many MCP sessions"), std::string::npos);
    // Ending one makes room.
    EXPECT_EQ(api.request("DELETE", "/mcp", "", api.mcp_headers(first.headers.at("Mcp-Session-Id"))).status, 200);
    EXPECT_EQ(api.request("POST", "/mcp", init, accept).status, 200);
}

TEST(HttpFrontend, ServesHttpsWithAGivenCertificate) {
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-http-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string d = dir.string();
    const std::string cmd =
        "cd '" + d +
        "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=test CA' "
        ">/dev/null 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' "
        ">/dev/null 2>&1 && printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && openssl x509 -req -in server.csr -CA ca.pem "
        "-CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    Api api("      listen: 127.0.0.1:0\n      tls_cert: " + d + "/server.pem\n      tls_key: " + d + "/server.key\n");
    Poco::Net::initializeSSL();
    {
        Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, d + "/ca.pem",
                                                             Poco::Net::Context::VERIFY_RELAXED);
        Poco::Net::HTTPSClientSession s("127.0.0.1", static_cast<Poco::UInt16>(api.port()), ctx);
        Poco::Net::HTTPRequest req("GET", "/health");
        s.sendRequest(req);
        Poco::Net::HTTPResponse res;
        std::string body;
        Poco::StreamCopier::copyToString(s.receiveResponse(res), body);
        EXPECT_EQ(res.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
        EXPECT_EQ(body, R"({"status":"ok"})");
    }
    Poco::Net::uninitializeSSL();
    std::filesystem::remove_all(dir);
}

TEST(HttpFrontend, StalledRequestsAndIdleConnectionsAreDropped) {
    Api api("      listen: 127.0.0.1:0\n      request_timeout: 1\n      keep_alive_timeout: 1\n");
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api.port()));
    const std::string host = "Host: 127.0.0.1:" + std::to_string(api.port()) + "\r\n";

    // Headers that never end (slowloris): the connection is dropped, and the
    // server keeps answering others meanwhile.
    Poco::Net::StreamSocket headers(at);
    headers.sendBytes("GET /health HTTP/1.1\r\n", 22);
    EXPECT_EQ(api.request("GET", "/health").status, 200);
    const auto h = read_until_closed(headers);
    EXPECT_TRUE(h.closed) << "a request whose headers stall must not hold its thread";
    EXPECT_EQ(h.data.find("200 OK"), std::string::npos) << h.data;

    // A body shorter than its Content-Length: dropped, and no tool ran on half a body.
    Poco::Net::StreamSocket body(at);
    const std::string partial = "POST /tools/get_queue_status HTTP/1.1\r\n" + host +
                                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    body.sendBytes(partial.data(), static_cast<int>(partial.size()));
    const auto b = read_until_closed(body);
    EXPECT_TRUE(b.closed) << "a stalled body must not hold its thread";
    EXPECT_NE(b.data.find("HTTP/1.1 408"), std::string::npos) << b.data;
    EXPECT_NE(b.data.find("did not arrive in full"), std::string::npos) << b.data;

    // An idle keep-alive connection is closed after its answer.
    Poco::Net::StreamSocket idle(at);
    const std::string get = "GET /health HTTP/1.1\r\n" + host + "Connection: keep-alive\r\n\r\n";
    idle.sendBytes(get.data(), static_cast<int>(get.size()));
    const auto k = read_until_closed(idle);
    EXPECT_TRUE(k.closed) << "an idle keep-alive connection must be closed";
    EXPECT_NE(k.data.find("200 OK"), std::string::npos) << k.data;
    EXPECT_EQ(api.request("GET", "/health").status, 200);
}

// What Beast parses and this server decides: 100-continue, chunked bodies and
// their cap, malformed and oversized requests, HTTP/1.0, pipelining.
TEST(HttpFrontend, SpeaksHttp11AndRefusesWhatItCannotParse) {
    Api api(kOpen + "      request_timeout: 2\n");  // max_body_bytes 4096
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api.port()));
    const std::string host = "Host: 127.0.0.1\r\n";

    // Expect: 100-continue (curl sends it for bodies over 1 KiB): the interim
    // answer first, then the real one once the body came.
    {
        Poco::Net::StreamSocket s(at);
        const std::string head = "POST /tools/get_queue_status HTTP/1.1\r\n" + host +
                                 "Content-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
        s.sendBytes(head.data(), static_cast<int>(head.size()));
        char buf[256];
        s.setReceiveTimeout(Poco::Timespan(5, 0));
        const int n = s.receiveBytes(buf, sizeof buf);
        ASSERT_GT(n, 0);
        EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);
        s.sendBytes("{}", 2);
        const auto rest = read_until_closed(s);
        EXPECT_NE(rest.data.find("HTTP/1.1 200 OK"), std::string::npos) << rest.data;
        EXPECT_NE(rest.data.find("\"global\""), std::string::npos) << rest.data;
    }
    // Over the cap by Content-Length with 100-continue: 413 and no invitation to send it.
    const auto big = roundtrip(at, "POST /tools/get_queue_status HTTP/1.1\r\n" + host +
                                       "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(big.find("100 Continue"), std::string::npos) << big;
    EXPECT_NE(big.find("HTTP/1.1 413"), std::string::npos) << big;

    // A chunked body is read whole; one over the cap is refused.
    const auto chunked =
        roundtrip(at, "POST /tools/get_queue_status HTTP/1.1\r\n" + host +
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n");
    EXPECT_NE(chunked.find("HTTP/1.1 200 OK"), std::string::npos) << chunked;
    std::string huge = "POST /tools/get_queue_status HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) huge += "800\r\n" + std::string(0x800, ' ') + "\r\n";  // 6 KiB in 2 KiB chunks
    huge += "0\r\n\r\n";
    const auto refused = roundtrip(at, huge);
    EXPECT_NE(refused.find("HTTP/1.1 413"), std::string::npos) << refused.substr(0, 200);

    // Not HTTP, and headers past 16 KiB: answered, named, closed.
    const auto garbage = roundtrip(at, "HELLO\r\n\r\n");
    EXPECT_NE(garbage.find("HTTP/1.1 400"), std::string::npos) << garbage;
    EXPECT_NE(garbage.find("malformed HTTP request"), std::string::npos) << garbage;
    const auto fat =
        roundtrip(at, "GET /health HTTP/1.1\r\n" + host + "X-Padding: " + std::string(20000, 'a') + "\r\n\r\n");
    EXPECT_NE(fat.find("HTTP/1.1 431"), std::string::npos) << fat.substr(0, 200);

    // HTTP/1.0 without keep-alive: one answer, then the server closes.
    const auto old = roundtrip(at, "GET /health HTTP/1.0\r\n" + host + "\r\n");
    EXPECT_EQ(old.rfind("HTTP/1.0 200 OK", 0), 0u) << old;
    // Two requests in one write (pipelining): two answers, in order.
    const auto two = roundtrip(
        at, "GET /health HTTP/1.1\r\n" + host + "\r\nGET /nowhere HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
    EXPECT_EQ(count(two, "HTTP/1.1 "), 2u) << two;
    EXPECT_LT(two.find("200 OK"), two.find("404 Not Found")) << two;
}

// Connections past max_connections are closed on arrival; the ones already
// open keep working, and room frees up as they close. stop() does not wait
// for idle connections.
TEST(HttpFrontend, CapsOpenConnectionsAndStopsWithIdleOnesOpen) {
    auto api = std::make_unique<Api>("      listen: 127.0.0.1:0\n      max_connections: 2\n");
    const Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(api->port()));
    Poco::Net::StreamSocket one(at), two(at);
    EXPECT_NE(ask_health(one).find("200 OK"), std::string::npos);
    EXPECT_NE(ask_health(two).find("200 OK"), std::string::npos);
    {
        Poco::Net::StreamSocket three(at);
        const auto third = read_until_closed(three);
        EXPECT_TRUE(third.closed) << "a connection past max_connections must be closed";
        EXPECT_TRUE(third.data.empty()) << third.data;
    }
    EXPECT_NE(ask_health(one).find("200 OK"), std::string::npos) << "open connections keep working";
    two.close();
    bool served = false;
    for (int i = 0; i < 50 && !served; ++i) {  // the server notices the close on its next read
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        Poco::Net::StreamSocket again(at);
        try {
            served = ask_health(again).find("200 OK") != std::string::npos;
        } catch (const Poco::Exception&) {
        }
    }
    EXPECT_TRUE(served) << "a closed connection frees its place";

    const auto t0 = std::chrono::steady_clock::now();
    api.reset();  // `one` is still open and idle
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
    EXPECT_TRUE(read_until_closed(one).closed);
}

TEST(HttpFrontend, RefusesBadSettingsByName) {
    EXPECT_NE(start_error("{listen: '127.0.0.1:0', keep_alive_timeout: 0}")
                  .find("keep_alive_timeout: 0 is out of range (1 to 3600)"),
              std::string::npos);
    EXPECT_NE(start_error("{listen: '127.0.0.1:0', threads: 0}").find("threads: 0 is out of range (1 to 1024)"),
              std::string::npos);
    EXPECT_NE(start_error("{listen: '127.0.0.1:0', max_connections: 0}")
                  .find("max_connections: 0 is out of range (1 to 1000000)"),
              std::string::npos);
    EXPECT_NE(start_error("{listen: '127.0.0.1:0', tls_cert: /nonexistent/cert.pem, tls_key: /nonexistent/key.pem}")
                  .find("cannot load tls_cert /nonexistent/cert.pem"),
              std::string::npos);
    EXPECT_NE(start_error("{listen: '192.0.2.1:0', require_auth: false, clients: {ops: {token: 0123456789abcdef0123}}}")
                  .find("cannot listen on 192.0.2.1:0"),
              std::string::npos);
    EXPECT_EQ(start_error("{listen: '127.0.0.1:0'}"), "");
}
