#include "nessus_config.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

namespace scanorch::nessus {

std::string NessusConfig::url() const {
    return scheme + "://" + host + ":" + std::to_string(port) + base_path;
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

sdk::Result<NessusConfig> parse_config(const std::string& json) {
    NessusConfig c;
    try {
        const auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        c.instance_id = root->optValue<std::string>("instance_id", "");
        const std::string who = "scanner '" + c.instance_id + "'";
        if (c.instance_id.empty()) return sdk::Error::invalid_input("config has no instance_id");
        const std::string url = root->optValue<std::string>("url", "");
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
            return sdk::Error::invalid_input(who + ": url '" + url + "' must start with https:// (or http:// to a loopback emulator)");
        }
        if (c.host.empty()) return sdk::Error::invalid_input(who + ": url '" + url + "' has no host");
        if (c.scheme == "http" && !is_loopback(c.host)) {
            return sdk::Error::invalid_input(who + ": plain http:// is accepted only for a loopback address (the "
                                             "nessus-emulator); use https:// for " + c.host);
        }
        if (auto cred = root->getObject("credentials")) {
            c.username = cred->optValue<std::string>("username", "");
            c.password = cred->optValue<std::string>("password", "");
            c.access_key = cred->optValue<std::string>("access_key", "");
            c.secret_key = cred->optValue<std::string>("secret_key", "");
        }
        if (c.username.empty() && c.access_key.empty()) {
            return sdk::Error::invalid_input(who + ": credentials need username/password or access_key/secret_key");
        }
        if (auto o = root->getObject("options")) {
            c.ca_file = o->optValue<std::string>("ca_file", "");
            c.verify_tls = o->optValue<bool>("verify_tls", true);
            c.timeout_seconds = o->optValue<std::int64_t>("timeout", c.timeout_seconds);
            c.export_timeout_seconds = o->optValue<std::int64_t>("export_timeout", c.export_timeout_seconds);
            c.export_poll_ms = o->optValue<std::int64_t>("export_poll_ms", c.export_poll_ms);
            c.untrusted_template = o->optValue<std::string>("untrusted_template", c.untrusted_template);
            c.trusted_template = o->optValue<std::string>("trusted_template", c.trusted_template);
            c.folder_id = o->optValue<std::int64_t>("folder_id", 0);
        }
        if (c.timeout_seconds < 1) return sdk::Error::invalid_input(who + ": options.timeout must be at least 1 second");
        if (c.export_poll_ms < 10) return sdk::Error::invalid_input(who + ": options.export_poll_ms must be at least 10");
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input("config: " + e.displayText());
    }
    return c;
}

}  // namespace scanorch::nessus
