// sdk::Config: a plugin's config as typed values, read by key.
//
// The host checks the YAML against the fields a plugin declares (kConfig)
// and applies their defaults before create(), so each key's type and default
// live in one place, the kConfig table:
//
//   static constexpr scanorch_config_field kConfig[] = {
//       sdk::ConfigKey{.name = "threads", .type = SCANORCH_CFG_INT, .default_json = "4", .description = "..."}};
//   ...
//   const auto threads = ctx.config().integer("threads");   // 4 unless configured
//
// A read of a key that has a value of another type, or of a key that has no
// value and no default, throws ConfigError naming the key: that is a bug in
// the plugin (its table and its code disagree), and SCANORCH_PLUGIN turns an
// exception in create() into an error the host reports. Use find_*() for keys
// that are optional by design. Header-only, standard library only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scanorch/sdk/abi.h"

namespace scanorch::sdk {

/// One entry of a plugin's kConfig table, written with designated
/// initialisers; what is left out takes the defaults below (not required, no
/// default value). Converts to the C table's scanorch_config_field.
struct ConfigKey {
    const char* name = nullptr;
    scanorch_config_type type = SCANORCH_CFG_STRING;
    bool required = false;
    const char* default_json = nullptr;  ///< JSON text of the default: "4", "true", "\"basic\"", "[\"a\"]"
    const char* description = "";

    constexpr operator scanorch_config_field() const noexcept {  // NOLINT(google-explicit-constructor)
        return {name, static_cast<std::uint32_t>(type), required ? 1u : 0u, default_json, description};
    }
};

/// Thrown by Config's required reads; the message names the key.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Config {
public:
    Config() = default;

    /// Copies the host's values (they live only during create()). A null
    /// `c` is an empty config.
    explicit Config(const scanorch_config* c) {
        if (c == nullptr) return;
        if (c->json != nullptr && *c->json != '\0') json_ = c->json;
        // A newer host's value struct may be longer (a minor appends fields):
        // step by its size, read only the fields this SDK knows.
        const std::size_t stride = c->value_size != 0 ? c->value_size : sizeof(scanorch_config_value);
        if (stride < sizeof(scanorch_config_value)) return;  // older than 2.0's layout: nothing readable
        const auto* base = reinterpret_cast<const unsigned char*>(c->values);
        for (std::size_t i = 0; c->values != nullptr && i < c->value_count; ++i) {
            const auto& v = *reinterpret_cast<const scanorch_config_value*>(base + i * stride);
            if (v.name == nullptr) continue;
            values_.insert_or_assign(v.name, copy(v));
        }
    }

    /// True when the key has a value (configured, or by its default).
    bool has(std::string_view key) const { return values_.find(key) != values_.end(); }

    std::int64_t integer(std::string_view key) const { return required(find_integer(key), key, "an integer"); }
    double number(std::string_view key) const { return required(find_number(key), key, "a number"); }
    bool boolean(std::string_view key) const { return required(find_boolean(key), key, "a boolean"); }
    /// STRING and SECRET keys.
    std::string string(std::string_view key) const { return required(find_string(key), key, "a string"); }
    /// DURATION keys (the host accepts 30, "30s", "5m", "1h").
    std::chrono::seconds duration(std::string_view key) const {
        return required(find_duration(key), key, "a duration");
    }
    std::vector<std::string> strings(std::string_view key) const {
        return required(find_strings(key), key, "a list of strings");
    }
    /// OBJECT keys: the mapping as JSON text, for the plugin to check inside.
    std::string object_json(std::string_view key) const { return required(find_object_json(key), key, "a mapping"); }

