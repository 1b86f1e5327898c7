#include "validator_config.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace scanorch::nessus_validator {

bool ValidatorConfig::auth_only(const std::string& plugin_id, const std::string& family) const {
    if (auth_only_plugins.count(plugin_id) != 0 || success_plugins.count(plugin_id) != 0) return true;
    for (const auto& suffix : auth_only_families) {
        if (family.size() >= suffix.size() &&
            family.compare(family.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return true;
        }
    }
    return false;
}

sdk::Result<ValidatorConfig> parse_config(const std::string& json) {
    ValidatorConfig c;
    try {
        Poco::JSON::Parser parser;
        const auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
        auto ids = [&](const char* key, std::set<std::string>& out) {
            if (!obj->has(key)) return;
            out.clear();
            const auto arr = obj->getArray(key);
            for (std::size_t i = 0; i < arr->size(); ++i) out.insert(arr->getElement<std::string>(i));
        };
        ids("success_plugins", c.success_plugins);
        ids("failure_plugins", c.failure_plugins);
        ids("issue_plugins", c.issue_plugins);
        ids("not_attempted_plugins", c.not_attempted_plugins);
        ids("auth_only_plugins", c.auth_only_plugins);
        ids("scan_error_plugins", c.scan_error_plugins);
        if (obj->has("auth_only_families")) {
            c.auth_only_families.clear();
            const auto arr = obj->getArray("auth_only_families");
            for (std::size_t i = 0; i < arr->size(); ++i)
                c.auth_only_families.push_back(arr->getElement<std::string>(i));
        }
        auto number = [&](const char* key, auto& out, std::int64_t min) -> sdk::Result<void> {
            if (!obj->has(key)) return {};
            const auto v = obj->getValue<std::int64_t>(key);
            if (v < min)
                return sdk::Error::invalid_input(std::string(key) + " must be at least " + std::to_string(min));
            out = static_cast<std::remove_reference_t<decltype(out)>>(v);
            return {};
        };
        if (auto r = number("min_auth_plugins", c.min_auth_plugins, 0); !r) return std::move(r).error();
        if (auto r = number("min_file_bytes", c.min_file_bytes, 0); !r) return std::move(r).error();
        if (auto r = number("max_listed_warnings", c.max_listed_warnings, 1); !r) return std::move(r).error();
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input("config: " + e.displayText());
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input(std::string("config: ") + e.what());
    }
    return c;
}

}  // namespace scanorch::nessus_validator
