// libFuzzer target: the target-list and scope parsers of sdk/targets.h on
// arbitrary text, with the invariants a scope check relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "scanorch/sdk/targets.h"

namespace t = scanorch::sdk::targets;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto list = t::parse_list(text);
    // Scope entries: one per line.
    std::vector<std::string> entries;
    for (std::size_t at = 0; at <= text.size();) {
        const auto nl = text.find('\n', at);
        entries.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    const auto scope = t::parse_scope(entries);
    if (scope.entries.size() + scope.errors.size() > entries.size()) std::abort();  // no entry counted twice
    if (scope.errors.empty() && !scope.nothing && scope.entries.size() != entries.size())
        std::abort();  // none dropped silently
    if (!list) return 0;
    (void)t::count(*list);
    for (const auto& item : *list) {
        if (item.kind == t::Kind::domain) std::abort();  // a suffix is never a target
        if (item.kind != t::Kind::hostname) {
            if (t::is_v4_mapped(item.first) || t::is_v4_mapped(item.last)) std::abort();  // judged as IPv4, always
            if (t::detail::compare(item.first, item.last) > 0) std::abort();
            if (item.first.v6 != item.last.v6) std::abort();
            // The canonical text of an address parses back to the same address.
            const auto again = t::parse_address(t::to_string(item.first));
            if (!again || !(*again == item.first)) std::abort();
        }
        if (!t::contains(item, item)) std::abort();             // everything lies within itself
        if (scope.nothing && scope.allows(item)) std::abort();  // the marker allows nothing
        // Every target is also a scope entry of the same kind, and its text
        // (canonical for mapped addresses) reads back the same.
        const auto as_entry = t::parse_scope_entry(item.text);
        if (!as_entry || as_entry->kind != item.kind || !(as_entry->first == item.first) ||
            !(as_entry->last == item.last))
            std::abort();
    }
    return 0;
}