    /// The find_*() forms return nullopt when the key has no value; a value of
    /// another type still throws (that is never the configuration's fault).
    std::optional<std::int64_t> find_integer(std::string_view key) const {
        return typed<Int>(key, SCANORCH_CFG_INT, "an integer");
    }
    std::optional<double> find_number(std::string_view key) const {
        if (auto* v = lookup(key); v != nullptr && v->type == SCANORCH_CFG_INT)
            return static_cast<double>(std::get<Int>(v->value).v);
        return typed<double>(key, SCANORCH_CFG_DOUBLE, "a number");
    }
    std::optional<bool> find_boolean(std::string_view key) const {
        auto v = typed<Int>(key, SCANORCH_CFG_BOOL, "a boolean");
        return v ? std::optional<bool>(*v != 0) : std::nullopt;
    }
    std::optional<std::string> find_string(std::string_view key) const {
        if (auto* v = lookup(key); v != nullptr && v->type == SCANORCH_CFG_SECRET)
            return std::get<std::string>(v->value);
        return typed<std::string>(key, SCANORCH_CFG_STRING, "a string");
    }
    std::optional<std::chrono::seconds> find_duration(std::string_view key) const {
        auto v = typed<Int>(key, SCANORCH_CFG_DURATION, "a duration");
        return v ? std::optional(std::chrono::seconds(*v)) : std::nullopt;
    }
    std::optional<std::vector<std::string>> find_strings(std::string_view key) const {
        return typed<std::vector<std::string>>(key, SCANORCH_CFG_STRING_LIST, "a list of strings");
    }
    std::optional<std::string> find_object_json(std::string_view key) const {
        return typed<std::string>(key, SCANORCH_CFG_OBJECT, "a mapping");
    }

    /// Names of the keys with a value that start with `prefix` (e.g.
    /// "credentials." for a scanner's credentials), in name order.
    std::vector<std::string> keys_with_prefix(std::string_view prefix) const {
        std::vector<std::string> out;
        for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.starts_with(prefix); ++it) {
            out.push_back(it->first);
        }
        return out;
    }

    /// The whole config as one JSON object.
    const std::string& json() const noexcept { return json_; }

private:
    // Wrapped so an INT and a BOOL (both int64 in the C table) stay apart
    // from the other alternatives of the variant.
    struct Int {
        std::int64_t v;
        // Reads like the int it wraps.
        operator std::int64_t() const noexcept { return v; }  // NOLINT(google-explicit-constructor)
    };
    struct Value {
        std::uint32_t type = 0;
        std::variant<Int, double, std::string, std::vector<std::string>> value;
    };

    static Value copy(const scanorch_config_value& v) {
        Value out{v.type, Int{0}};
        switch (v.type) {
            case SCANORCH_CFG_INT:
            case SCANORCH_CFG_BOOL:
            case SCANORCH_CFG_DURATION: out.value = Int{v.integer}; break;
            case SCANORCH_CFG_DOUBLE: out.value = v.number; break;
            case SCANORCH_CFG_STRING_LIST: {
                std::vector<std::string> items;
                for (std::size_t i = 0; v.items != nullptr && i < v.item_count; ++i) {
                    items.emplace_back(v.items[i] != nullptr ? v.items[i] : "");
                }
                out.value = std::move(items);
                break;
            }
            default: out.value = std::string(v.text != nullptr ? v.text : ""); break;
        }
        return out;
    }

    const Value* lookup(std::string_view key) const {
        const auto it = values_.find(key);
        return it == values_.end() ? nullptr : &it->second;
    }

    template <class T>
    std::optional<T> typed(std::string_view key, std::uint32_t type, const char* what) const {
        const Value* v = lookup(key);
        if (v == nullptr) return std::nullopt;
        if (v->type != type) {
            throw ConfigError("config key '" + std::string(key) + "' is read as " + what +
                              " but declared with another type (kConfig and the code disagree)");
        }
        return std::get<T>(v->value);
    }

    template <class T>
    static T required(std::optional<T> v, std::string_view key, const char* what) {
        if (!v) {
            throw ConfigError("config key '" + std::string(key) + "' has no value and no default (expected " + what +
                              "): declare a default in kConfig or read it with find_*()");
        }
        return std::move(*v);
    }

    std::string json_ = "{}";
    std::map<std::string, Value, std::less<>> values_;
};

}  // namespace scanorch::sdk
