// Scan target lists: "192.0.2.10, 192.0.2.0/24, 198.51.100.1-198.51.100.20,
// 203.0.113.5-9, 2001:db8::/120, host.example.com". Parsing, counting and
// containment, shared by the host (scope, zones) and plugins (expected host
// counts). Header-only helpers: nothing here crosses the plugin boundary.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::sdk::targets {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4).
struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    bool operator==(const Address&) const = default;
};

enum class Kind : std::uint32_t { address = 1, network = 2, range = 3, hostname = 4 };

/// One item of a target list.
struct Target {
    std::string text;  ///< as written, trimmed
    Kind kind = Kind::hostname;
    Address first;     ///< address/network/range: lowest address
    Address last;      ///< highest address
    unsigned prefix = 0;  ///< network: the prefix length
    std::uint64_t count = 1;  ///< addresses covered (saturates at UINT64_MAX)
};

namespace detail {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

inline std::optional<unsigned> parse_uint(std::string_view s, unsigned max) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return std::nullopt;
    return static_cast<unsigned>(v);
}

inline std::optional<Address> parse_v4(std::string_view s) {
    Address a;
    for (int i = 0; i < 4; ++i) {
        const auto dot = s.find('.');
        const auto part = i < 3 ? s.substr(0, dot) : s;
        if ((i < 3 && dot == std::string_view::npos) || part.empty() || part.size() > 3 ||
            (part.size() > 1 && part[0] == '0')) {
            return std::nullopt;
        }
        const auto v = parse_uint(part, 255);
        if (!v) return std::nullopt;
        a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(*v);
        if (i < 3) s.remove_prefix(dot + 1);
    }
    return a;
}

inline std::optional<Address> parse_v6(std::string_view s) {
    // Groups before and after "::"; an embedded IPv4 tail is allowed.
    std::array<std::uint16_t, 8> head{}, tail{};
    std::size_t nh = 0, nt = 0;
    bool compressed = false;
    auto parse_groups = [](std::string_view part, std::array<std::uint16_t, 8>& out, std::size_t& n,
                           bool allow_v4_tail) -> bool {
        if (part.empty()) return true;
        while (true) {
            const auto colon = part.find(':');
            const auto g = part.substr(0, colon);
            if (colon == std::string_view::npos && allow_v4_tail && g.find('.') != std::string_view::npos) {
                const auto v4 = parse_v4(g);
                if (!v4 || n + 2 > 8) return false;
                out[n++] = static_cast<std::uint16_t>(v4->bytes[0] << 8 | v4->bytes[1]);
                out[n++] = static_cast<std::uint16_t>(v4->bytes[2] << 8 | v4->bytes[3]);
                return true;
            }
            if (g.empty() || g.size() > 4 || n >= 8) return false;
            unsigned v = 0;
            for (char c : g) {
                const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                              : (c >= 'a' && c <= 'f')                   ? c - 'a' + 10
                              : (c >= 'A' && c <= 'F')                   ? c - 'A' + 10
                                                                         : -1;
                if (d < 0) return false;
                v = v * 16 + static_cast<unsigned>(d);
            }
            out[n++] = static_cast<std::uint16_t>(v);
            if (colon == std::string_view::npos) return true;
            part.remove_prefix(colon + 1);
        }
    };
    const auto dbl = s.find("::");
    if (dbl != std::string_view::npos) {
        compressed = true;
        if (s.find("::", dbl + 1) != std::string_view::npos) return std::nullopt;
        if (!parse_groups(s.substr(0, dbl), head, nh, false)) return std::nullopt;
        if (!parse_groups(s.substr(dbl + 2), tail, nt, true)) return std::nullopt;
        if (nh + nt > 7) return std::nullopt;
    } else {
        if (!parse_groups(s, head, nh, true) || nh != 8) return std::nullopt;
    }
    Address a;
    a.v6 = true;
    std::array<std::uint16_t, 8> groups{};
    for (std::size_t i = 0; i < nh; ++i) groups[i] = head[i];
    if (compressed) {
        for (std::size_t i = 0; i < nt; ++i) groups[8 - nt + i] = tail[i];
    }
    for (std::size_t i = 0; i < 8; ++i) {
        a.bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        a.bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xFF);
    }
    return a;
}

inline bool valid_hostname(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t label = 0;
    char prev = '.';
    for (char c : s) {
        if (c == '.') {
            if (label == 0 || prev == '-') return false;
            label = 0;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
            if (label == 0 && c == '-') return false;
            if (++label > 63) return false;
        } else {
            return false;
        }
        prev = c;
    }
    return prev != '-' && prev != '.';
}

inline std::uint32_t v4_value(const Address& a) {
    return static_cast<std::uint32_t>(a.bytes[0]) << 24 | static_cast<std::uint32_t>(a.bytes[1]) << 16 |
           static_cast<std::uint32_t>(a.bytes[2]) << 8 | a.bytes[3];
}

