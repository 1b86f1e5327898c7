// The text of a Finding, in one place: what a batch of findings weighs (the
// host's batching and a store's choice of transaction) and which fields a
// database must be able to store. Header-only, over store.h's Finding.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "scanorch/sdk/store.h"

namespace scanorch::sdk {

/// Every text field of a finding but its CVE ids, in declaration order.
inline std::array<std::string*, 12> text_fields(Finding& f) {
    return {&f.host,        &f.host_ip,  &f.protocol, &f.service,     &f.plugin_name, &f.plugin_family,
            &f.risk_factor, &f.synopsis, &f.solution, &f.description, &f.see_also,    &f.plugin_output};
}
inline std::array<const std::string*, 12> text_fields(const Finding& f) {
    return {&f.host,        &f.host_ip,  &f.protocol, &f.service,     &f.plugin_name, &f.plugin_family,
            &f.risk_factor, &f.synopsis, &f.solution, &f.description, &f.see_also,    &f.plugin_output};
}

/// The bytes of a finding's text: its text fields and its CVE ids.
inline std::size_t text_bytes(const Finding& f) {
    std::size_t n = 0;
    for (const std::string* s : text_fields(f)) n += s->size();
    for (const auto& cve : f.cves) n += cve.size();
    return n;
}

}  // namespace scanorch::sdk
