#include "scanorch/framework/config/scanners_config.h"

#include <regex>
#include <set>

#include "scanorch/framework/config/config_error.h"
#include "scanorch/framework/net/cidr.h"

namespace scanorch::framework {

namespace {

ScannersConfig parse(const YamlReader& r, const YAML::Node& root) {
    r.check_keys(root, "", {"scanners"});
    const YAML::Node list = root["scanners"];
    if (!list || list.IsNull()) r.fail(root, "scanners", "is required: a list of scanner entries");
    if (!list.IsSequence()) r.fail(list, "scanners", "expected a list of scanner entries");

    static const std::regex id_re("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");
    static const std::regex url_re(R"(^https?://[^/\s:]+(:[0-9]{1,5})?(/\S*)?$)");
    ScannersConfig out;
    out.file = r.file();
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node e = list[i];
        const std::string path = "scanners[" + std::to_string(i) + "]";
        r.check_keys(e, path,
                     {"instance_id", "scanner_type", "url", "max_concurrent_scans", "credentials", "enabled", "pool",
                      "zones", "options", "validator"});
        ScannerConfig s;
        s.line = e.Mark().line + 1;
        s.instance_id = r.required_string(e, path, "instance_id");
        if (!std::regex_match(s.instance_id, id_re)) {
            r.fail(e["instance_id"], path + ".instance_id",
                   "'" + s.instance_id + "' is not a valid id (letters, digits, '_', '.', '-'; at most 64)");
        }
        if (!ids.insert(s.instance_id).second) {
            r.fail(e["instance_id"], path + ".instance_id", "'" + s.instance_id + "' is used by another scanner");
        }
        s.scanner_type = r.required_string(e, path, "scanner_type");
        s.url = r.required_string(e, path, "url");
        if (!std::regex_match(s.url, url_re)) {
            r.fail(e["url"], path + ".url", "'" + s.url + "' is not an http:// or https:// URL");
        }
        s.max_concurrent_scans = static_cast<std::uint32_t>(r.integer(e, path, "max_concurrent_scans", 2, 1, 1000));
        s.enabled = r.boolean(e, path, "enabled", true);
        s.pool = r.string_or(e, path, "pool", "default");
        if (s.pool.empty()) r.fail(e["pool"], path + ".pool", "must not be empty");
        s.zones = r.string_list(e, path, "zones");
        for (std::size_t z = 0; z < s.zones.size(); ++z) {
            if (!Cidr::parse(s.zones[z])) {
                r.fail(e["zones"], path + ".zones[" + std::to_string(z) + "]",
                       "'" + s.zones[z] + "' is not an address or CIDR network");
            }
        }
        if (const YAML::Node c = e["credentials"]; c && !c.IsNull()) {
            const std::string cp = path + ".credentials";
            r.check_keys(c, cp, {"username", "password", "access_key", "secret_key"});
            s.credentials.username = r.string_or(c, cp, "username", "");
            s.credentials.password = r.string_or(c, cp, "password", "");
            s.credentials.access_key = r.string_or(c, cp, "access_key", "");
            s.credentials.secret_key = r.string_or(c, cp, "secret_key", "");
            if (s.credentials.username.empty() != s.credentials.password.empty()) {
                r.fail(c, cp, "username and password go together");
            }
            if (s.credentials.access_key.empty() != s.credentials.secret_key.empty()) {
                r.fail(c, cp, "access_key and secret_key go together");
            }
        }
        if (const YAML::Node o = e["options"]; o && !o.IsNull()) {
            if (!o.IsMap()) r.fail(o, path + ".options", "expected a mapping of plugin options");
            s.options = o;
        }
        s.validator = r.string_or(e, path, "validator", "");
        if (e["validator"] && s.validator.empty()) {
            r.fail(e["validator"], path + ".validator", "must name a validator plugin, or be 'none'");
        }
        out.scanners.push_back(std::move(s));
    }
    return out;
}

}  // namespace

const ScannerConfig* ScannersConfig::find(const std::string& instance_id) const {
    for (const auto& s : scanners) {
        if (s.instance_id == instance_id) return &s;
    }
    return nullptr;
}

std::vector<const ScannerConfig*> ScannersConfig::enabled() const {
    std::vector<const ScannerConfig*> out;
    for (const auto& s : scanners) {
        if (s.enabled) out.push_back(&s);
    }
    return out;
}

ScannersConfig load_scanners_config(const std::string& file, const EnvLookup& env) {
    const YamlReader r(file, env);
    return parse(r, r.load());
}

ScannersConfig parse_scanners_config(const std::string& text, const std::string& file, const EnvLookup& env) {
    const YamlReader r(file, env);
    return parse(r, r.load_string(text));
}

}  // namespace scanorch::framework
