// Reads one YAML config file: environment substitution in scalar values
// (`${VAR}`, `${VAR:-default}`, `$$` for a literal `$`), typed getters, and
// errors that name file, line and key:
//   scanners.yaml:14: scanners[1].max_concurrent_scans: expected an integer from 1 to 1000, got 'two'
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanorch::framework {

/// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

/// Expands `${VAR}`, `${VAR:-default}` and `$$` in `text`. Throws
/// std::invalid_argument naming the variable when it is unset and has no
/// default, or when a `${` is not closed.
std::string substitute_env(std::string_view text, const EnvLookup& env);

class YamlReader {
public:
    explicit YamlReader(std::string file, EnvLookup env = process_env());

    /// Parses the file; a syntax error names line and column.
    YAML::Node load() const;
    /// Parses text as if it were the file (tests).
    YAML::Node load_string(const std::string& text) const;

    const std::string& file() const noexcept { return file_; }

    /// Throws ConfigError "file:line: path: message"; the line is taken from
    /// `at` (1-based), or omitted when `at` has no position.
    [[noreturn]] void fail(const YAML::Node& at, std::string_view path, std::string_view message) const;

    /// Requires `node` to be a mapping whose keys are all in `allowed`, none
    /// repeated. `path` names the mapping ("" for the top level).
    void check_keys(const YAML::Node& node, std::string_view path,
                    std::initializer_list<std::string_view> allowed) const;

    // Typed getters on map[key]. `path` is the mapping's path for messages.
    std::optional<std::string> string(const YAML::Node& map, std::string_view path, const std::string& key) const;
    std::string string_or(const YAML::Node& map, std::string_view path, const std::string& key,
                          std::string fallback) const;
    std::string required_string(const YAML::Node& map, std::string_view path, const std::string& key) const;
    std::int64_t integer(const YAML::Node& map, std::string_view path, const std::string& key, std::int64_t fallback,
                         std::int64_t min, std::int64_t max) const;
    bool boolean(const YAML::Node& map, std::string_view path, const std::string& key, bool fallback) const;
    std::vector<std::string> string_list(const YAML::Node& map, std::string_view path, const std::string& key) const;

    /// A scalar's text after substitution; `path` names it for messages.
    std::string scalar(const YAML::Node& node, std::string_view path) const;

    static std::string join(std::string_view path, std::string_view key);

private:
    std::string file_;
    EnvLookup env_;
};

/// Parses a duration: integer seconds, or a number with s, m, h or d.
std::optional<std::int64_t> parse_duration_seconds(std::string_view text);
/// Parses YAML's booleans (true/false/yes/no/on/off, any case).
std::optional<bool> parse_bool(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);

}  // namespace scanorch::framework
