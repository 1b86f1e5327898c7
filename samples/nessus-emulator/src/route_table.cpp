#include "route_table.h"

#include <charconv>
#include <stdexcept>

namespace scanorch::emulator {

namespace {

// "/a/b/" -> "a", "b", "": empty segments are kept, so "/scans/" and
// "//scans" never take the shape of "/scans".
std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}

bool all_of(std::string_view s, bool (*ok)(char)) {
    for (char c : s) {
        if (!ok(c)) return false;
    }
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

}  // namespace

const std::string& PathParams::operator[](const std::string& name) const {
    static const std::string none;
    auto it = values_.find(name);
    return it == values_.end() ? none : it->second;
}

int PathParams::integer(const std::string& name) const {
    const std::string& text = (*this)[name];
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return -1;
    return value;
}

PathPattern::PathPattern(std::string_view pattern) : text_(pattern) {
    auto bad = [&](const std::string& why) { return std::invalid_argument("route pattern '" + text_ + "': " + why); };
    if (pattern.empty() || pattern.front() != '/') throw bad("must start with '/'");
    for (std::string_view s : split(pattern)) {
        Segment seg;
        if (s.empty() || s.front() != '{') {
            if (s.find_first_of("{}") != std::string_view::npos) throw bad("a parameter must be a whole segment");
            seg.text = std::string(s);
            segments_.push_back(std::move(seg));
            continue;
        }
        if (s.back() != '}') throw bad("unclosed parameter '" + std::string(s) + "'");
        std::string_view inner = s.substr(1, s.size() - 2);
        std::string_view type;
        if (const auto colon = inner.find(':'); colon != std::string_view::npos) {
            type = inner.substr(colon + 1);
            inner = inner.substr(0, colon);
        }
        if (inner.empty()) throw bad("a parameter without a name");
        seg.text = std::string(inner);
        if (type.empty()) {
            seg.kind = Kind::any;
        } else if (type == "int") {
            seg.kind = Kind::integer;
        } else if (type == "hex") {
            seg.kind = Kind::hex;
        } else {
            throw bad("unknown parameter type '" + std::string(type) + "' (int or hex)");
        }
        segments_.push_back(std::move(seg));
    }
}

bool PathPattern::match(std::string_view path, PathParams& params) const {
    if (path.empty() || path.front() != '/') return false;
    const auto parts = split(path);
    if (parts.size() != segments_.size()) return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Segment& seg = segments_[i];
        const std::string_view part = parts[i];
        switch (seg.kind) {
            case Kind::literal:
                if (part != seg.text) return false;
                continue;
            case Kind::any:
                if (part.empty()) return false;
                break;
            case Kind::integer:
                if (part.empty() || !all_of(part, is_digit)) return false;
                break;
            case Kind::hex:
                if (part.empty() || !all_of(part, is_hex)) return false;
                break;
        }
        params.values_[seg.text] = std::string(part);
    }
    return true;
}

std::string allow_header(const std::vector<std::string>& methods) {
    std::string out;
    for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
    return out;
}

}  // namespace scanorch::emulator
