// sdk::guard: the one place where a plugin's exceptions become Results.
//
// Interface methods are noexcept and return Result<T> (result.h), while the
// libraries a plugin uses throw. Wrap each method's body once:
//
//   sdk::Result<bool> remove(const std::string& id) noexcept override {
//       return sdk::guard("remove task", [&]() -> sdk::Result<bool> { ... });
//   }
//
// An sdk::Failure thrown below keeps its kind (so a layer deep inside can say
// "transient" or "invalid_input" without returning Results all the way up);
// any other exception is a bug in the plugin and becomes `internal`. Nothing
// escapes: an exception through a noexcept boundary would end the host.
#pragma once

#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "scanorch/sdk/result.h"

namespace scanorch::sdk {

/// An exception that carries an ErrorKind through code that throws; guard()
/// turns it into Error{kind, what}.
class Failure : public std::runtime_error {
public:
    Failure(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

namespace detail {
inline std::string guard_message(std::string_view what, std::string_view message) {
    if (what.empty()) return std::string(message);
    std::string out(what);
    out += ": ";
    out += message;
    return out;
}
}  // namespace detail

/// Runs f() and returns its Result; an exception becomes an Error whose
/// message starts with `what` (the operation, e.g. "claim"), so the log line
/// says where it happened.
template <class F>
auto guard(std::string_view what, F&& f) noexcept -> decltype(std::forward<F>(f)()) {
    try {
        return std::forward<F>(f)();
    } catch (const Failure& e) {
        try {
            return Error{e.kind(), detail::guard_message(what, e.what())};
        } catch (...) {
            return Error{e.kind(), {}};
        }
    } catch (const std::bad_alloc&) {
        return Error{ErrorKind::internal, {}};  // building a message could fail again
    } catch (const std::exception& e) {
        try {
            return Error::internal(detail::guard_message(what, std::string("unexpected exception: ") + e.what()));
        } catch (...) {
            return Error{ErrorKind::internal, {}};
        }
    } catch (...) {
        try {
            return Error::internal(detail::guard_message(what, "unknown exception"));
        } catch (...) {
            return Error{ErrorKind::internal, {}};
        }
    }
}

/// The same without an operation name.
template <class F>
auto guard(F&& f) noexcept -> decltype(std::forward<F>(f)()) {
    return guard(std::string_view{}, std::forward<F>(f));
}

}  // namespace scanorch::sdk
