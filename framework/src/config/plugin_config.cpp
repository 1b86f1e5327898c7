#include "scanorch/framework/config/plugin_config.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

#include "scanorch/framework/config/config_error.h"

namespace scanorch::framework {

namespace {

std::string stringify(const Poco::JSON::Object::Ptr& obj) {
    std::ostringstream out;
    obj->stringify(out);
    return out.str();
}

// Any YAML value as JSON, with environment substitution on scalars. Scalars
// that read as booleans or numbers become those.
Poco::Dynamic::Var any_to_json(const YamlReader& r, const YAML::Node& n, const std::string& path) {
    if (!n || n.IsNull()) return Poco::Dynamic::Var();
    if (n.IsMap()) {
        Poco::JSON::Object::Ptr obj = new Poco::JSON::Object;
        for (const auto& kv : n) {
            const std::string k = kv.first.as<std::string>("");
            obj->set(k, any_to_json(r, kv.second, YamlReader::join(path, k)));
        }
        return obj;
    }
    if (n.IsSequence()) {
        Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
        for (std::size_t i = 0; i < n.size(); ++i) arr->add(any_to_json(r, n[i], path + "[" + std::to_string(i) + "]"));
        return arr;
    }
    const std::string text = r.scalar(n, path);
    if (n.Tag() == "!") return text;  // explicitly quoted: keep it a string
    if (auto b = parse_bool(text)) return *b;
    if (auto i = parse_int(text)) return *i;
    return text;
}

Poco::Dynamic::Var typed_value(const YamlReader& r, const YAML::Node& at, const std::string& path,
                               const ConfigFieldInfo& f, const std::string& text) {
    auto bad = [&](const std::string& expected) -> Poco::Dynamic::Var {
        r.fail(at, path, "expected " + expected + ", got '" + text + "'");
    };
    switch (f.type) {
        case SCANORCH_CFG_STRING:
        case SCANORCH_CFG_SECRET: return text;
        case SCANORCH_CFG_INT: {
            auto v = parse_int(text);
            return v ? Poco::Dynamic::Var(*v) : bad("an integer");
        }
        case SCANORCH_CFG_BOOL: {
            auto v = parse_bool(text);
            return v ? Poco::Dynamic::Var(*v) : bad("true or false");
        }
        case SCANORCH_CFG_DOUBLE: {
            try {
                std::size_t used = 0;
                const double v = std::stod(text, &used);
                if (used == text.size()) return v;
            } catch (...) {
            }
            return bad("a number");
        }
        case SCANORCH_CFG_DURATION: {
            auto v = parse_duration_seconds(text);
            return v ? Poco::Dynamic::Var(*v) : bad("a duration (seconds, or 30s, 5m, 1h, 1d)");
        }
        default: return bad(std::string(config_type_name(f.type)));
    }
}

Poco::Dynamic::Var field_value(const YamlReader& r, const YAML::Node& n, const std::string& path,
                               const ConfigFieldInfo& f) {
    switch (f.type) {
        case SCANORCH_CFG_STRING_LIST: {
            if (n.IsScalar()) {  // one value, or a comma list from one environment variable
                Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
                std::stringstream ss(r.scalar(n, path));
                for (std::string item; std::getline(ss, item, ',');) {
                    item.erase(0, item.find_first_not_of(" \t"));
                    item.erase(item.find_last_not_of(" \t") + 1);
                    if (!item.empty()) arr->add(item);
                }
                return arr;
            }
            if (!n.IsSequence()) r.fail(n, path, "expected a list of strings");
            Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
            for (std::size_t i = 0; i < n.size(); ++i) arr->add(r.scalar(n[i], path + "[" + std::to_string(i) + "]"));
            return arr;
        }
        case SCANORCH_CFG_OBJECT:
            if (!n.IsMap()) r.fail(n, path, "expected a mapping");
            return any_to_json(r, n, path);
        default:
            if (!n.IsScalar()) r.fail(n, path, "expected a single " + std::string(config_type_name(f.type)) + " value");
            return typed_value(r, n, path, f, r.scalar(n, path));
    }
}

// Keys whose values are secrets wherever they sit inside a free-form object
// (`clients: {ops: {token: ...}}`): the plugin declared the object, not what
// is secret inside it.
bool secret_key(std::string key) {
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* word : {"token", "password", "passwd", "secret", "passphrase", "api_key", "apikey", "private_key",
                             "access_key", "credential"}) {
        if (key.find(word) != std::string::npos) return true;
    }
    return false;
}

// scheme://user:password@host... with the password hidden; other text as is.
std::string redact_url(const std::string& text) {
    const auto scheme = text.find("://");
    if (scheme == std::string::npos) return text;
    const auto authority = scheme + 3;
    const auto end = text.find_first_of("/?#", authority);
    const auto at = text.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at == std::string::npos || at < authority) return text;
    const auto colon = text.find(':', authority);
    if (colon == std::string::npos || colon > at)
        return text.substr(0, authority) + "***" + text.substr(at);  // token as user
    return text.substr(0, colon + 1) + "***" + text.substr(at);
}

