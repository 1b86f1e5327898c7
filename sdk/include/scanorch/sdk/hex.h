// Lower-case hex, the one encoding every token, digest and escaped byte of
// scanorch is written in (lease tokens, session ids, credential keys,
// request fingerprints, "\x1f" in log lines). Header-only, standard library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scanorch::sdk {

inline constexpr char kHexDigits[] = "0123456789abcdef";

/// Appends the two digits of `byte`.
inline void append_hex(std::string& out, unsigned char byte) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 15];
}

/// Two digits per byte of `bytes`.
inline std::string to_hex(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) append_hex(out, static_cast<unsigned char>(c));
    return out;
}

/// `bytes` random bytes as hex, from `next()` (any generator returning an
/// unsigned integer; its low 8 bits are used). The caller picks the source:
/// a cryptographic one for secrets, a seeded one for tokens that only have to
/// be unique.
template <class Next>
std::string random_hex(std::size_t bytes, Next&& next) {
    std::string out;
    out.reserve(bytes * 2);
    for (std::size_t i = 0; i < bytes; ++i) append_hex(out, static_cast<unsigned char>(next() & 0xffu));
    return out;
}

}  // namespace scanorch::sdk
