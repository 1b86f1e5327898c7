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

#include "scanorch/sdk/hex.h"
#include "scanorch/sdk/result.h"

namespace scanorch::sdk::targets {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4).
struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    bool operator==(const Address&) const = default;
};

/// `domain` is a scope entry only (".example.com": every host name below
/// example.com); parse_target never returns it, parse_scope_entry does.
enum class Kind : std::uint32_t { address = 1, network = 2, range = 3, hostname = 4, domain = 5 };

/// One item of a target list.
struct Target {
    std::string text;  ///< as written, trimmed
    Kind kind = Kind::hostname;
    Address first;            ///< address/network/range: lowest address
    Address last;             ///< highest address
    unsigned prefix = 0;      ///< network: the prefix length
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
                              : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                              : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
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

/// True for an IPv4-mapped IPv6 address (::ffff:a.b.c.d): the host it names
/// is the IPv4 address a.b.c.d, and a scanner given it scans that host.
inline bool is_v4_mapped(const Address& a) {
    if (!a.v6) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        if (a.bytes[i] != 0) return false;
    }
    return a.bytes[10] == 0xFF && a.bytes[11] == 0xFF;
}

/// The address a scope check must judge: an IPv4-mapped IPv6 address becomes
/// its IPv4 address; every other address is returned as is.
inline Address normalize(const Address& a) {
    if (!is_v4_mapped(a)) return a;
    Address v4;
    for (std::size_t i = 0; i < 4; ++i) v4.bytes[i] = a.bytes[12 + i];
    return v4;
}

/// Dotted quad or RFC 5952-ish IPv6 text (lower case, longest zero run as ::).
inline std::string to_string(const Address& a) {
    if (!a.v6) {
        return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." + std::to_string(a.bytes[2]) + "." +
               std::to_string(a.bytes[3]);
    }
    std::array<unsigned, 8> g{};
    for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<unsigned>(a.bytes[2 * i] << 8 | a.bytes[2 * i + 1]);
    std::size_t best = 8, best_len = 0;
    for (std::size_t i = 0; i < 8;) {
        std::size_t j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
        i = j == i ? i + 1 : j;
    }
    constexpr const char* hex = kHexDigits;
    std::string out;
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::string group;
        unsigned v = g[i];
        do {
            group.insert(group.begin(), hex[v & 15]);
            v >>= 4;
        } while (v != 0);
        out += group;
    }
    return out;
}

/// Parses one address (IPv4 dotted quad or IPv6). IPv4-mapped IPv6 addresses
/// (::ffff:192.0.2.1) come back as the IPv4 address they name, so that
/// containment sees the host a scanner would reach.
inline std::optional<Address> parse_address(std::string_view s) {
    s = detail::trim(s);
    if (s.find(':') != std::string_view::npos) {
        const auto a = detail::parse_v6(s);
        if (!a) return std::nullopt;
        return normalize(*a);
    }
    return detail::parse_v4(s);
}

namespace detail {

/// One item as written: address, CIDR network, range or host name. What a
/// target may not be on top of that is parse_target's.
inline Result<Target> parse_item(std::string_view text) {
    text = detail::trim(text);
    Target t;
    t.text = std::string(text);
    auto bad = [&](const std::string& why) { return Error::invalid_input("target '" + t.text + "': " + why); };
    if (text.empty()) return bad("empty");
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        const auto before = detail::trim(text.substr(0, slash));
        const auto raw =
            before.find(':') != std::string_view::npos ? detail::parse_v6(before) : detail::parse_v4(before);
        if (!raw) return bad("not an address before '/'");
        const unsigned written_max = raw->v6 ? 128 : 32;
        auto prefix = detail::parse_uint(text.substr(slash + 1), written_max);
        if (!prefix) return bad("prefix must be 0.." + std::to_string(written_max));
        // ::ffff:a.b.c.d/p with p >= 96 is an IPv4 network; a shorter prefix
        // reaches beyond the mapped block and stays IPv6.
        std::optional<Address> addr = raw;
        if (is_v4_mapped(*raw) && *prefix >= 96) {
            addr = normalize(*raw);
            *prefix -= 96;
        }
        const unsigned max = addr->v6 ? 128 : 32;
        if (addr != raw) t.text = to_string(*addr) + "/" + std::to_string(*prefix);  // what is scanned
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
        if (!addr->v6 && text.find(':') != std::string_view::npos) t.text = to_string(*addr);  // what is scanned
        return t;
    }
    if (text.find(':') != std::string_view::npos) return bad("not a valid IPv6 address");
    const bool numeric = text.find_first_not_of("0123456789.") == std::string_view::npos;
    if (numeric) return bad("not a valid IPv4 address");
    if (!detail::valid_hostname(text)) return bad("not an address, network, range or host name");
    t.kind = Kind::hostname;
    return t;
}

}  // namespace detail

