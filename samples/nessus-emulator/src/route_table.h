// A declarative route table: {method, path pattern, target} rows and one
// matcher. A pattern is a path whose segments are literals or parameters:
//   "/scans/{id:int}/export/{file:int}/download"
// {name} takes any non-empty segment, {name:int} decimal digits only,
// {name:hex} lower-case hex digits only. A lookup tells a path no row knows
// (404) from a known path asked with another method (405, with the methods
// that path allows), so that the server answers both the way HTTP says.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace scanorch::emulator {

/// The values a path gave a pattern's parameters, by name.
class PathParams {
public:
    /// The parameter's value; "" for a name the pattern does not have.
    const std::string& operator[](const std::string& name) const;
    /// A {name:int} parameter as an int; -1 when it does not fit one.
    int integer(const std::string& name) const;

private:
    friend class PathPattern;
    std::map<std::string, std::string> values_;
};

class PathPattern {
public:
    /// Throws std::invalid_argument naming the pattern when it does not start
    /// with '/', has an empty or unclosed {parameter}, or an unknown type.
    explicit PathPattern(std::string_view pattern);

    /// Whether `path` (without its query) has this shape; the parameters' values.
    bool match(std::string_view path, PathParams& params) const;

    const std::string& text() const { return text_; }

private:
    enum class Kind { literal, any, integer, hex };
    struct Segment {
        Kind kind = Kind::literal;
        std::string text;  ///< literal: the text; parameter: its name
    };
    std::string text_;
    std::vector<Segment> segments_;
};

template <class Target>
class RouteTable {
public:
    struct Route {
        std::string method;
        PathPattern pattern;
        Target target;
    };

    /// What a request found: its row (nullptr if none) and parameters, or,
    /// when no row has its method, the methods rows for its path do have
    /// (empty: no row knows the path at all).
    struct Lookup {
        const Route* route = nullptr;
        PathParams params;
        std::vector<std::string> allowed;
    };

    RouteTable(std::initializer_list<Route> routes) : routes_(routes) {}

    Lookup find(const std::string& method, std::string_view path) const {
        Lookup out;
        for (const auto& r : routes_) {
            PathParams params;
            if (!r.pattern.match(path, params)) continue;
            if (r.method == method) {
                out.route = &r;
                out.params = std::move(params);
                out.allowed.clear();
                return out;
            }
            bool listed = false;
            for (const auto& m : out.allowed) listed = listed || m == r.method;
            if (!listed) out.allowed.push_back(r.method);
        }
        return out;
    }

private:
    std::vector<Route> routes_;
};

/// "GET, DELETE": an Allow header's value.
std::string allow_header(const std::vector<std::string>& methods);

}  // namespace scanorch::emulator
