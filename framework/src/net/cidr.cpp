#include "scanorch/framework/net/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace scanorch::framework {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    const std::string s(text);
    IpAddress a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.v6 = true;
        return a;
    }
    return std::nullopt;
}

std::string IpAddress::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
    return buf;
}

namespace {
// True when the first `prefix` bits of a and b are equal.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned prefix) {
    unsigned i = 0;
    for (; prefix >= 8; prefix -= 8, ++i) {
        if (a[i] != b[i]) return false;
    }
    if (prefix == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - prefix));
    return (a[i] & mask) == (b[i] & mask);
}
}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    auto addr = IpAddress::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    const unsigned max = addr->v6 ? 128 : 32;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        const auto p = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (ec != std::errc() || end != p.data() + p.size() || p.empty() || prefix > max) return std::nullopt;
    }
    Cidr c;
    c.prefix = prefix;
    c.network.v6 = addr->v6;
    for (unsigned bit = 0; bit < prefix; ++bit) {  // copy only the network bits
        const unsigned byte = bit / 8;
        const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
        c.network.bytes[byte] |= addr->bytes[byte] & mask;
    }
    return c;
}

bool Cidr::contains(const IpAddress& a) const noexcept {
    return a.v6 == network.v6 && same_prefix(network.bytes, a.bytes, prefix);
}

bool Cidr::contains(const Cidr& other) const noexcept {
    return other.network.v6 == network.v6 && other.prefix >= prefix &&
           same_prefix(network.bytes, other.network.bytes, prefix);
}

std::string Cidr::str() const { return network.str() + "/" + std::to_string(prefix); }

}  // namespace scanorch::framework