/// Parses one target: address, CIDR network, range (a.b.c.d-e.f.g.h or
/// a.b.c.d-h), or host name. An IPv6 network that contains the IPv4-mapped
/// block (::ffff:0:0/96, e.g. ::/80 or ::/0) is refused: a scanner given it
/// would reach IPv4 hosts that no IPv4 scope entry was asked about.
inline Result<Target> parse_target(std::string_view text) {
    auto t = detail::parse_item(text);
    if (!t || t->kind != Kind::network || !t->first.v6) return t;
    Address mapped_first;
    mapped_first.v6 = true;
    mapped_first.bytes[10] = mapped_first.bytes[11] = 0xFF;
    Address mapped_last = mapped_first;
    for (std::size_t i = 12; i < 16; ++i) mapped_last.bytes[i] = 0xFF;
    if (detail::compare(t->first, mapped_last) <= 0 && detail::compare(t->last, mapped_first) >= 0) {
        return Error::invalid_input(
            "target '" + t->text +
            "': this IPv6 network contains the IPv4-mapped addresses (::ffff:0:0/96), which reach "
            "IPv4 hosts; give IPv4 targets as IPv4");
    }
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

namespace detail {
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}
}  // namespace detail

/// Whether `host` (a URL's host, a Host header's name, a listen address)
/// names this machine's loopback interface: "localhost" in any case, an
/// address in 127.0.0.0/8, ::1, or an IPv4-mapped 127 address. An IPv6
/// literal may be in brackets ("[::1]", as URLs write it). Only literals and
/// that one reserved name count: "127.0.0.1.example.com" or "127.example" are
/// names DNS may resolve anywhere, so they are not loopback.
inline bool is_loopback_host(std::string_view host) {
    if (detail::iequal(host, "localhost")) return true;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        if (host.find(':') == std::string_view::npos) return false;  // brackets hold IPv6 only
    }
    if (host.empty() || host != detail::trim(host)) return false;
    const auto a = parse_address(host);  // ::ffff:127.0.0.1 comes back as 127.0.0.1
    if (!a) return false;
    if (!a->v6) return a->bytes[0] == 127;
    Address v6_loopback;
    v6_loopback.v6 = true;
    v6_loopback.bytes[15] = 1;
    return *a == v6_loopback;
}

/// True when host name `name` lies below `suffix` (".lab.example.com"),
/// compared without regard to ASCII case: "DB.Lab.Example.COM" is below
/// ".lab.example.com"; "lab.example.com" and "xlab.example.com" are not.
/// A suffix without its leading dot is taken as if it had one.
inline bool in_domain(std::string_view name, std::string_view suffix) {
    if (suffix.empty()) return false;
    const bool dotted = suffix.front() == '.';
    const std::size_t need = suffix.size() + (dotted ? 0 : 1);
    if (name.size() <= need) return false;
    if (!dotted && name[name.size() - suffix.size() - 1] != '.') return false;
    return detail::iequal(name.substr(name.size() - suffix.size()), suffix);
}

