#include "scanorch/framework/tools/scope_policy.h"

namespace scanorch::framework {

namespace targets = sdk::targets;

sdk::Result<ScopePolicy> ScopePolicy::parse(const std::vector<std::string>& entries) {
    ScopePolicy p;
    p.scope_ = targets::parse_scope(entries);
    if (!p.scope_.errors.empty()) {
        std::string all;
        for (const auto& e : p.scope_.errors) all += (all.empty() ? "" : "; ") + e.message;
        return sdk::Error::invalid_input(all);
    }
    return p;
}

bool ScopePolicy::empty() const { return scope_.nothing || scope_.entries.empty(); }

bool ScopePolicy::covers(const targets::Target& t) const { return scope_.allows(t); }

sdk::Result<void> ScopePolicy::check(const std::vector<targets::Target>& wanted) const {
    if (empty()) {
        return sdk::Error::forbidden(
            "no target scope is configured, so no scan may run: set `scope` in "
            "scanorch.yaml or SCANORCH_SCOPE");
    }
    for (const auto& t : wanted) {
        if (!covers(t)) {
            return sdk::Error::forbidden("target " + t.text +
                                         " is outside the allowed scan scope (ask an "
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
