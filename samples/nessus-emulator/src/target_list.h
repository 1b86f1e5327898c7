// Nessus text target lists ("192.0.2.10, 192.0.2.0/24, 198.51.100.1-20,
// 2001:db8::/120, host.example.com") turned into the host names a scan
// reports on. The emulator's own copy of the rules scanorch's SDK applies
// (sdk/include/scanorch/sdk/targets.h), with the same error messages, so
// that the sample builds on public libraries alone; only what a scan's
// results need is here (no scopes, no containment).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanorch::emulator {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4).
struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    bool operator==(const Address&) const = default;
};

/// One address (IPv4 dotted quad or IPv6); an IPv4-mapped IPv6 address
/// (::ffff:192.0.2.1) comes back as the IPv4 address it names.
std::optional<Address> parse_address(std::string_view s);

/// Expands a text target list (newline/comma/semicolon/space separated) into
/// hosts: addresses as text, networks and ranges address by address, host
/// names as written. Fails with a message naming the bad item, or when the
/// list covers more than max_hosts addresses.
bool expand_targets(const std::string& text, std::uint32_t max_hosts, std::vector<std::string>& out,
                    std::string& error);

}  // namespace scanorch::emulator
