// nessus-emulator: a Nessus-compatible REST server for tests, demos and
// benchmarks, so that scanorch runs without a licence. It never connects to
// any target: targets only appear as names in generated results.
//
//   nessus-emulator --listen 127.0.0.1:8834 --user admin:secret
//       --target-account scan:scanpass [--target-account ops:pw@192.0.2.5]
//       [--scan-seconds 10] [--max-running 4] [faults...] [--tls-cert F --tls-key F]
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "command_line.h"
#include "emulator.h"

namespace em = scanorch::emulator;

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(em::Emulator& e) : emulator_(e) {}

    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
        em::Request r;
        r.method = req.getMethod();
        const Poco::URI uri(req.getURI());
        r.path = uri.getPath();
        r.query = uri.getRawQuery();
        std::ostringstream body;
        Poco::StreamCopier::copyStream(req.stream(), body, 8192);
        r.body = body.str();
        r.header = [&req](const std::string& name) { return req.get(name, ""); };  // case-insensitive
        const em::Response out = emulator_.handle(r);
        if (out.drop) {  // the "dropped connection" fault: no answer at all
            static_cast<Poco::Net::HTTPServerRequestImpl&>(req).detachSocket().close();
            return;
        }
        res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
        if (out.close) res.setKeepAlive(false);
        if (!out.allow.empty()) res.set("Allow", out.allow);
        if (!out.file.empty()) {
            res.set("Content-Disposition", "attachment; filename=\"scan.nessus\"");
            res.sendFile(out.file, "application/octet-stream");
            return;
        }
        res.setContentType("application/json");
        res.setContentLength(static_cast<std::streamsize>(out.body.size()));
        res.send() << out.body;
    }

private:
    em::Emulator& emulator_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(em::Emulator& e) : emulator_(e) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(emulator_);
    }

private:
    em::Emulator& emulator_;
};

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto command_line = em::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
        if (command_line.help) {
            std::cout << em::help_text();
            return 0;
        }
        const em::Options& o = command_line.options;
        const auto colon = o.listen.rfind(':');  // checked by parse_command_line
        const Poco::Net::SocketAddress address(o.listen.substr(0, colon),
                                               static_cast<Poco::UInt16>(std::stoi(o.listen.substr(colon + 1))));

        em::Emulator emulator(o);
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        const bool tls = !o.tls_cert.empty();
        if (tls) {
            Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, o.tls_key,
                                                                 o.tls_cert, "", Poco::Net::Context::VERIFY_NONE);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, ctx);
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
        }
        auto* params = new Poco::Net::HTTPServerParams;
        // Poco serves a connection on one thread for as long as it is open:
        // the pool's size bounds the kept-alive clients served at once.
        Poco::ThreadPool threads(2, static_cast<int>(o.threads));
        params->setMaxThreads(static_cast<int>(o.threads));
        params->setMaxQueued(256);
        params->setKeepAlive(true);
        params->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(o.keep_alive_seconds * 1e6)));
        params->setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPServer server(new Factory(emulator), threads, *socket, params);
        emulator.count_connections_with([&server] {
            return em::Emulator::Connections{static_cast<std::uint64_t>(server.totalConnections()),
                                             static_cast<std::uint64_t>(server.currentConnections())};
        });
        server.start();
        std::cout << "nessus-emulator listening on " << (tls ? "https://" : "http://")
                  << socket->address().host().toString() << ":" << socket->address().port() << std::endl;

        std::signal(SIGTERM, [](int) { g_stop = 1; });
        std::signal(SIGINT, [](int) { g_stop = 1; });
        while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        server.stopAll(true);
        emulator.count_connections_with({});
        emulator.stop();
        std::cout << "nessus-emulator stopped" << std::endl;
        return 0;
    } catch (const em::UsageError& e) {
        std::cerr << "nessus-emulator: " << e.what() << "\nTry 'nessus-emulator --help'.\n";
        return 2;
    } catch (const Poco::Exception& e) {
        std::cerr << "nessus-emulator: " << e.displayText() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "nessus-emulator: " << e.what() << "\n";
        return 1;
    }
}
