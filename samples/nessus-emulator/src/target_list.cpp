#include "target_list.h"

#include <cctype>
#include <limits>

namespace scanorch::emulator {

namespace {

enum class Kind { address, network, range, hostname };

/// One item of a list, parsed.
struct Target {
    std::string text;  ///< as written, trimmed (a mapped IPv4 item: as scanned)
    Kind kind = Kind::hostname;
    Address first;
    Address last;
    std::uint64_t count = 1;  ///< addresses covered (saturates at UINT64_MAX)
};

/// An item that is not a target: the message a client gets back.
struct Refusal {
    std::string message;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::optional<unsigned> parse_uint(std::string_view s, unsigned max) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return std::nullopt;
    return static_cast<unsigned>(v);
}

// Four decimal octets, no leading zeros (which some parsers read as octal).
std::optional<Address> parse_v4(std::string_view s) {
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

// Hex groups of up to four digits separated by ':', one optional "::", and
// an optional dotted-quad tail.
bool parse_groups(std::string_view part, std::array<std::uint16_t, 8>& out, std::size_t& n, bool allow_v4_tail) {
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
}

std::optional<Address> parse_v6(std::string_view s) {
    std::array<std::uint16_t, 8> head{}, tail{};
    std::size_t nh = 0, nt = 0;
    const auto dbl = s.find("::");
    const bool compressed = dbl != std::string_view::npos;
    if (compressed) {
        if (s.find("::", dbl + 1) != std::string_view::npos) return std::nullopt;
        if (!parse_groups(s.substr(0, dbl), head, nh, false)) return std::nullopt;
        if (!parse_groups(s.substr(dbl + 2), tail, nt, true)) return std::nullopt;
        if (nh + nt > 7) return std::nullopt;
    } else if (!parse_groups(s, head, nh, true) || nh != 8) {
        return std::nullopt;
    }
    std::array<std::uint16_t, 8> groups{};
    for (std::size_t i = 0; i < nh; ++i) groups[i] = head[i];
    if (compressed) {
        for (std::size_t i = 0; i < nt; ++i) groups[8 - nt + i] = tail[i];
    }
    Address a;
    a.v6 = true;
    for (std::size_t i = 0; i < 8; ++i) {
        a.bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        a.bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xFF);
    }
    return a;
}

bool valid_hostname(std::string_view s) {
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

std::uint32_t v4_value(const Address& a) {
    return static_cast<std::uint32_t>(a.bytes[0]) << 24 | static_cast<std::uint32_t>(a.bytes[1]) << 16 |
           static_cast<std::uint32_t>(a.bytes[2]) << 8 | a.bytes[3];
}

int compare(const Address& a, const Address& b) {
    for (std::size_t i = 0; i < 16; ++i) {
        if (a.bytes[i] != b.bytes[i]) return a.bytes[i] < b.bytes[i] ? -1 : 1;
    }
    return 0;
}

bool is_v4_mapped(const Address& a) {
    if (!a.v6) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        if (a.bytes[i] != 0) return false;
    }
    return a.bytes[10] == 0xFF && a.bytes[11] == 0xFF;
}

Address normalize(const Address& a) {
    if (!is_v4_mapped(a)) return a;
    Address v4;
    for (std::size_t i = 0; i < 4; ++i) v4.bytes[i] = a.bytes[12 + i];
    return v4;
}

// Dotted quad, or eight hex groups without leading zeros and without "::":
// the form the emulator has always written into its results.
std::string address_text(const Address& a) {
    if (!a.v6) {
        return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." + std::to_string(a.bytes[2]) + "." +
               std::to_string(a.bytes[3]);
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int g = 0; g < 8; ++g) {
        const unsigned v = static_cast<unsigned>(a.bytes[static_cast<std::size_t>(g) * 2] << 8 |
                                                 a.bytes[static_cast<std::size_t>(g) * 2 + 1]);
        if (g) out += ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned d = (v >> shift) & 0xF;
            if (d || started || shift == 0) {
                out += hex[d];
                started = true;
            }
        }
    }
    return out;
}

void increment(Address& a) {
    for (int i = a.v6 ? 15 : 3; i >= 0; --i) {
        if (++a.bytes[static_cast<std::size_t>(i)] != 0) break;
    }
}

/// One item: address, CIDR network, range (a.b.c.d-e.f.g.h or a.b.c.d-h)
/// or host name; the message otherwise.
std::optional<Target> parse_item(std::string_view text, Refusal& refusal) {
    text = trim(text);
    Target t;
    t.text = std::string(text);
    auto bad = [&](const std::string& why) {
        refusal.message = "target '" + t.text + "': " + why;
        return std::nullopt;
    };
    if (text.empty()) return bad("empty");
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        const auto before = trim(text.substr(0, slash));
        const auto raw = before.find(':') != std::string_view::npos ? parse_v6(before) : parse_v4(before);
        if (!raw) return bad("not an address before '/'");
        const unsigned written_max = raw->v6 ? 128 : 32;
        auto prefix = parse_uint(text.substr(slash + 1), written_max);
        if (!prefix) return bad("prefix must be 0.." + std::to_string(written_max));
        // ::ffff:a.b.c.d/p with p >= 96 is an IPv4 network; a shorter prefix
        // reaches beyond the mapped block and stays IPv6.
        Address addr = *raw;
        if (is_v4_mapped(*raw) && *prefix >= 96) {
            addr = normalize(*raw);
            *prefix -= 96;
            t.text = address_text(addr) + "/" + std::to_string(*prefix);
        }
        const unsigned max = addr.v6 ? 128 : 32;
        t.kind = Kind::network;
        t.first = t.last = addr;
        for (unsigned bit = *prefix; bit < max; ++bit) {
            const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
            t.first.bytes[bit / 8] &= static_cast<std::uint8_t>(~mask);
            t.last.bytes[bit / 8] |= mask;
        }
        const unsigned host_bits = max - *prefix;
        t.count = host_bits >= 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << host_bits);
        return t;
    }
    if (const auto dash = text.find('-'); dash != std::string_view::npos && parse_address(text.substr(0, dash))) {
        const auto first = parse_address(text.substr(0, dash));
        if (first->v6) return bad("IPv6 ranges are not supported; use a CIDR network");
        const auto rest = trim(text.substr(dash + 1));
        std::optional<Address> last = parse_address(rest);
        if (!last) {  // a.b.c.d-h: the last octet only
            const auto octet = parse_uint(rest, 255);
            if (!octet) return bad("range end is not an address or a last octet");
            last = *first;
            last->bytes[3] = static_cast<std::uint8_t>(*octet);
        }
        if (last->v6) return bad("range mixes IPv4 and IPv6");
        if (compare(*first, *last) > 0) return bad("range ends before it starts");
        t.kind = Kind::range;
        t.first = *first;
        t.last = *last;
        t.count = std::uint64_t{v4_value(*last)} - v4_value(*first) + 1;
        return t;
    }
    if (const auto addr = parse_address(text)) {
        t.kind = Kind::address;
        t.first = t.last = *addr;
        if (!addr->v6 && text.find(':') != std::string_view::npos) t.text = address_text(*addr);
        return t;
    }
    if (text.find(':') != std::string_view::npos) return bad("not a valid IPv6 address");
    if (text.find_first_not_of("0123456789.") == std::string_view::npos) return bad("not a valid IPv4 address");
    if (!valid_hostname(text)) return bad("not an address, network, range or host name");
    t.kind = Kind::hostname;
    return t;
}