/// True when every address of `inner` lies within `outer` (host names: equal
/// names, case-insensitive, or below an outer `domain`; a host name is never
/// inside a network).
inline bool contains(const Target& outer, const Target& inner) {
    if (outer.kind == Kind::domain) {
        if (inner.kind == Kind::hostname) return in_domain(inner.text, outer.text);
        if (inner.kind == Kind::domain)
            return detail::iequal(inner.text, outer.text) || in_domain(inner.text, outer.text);
        return false;
    }
    if (inner.kind == Kind::domain) return false;
    if (outer.kind == Kind::hostname || inner.kind == Kind::hostname) {
        return outer.kind == inner.kind && detail::iequal(outer.text, inner.text);
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

/// A scope list that allows nothing, where a list that ends up empty would
/// otherwise read as "no restriction": a host name under the reserved
/// `.invalid` top-level domain (RFC 6761), which never resolves and lies
/// outside any sensible global scope. A scope check must refuse every target
/// when it meets this entry (is_nothing_scope), not merely fail to match it.
inline constexpr std::string_view kNothingInScope = "nothing-in-scope.invalid";

/// True when `scope` is the "allows nothing" marker list.
inline bool is_nothing_scope(const std::vector<std::string>& scope) {
    for (const auto& s : scope) {
        if (detail::iequal(detail::trim(s), kNothingInScope)) return true;
    }
    return false;
}

/// Parses one scope entry: any target form, or ".example.com" for every host
/// name below example.com (Kind::domain).
inline Result<Target> parse_scope_entry(std::string_view text) {
    text = detail::trim(text);
    auto bad = [&](const std::string& why) {
        return Error::invalid_input("scope entry '" + std::string(text) + "': " + why);
    };
    if (!text.empty() && (text.front() == '.' || text.front() == '*')) {
        if (text.front() == '*') {
            return bad(text.size() > 2 && text[1] == '.'
                           ? "wildcards are not supported; write '" + std::string(text.substr(1)) +
                                 "' for every host name below " + std::string(text.substr(2))
                           : std::string("wildcards are not supported"));
        }
        if (!detail::valid_hostname(text.substr(1))) return bad("not a host-name suffix (.example.com)");
        Target t;
        t.text = std::string(text);
        t.kind = Kind::domain;
        t.count = 0;  // host names only: no addresses
        return t;
    }
    auto t = detail::parse_item(text);  // a scope may name any IPv6 network: it only allows
    if (!t) {
        auto message = t.error().message;
        const std::string prefix = "target '";
        if (message.rfind(prefix, 0) == 0) message = "scope entry '" + message.substr(prefix.size());
        return Error::invalid_input(message);
    }
    return t;
}

/// One scope entry that did not parse: its position, text and why.
struct ScopeError {
    std::size_t index = 0;
    std::string entry;
    std::string message;  ///< "scope entry '192.0.2.0/33': prefix must be 0..32"
};

/// A scope list, parsed: every entry that parsed, and every one that did not
/// (a caller that fails closed refuses the whole list when `errors` is not
/// empty, naming each).
struct ParsedScope {
    std::vector<Target> entries;
    std::vector<ScopeError> errors;
    bool nothing = false;  ///< the list was the kNothingInScope marker: allow no target at all

    /// True when `t` lies within some entry. Never true for `nothing`.
    bool allows(const Target& t) const { return !nothing && covered_by(entries, t); }
};

inline ParsedScope parse_scope(const std::vector<std::string>& list) {
    ParsedScope out;
    out.nothing = is_nothing_scope(list);
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (detail::iequal(detail::trim(list[i]), kNothingInScope)) continue;
        auto t = parse_scope_entry(list[i]);
        if (t) {
            out.entries.push_back(std::move(t).value());
        } else {
            out.errors.push_back({i, list[i], t.error().message});
        }
    }
    return out;
}

}  // namespace scanorch::sdk::targets
