// Small JSON helpers the tools share (internal to the tool layer).
#pragma once

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::framework::tools {

using Obj = Poco::JSON::Object::Ptr;

inline Obj object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

/// ISO 8601 UTC, or null for "never".
Poco::Dynamic::Var iso(std::int64_t ms);

/// A string argument ("" when absent or null); the type was checked against
/// the tool's input schema before the handler ran.
std::string text(const Obj& a, const std::string& key);

/// ISO 8601 or epoch milliseconds; nullopt for "". Throws invalid_argument.
std::optional<std::int64_t> parse_time(const std::string& s);

Poco::Dynamic::Var null_if_empty(const std::string& s);

/// `f()`, with an invalid_argument (or a Poco conversion error) thrown while
/// reading the arguments answered as invalid_input, as the registry does, for
/// callers that do not go through it.
template <class F>
auto refusing_bad_input(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::invalid_argument& e) {
        return sdk::Error::invalid_input(e.what());
    } catch (const Poco::Exception& e) {  // an argument of another type than read (the schema was not applied)
        return sdk::Error::invalid_input(e.displayText());
    }
}

template <class C>
Poco::JSON::Array::Ptr array_of(const C& items) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& i : items) a->add(i);
    return a;
}

}  // namespace scanorch::framework::tools
