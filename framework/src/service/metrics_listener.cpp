#include "scanorch/framework/service/metrics_listener.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <sstream>

#include "scanorch/framework/host/host.h"

namespace scanorch::framework {

namespace {

using Poco::Net::HTTPResponse;

class Handler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(const MetricsListener::Handlers& h) : h_(h) {}

    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
        const std::string path = req.getURI().substr(0, req.getURI().find('?'));
        auto send = [&](HTTPResponse::HTTPStatus status, const std::string& body, const std::string& type) {
            res.setStatus(status);
            res.setContentType(type);
            res.setContentLength(static_cast<std::streamsize>(body.size()));
            auto& out = res.send();
            if (req.getMethod() != Poco::Net::HTTPRequest::HTTP_HEAD) out << body;
        };
        if (req.getMethod() != Poco::Net::HTTPRequest::HTTP_GET &&
            req.getMethod() != Poco::Net::HTTPRequest::HTTP_HEAD) {
            res.set("Allow", "GET, HEAD");
            return send(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "text/plain");
        }
        if (path == "/metrics") return send(HTTPResponse::HTTP_OK, h_.metrics(), "text/plain; version=0.0.4");
        if (path == "/health") return send(HTTPResponse::HTTP_OK, "{\"status\":\"ok\"}", "application/json");
        if (path == "/ready") {
            auto r = h_.ready ? h_.ready() : sdk::Result<void>{};
            if (r) return send(HTTPResponse::HTTP_OK, "{\"status\":\"ready\"}", "application/json");
            Poco::JSON::Object body;
            body.set("status", "not ready");
            body.set("reason", r.error().message);
            std::ostringstream text;
            body.stringify(text);
            return send(HTTPResponse::HTTP_SERVICE_UNAVAILABLE, text.str(), "application/json");
        }
        send(HTTPResponse::HTTP_NOT_FOUND, "this listener serves /metrics, /health and /ready\n", "text/plain");
    }

private:
    const MetricsListener::Handlers& h_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(MetricsListener::Handlers h) : h_(std::move(h)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(h_);
    }

private:
    MetricsListener::Handlers h_;
};

// "HOST:PORT" or "[V6]:PORT"; throws HostError naming `what`.
std::pair<std::string, std::uint16_t> split(const std::string& listen, const std::string& what) {
    const auto colon = listen.rfind(':');
    std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
        throw HostError(what + ": '" + listen +
                        "' is not HOST:PORT (e.g. 127.0.0.1:9465; port 0 = any free port; off = no listener)");
    }
    return {host, static_cast<std::uint16_t>(value)};
}

}  // namespace

struct MetricsListenerPool {
    Poco::ThreadPool pool{1, 2};
};

MetricsListener::MetricsListener(const std::string& listen, const std::string& what, Handlers handlers) {
    const auto [host, port] = split(listen, what);
    Poco::Net::ServerSocket socket;
    try {
        // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: a second
        // worker on the same port must fail here, not share its scrapes.
        socket.bind(Poco::Net::SocketAddress(host, port), true, false);
        socket.listen(16);
    } catch (const Poco::Exception& e) {
        throw HostError(what + ": cannot listen on " + listen + ": " + e.displayText() +
                        " (each worker on a host needs its own port: set SCANORCH_METRICS_LISTEN=127.0.0.1:PORT, "
                        "or off)");
    }
    auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
    params->setMaxThreads(2);
    params->setMaxQueued(16);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(10, 0));
    const auto bound = socket.address();
    endpoint_ = "http://" +
                (bound.family() == Poco::Net::AddressFamily::IPv6 ? "[" + bound.host().toString() + "]"
                                                                  : bound.host().toString()) +
                ":" + std::to_string(bound.port());
    pool_ = std::make_unique<MetricsListenerPool>();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(std::move(handlers)), pool_->pool, socket, params);
}

MetricsListener::~MetricsListener() { stop(); }

void MetricsListener::start() {
    if (started_ || !server_) return;
    server_->start();
    started_ = true;
}

void MetricsListener::stop() {
    if (!server_) return;
    if (started_) server_->stopAll(true);
    server_.reset();
    if (pool_) pool_->pool.joinAll();
    started_ = false;
}

std::unique_ptr<MetricsListener> make_worker_metrics_listener(const HostConfig& config, prometheus::Registry& registry,
                                                              const std::shared_ptr<sdk::QueueBackend>& queue,
                                                              const std::shared_ptr<ScannerPool>& pool,
                                                              const std::shared_ptr<CoreMetrics>& metrics) {
    const std::string& listen = config.workers.metrics_listen;
    if (listen == "off") {
        spdlog::info("worker metrics listener is off (workers.metrics_listen): this process is not scraped");
        return nullptr;
    }
    MetricsListener::Handlers h;
    h.metrics = [&registry, queue, pool, metrics] {
        try {
            if (auto st = pool->state(*queue)) metrics->refresh(st->scanners, st->global, st->dead_letter);
            return prometheus::TextSerializer().Serialize(registry.Collect());
        } catch (const std::exception& e) {
            return "# metrics unavailable: " + std::string(e.what()) + "\n";
        }
    };
    h.ready = [queue]() -> sdk::Result<void> {
        auto p = queue->ping();
        if (!p) return sdk::Error::transient("queue backend unreachable: " + p.error().message);
        return {};
    };
    return std::make_unique<MetricsListener>(listen, "workers.metrics_listen", std::move(h));
}

}  // namespace scanorch::framework