inline Address v4_address(std::uint32_t v) {
    Address a;
    a.bytes[0] = static_cast<std::uint8_t>(v >> 24);
    a.bytes[1] = static_cast<std::uint8_t>(v >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(v >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(v);
    return a;
}

// Lexicographic comparison of same-family addresses.
inline int compare(const Address& a, const Address& b) {
    for (std::size_t i = 0; i < 16; ++i) {
        if (a.bytes[i] != b.bytes[i]) return a.bytes[i] < b.bytes[i] ? -1 : 1;
    }
    return 0;
}

}  // namespace detail

/// Parses one address (IPv4 dotted quad or IPv6).
inline std::optional<Address> parse_address(std::string_view s) {
    s = detail::trim(s);
    if (s.find(':') != std::string_view::npos) return detail::parse_v6(s);
    return detail::parse_v4(s);
}

/// Parses one item: address, CIDR network, range (a.b.c.d-e.f.g.h or
/// a.b.c.d-h), or host name.
inline Result<Target> parse_target(std::string_view text) {
    text = detail::trim(text);
    Target t;
    t.text = std::string(text);
    auto bad = [&](const std::string& why) { return Error::invalid_input("target '" + t.text + "': " + why); };
    if (text.empty()) return bad("empty");
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        const auto addr = parse_address(text.substr(0, slash));
        if (!addr) return bad("not an address before '/'");
        const unsigned max = addr->v6 ? 128 : 32;
        const auto prefix = detail::parse_uint(text.substr(slash + 1), max);
        if (!prefix) return bad("prefix must be 0.." + std::to_string(max));
        t.kind = Kind::network;
        t.prefix = *prefix;
        t.first = t.last = *addr;
        for (unsigned bit = 0; bit < max; ++bit) {
            const auto byte = bit / 8;
            const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
            if (bit < *prefix) continue;
            t.first.bytes[byte] &= static_cast<std::uint8_t>(~mask);
            t.last.bytes[byte] |= mask;
        }
        const unsigned host_bits = max - *prefix;
        t.count = host_bits >= 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << host_bits);
        return t;
    }
    if (const auto dash = text.find('-'); dash != std::string_view::npos && parse_address(text.substr(0, dash))) {
        const auto first = parse_address(text.substr(0, dash));
        if (first->v6) return bad("IPv6 ranges are not supported; use a CIDR network");
        auto rest = detail::trim(text.substr(dash + 1));
        std::optional<Address> last = parse_address(rest);
        if (!last) {  // a.b.c.d-h: the last octet only
            const auto octet = detail::parse_uint(rest, 255);
            if (!octet) return bad("range end is not an address or a last octet");
            last = *first;
            last->bytes[3] = static_cast<std::uint8_t>(*octet);
        }
        if (last->v6) return bad("range mixes IPv4 and IPv6");
        if (detail::compare(*first, *last) > 0) return bad("range ends before it starts");
        t.kind = Kind::range;
        t.first = *first;
        t.last = *last;
        t.count = std::uint64_t{detail::v4_value(*last)} - detail::v4_value(*first) + 1;
        return t;
    }
    if (const auto addr = parse_address(text)) {
        t.kind = Kind::address;
        t.first = t.last = *addr;
        t.prefix = addr->v6 ? 128 : 32;
        return t;
    }
    if (text.find(':') != std::string_view::npos) return bad("not a valid IPv6 address");
    const bool numeric = text.find_first_not_of("0123456789.") == std::string_view::npos;
    if (numeric) return bad("not a valid IPv4 address");
    if (!detail::valid_hostname(text)) return bad("not an address, network, range or host name");
    t.kind = Kind::hostname;
    return t;
}

/// Parses a list separated by commas, spaces or newlines. An empty list is
/// an error.
inline Result<std::vector<Target>> parse_list(std::string_view list) {
    std::vector<Target> out;
    std::string item;
    auto flush = [&]() -> Result<void> {
        if (item.empty()) return {};
        auto t = parse_target(item);
        item.clear();
        if (!t) return std::move(t).error();
        out.push_back(std::move(t).value());
        return {};
    };
    for (char c : list) {
        if (c == ',' || c == ';' || std::isspace(static_cast<unsigned char>(c))) {
            if (auto r = flush(); !r) return std::move(r).error();
        } else {
            item += c;
        }
    }
    if (auto r = flush(); !r) return std::move(r).error();
    if (out.empty()) return Error::invalid_input("no targets given");
    return out;
}

/// Addresses covered by a list (host names count one each); saturating.
inline std::uint64_t count(const std::vector<Target>& list) {
    std::uint64_t n = 0;
    for (const auto& t : list) {
        n = (std::numeric_limits<std::uint64_t>::max() - n < t.count) ? std::numeric_limits<std::uint64_t>::max()
                                                                      : n + t.count;
    }
    return n;
}

/// True when every address of `inner` lies within `outer` (host names: equal
/// names, case-insensitive; a host name is never inside a network).
inline bool contains(const Target& outer, const Target& inner) {
    if (outer.kind == Kind::hostname || inner.kind == Kind::hostname) {
        if (outer.kind != inner.kind || outer.text.size() != inner.text.size()) return false;
        for (std::size_t i = 0; i < outer.text.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(outer.text[i])) !=
                std::tolower(static_cast<unsigned char>(inner.text[i]))) {
                return false;
            }
        }
        return true;
    }
    if (outer.first.v6 != inner.first.v6) return false;
    return detail::compare(outer.first, inner.first) <= 0 && detail::compare(inner.last, outer.last) <= 0;
}

/// True when `inner` lies entirely within some item of `allowed`.
inline bool covered_by(const std::vector<Target>& allowed, const Target& inner) {
    for (const auto& a : allowed) {
        if (contains(a, inner)) return true;
    }
    return false;
}

}  // namespace scanorch::sdk::targets
