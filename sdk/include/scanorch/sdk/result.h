// Result<T> and Error: how failures cross the plugin boundary, as values.
//
// Every interface method is noexcept and returns Result<T>. The host decides
// on Error::kind: `transient` is retried (1 s, 2 s, 4 s) and counts towards a
// scanner's circuit breaker; `auth`, `invalid_input` and `permanent` fail the
// task; `internal` is a plugin bug and is logged at error level.
// Messages name what was wrong and never contain secrets; the host prefixes
// the plugin name, so the plugin does not repeat it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "scanorch/sdk/abi.h"

namespace scanorch::sdk {

/// Mirrors scanorch_error_kind; values are part of the ABI.
enum class ErrorKind : std::uint32_t {
    transient = SCANORCH_ERR_TRANSIENT,
    permanent = SCANORCH_ERR_PERMANENT,
    auth = SCANORCH_ERR_AUTH,
    invalid_input = SCANORCH_ERR_INVALID_INPUT,
    not_found = SCANORCH_ERR_NOT_FOUND,
    capacity = SCANORCH_ERR_CAPACITY,
    internal = SCANORCH_ERR_INTERNAL,
    forbidden = SCANORCH_ERR_FORBIDDEN,  ///< ABI 1.1: allowed by no policy (target scope, ...)
};

/// Stable lower-case name of an error kind ("transient", "not_found", ...).
constexpr std::string_view to_string(ErrorKind k) noexcept {
    switch (k) {
        case ErrorKind::transient: return "transient";
        case ErrorKind::permanent: return "permanent";
        case ErrorKind::auth: return "auth";
        case ErrorKind::invalid_input: return "invalid_input";
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::capacity: return "capacity";
        case ErrorKind::internal: return "internal";
        case ErrorKind::forbidden: return "forbidden";
    }
    return "internal";
}

/// A failure: what kind, and a message a person can act on.
struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;

    static Error transient(std::string m) { return {ErrorKind::transient, std::move(m)}; }
    static Error permanent(std::string m) { return {ErrorKind::permanent, std::move(m)}; }
    static Error auth(std::string m) { return {ErrorKind::auth, std::move(m)}; }
    static Error invalid_input(std::string m) { return {ErrorKind::invalid_input, std::move(m)}; }
    static Error not_found(std::string m) { return {ErrorKind::not_found, std::move(m)}; }
    static Error capacity(std::string m) { return {ErrorKind::capacity, std::move(m)}; }
    static Error internal(std::string m) { return {ErrorKind::internal, std::move(m)}; }
    static Error forbidden(std::string m) { return {ErrorKind::forbidden, std::move(m)}; }

    /// True when trying the same operation again may succeed.
    bool retryable() const noexcept { return kind == ErrorKind::transient; }
};

/// Either a T or an Error (std::expected is C++23). Implicitly constructible
/// from both, so `return value;` and `return Error::auth("...");` both work.
template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

public:
    using value_type = T;

    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    /// Precondition: ok().
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    /// Precondition: !ok().
    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    template <class U>
    T value_or(U&& fallback) const& {
        return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, Error> v_;
};

/// Success with no value, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    /// Precondition: !ok().
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;
};

/// Shorthand for `return {};` in a Result<void> function, for readability.
inline Result<void> ok() { return {}; }

}  // namespace scanorch::sdk
