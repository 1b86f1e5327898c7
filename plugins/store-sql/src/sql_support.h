// What the store's SQL files share: the boundary that turns DbError into
// sdk::Result, id and cursor checks, and parameter helpers. Internal to
// store-sql (not installed, not part of any plugin's interface).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scanorch/store_sql/connection.h"

namespace scanorch::store_sql {

// ------------------------------------------------------------ boundaries

// Every interface method runs inside this: the layer below throws, the SDK
// boundary is noexcept and speaks Result.
// (DbError is an sdk::Failure: its kind survives.)
using sdk::guard;

[[noreturn]] inline void refuse(const std::string& message) { throw DbError(sdk::ErrorKind::invalid_input, message); }

// ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$, as the host's ids: never a separator of
// the cursors below.
inline bool valid_id(const std::string& id) {
    const auto alnum = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '_' || c == '-'; });
}

inline Value text(const std::string& s) { return Value(s); }
inline Value integer(std::int64_t n) { return Value(n); }
inline Value real_or_null(const std::optional<double>& d) { return d ? Value(*d) : Value(); }

// ------------------------------------------------------------- cursors

// Cursors are "<kind>:<field>:<field>...": opaque to callers, checked here,
// so a cursor from another query (or typed by hand) is an error, not a
// silently different page.
inline std::vector<std::string> split_cursor(const std::string& cursor, const std::string& kind, std::size_t fields) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto colon = cursor.find(':', start);
        parts.push_back(cursor.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() != fields + 1 || parts[0] != kind)
        refuse("cursor '" + cursor + "' was not returned by this query");
    return {parts.begin() + 1, parts.end()};
}

inline std::int64_t cursor_number(const std::string& s, const std::string& cursor) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
        refuse("cursor '" + cursor + "' was not returned by this query");
    return n;
}

inline std::string placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
    return s;
}

// "client IN (...)"; an empty visible set sees nothing.
inline void visible_clients(const std::optional<std::vector<std::string>>& clients, const std::string& column,
                            std::string& where, std::vector<Value>& params) {
    if (!clients) return;
    if (clients->empty()) {
        where += " AND 1 = 0";
        return;
    }
    where += " AND " + column + " IN (" + placeholders(clients->size()) + ")";
    for (const auto& c : *clients) params.push_back(text(c));
}

inline void check_limit(std::uint32_t limit, std::uint32_t max, const char* what) {
    if (limit < 1 || limit > max)
        refuse(std::string(what) + " must be 1.." + std::to_string(max) + ", not " + std::to_string(limit));
}

/// Runs each statement of `statements` ("a; b; c", the dialect's own SQL,
/// never input): what one parameterised run() cannot take at once.
inline void run_each(Connection& c, const std::string& statements) {
    std::size_t start = 0;
    while (start < statements.size()) {
        auto end = statements.find(';', start);
        if (end == std::string::npos) end = statements.size();
        const auto first = statements.find_first_not_of(' ', start);
        if (first < end) c.run(statements.substr(first, end - first), {}, {});
        start = end + 1;
    }
}

/// Deletes a task's findings (with their CVE rows and host runs) by its
/// task_key: all of them, or those with first <= seq <= last.
void delete_findings(Connection& c, std::int64_t task_key,
                     std::optional<std::pair<std::int64_t, std::int64_t>> range = {});

}  // namespace scanorch::store_sql