// The log-safe copy of a value: secrets inside objects and passwords inside
// URLs replaced by ***.
Poco::Dynamic::Var redact(const Poco::Dynamic::Var& v) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto& in = v.extract<Poco::JSON::Object::Ptr>();
        Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
        for (const auto& [k, value] : *in)
            out->set(k, secret_key(k) && !value.isEmpty() ? Poco::Dynamic::Var("***") : redact(value));
        return out;
    }
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto& in = v.extract<Poco::JSON::Array::Ptr>();
        Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
        for (std::size_t i = 0; i < in->size(); ++i) out->add(redact(in->get(static_cast<unsigned>(i))));
        return out;
    }
    if (v.isString()) return redact_url(v.convert<std::string>());
    return v;
}

// Where the key at `path` ("a.b[1].c") under `n` is written: the mark of the
// key itself for a mapping entry (a block value's own mark is its first
// child, a line late), of the item for a list entry. Recursive rather than a
// loop: assigning a yaml-cpp Node writes into the tree.
std::optional<YAML::Mark> key_mark(const YAML::Node& n, std::string_view path) {
    if (!n || !n.IsDefined() || path.empty()) return std::nullopt;
    auto rest_after = [](std::string_view rest) {
        if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
        return rest;
    };
    if (path.front() == '[') {
        const auto close = path.find(']');
        if (close == std::string_view::npos || !n.IsSequence()) return std::nullopt;
        const auto index = parse_int(path.substr(1, close - 1));
        if (!index || *index < 0 || static_cast<std::size_t>(*index) >= n.size()) return std::nullopt;
        const YAML::Node item = n[static_cast<std::size_t>(*index)];
        const auto rest = rest_after(path.substr(close + 1));
        if (rest.empty()) return item.Mark();
        return key_mark(item, rest);
    }
    if (!n.IsMap()) return std::nullopt;
    const auto end = path.find_first_of(".[");
    const std::string_view key = path.substr(0, end);
    const auto rest = end == std::string_view::npos ? std::string_view() : rest_after(path.substr(end));
    for (const auto& kv : n) {
        if (kv.first.as<std::string>("") != key) continue;
        if (rest.empty()) return kv.first.Mark();
        return key_mark(kv.second, rest);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> locate_config_error(const std::string& file, const YAML::Node& config,
                                               std::string_view config_path, std::string_view message) {
    if (file.empty() || !config || !config.IsMap()) return std::nullopt;
    const auto end = message.find_first_of(": ");
    if (end == 0 || end == std::string_view::npos) return std::nullopt;
    const auto path = message.substr(0, end);
    const bool path_like = std::all_of(path.begin(), path.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']';
    });
    if (!path_like) return std::nullopt;
    const auto at = key_mark(config, path);
    if (!at || at->is_null()) return std::nullopt;
    return file + ":" + std::to_string(at->line + 1) + ": " + std::string(config_path) + "." + std::string(message);
}

PluginConfigJson build_plugin_config(const YamlReader& r, const YAML::Node& config, std::string_view path,
                                     const PluginInfo& plugin, const std::map<std::string, std::string>& overrides) {
    const std::string base(path);
    const std::string who = "plugin '" + plugin.name + "'";
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    Poco::JSON::Object::Ptr redacted = new Poco::JSON::Object;
    auto field = [&](const std::string& name) -> const ConfigFieldInfo* {
        for (const auto& f : plugin.config) {
            if (f.name == name) return &f;
        }
        return nullptr;
    };
    auto put = [&](const ConfigFieldInfo& f, const Poco::Dynamic::Var& v) {
        out->set(f.name, v);
        redacted->set(f.name, f.type == SCANORCH_CFG_SECRET ? Poco::Dynamic::Var("***") : redact(v));
    };

    if (config && !config.IsNull()) {
        if (!config.IsMap()) r.fail(config, base, "expected a mapping of " + who + " options");
        std::vector<std::string> seen;
        for (const auto& kv : config) {
            const std::string key = kv.first.as<std::string>("");
            const std::string kpath = YamlReader::join(base, key);
            const ConfigFieldInfo* f = field(key);
            if (f == nullptr) {
                std::string valid;
                for (const auto& d : plugin.config) valid += (valid.empty() ? "" : ", ") + d.name;
                r.fail(kv.first, kpath,
                       "unknown key for " + who + " (valid: " + (valid.empty() ? "none" : valid) + ")");
            }
            if (std::find(seen.begin(), seen.end(), key) != seen.end()) r.fail(kv.first, kpath, "key given twice");
            seen.push_back(key);
            put(*f, field_value(r, kv.second, kpath, *f));
        }
    }
    for (const auto& [key, value] : overrides) {
        if (const ConfigFieldInfo* f = field(key)) {
            YAML::Node scalar(value);
            put(*f, field_value(YamlReader("environment", [](const std::string&) { return std::nullopt; }), scalar,
                                base + "." + key, *f));
        }
    }
    for (const auto& f : plugin.config) {
        if (out->has(f.name)) continue;
        if (f.default_json) {
            Poco::JSON::Parser parser;  // wrapped: Poco 1.11 parses only objects and arrays at top level
            put(f, parser.parse("[" + *f.default_json + "]").extract<Poco::JSON::Array::Ptr>()->get(0));
        } else if (f.required) {
            r.fail(config ? config : YAML::Node(), YamlReader::join(base, f.name),
                   "is required by " + who + " (" + f.description + ")");
        }
    }
    return {stringify(out), stringify(redacted)};
}

PluginConfigJson slot_plugin_config(const HostConfig& host, const PluginSlot& slot, const PluginInfo& plugin,
                                    const EnvLookup& env) {
    const YamlReader r(host.file.empty() ? "(defaults)" : host.file, env);
    return build_plugin_config(r, slot.config, slot.path + ".config", plugin, slot.overrides);
}

PluginConfigJson scanner_plugin_config(const ScannersConfig& scanners, const ScannerConfig& s, const PluginInfo& plugin,
                                       const EnvLookup& env) {
    const YamlReader r(scanners.file, env);
    std::size_t index = 0;
    while (index < scanners.scanners.size() && &scanners.scanners[index] != &s) ++index;
    const auto options = build_plugin_config(r, s.options, "scanners[" + std::to_string(index) + "].options", plugin);

    auto wrap = [&](const std::string& options_json, bool hide) {
        Poco::JSON::Object::Ptr obj = new Poco::JSON::Object;
        obj->set("instance_id", s.instance_id);
        obj->set("url", hide ? redact_url(s.url) : s.url);
        Poco::JSON::Object::Ptr cred = new Poco::JSON::Object;
        auto secret = [&](const std::string& v) { return hide && !v.empty() ? std::string("***") : v; };
        cred->set("username", s.credentials.username);
        cred->set("password", secret(s.credentials.password));
        cred->set("access_key", s.credentials.access_key);
        cred->set("secret_key", secret(s.credentials.secret_key));
        obj->set("credentials", cred);
        Poco::JSON::Parser parser;
        obj->set("options", parser.parse(options_json));
        return stringify(obj);
    };
    return {wrap(options.json, false), wrap(options.redacted, true)};
}

}  // namespace scanorch::framework
