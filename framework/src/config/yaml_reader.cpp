#include "scanorch/framework/config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "scanorch/framework/config/config_error.h"

namespace scanorch::framework {

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

std::string substitute_env(std::string_view text, const EnvLookup& env) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '$' || i + 1 >= text.size()) {
            out += c;
            continue;
        }
        if (text[i + 1] == '$') {  // "$$" is a literal "$"
            out += '$';
            ++i;
            continue;
        }
        if (text[i + 1] != '{') {
            out += c;
            continue;
        }
        const auto close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            throw std::invalid_argument("unterminated '${' in '" + std::string(text) + "'");
        }
        const std::string_view body = text.substr(i + 2, close - i - 2);
        const auto sep = body.find(":-");
        const std::string name(body.substr(0, sep));
        const bool valid_name =
            !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
            std::all_of(name.begin(), name.end(),
                        [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
        if (!valid_name)
            throw std::invalid_argument("invalid variable name '" + name + "' in '${" + std::string(body) + "}'");
        const auto value = env(name);
        if (sep != std::string_view::npos) {  // bash: the default applies when unset or empty
            out += (value && !value->empty()) ? *value : std::string(body.substr(sep + 2));
        } else if (value) {
            out += *value;
        } else {
            throw std::invalid_argument("environment variable " + name + " is not set (write ${" + name +
                                        ":-default} to give a default)");
        }
        i = close;
    }
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    std::int64_t v = 0;
    const auto* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(std::string_view text) {
    std::string t(text);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
    return std::nullopt;
}

std::optional<std::int64_t> parse_duration_seconds(std::string_view text) {
    if (auto v = parse_int(text)) return *v >= 0 ? std::optional(*v) : std::nullopt;
    if (text.size() < 2) return std::nullopt;
    const char unit = text.back();
    const auto n = parse_int(text.substr(0, text.size() - 1));
    if (!n || *n < 0) return std::nullopt;
    switch (unit) {
        case 's': return *n;
        case 'm': return *n * 60;
        case 'h': return *n * 3600;
        case 'd': return *n * 86400;
        default: return std::nullopt;
    }
}

YamlReader::YamlReader(std::string file, EnvLookup env) : file_(std::move(file)), env_(std::move(env)) {}

YAML::Node YamlReader::load() const {
    std::ifstream in(file_);
    if (!in) {
        std::error_code ec;
        throw ConfigError(file_ + ": " +
                          (std::filesystem::exists(file_, ec) ? "cannot be read (permissions?)" : "no such file"));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    return load_string(buf.str());
}

YAML::Node YamlReader::load_string(const std::string& text) const {
    try {
        YAML::Node root = YAML::Load(text);
        if (!root || root.IsNull()) return YAML::Node(YAML::NodeType::Map);  // an empty file is an empty config
        return root;
    } catch (const YAML::Exception& e) {
        throw ConfigError(file_ + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                          ": not valid YAML: " + e.msg);
    }
}

void YamlReader::fail(const YAML::Node& at, std::string_view path, std::string_view message) const {
    std::string where = file_;
    if (at.IsDefined() && at.Mark().line >= 0) where += ":" + std::to_string(at.Mark().line + 1);
    throw ConfigError(where + ": " + (path.empty() ? std::string() : std::string(path) + ": ") + std::string(message));
}

std::string YamlReader::join(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return std::string(path) + "." + std::string(key);
}

void YamlReader::check_keys(const YAML::Node& node, std::string_view path,
                            std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap()) fail(node, path.empty() ? "(top level)" : path, "expected a mapping of keys to values");
    std::set<std::string> seen;
    for (const auto& kv : node) {
        const std::string key = kv.first.as<std::string>("");
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string valid;
            for (auto a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
            fail(kv.first, join(path, key), "unknown key (valid: " + valid + ")");
        }
        if (!seen.insert(key).second) fail(kv.first, join(path, key), "key given twice");
    }
}

std::string YamlReader::scalar(const YAML::Node& node, std::string_view path) const {
    if (!node.IsScalar()) fail(node, path, "expected a single value");
    try {
        return substitute_env(node.Scalar(), env_);
    } catch (const std::invalid_argument& e) {
        fail(node, path, e.what());
    }
}

std::optional<std::string> YamlReader::string(const YAML::Node& map, std::string_view path,
                                              const std::string& key) const {
    const YAML::Node v = map[key];
    if (!v || v.IsNull()) return std::nullopt;
    return scalar(v, join(path, key));
}

std::string YamlReader::string_or(const YAML::Node& map, std::string_view path, const std::string& key,
                                  std::string fallback) const {
    auto v = string(map, path, key);
    return v ? *v : std::move(fallback);
}

std::string YamlReader::required_string(const YAML::Node& map, std::string_view path, const std::string& key) const {
    auto v = string(map, path, key);
    if (!v || v->empty()) fail(map[key] ? map[key] : map, join(path, key), "is required");
    return *v;
}

std::int64_t YamlReader::integer(const YAML::Node& map, std::string_view path, const std::string& key,
                                 std::int64_t fallback, std::int64_t min, std::int64_t max) const {
    auto text = string(map, path, key);
    if (!text) return fallback;
    const auto v = parse_int(*text);
    if (!v || *v < min || *v > max) {
        fail(
            map[key], join(path, key),
            "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + *text + "'");
    }
    return *v;
}

bool YamlReader::boolean(const YAML::Node& map, std::string_view path, const std::string& key, bool fallback) const {
    auto text = string(map, path, key);
    if (!text) return fallback;
    const auto v = parse_bool(*text);
    if (!v) fail(map[key], join(path, key), "expected true or false, got '" + *text + "'");
    return *v;
}

std::vector<std::string> YamlReader::string_list(const YAML::Node& map, std::string_view path,
                                                 const std::string& key) const {
    const YAML::Node v = map[key];
    std::vector<std::string> out;
    if (!v || v.IsNull()) return out;
    const std::string p = join(path, key);
    if (v.IsScalar()) {  // "a, b" is accepted for lists given through one environment variable
        std::stringstream ss(scalar(v, p));
        for (std::string item; std::getline(ss, item, ',');) {
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty()) out.push_back(item);
        }
        return out;
    }
    if (!v.IsSequence()) fail(v, p, "expected a list");
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(scalar(v[i], p + "[" + std::to_string(i) + "]"));
    return out;
}

}  // namespace scanorch::framework
