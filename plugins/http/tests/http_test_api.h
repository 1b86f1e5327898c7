// The http front end tests' harness: a real core (memory queue, router,
// nessus plugin, emulator) behind the http plugin, and a plain HTTP client.
#pragma once

#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "emulator_process.h"
#include "scanorch/framework/host/host.h"
#include "scanorch/framework/service/orchestrator.h"

namespace http_test {

namespace sf = scanorch::framework;
using Obj = Poco::JSON::Object::Ptr;

struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    Obj json() const { return Poco::JSON::Parser().parse(body).extract<Obj>(); }
};

const std::string kToken = "tok-ops-0123456789abcdef";
const std::string kLimited = "tok-ro-0123456789abcdef0";
const std::string kScoped = "tok-lab-0123456789abcdef";

class Api {
public:
    explicit Api(const std::string& frontend_config) {
        dir_ = std::filesystem::temp_directory_path() /
               ("scanorch-http-" + std::to_string(::getpid()) + "-" + std::to_string(n_++));
        std::filesystem::create_directories(dir_);
        emu_ = std::make_unique<scanorch::testing::EmulatorProcess>(
            NESSUS_EMULATOR,
            std::vector<std::string>{"--user", "admin:adminpw", "--target-account", "scan:scanpw", "--scan-seconds",
                                     "0.3", "--export-seconds", "0.1", "--extra-items", "3"});
        std::ofstream(dir_ / "scanners.yaml")
            << "scanners:\n  - {instance_id: nessus_prod_1, scanner_type: nessus, url: 'http://127.0.0.1:"
            << emu_->port()
            << "', credentials: {username: admin, password: adminpw},"
               " options: {export_poll_ms: 50}}\n";
        std::ofstream(dir_ / "scanorch.yaml")
            << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir_ / "data").string()
            << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24, 198.51.100.0/24]\n"
               "workers: {poll_interval_ms: 100}\nlogging: {level: warn}\nplugins:\n  frontend:\n    use: http\n    config:\n"
            << frontend_config;
        sf::HostConfigDefaults d;
        d.plugin_dir = SCANORCH_PLUGIN_DIR;
        host_ = std::make_unique<sf::Host>(sf::load_host_config((dir_ / "scanorch.yaml").string(), d));
        host_->load_plugins();
        core_ = std::make_unique<sf::Orchestrator>(*host_, sf::Mode::all);
        core_->start();
        const Poco::URI u(core_->frontend_endpoint());
        port_ = u.getPort();
    }
    ~Api() {
        core_->stop();
        std::filesystem::remove_all(dir_);
    }

    int port() const { return port_; }

    Response request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) {
        Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port_));
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [k, v] : headers) req.set(k, v);
        if (!body.empty() || method == "POST") {
            req.setContentType("application/json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            s.sendRequest(req) << body;
        } else {
            s.sendRequest(req);
        }
        Poco::Net::HTTPResponse res;
        std::istream& in = s.receiveResponse(res);
        Response r;
        r.status = static_cast<int>(res.getStatus());
        for (const auto& [k, v] : res) r.headers[k] = v;
        Poco::StreamCopier::copyToString(in, r.body);
        return r;
    }

    // An MCP session: initialize, initialized; later calls carry the headers.
    std::string mcp_session(const std::map<std::string, std::string>& auth = {}) {
        auto h = auth;
        h["Accept"] = "application/json, text/event-stream";
        auto init = request(
            "POST", "/mcp",
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}})",
            h);
        EXPECT_EQ(init.status, 200) << init.body;
        auto sid = init.headers["Mcp-Session-Id"];
        h["Mcp-Session-Id"] = sid;
        h["MCP-Protocol-Version"] = "2025-11-25";
        EXPECT_EQ(request("POST", "/mcp", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", h).status, 202);
        return sid;
    }
    std::map<std::string, std::string> mcp_headers(const std::string& sid,
                                                   std::map<std::string, std::string> extra = {}) {
        extra["Accept"] = "application/json, text/event-stream";
        extra["Mcp-Session-Id"] = sid;
        extra["MCP-Protocol-Version"] = "2025-11-25";
        return extra;
    }

private:
    static inline int n_ = 0;
    std::filesystem::path dir_;
    std::unique_ptr<scanorch::testing::EmulatorProcess> emu_;
    std::unique_ptr<sf::Host> host_;
    std::unique_ptr<sf::Orchestrator> core_;
    int port_ = 0;
};

const std::string kOpen = "      listen: 127.0.0.1:0\n      max_body_bytes: 4096\n";
// One YAML line per source line; clang-format would put each `+ kToken +` on its own.
// clang-format off
const std::string kAuth = "      listen: 127.0.0.1:0\n      require_auth: true\n      clients:\n"
                          "        ops: {token: " + kToken + "}\n"
                          "        viewer: {token: " + kLimited + ", tools: [get_scan_status, list_scanners], scope: [198.51.100.0/24]}\n"
                          "        lab: {token: " + kScoped + ", scope: [198.51.100.0/24]}\n";
// clang-format on

// Reads until the server closes the connection; closed=false when the client's
// own 10 s patience ran out first.
struct Drained {
    std::string data;
    bool closed = false;
};
inline Drained read_until_closed(Poco::Net::StreamSocket& s) {
    Drained d;
    s.setReceiveTimeout(Poco::Timespan(10, 0));
    char buf[4096];
    try {
        while (true) {
            const int n = s.receiveBytes(buf, sizeof buf);
            if (n <= 0) break;
            d.data.append(buf, static_cast<std::size_t>(n));
        }
        d.closed = true;
    } catch (const Poco::TimeoutException&) {
    } catch (const Poco::Net::NetException&) {  // reset: closed too
        d.closed = true;
    }
    return d;
}
// One raw exchange: send `raw`, then read until the server closes (or, with
// `bytes_wanted`, until that many bytes arrived).
inline std::string roundtrip(const Poco::Net::SocketAddress& at, const std::string& raw) {
    Poco::Net::StreamSocket s(at);
    s.sendBytes(raw.data(), static_cast<int>(raw.size()));
    return read_until_closed(s).data;
}
inline std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

/// The error that starting a front end with this config gives ("" if it starts).
inline std::string start_error(const std::string& frontend_config) {
    sf::HostConfigDefaults d;
    d.plugin_dir = SCANORCH_PLUGIN_DIR;
    const auto dir = std::filesystem::temp_directory_path() / ("scanorch-http-start-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "scanners.yaml") << "scanners: []\n";
    std::ofstream(dir / "scanorch.yaml")
        << "plugin_dir: " << SCANORCH_PLUGIN_DIR << "\ndata_dir: " << (dir / "data").string()
        << "\nscanners_file: scanners.yaml\nscope: [192.0.2.0/24]\nplugins:\n  frontend:\n"
           "    use: http\n    config: "
        << frontend_config << "\n";
    std::string error;
    try {
        sf::Host host(sf::load_host_config((dir / "scanorch.yaml").string(), d));
        host.load_plugins();
        sf::Orchestrator core(host, sf::Mode::all);
        core.start();
        core.stop();
    } catch (const std::exception& e) {
        error = e.what();
    }
    std::filesystem::remove_all(dir);
    return error;
}

/// GET /health on an open keep-alive connection; what came back ("" on none within 5 s).
inline std::string ask_health(Poco::Net::StreamSocket& s) {
    const std::string get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    s.sendBytes(get.data(), static_cast<int>(get.size()));
    char buf[512];
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    const int n = s.receiveBytes(buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace http_test
