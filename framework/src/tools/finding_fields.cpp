#include "finding_fields.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <stdexcept>

#include "tool_json.h"

namespace scanorch::framework::tools {

namespace {

const std::vector<std::string> kAll = {
    "host",        "plugin_id",     "plugin_name",      "severity",        "risk_factor", "port",     "protocol",
    "service",     "plugin_family", "cvss3_base_score", "cvss_base_score", "cve",         "synopsis", "solution",
    "description", "plugin_output", "see_also",         "host_ip",         "seen_at"};

Poco::Dynamic::Var text_or_null(const std::string& s) { return null_if_empty(s); }

Poco::Dynamic::Var score(const std::optional<double>& s) { return s ? Poco::Dynamic::Var(*s) : Poco::Dynamic::Var(); }

}  // namespace

const std::vector<std::string>& all_finding_fields() { return kAll; }

std::optional<std::vector<std::string>> profile_fields(const std::string& p) {
    if (p == "minimal") return std::vector<std::string>{"host", "plugin_id", "severity"};
    if (p == "summary")
        return std::vector<std::string>{"host", "plugin_id", "plugin_name", "severity", "port", "protocol"};
    if (p == "brief") {
        return std::vector<std::string>{"host",     "plugin_id", "plugin_name",      "severity",        "risk_factor",
                                        "port",     "protocol",  "cvss3_base_score", "cvss_base_score", "cve",
                                        "synopsis", "solution"};
    }
    if (p == "full") return kAll;
    return std::nullopt;
}

bool needs_text(const std::vector<std::string>& fields) {
    return std::any_of(fields.begin(), fields.end(), [](const std::string& f) {
        return f == "description" || f == "see_also" || f == "plugin_output";
    });
}

Poco::JSON::Object::Ptr finding_object(const sdk::Finding& f, const std::vector<std::string>& fields) {
    auto o = object();
    put_finding(*o, f, fields);
    return o;
}

void put_finding(Poco::JSON::Object& o, const sdk::Finding& f, const std::vector<std::string>& fields) {
    for (const auto& name : fields) {
        if (name == "host") o.set(name, f.host);
        else if (name == "plugin_id") o.set(name, std::to_string(f.plugin_id));
        else if (name == "plugin_name") o.set(name, f.plugin_name);
        else if (name == "severity") o.set(name, static_cast<int>(f.severity));
        else if (name == "risk_factor") o.set(name, text_or_null(f.risk_factor));
        else if (name == "port") o.set(name, std::to_string(f.port));
        else if (name == "protocol") o.set(name, f.protocol);
        else if (name == "service") o.set(name, f.service);
        else if (name == "plugin_family") o.set(name, f.plugin_family);
        else if (name == "cvss3_base_score") o.set(name, score(f.cvss3_base_score));
        else if (name == "cvss_base_score") o.set(name, score(f.cvss_base_score));
        else if (name == "cve") o.set(name, array_of(f.cves));
        else if (name == "synopsis") o.set(name, text_or_null(f.synopsis));
        else if (name == "solution") o.set(name, text_or_null(f.solution));
        else if (name == "description") o.set(name, text_or_null(f.description));
        else if (name == "plugin_output") o.set(name, text_or_null(f.plugin_output));
        else if (name == "see_also") o.set(name, text_or_null(f.see_also));
        else if (name == "host_ip") o.set(name, text_or_null(f.host_ip));
        else if (name == "seen_at") o.set(name, iso(f.seen_at_ms));
    }
}

sdk::Severity severity_word(const std::string& word, const std::string& what) {
    if (auto s = sdk::parse_severity(word)) return *s;
    throw std::invalid_argument(what + " '" + word + "' is not critical, high, medium, low or info");
}

}  // namespace scanorch::framework::tools
