// IPv4/IPv6 networks in CIDR notation, for scanner zones and the target scope.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scanorch::framework {

struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  ///< v4 uses the first 4

    static std::optional<IpAddress> parse(std::string_view text);
    std::string str() const;
};

struct Cidr {
    IpAddress network;  ///< host bits cleared
    unsigned prefix = 0;

    /// "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128).
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpAddress& a) const noexcept;
    /// True when every address of `other` is inside this network.
    bool contains(const Cidr& other) const noexcept;
    std::string str() const;
};

}  // namespace scanorch::framework
