#include "nessus_config.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "scanorch/sdk/targets.h"

namespace scanorch::nessus {

std::string NessusConfig::url() const { return scheme + "://" + host + ":" + std::to_string(port) + base_path; }

sdk::Result<NessusConfig> parse_config(const sdk::Config& config) {
    NessusConfig c;
    c.instance_id = config.find_string("instance_id").value_or("");
    const std::string who = "scanner '" + c.instance_id + "'";
    if (c.instance_id.empty()) return sdk::Error::invalid_input("config has no instance_id");
    const std::string url = config.find_string("url").value_or("");
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input(who + ": url '" + url + "' is not a URL: " + e.displayText());
    }
    c.scheme = uri.getScheme();
    c.host = uri.getHost();
    c.port = uri.getPort();
    c.base_path = uri.getPath() == "/" ? "" : uri.getPath();
    if (c.scheme != "https" && c.scheme != "http") {
        return sdk::Error::invalid_input(who + ": url '" + url +
                                         "' must start with https:// (or http:// to a loopback emulator)");
    }
    if (c.host.empty()) return sdk::Error::invalid_input(who + ": url '" + url + "' has no host");
    if (c.scheme == "http" && !sdk::targets::is_loopback_host(c.host)) {
        return sdk::Error::invalid_input(who +
                                         ": plain http:// is accepted only for a loopback address (the "
                                         "nessus-emulator); use https:// for " +
                                         c.host);
    }
    const auto credential = [&](const char* name) {
        return config.find_string(std::string("credentials.") + name).value_or("");
    };
    c.username = credential("username");
    c.password = credential("password");
    c.access_key = credential("access_key");
    c.secret_key = credential("secret_key");
    if (c.username.empty() && c.access_key.empty()) {
        return sdk::Error::invalid_input(who + ": credentials need username/password or access_key/secret_key");
    }
    c.ca_file = config.find_string("ca_file").value_or("");
    c.verify_tls = config.boolean("verify_tls");
    c.timeout_seconds = config.duration("timeout").count();
    c.export_timeout_seconds = config.duration("export_timeout").count();
    c.export_poll_ms = config.integer("export_poll_ms");
    c.keep_alive_seconds = config.duration("keep_alive").count();
    c.max_idle_connections = config.integer("max_idle_connections");
    c.untrusted_template = config.string("untrusted_template");
    c.trusted_template = config.string("trusted_template");
    c.folder_id = config.integer("folder_id");
    // Upper bounds keep deadlines (now + timeout) far from a clock's overflow.
    constexpr std::int64_t kDay = 86400;
    if (c.timeout_seconds < 1 || c.timeout_seconds > kDay) {
        return sdk::Error::invalid_input(who + ": options.timeout must be 1 s to 1 day, got " +
                                         std::to_string(c.timeout_seconds) + " s");
    }
    if (c.export_timeout_seconds < 1 || c.export_timeout_seconds > 7 * kDay) {
        return sdk::Error::invalid_input(who + ": options.export_timeout must be 1 s to 7 days, got " +
                                         std::to_string(c.export_timeout_seconds) + " s");
    }
    // Longer, and a connection a NAT or a load balancer dropped without a
    // word would fail its next request by timeout rather than be replaced.
    if (c.keep_alive_seconds < 0 || c.keep_alive_seconds > 60) {
        return sdk::Error::invalid_input(who +
                                         ": options.keep_alive must be 0 (a connection per request) to 60 s, got " +
                                         std::to_string(c.keep_alive_seconds) + " s");
    }
    if (c.max_idle_connections < 1 || c.max_idle_connections > 64) {
        return sdk::Error::invalid_input(who + ": options.max_idle_connections must be 1 to 64, got " +
                                         std::to_string(c.max_idle_connections));
    }
    if (c.export_poll_ms < 10 || c.export_poll_ms > 3'600'000) {
        return sdk::Error::invalid_input(who + ": options.export_poll_ms must be 10 to 3600000, got " +
                                         std::to_string(c.export_poll_ms));
    }
    if (c.folder_id < 0) return sdk::Error::invalid_input(who + ": options.folder_id must not be negative");
    return c;
}

}  // namespace scanorch::nessus
