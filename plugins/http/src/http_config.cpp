#include "http_config.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace scanorch::http {

bool HttpConfig::loopback() const {
    const auto& host = server.host;
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

namespace {
std::vector<std::string> strings(const Poco::JSON::Object::Ptr& o, const char* key) {
    std::vector<std::string> out;
    if (auto a = o->getArray(key)) {
        for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
    }
    return out;
}
}  // namespace

sdk::Result<HttpConfig> parse_config(const std::string& json) {
    HttpConfig c;
    try {
        const auto o = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        const auto listen = o->optValue<std::string>("listen", "127.0.0.1:8836");
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) return sdk::Error::invalid_input("listen '" + listen + "' is not HOST:PORT");
        auto& host = c.server.host;
        host = listen.substr(0, colon);
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);  // [::1]
        const int port = std::stoi(listen.substr(colon + 1));
        if (port < 0 || port > 65535) return sdk::Error::invalid_input("listen '" + listen + "': port out of range");
        c.server.port = static_cast<std::uint16_t>(port);
        c.require_auth = o->optValue<bool>("require_auth", false) || !c.loopback();
        c.allowed_origins = strings(o, "allowed_origins");
        const auto request_timeout = o->optValue<std::int64_t>("request_timeout", 30);
        const auto keep_alive_timeout = o->optValue<std::int64_t>("keep_alive_timeout", 5);
        if (request_timeout < 1) return sdk::Error::invalid_input("request_timeout must be at least 1 second");
        if (keep_alive_timeout < 1) return sdk::Error::invalid_input("keep_alive_timeout must be at least 1 second");
        c.server.request_timeout = std::chrono::seconds(request_timeout);
        c.server.keep_alive_timeout = std::chrono::seconds(keep_alive_timeout);
        c.max_sessions = static_cast<std::uint32_t>(o->optValue<std::int64_t>("max_sessions", 1000));
        c.session_idle_seconds = o->optValue<std::int64_t>("session_idle_timeout", 3600);
        c.server.tls_cert = o->optValue<std::string>("tls_cert", "");
        c.server.tls_key = o->optValue<std::string>("tls_key", "");
        const auto threads = o->optValue<std::int64_t>("threads", 8);
        if (threads < 1 || threads > 1024) return sdk::Error::invalid_input("threads must be between 1 and 1024");
        c.server.threads = static_cast<std::uint32_t>(threads);
        const auto connections = o->optValue<std::int64_t>("max_connections", 1024);
        if (connections < 1) return sdk::Error::invalid_input("max_connections must be at least 1");
        c.server.max_connections = static_cast<std::size_t>(connections);
        const auto body = o->optValue<std::int64_t>("max_body_bytes", 1 << 20);
        if (body < 1) return sdk::Error::invalid_input("max_body_bytes must be at least 1");
        c.server.max_body_bytes = static_cast<std::uint64_t>(body);
        c.public_metrics = o->optValue<bool>("public_metrics", false);
        if (c.server.tls_cert.empty() != c.server.tls_key.empty()) return sdk::Error::invalid_input("tls_cert and tls_key go together");
        if (auto clients = o->getObject("clients")) {
            for (const auto& [name, v] : *clients) {
                auto co = clients->getObject(name);
                if (!co) return sdk::Error::invalid_input("clients." + name + " must be a mapping");
                Client cl;
                cl.name = name;
                cl.token = co->optValue<std::string>("token", "");
                if (cl.token.size() < 16) {
                    return sdk::Error::invalid_input("clients." + name + ".token must be at least 16 characters");
                }
                cl.tools = strings(co, "tools");
                cl.scope = strings(co, "scope");
                cl.max_concurrent_scans = static_cast<std::uint32_t>(co->optValue<std::int64_t>("max_concurrent_scans", 0));
                c.clients.push_back(std::move(cl));
            }
        }
        if (c.require_auth && c.clients.empty()) {
            return sdk::Error::invalid_input("listening on " + c.server.host + " (not loopback) needs bearer tokens: add `clients` "
                                             "with a token each");
        }
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input(std::string("config: ") + e.what());
    }
    return c;
}

}  // namespace scanorch::http
