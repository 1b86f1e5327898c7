#include "http_config.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "scanorch/sdk/targets.h"

namespace scanorch::http {

bool HttpConfig::loopback() const { return sdk::targets::is_loopback_host(server.host); }

namespace {

// A bad value: thrown inside parse_config, returned as invalid_input.
struct Bad : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> strings(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& path) {
    std::vector<std::string> out;
    if (!o->has(key) || o->isNull(key)) return out;
    const auto a = o->getArray(key);
    if (!a) throw Bad(path + key + ": expected a list of strings");
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto v = a->get(static_cast<unsigned>(i));
        if (!v.isString()) throw Bad(path + key + "[" + std::to_string(i) + "]: expected a string");
        out.push_back(v.convert<std::string>());
    }
    return out;
}

// An integer inside a client's mapping within [min, max]; the error names
// the key's path and the range.
std::int64_t ranged_in(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& path,
                       std::int64_t fallback, std::int64_t min, std::int64_t max) {
    if (!o->has(key) || o->isNull(key)) return fallback;
    const auto v = o->get(key);
    std::int64_t n = 0;
    if (!v.isInteger())
        throw Bad(path + key + ": expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    try {
        n = v.convert<std::int64_t>();
    } catch (const std::exception&) {
        throw Bad(path + key + ": expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    if (n < min || n > max) {
        throw Bad(path + key + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    }
    return n;
}

constexpr std::int64_t kDay = 86400;

// An integer key within [min, max]; its default is the kConfig table's.
std::int64_t ranged(const sdk::Config& config, const std::string& key, std::int64_t min, std::int64_t max) {
    const auto n = config.integer(key);
    if (n < min || n > max) {
        throw Bad(key + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    }
    return n;
}

std::int64_t ranged_seconds(const sdk::Config& config, const std::string& key, std::int64_t min, std::int64_t max) {
    const auto n = config.duration(key).count();
    if (n < min || n > max) {
        throw Bad(key + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    }
    return n;
}

}  // namespace

sdk::Result<HttpConfig> parse_config(const sdk::Config& config) {
    HttpConfig c;
    try {
        const auto listen = config.string("listen");
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) return sdk::Error::invalid_input("listen '" + listen + "' is not HOST:PORT");
        auto& host = c.server.host;
        host = listen.substr(0, colon);
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);  // [::1]
        const auto port_text = listen.substr(colon + 1);
        if (port_text.empty() || port_text.size() > 5 ||
            port_text.find_first_not_of("0123456789") != std::string::npos || std::stoi(port_text) > 65535) {
            return sdk::Error::invalid_input("listen '" + listen + "': port must be a number from 0 to 65535");
        }
        c.server.port = static_cast<std::uint16_t>(std::stoi(port_text));
        c.allowed_origins = config.find_strings("allowed_origins").value_or(std::vector<std::string>{});
        c.allowed_hosts = config.find_strings("allowed_hosts").value_or(std::vector<std::string>{});
        // Upper bounds keep every duration far from overflowing a clock's
        // time_point (a huge value would wrap into an instant expiry).
        c.server.request_timeout = std::chrono::seconds(ranged_seconds(config, "request_timeout", 1, 3600));
        c.server.keep_alive_timeout = std::chrono::seconds(ranged_seconds(config, "keep_alive_timeout", 1, 3600));
        c.max_sessions = static_cast<std::uint32_t>(ranged(config, "max_sessions", 1, 1'000'000));
        // Absent: the smaller of 100 and max_sessions (a default that depends
        // on another key cannot live in the table).
        c.max_sessions_per_client =
            config.has("max_sessions_per_client")
                ? static_cast<std::uint32_t>(ranged(config, "max_sessions_per_client", 1, c.max_sessions))
                : std::min<std::uint32_t>(100, c.max_sessions);
        c.session_idle_seconds = ranged_seconds(config, "session_idle_timeout", 1, 30 * kDay);
        c.server.tls_cert = config.find_string("tls_cert").value_or("");
        c.server.tls_key = config.find_string("tls_key").value_or("");
        c.server.threads = static_cast<std::uint32_t>(ranged(config, "threads", 1, 1024));
        c.server.max_connections = static_cast<std::size_t>(ranged(config, "max_connections", 1, 1'000'000));
        const auto max_connections = static_cast<std::int64_t>(c.server.max_connections);
        c.server.max_connections_per_address =
            config.has("max_connections_per_address")
                ? static_cast<std::size_t>(ranged(config, "max_connections_per_address", 1, max_connections))
                : static_cast<std::size_t>(std::min<std::int64_t>(256, max_connections));
        c.server.max_body_bytes = static_cast<std::uint64_t>(ranged(config, "max_body_bytes", 1, 64LL << 20));
        c.public_metrics = config.boolean("public_metrics");
        c.allow_anonymous_loopback = config.boolean("allow_anonymous_loopback");
        if (c.server.tls_cert.empty() != c.server.tls_key.empty())
            return sdk::Error::invalid_input("tls_cert and tls_key go together");
        if (const auto clients_json = config.find_object_json("clients")) {
            // A mapping the plugin checks itself (the host knows only that
            // it is one): parsed here, each error naming the key's path.
            const auto clients = Poco::JSON::Parser().parse(*clients_json).extract<Poco::JSON::Object::Ptr>();
            if (!clients)
                return sdk::Error::invalid_input(
                    "clients: expected a mapping of NAME: {token, tools, scope, max_concurrent_scans}");
            for (const auto& [name, v] : *clients) {
                const std::string path = "clients." + name + ".";
                auto co = clients->getObject(name);
                if (!co) return sdk::Error::invalid_input("clients." + name + " must be a mapping");
                for (const auto& [key, ignored] : *co) {
                    if (key != "token" && key != "tools" && key != "scope" && key != "max_concurrent_scans") {
                        return sdk::Error::invalid_input(
                            path + key + ": unknown key (valid: token, tools, scope, max_concurrent_scans)");
                    }
                }
                Client cl;
                cl.name = name;
                cl.token = co->optValue<std::string>("token", "");
                if (cl.token.size() < 16) {
                    return sdk::Error::invalid_input("clients." + name + ".token must be at least 16 characters");
                }
                for (const auto& other : c.clients) {
                    if (other.token == cl.token) {
                        return sdk::Error::invalid_input("clients." + name + ".token is the same as clients." +
                                                         other.name + ".token");
                    }
                }
                cl.tools = strings(co, "tools", path);
                const bool has_scope = co->has("scope") && !co->isNull("scope");
                cl.scope = strings(co, "scope", path);
                if (has_scope) {
                    // Fail closed: one entry that does not parse stops the
                    // start, never narrows or widens the client silently.
                    const auto parsed = sdk::targets::parse_scope(cl.scope);
                    if (!parsed.errors.empty()) {
                        std::string msg;
                        for (const auto& e : parsed.errors) {
                            msg += (msg.empty() ? "" : "; ") + path + "scope[" + std::to_string(e.index) +
                                   "]: " + e.message;
                        }
                        return sdk::Error::invalid_input(msg);
                    }
                    if (parsed.entries.empty()) {  // `scope: []` allows nothing, never "everything"
                        cl.scope_nothing = true;
                        cl.scope = {std::string(sdk::targets::kNothingInScope)};
                    }
                }
                cl.max_concurrent_scans =
                    static_cast<std::uint32_t>(ranged_in(co, "max_concurrent_scans", path, 0, 0, 100'000));
                c.clients.push_back(std::move(cl));
            }
        }
        const bool off_loopback = !c.loopback();
        if (c.allow_anonymous_loopback && off_loopback) {
            return sdk::Error::invalid_input("allow_anonymous_loopback applies on loopback only; listening on " +
                                             c.server.host + " always needs bearer tokens");
        }
        c.require_auth =
            config.boolean("require_auth") || off_loopback || (!c.clients.empty() && !c.allow_anonymous_loopback);
        if (c.require_auth && c.clients.empty()) {
            return sdk::Error::invalid_input(
                off_loopback ? "listening on " + c.server.host +
                                   " (not loopback) needs bearer tokens: add `clients` with a token each"
                             : std::string("require_auth needs `clients` with a token each"));
        }
    } catch (const Bad& e) {
        return sdk::Error::invalid_input(e.what());
    } catch (const sdk::ConfigError&) {
        throw;  // the table and this code disagree: a bug, reported as one
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input(std::string("config: ") + e.what());
    }
    return c;
}

}  // namespace scanorch::http
