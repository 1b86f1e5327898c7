#include "scanorch/framework/json/json_writer.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <typeinfo>
#include <vector>

namespace scanorch::framework {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

template <class T>
void append_number(std::string& out, T n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

/// Poco's own text of one value: the exact form of the values with no fast
/// path here.
void append_by_poco(std::string& out, const Poco::Dynamic::Var& v) {
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(v, text);
    out += text.str();
}

void append_value(std::string& out, const Poco::Dynamic::Var& v);

void append_object(std::string& out, const Object& o) {
    out += '{';
    // Members in the object's order (getNames: insertion order where it is
    // kept), found in the map's entries by binary search: Object::get would
    // copy each value.
    std::vector<const Object::ValueType*> sorted;
    sorted.reserve(o.size());
    for (auto it = o.begin(); it != o.end(); ++it) sorted.push_back(&*it);
    bool first = true;
    for (const auto& name : o.getNames()) {
        const auto at = std::lower_bound(sorted.begin(), sorted.end(), name,
                                         [](const Object::ValueType* e, const std::string& k) { return e->first < k; });
        if (at == sorted.end() || (*at)->first != name) continue;
        if (!first) out += ',';
        first = false;
        JsonWriter::append_string(out, name);
        out += ':';
        append_value(out, (*at)->second);
    }
    out += '}';
}

void append_array(std::string& out, const Array& a) {
    out += '[';
    bool first = true;
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_value(out, *it);
    }
    out += ']';
}

void append_container(std::string& out, const Object& o) { append_object(out, o); }
void append_container(std::string& out, const Array& a) { append_array(out, a); }

/// A container through its pointer; a null one as null (Poco would throw).
template <class Ptr>
void append_held(std::string& out, const Ptr& p) {
    if (p) {
        append_container(out, *p);
    } else {
        out += "null";
    }
}

void append_value(std::string& out, const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) {
        out += "null";
        return;
    }
    const std::type_info& t = v.type();
    if (t == typeid(std::string)) {
        JsonWriter::append_string(out, v.extract<std::string>());
    } else if (t == typeid(Object::Ptr)) {
        append_held(out, v.extract<Object::Ptr>());
    } else if (t == typeid(Array::Ptr)) {
        append_held(out, v.extract<Array::Ptr>());
    } else if (t == typeid(Object)) {
        append_object(out, v.extract<Object>());
    } else if (t == typeid(Array)) {
        append_array(out, v.extract<Array>());
    } else if (t == typeid(bool)) {
        out += v.extract<bool>() ? "true" : "false";
    } else if (t == typeid(int)) {
        append_number(out, v.extract<int>());
    } else if (t == typeid(unsigned)) {
        append_number(out, v.extract<unsigned>());
    } else if (t == typeid(long)) {
        append_number(out, v.extract<long>());
    } else if (t == typeid(unsigned long)) {
        append_number(out, v.extract<unsigned long>());
    } else if (t == typeid(long long)) {
        append_number(out, v.extract<long long>());
    } else if (t == typeid(unsigned long long)) {
        append_number(out, v.extract<unsigned long long>());
    } else {
        append_by_poco(out, v);
    }
}

/// Poco writes every string of a document with the options of the object
/// or array it was asked to write. One that escapes all of Unicode (nothing
/// here builds one) is written by Poco, through its own stringify: the
/// Stringifier would first reset the flag.
bool written_by_poco(std::string& out, const Poco::Dynamic::Var& v) {
    const std::type_info& t = v.type();
    const auto by_poco = [&out](const auto& container) {
        if (!container.getEscapeUnicode()) return false;
        std::ostringstream text;
        container.stringify(text);
        out += text.str();
        return true;
    };
    if (t == typeid(Object::Ptr)) return v.extract<Object::Ptr>() && by_poco(*v.extract<Object::Ptr>());
    if (t == typeid(Array::Ptr)) return v.extract<Array::Ptr>() && by_poco(*v.extract<Array::Ptr>());
    if (t == typeid(Object)) return by_poco(v.extract<Object>());
    if (t == typeid(Array)) return by_poco(v.extract<Array>());
    return false;
}

}  // namespace

void append_json(std::string& out, const Poco::Dynamic::Var& value) {
    if (!written_by_poco(out, value)) append_value(out, value);
}

std::string json_text(const Poco::Dynamic::Var& value) {
    std::string out;
    append_json(out, value);
    return out;
}

std::string json_text(const Object& object) {
    if (object.getEscapeUnicode()) {
        std::ostringstream text;
        object.stringify(text);
        return text.str();
    }
    std::string out;
    append_object(out, object);
    return out;
}

JsonWriter& JsonWriter::begin_object() { return open('{'); }
JsonWriter& JsonWriter::end_object() { return close('}'); }
JsonWriter& JsonWriter::begin_array() { return open('['); }
JsonWriter& JsonWriter::end_array() { return close(']'); }

JsonWriter& JsonWriter::open(char bracket) {
    separate();
    out_ += bracket;
    first_ = true;
    return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
    out_ += bracket;
    first_ = false;
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    separate();
    append_string(out_, name);
    out_ += ':';
    first_ = true;  // the value that follows takes no comma
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    separate();
    append_string(out_, text);
    return *this;
}

JsonWriter& JsonWriter::value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t n) {
    separate();
    append_number(out_, n);
    return *this;
}

JsonWriter& JsonWriter::unsigned_integer(std::uint64_t n) {
    separate();
    append_number(out_, n);
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
}

void JsonWriter::append_string(std::string& out, std::string_view text) {
    static constexpr char kUpperHex[] = "0123456789ABCDEF";  // as Poco writes \u00XX
    out += '"';
    std::size_t copied = 0;  // text before this is in `out`
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + copied, i - copied);
        copied = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                const char esc[] = {'\\', 'u', '0', '0', kUpperHex[c >> 4], kUpperHex[c & 0xF]};
                out.append(esc, sizeof esc);
            }
        }
    }
    out.append(text.data() + copied, text.size() - copied);
    out += '"';
}

}  // namespace scanorch::framework
