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
#include <Poco/URI.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>

#include "emulator.h"
#include "scanorch/framework/cli/args.h"
#include "scanorch/framework/config/yaml_reader.h"

namespace cli = scanorch::framework::cli;
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

std::pair<std::string, std::string> split_pair(const std::string& v, const std::string& option) {
    const auto colon = v.find(':');
    if (colon == std::string::npos || colon == 0) throw cli::UsageError("--" + option + " takes NAME:SECRET, got '" + v + "'");
    return {v.substr(0, colon), v.substr(colon + 1)};
}

double number(const cli::Args& a, const std::string& name, double fallback, double min, double max) {
    auto v = a.get(name);
    if (!v) return fallback;
    try {
        std::size_t used = 0;
        const double d = std::stod(*v, &used);
        if (used == v->size() && d >= min && d <= max) return d;
    } catch (...) {
    }
    throw cli::UsageError("--" + name + " takes a number from " + std::to_string(min) + " to " + std::to_string(max) +
                          ", got '" + *v + "'");
}

volatile std::sig_atomic_t g_stop = 0;

}  // namespace

int main(int argc, char** argv) {
    Poco::Util::OptionSet set;
    set.addOption(cli::option("listen", "l", "address to listen on (default 127.0.0.1:8834; port 0 = any free port)", "HOST:PORT"));
    set.addOption(cli::option("user", "u", "a Nessus login (repeatable)", "NAME:PASSWORD"));
    set.addOption(cli::option("api-key", "k", "an API key pair (repeatable)", "ACCESS:SECRET"));
    set.addOption(cli::option("target-account", "a",
                              "credentials that work on the targets (repeatable); @HOST limits one to a host; "
                              "PASSWORD * accepts any SSH key", "USER:PASSWORD[@HOST]"));
    set.addOption(cli::option("scan-seconds", "s", "how long a scan runs (default 10)", "S"));
    set.addOption(cli::option("max-running", "m", "scans running at once; the rest stay pending (default 4)", "N"));
    set.addOption(cli::option("extra-items", "x", "filler findings per host, the export size knob (default 20)", "N"));
    set.addOption(cli::option("max-hosts", "H", "largest target list a scan may expand to (default 65536)", "N"));
    set.addOption(cli::option("data-dir", "d", "where exports are written (default: a temporary directory)", "DIR"));
    set.addOption(cli::option("tls-cert", "c", "serve HTTPS with this certificate (PEM)", "FILE"));
    set.addOption(cli::option("tls-key", "K", "the certificate's private key (PEM)", "FILE"));
    set.addOption(cli::option("fail-rate", "F", "fault: share of requests answered 500 (0..1)", "P"));
    set.addOption(cli::option("drop-rate", "D", "fault: share of connections closed unanswered (0..1)", "P"));
    set.addOption(cli::option("slow-ms", "S", "fault: delay every answer by this many ms", "MS"));
    set.addOption(cli::option("session-ttl", "T", "fault: sessions expire after S idle seconds (401 Invalid Credentials)", "S"));
    set.addOption(cli::option("licence-gate", "G", "fault: scan control answers 412 API is not available (Nessus Professional)"));
    set.addOption(cli::option("export-seconds", "E", "fault: exports stay loading this long (default 0.5)", "S"));
    set.addOption(cli::option("abort-rate", "A", "fault: share of scans that end aborted (0..1)", "P"));
    set.addOption(cli::option("warmup-seconds", "W", "fault: /server/status answers 503 loading this long", "S"));
    set.addOption(cli::option("seed", "R", "seed of the fault dice (default 1)", "N"));
    set.addOption(cli::option("help", "h", "print this help"));
    try {
        const auto args = cli::parse(set, std::vector<std::string>(argv + 1, argv + argc));
        if (args.has("help")) {
            std::cout << cli::help(set, "nessus-emulator", "[options]",
                                   "A Nessus-compatible REST server for tests and demos. It never contacts a target.");
            return 0;
        }
        if (!args.positional.empty()) throw cli::UsageError("unexpected argument '" + args.positional[0] + "'");
        em::Options o;
        o.listen = args.get("listen").value_or(o.listen);
        for (const auto& v : args.options.count("user") ? args.options.at("user") : std::vector<std::string>{}) {
            o.users.push_back(split_pair(v, "user"));
        }
        for (const auto& v : args.options.count("api-key") ? args.options.at("api-key") : std::vector<std::string>{}) {
            o.api_keys.push_back(split_pair(v, "api-key"));
        }
        for (const auto& v : args.options.count("target-account") ? args.options.at("target-account") : std::vector<std::string>{}) {
            auto [user, rest] = split_pair(v, "target-account");
            const auto at = rest.rfind('@');
            o.target_accounts.push_back({user, at == std::string::npos ? rest : rest.substr(0, at),
                                         at == std::string::npos ? "" : rest.substr(at + 1)});
        }
        if (o.users.empty() && o.api_keys.empty()) throw cli::UsageError("give at least one --user or --api-key");
        o.scan_seconds = number(args, "scan-seconds", o.scan_seconds, 0, 86400);
        o.max_running = static_cast<std::uint32_t>(number(args, "max-running", o.max_running, 1, 1000));
        o.extra_items = static_cast<std::uint32_t>(number(args, "extra-items", o.extra_items, 0, 100000));
        o.max_hosts = static_cast<std::uint32_t>(number(args, "max-hosts", o.max_hosts, 1, 16777216));
        o.data_dir = args.get("data-dir").value_or("");
        o.tls_cert = args.get("tls-cert").value_or("");
        o.tls_key = args.get("tls-key").value_or("");
        if (o.tls_cert.empty() != o.tls_key.empty()) throw cli::UsageError("--tls-cert and --tls-key go together");
        o.fail_rate = number(args, "fail-rate", 0, 0, 1);
        o.drop_rate = number(args, "drop-rate", 0, 0, 1);
        o.slow_ms = static_cast<std::uint32_t>(number(args, "slow-ms", 0, 0, 600000));
        o.session_ttl = number(args, "session-ttl", 0, 0, 86400);
        o.licence_gate = args.has("licence-gate");
        o.export_seconds = number(args, "export-seconds", o.export_seconds, 0, 3600);
        o.abort_rate = number(args, "abort-rate", 0, 0, 1);
        o.warmup_seconds = number(args, "warmup-seconds", 0, 0, 3600);
        o.seed = static_cast<std::uint64_t>(number(args, "seed", 1, 0, 1e15));

        const auto colon = o.listen.rfind(':');
        if (colon == std::string::npos) throw cli::UsageError("--listen takes HOST:PORT, got '" + o.listen + "'");
        const Poco::Net::SocketAddress address(o.listen.substr(0, colon),
                                               static_cast<Poco::UInt16>(std::stoi(o.listen.substr(colon + 1))));

        em::Emulator emulator(o);
        std::unique_ptr<Poco::Net::ServerSocket> socket;
        const bool tls = !o.tls_cert.empty();
        if (tls) {
            Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, o.tls_key, o.tls_cert, "",
                                                                 Poco::Net::Context::VERIFY_NONE);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, ctx);
        } else {
            socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
        }
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(32);
        params->setMaxQueued(256);
        params->setKeepAlive(true);
        params->setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPServer server(new Factory(emulator), *socket, params);
        server.start();
        std::cout << "nessus-emulator listening on " << (tls ? "https://" : "http://")
                  << socket->address().host().toString() << ":" << socket->address().port() << std::endl;

        std::signal(SIGTERM, [](int) { g_stop = 1; });
        std::signal(SIGINT, [](int) { g_stop = 1; });
        while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        server.stopAll(true);
        emulator.stop();
        std::cout << "nessus-emulator stopped" << std::endl;
        return 0;
    } catch (const cli::UsageError& e) {
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
