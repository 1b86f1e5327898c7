#include "scanorch/framework/tools/scope_policy.h"

#include <algorithm>
#include <cctype>

namespace scanorch::framework {

namespace targets = sdk::targets;

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}
}  // namespace

sdk::Result<ScopePolicy> ScopePolicy::parse(const std::vector<std::string>& entries) {
    ScopePolicy p;
    for (const auto& e : entries) {
        if (!e.empty() && e[0] == '.') {
            if (e.size() < 2 || !targets::detail::valid_hostname(e.substr(1))) {
                return sdk::Error::invalid_input("scope entry '" + e + "' is not a '.domain' suffix");
            }
            p.suffixes_.push_back(lower(e));
            continue;
        }
        auto t = targets::parse_target(e);
        if (!t) return sdk::Error::invalid_input("scope entry '" + e + "': " + t.error().message);
        p.targets_.push_back(std::move(t).value());
    }
    return p;
}

bool ScopePolicy::covers(const targets::Target& t) const {
    if (targets::covered_by(targets_, t)) return true;
    if (t.kind != targets::Kind::hostname) return false;
    const auto name = lower(t.text);
    return std::any_of(suffixes_.begin(), suffixes_.end(), [&](const std::string& s) {
        return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    });
}

sdk::Result<void> ScopePolicy::check(const std::vector<targets::Target>& wanted) const {
    if (empty()) {
        return sdk::Error::invalid_input("no target scope is configured, so no scan may run: set `scope` in "
                                         "scanorch.yaml or SCANORCH_SCOPE");
    }
    for (const auto& t : wanted) {
        if (!covers(t)) {
            return sdk::Error::forbidden("target " + t.text + " is outside the allowed scan scope (ask an "
                                             "administrator to extend `scope`)");
        }
    }
    return {};
}

sdk::Result<void> ScopePolicy::check(const std::string& target_list) const {
    auto parsed = targets::parse_list(target_list);
    if (!parsed) return std::move(parsed).error();
    return check(*parsed);
}

}  // namespace scanorch::framework