/// parse_item, refusing an IPv6 network that holds the IPv4-mapped block
/// (::ffff:0:0/96): it would reach IPv4 hosts written as IPv6.
std::optional<Target> parse_target(std::string_view text, Refusal& refusal) {
    auto t = parse_item(text, refusal);
    if (!t || t->kind != Kind::network || !t->first.v6) return t;
    Address mapped_first;
    mapped_first.v6 = true;
    mapped_first.bytes[10] = mapped_first.bytes[11] = 0xFF;
    Address mapped_last = mapped_first;
    for (std::size_t i = 12; i < 16; ++i) mapped_last.bytes[i] = 0xFF;
    if (compare(t->first, mapped_last) <= 0 && compare(t->last, mapped_first) >= 0) {
        refusal.message = "target '" + t->text +
                          "': this IPv6 network contains the IPv4-mapped addresses (::ffff:0:0/96), which reach IPv4 "
                          "hosts; give IPv4 targets as IPv4";
        return std::nullopt;
    }
    return t;
}

}  // namespace

std::optional<Address> parse_address(std::string_view s) {
    s = trim(s);
    if (s.find(':') != std::string_view::npos) {
        const auto a = parse_v6(s);
        if (!a) return std::nullopt;
        return normalize(*a);
    }
    return parse_v4(s);
}

bool expand_targets(const std::string& text, std::uint32_t max_hosts, std::vector<std::string>& out,
                    std::string& error) {
    std::vector<Target> list;
    std::string item;
    Refusal refusal;
    auto flush = [&] {
        if (item.empty()) return true;
        auto t = parse_target(item, refusal);
        item.clear();
        if (!t) return false;
        list.push_back(std::move(*t));
        return true;
    };
    for (char c : text) {
        if (c == ',' || c == ';' || std::isspace(static_cast<unsigned char>(c))) {
            if (!flush()) {
                error = refusal.message;
                return false;
            }
        } else {
            item += c;
        }
    }
    if (!flush()) {
        error = refusal.message;
        return false;
    }
    if (list.empty()) {
        error = "no targets given";
        return false;
    }
    std::uint64_t total = 0;  // saturating: a /0 must not wrap to a small number
    for (const auto& t : list) {
        total = std::numeric_limits<std::uint64_t>::max() - total < t.count ? std::numeric_limits<std::uint64_t>::max()
                                                                            : total + t.count;
    }
    if (total > max_hosts) {
        error = "target list expands to more than " + std::to_string(max_hosts) + " hosts";
        return false;
    }
    for (const auto& t : list) {
        if (t.kind == Kind::hostname) {
            out.push_back(t.text);
            continue;
        }
        Address a = t.first;
        for (std::uint64_t n = 0; n < t.count; ++n, increment(a)) out.push_back(address_text(a));
    }
    return true;
}

}  // namespace scanorch::emulator
