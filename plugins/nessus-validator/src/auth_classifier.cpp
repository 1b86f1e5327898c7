#include "auth_classifier.h"

namespace scanorch::nessus_validator {

namespace {

std::string describe(const Evidence& e) {
    std::string s = "plugin " + e.plugin_id;
    if (!e.plugin_name.empty()) s += " (" + e.plugin_name + ")";
    if (!e.port.empty() && e.port != "0") s += " on port " + e.port;
    if (!e.detail.empty()) s += ": " + e.detail;
    return s;
}

std::string login_evidence(const HostFacts& h, const ValidatorConfig& c) {
    if (!h.success.empty()) return describe(h.success.front());
    if (h.credentialed_checks.value_or(false)) return "plugin 19506: " + h.credentialed_line;
    if (h.credentialed_tag.value_or(false)) return "host tag Credentialed_Scan=true";
    return std::to_string(h.auth_only_results) + " results from authenticated-only plugins (threshold " +
           std::to_string(c.min_auth_plugins) + ")";
}

}  // namespace

HostVerdict classify_host(const HostFacts& h, const ValidatorConfig& c) {
    const bool strong_login = !h.success.empty();
    const bool login = strong_login || h.credentialed_checks.value_or(false) || h.credentialed_tag.value_or(false) ||
                       (c.min_auth_plugins > 0 && h.auth_only_results >= c.min_auth_plugins);
    HostVerdict v;
    if (!h.failure.empty()) {
        if (login) {
            v.auth = sdk::HostAuth::partial;
            v.evidence = "logged in (" + login_evidence(h, c) + "), but " + describe(h.failure.front());
        } else {
            v.auth = sdk::HostAuth::failed;
            v.evidence = describe(h.failure.front());
        }
        return v;
    }
    if (login) {
        v.thin_login = !strong_login && h.auth_only_results < c.min_auth_plugins;
        if (!h.issues.empty()) {
            v.auth = sdk::HostAuth::partial;
            v.evidence = describe(h.issues.front());
        } else {
            v.auth = sdk::HostAuth::success;
            v.evidence = login_evidence(h, c);
        }
        return v;
    }
    if (!h.not_attempted.empty()) {
        v.auth = sdk::HostAuth::not_attempted;
        v.evidence = describe(h.not_attempted.front());
        return v;
    }
    if (h.credentialed_checks.has_value()) {  // "no"
        v.auth = sdk::HostAuth::failed;
        v.evidence = "plugin 19506 reports '" + h.credentialed_line + "'";
        return v;
    }
    v.auth = sdk::HostAuth::unknown;
    v.evidence = h.has_19506 ? "plugin 19506 has no 'Credentialed checks' line and no plugin shows a login or a failure"
                             : "no plugin 19506, no Credentialed_Scan tag and no authentication plugin";
    return v;
}

sdk::AuthStatus aggregate(const std::vector<HostVerdict>& hosts) {
    std::size_t success = 0, partial = 0, failed = 0, other = 0;
    for (const auto& h : hosts) {
        switch (h.auth) {
            case sdk::HostAuth::success: ++success; break;
            case sdk::HostAuth::partial: ++partial; break;
            case sdk::HostAuth::failed: ++failed; break;
            default: ++other; break;
        }
    }
    if (success + partial == 0) return failed > 0 ? sdk::AuthStatus::failed : sdk::AuthStatus::unknown;
    if (success == hosts.size()) return sdk::AuthStatus::success;
    return sdk::AuthStatus::partial;
}

}  // namespace scanorch::nessus_validator
