// Compact JSON text written straight into a string. Poco's Stringifier
// writes a string a character at a time through an ostream, a sentry per
// character, and dispatches every value through a chain of type checks:
// encoding a task record, its summary, the queue payload and the answer that
// way was over half of the instructions of a submission's tool call. Here, JsonWriter
// writes the documents written on every task update (task.json and its list
// summary) from the record itself, and json_text() writes any document built
// with Poco, which still builds and reads them.
//
// The text is what Poco's Stringifier writes for the same values at indent
// 0, byte for byte: the same escapes (\" \\ \b \f \n \r \t, \u00XX in upper
// case for the other control characters; '/', DEL and bytes from 0x80 as
// they are), the same numbers, no spaces. So a document reads the same
// whichever wrote it, and a fingerprint of one is the same either way.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scanorch::framework {

class JsonWriter {
public:
    /// `reserve`: the text's likely size, so it grows without copies.
    explicit JsonWriter(std::size_t reserve = 0) { out_.reserve(reserve); }

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// The next member's name; its value follows.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(bool b);
    template <std::integral T>
    requires(!std::same_as<T, bool>) JsonWriter& value(T n) {
        if constexpr (std::is_signed_v<T>) {
            return integer(static_cast<std::int64_t>(n));
        } else {
            return unsigned_integer(static_cast<std::uint64_t>(n));
        }
    }
    JsonWriter& null();
    /// A value that is already JSON text (a document encoded elsewhere).
    JsonWriter& raw(std::string_view json);

    const std::string& text() const& { return out_; }
    std::string text() && { return std::move(out_); }

    /// Appends `text` as a JSON string, quotes included.
    static void append_string(std::string& out, std::string_view text);

private:
    JsonWriter& open(char bracket);
    JsonWriter& close(char bracket);
    JsonWriter& integer(std::int64_t n);
    JsonWriter& unsigned_integer(std::uint64_t n);
    /// The comma before a value or member, except the first in its container
    /// and a member's value.
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    std::string out_;
    bool first_ = true;
};

/// The compact JSON text of a value built with Poco (an Object::Ptr, an
/// Array::Ptr, or a plain value), as Object::stringify writes it at indent 0
/// (a top-level container that escapes all of Unicode is written by Poco
/// itself). Members keep the object's order (insertion order where the
/// object preserves it). Values it has no fast path for (floating point,
/// dates) are written by Poco's Stringifier. One difference: a null
/// Object::Ptr or Array::Ptr is written as null, where Poco would throw.
std::string json_text(const Poco::Dynamic::Var& value);
/// The same, appended to `out`.
void append_json(std::string& out, const Poco::Dynamic::Var& value);
/// The text of an object held by value (a Var would copy it).
std::string json_text(const Poco::JSON::Object& object);

}  // namespace scanorch::framework
