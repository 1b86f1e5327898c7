#include "scanorch/framework/plugins/config_values.h"

#include "scanorch/framework/config/yaml_reader.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace scanorch::framework {
namespace {

std::string to_json(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(v, out);
    return out.str();
}

}  // namespace

sdk::Result<ConfigValues> ConfigValues::build(const PluginInfo& plugin, const std::string& json) {
    ConfigValues out;
    out.json_ = json.empty() ? "{}" : json;
    Poco::JSON::Object::Ptr root;
    try {
        root = Poco::JSON::Parser().parse(out.json_).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
        return sdk::Error::invalid_input("plugin '" + plugin.name + "': config is not a JSON object: " + e.what());
    }
    if (!root) return sdk::Error::invalid_input("plugin '" + plugin.name + "': config is not a JSON object");

    Poco::JSON::Object::Ptr declared = root;
    if (plugin.kind == SCANORCH_KIND_SCANNER) {
        // The scanners.yaml entry's own keys, then its options.
        for (const char* key : {"instance_id", "url"}) {
            if (root->has(key))
                out.add({.name = key, .type = SCANORCH_CFG_STRING, .text = root->getValue<std::string>(key)});
        }
        if (auto cred = root->getObject("credentials")) {
            for (const auto& [name, value] : *cred) {
                if (value.isEmpty()) continue;
                out.add({.name = "credentials." + name, .type = SCANORCH_CFG_SECRET, .text = value.toString()});
            }
        }
        declared = root->getObject("options");
        if (!declared) declared = new Poco::JSON::Object;
    }

    for (const auto& f : plugin.config) {
        Poco::Dynamic::Var v;
        if (declared->has(f.name) && !declared->isNull(f.name)) {  // null: as if not given
            v = declared->get(f.name);
        } else if (f.default_json) {
            // The config readers apply defaults already; a config built by
            // hand (a test, a fuzzer) gets them here, from the same table.
            try {
                v = Poco::JSON::Parser().parse("[" + *f.default_json + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
            } catch (const Poco::Exception& e) {
                return sdk::Error::invalid_input("plugin '" + plugin.name + "': default of '" + f.name +
                                                 "' is not JSON: " + e.displayText());
            }
        }
        if (v.isEmpty()) continue;
        Item item{.name = f.name, .type = f.type};
        const auto wrong = [&](const std::string& expected) {
            return sdk::Error::invalid_input(
                "plugin '" + plugin.name + "': config key '" + f.name + "' must be " + expected + ", got " +
                (f.type == SCANORCH_CFG_SECRET ? std::string("(a secret value)") : to_json(v)));
        };
        const bool boolean = v.type() == typeid(bool);  // Poco counts a bool as an integer too
        try {
            switch (f.type) {
                case SCANORCH_CFG_DURATION:
                    if (v.isString()) {  // a default may say "30s", "5m", as the YAML may
                        const auto seconds = parse_duration_seconds(v.toString());
                        if (!seconds) return wrong("a duration (seconds, or 30s, 5m, 1h, 1d)");
                        item.integer = *seconds;
                        break;
                    }
                    [[fallthrough]];
                case SCANORCH_CFG_INT:
                    if (!v.isInteger() || boolean) return wrong("an integer");
                    item.integer = v.convert<std::int64_t>();
                    break;
                case SCANORCH_CFG_BOOL:
                    if (!boolean) return wrong("true or false");
                    item.integer = v.convert<bool>() ? 1 : 0;
                    break;
                case SCANORCH_CFG_DOUBLE:
                    if (!v.isNumeric() || boolean) return wrong("a number");
                    item.number = v.convert<double>();
                    break;
                case SCANORCH_CFG_STRING_LIST: {
                    auto arr = v.extract<Poco::JSON::Array::Ptr>();
                    for (std::size_t i = 0; arr && i < arr->size(); ++i) {
                        if (!arr->get(i).isString()) return wrong("a list of strings");
                        item.items.push_back(arr->get(i).toString());
                    }
                    break;
                }
                case SCANORCH_CFG_OBJECT: {
                    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return wrong("a mapping");
                    item.text = to_json(v);
                    break;
                }
                default:
                    if (!v.isString()) return wrong("a string");
                    item.text = v.toString();
                    break;
            }
        } catch (const Poco::Exception& e) {
            return wrong(std::string(config_type_name(f.type)) + " (" + e.displayText() + ")");
        }
        out.add(std::move(item));
    }
    return out;
}

sdk::Result<sdk::Config> ConfigValues::config(const PluginInfo& plugin, const std::string& json) {
    auto values = build(plugin, json);
    if (!values) return std::move(values).error();
    return sdk::Config(values->c_config());
}

std::vector<ConfigFieldInfo> ConfigValues::fields(const scanorch_config_field* table, std::size_t count) {
    std::vector<ConfigFieldInfo> out;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& f = table[i];
        out.push_back({f.name != nullptr ? f.name : "", static_cast<scanorch_config_type>(f.type), f.required != 0,
                       f.default_json != nullptr ? std::optional<std::string>(f.default_json) : std::nullopt,
                       f.description != nullptr ? f.description : ""});
    }
    return out;
}

const scanorch_config* ConfigValues::c_config() {
    if (config_.struct_size != 0) return &config_;
    values_.clear();
    item_ptrs_.clear();
    values_.reserve(items_.size());
    item_ptrs_.reserve(items_.size());
    for (const auto& it : items_) {
        auto& ptrs = item_ptrs_.emplace_back();
        for (const auto& s : it.items) ptrs.push_back(s.c_str());
        values_.push_back({it.name.c_str(), static_cast<std::uint32_t>(it.type), it.integer, it.number, it.text.c_str(),
                           ptrs.empty() ? nullptr : ptrs.data(), ptrs.size()});
    }
    config_ = {sizeof(scanorch_config), sizeof(scanorch_config_value), json_.c_str(),
               values_.empty() ? nullptr : values_.data(), values_.size()};
    return &config_;
}

}  // namespace scanorch::framework
