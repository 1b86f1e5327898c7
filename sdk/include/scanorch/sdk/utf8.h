// Text that must be valid UTF-8 on its way out: JSON answers, database text
// columns (PostgreSQL refuses a string with an invalid sequence or a NUL
// byte, and a whole batch of findings with it). Header-only: compiled into
// each plugin and the host alike; not part of the binary boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scanorch::sdk {

/// `s` with each byte that does not start a valid UTF-8 sequence replaced by
/// U+FFFD (no overlong forms, no surrogates, nothing past U+10FFFF), and NUL
/// bytes dropped when `drop_nul`.
inline std::string valid_utf8(std::string_view s, bool drop_nul = false) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == 0 && drop_nul) {
            ++i;
            continue;
        }
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        std::uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (std::size_t k = 1; ok && k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            ok = (cc & 0xC0) == 0x80;
            cp = cp << 6 | (cc & 0x3F);
        }
        ok = ok && !(n == 2 && cp < 0x80) && !(n == 3 && cp < 0x800) && !(n == 4 && cp < 0x10000) &&
             !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
        if (ok) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

/// Makes `s` storable as database text in place (valid UTF-8, no NUL);
/// true when it had to change. Plain ASCII, most text, is only scanned.
inline bool make_storable_text(std::string& s) {
    bool plain = true;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == 0 || c >= 0x80) {
            plain = false;
            break;
        }
    }
    if (plain) return false;
    auto fixed = valid_utf8(s, true);
    if (fixed == s) return false;
    s = std::move(fixed);
    return true;
}

}  // namespace scanorch::sdk
