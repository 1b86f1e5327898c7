#include "tool_json.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>

#include <stdexcept>

namespace scanorch::framework::tools {

Poco::Dynamic::Var iso(std::int64_t ms) {
    if (ms <= 0) return Poco::Dynamic::Var();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), "%Y-%m-%dT%H:%M:%SZ");
}

std::string text(const Obj& a, const std::string& key) {
    if (!a || !a->has(key) || a->isNull(key)) return "";
    return a->get(key).convert<std::string>();
}

std::optional<std::int64_t> parse_time(const std::string& s) {
    if (s.empty()) return std::nullopt;
    if (s.size() <= 15 && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
    int tz = 0;
    Poco::DateTime dt;
    if (!Poco::DateTimeParser::tryParse(s, dt, tz)) throw std::invalid_argument("'" + s + "' is not an ISO 8601 time");
    return (dt.timestamp().epochMicroseconds() - static_cast<std::int64_t>(tz) * 1000000) / 1000;
}

Poco::Dynamic::Var null_if_empty(const std::string& s) {
    return s.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s);
}

}  // namespace scanorch::framework::tools
