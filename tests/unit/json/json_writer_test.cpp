// JsonWriter's contract is Poco's text: what it writes must be what Poco's
// Stringifier writes for the same values, so a document reads the same
// whichever wrote it. Each test builds the same value both ways.
#include "scanorch/framework/json/json_writer.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using scanorch::framework::JsonWriter;

std::string poco_text(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

std::string writer_string(const std::string& s) {
    std::string out;
    JsonWriter::append_string(out, s);
    return out;
}

TEST(JsonWriter, EscapesEveryByteAsPocoDoes) {
    for (int c = 0; c < 256; ++c) {
        const std::string s(1, static_cast<char>(c));
        EXPECT_EQ(writer_string(s), poco_text(s)) << "byte " << c;
        const std::string framed = "a" + s + "b";
        EXPECT_EQ(writer_string(framed), poco_text(framed)) << "byte " << c << " between others";
    }
    EXPECT_EQ(writer_string(""), "\"\"");
}

TEST(JsonWriter, RandomStringsMatchPoco) {
    std::mt19937 rng(20261204);
    std::uniform_int_distribution<int> len(0, 80), byte(0, 255), pick(0, 3);
    for (int n = 0; n < 3000; ++n) {
        std::string s;
        const int l = len(rng);
        for (int i = 0; i < l; ++i) {
            // Mostly the bytes that need escaping, so runs of them are common.
            const int b = pick(rng) == 0 ? byte(rng) : "\"\\/\n\x01\x1f\x7fzA\xc3\xa9"[byte(rng) % 11];
            s += static_cast<char>(b);
        }
        ASSERT_EQ(writer_string(s), poco_text(s)) << "case " << n;
    }
}

TEST(JsonWriter, ObjectsArraysAndNumbersMatchPoco) {
    Poco::JSON::Object expected(Poco::JSON_PRESERVE_KEY_ORDER);
    expected.set("s", std::string("x\ty"));
    expected.set("min", std::numeric_limits<std::int64_t>::min());
    expected.set("max", std::numeric_limits<std::int64_t>::max());
    expected.set("umax", std::numeric_limits<std::uint64_t>::max());
    expected.set("u32", std::uint32_t{4000000000U});
    expected.set("neg", -7);
    expected.set("zero", 0);
    expected.set("t", true);
    expected.set("f", false);
    expected.set("n", Poco::Dynamic::Var());
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    arr->add(1);
    arr->add(std::string("two"));
    arr->add(Poco::Dynamic::Var());
    Poco::JSON::Object::Ptr inner = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    inner->set("k", std::string("v"));
    inner->set("e", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    arr->add(inner);
    arr->add(Poco::JSON::Object::Ptr(new Poco::JSON::Object));
    expected.set("arr", arr);
    expected.set("empty", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    expected.set("last", std::string("\"/\\"));
    std::ostringstream poco;
    expected.stringify(poco);

    JsonWriter w;
    w.begin_object();
    w.key("s").value("x\ty");
    w.key("min").value(std::numeric_limits<std::int64_t>::min());
    w.key("max").value(std::numeric_limits<std::int64_t>::max());
    w.key("umax").value(std::numeric_limits<std::uint64_t>::max());
    w.key("u32").value(std::uint32_t{4000000000U});
    w.key("neg").value(-7);
    w.key("zero").value(0);
    w.key("t").value(true);
    w.key("f").value(false);
    w.key("n").null();
    w.key("arr").begin_array().value(1).value(std::string("two")).null();
    w.begin_object().key("k").value("v").key("e").begin_array().end_array().end_object();
    w.begin_object().end_object().end_array();
    w.key("empty").begin_array().end_array();
    w.key("last").value(std::string_view("\"/\\"));
    w.end_object();
    EXPECT_EQ(w.text(), poco.str());

    // And Poco reads it back as the same document.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    std::ostringstream again;
    parser.parse(w.text()).extract<Poco::JSON::Object::Ptr>()->stringify(again);
    EXPECT_EQ(again.str(), w.text());
}

// json_text: any document built with Poco, random in shape and content,
// against Poco's own Object::stringify.
class RandomDocument {
public:
    explicit RandomDocument(unsigned seed) : rng_(seed) {}

    Poco::JSON::Object::Ptr object(int depth) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(coin() ? Poco::JSON_PRESERVE_KEY_ORDER : 0);
        const int n = upto(7);
        // Keys from a small set, so some are set twice (Poco keeps the first
        // place and the last value).
        for (int i = 0; i < n; ++i)
            o->set(pick({"a", "b", "zeta", "k\"q", "\x01", "caf\xc3\xa9", "", "a/b"}), value(depth));
        return o;
    }

private:
    Poco::Dynamic::Var value(int depth) {
        switch (upto(depth > 3 ? 11 : 13)) {
            case 0: return Poco::Dynamic::Var();
            case 1: return coin();
            case 2: return static_cast<int>(rng_());
            case 3: return static_cast<std::int64_t>(rng_()) << 31;
            case 4: return std::numeric_limits<std::uint64_t>::max() - upto(3);
            case 5: return static_cast<unsigned>(rng_());
            case 6: return std::vector<double>{0.0, -0.0, 1.0, 0.1, 12.34, 1e21, 1e-7, 1.0 / 3}[upto(8)];
            case 7: return 1.5F;
            case 8: return 'c';
            case 9:
            case 10: return text();
            case 11: return object(depth + 1);
            default: {
                Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
                const int n = upto(5);
                for (int i = 0; i < n; ++i) a->add(value(depth + 1));
                return a;
            }
        }
    }
    std::string text() {
        std::string s;
        const int n = upto(12);
        for (int i = 0; i < n; ++i) s += static_cast<char>(rng_() % 256);
        return s;
    }
    std::string pick(std::initializer_list<const char*> words) {
        return *(words.begin() + upto(static_cast<int>(words.size())));
    }
    int upto(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
    bool coin() { return rng_() % 2 == 0; }

    std::mt19937 rng_;
};

TEST(JsonText, RandomDocumentsMatchPoco) {
    RandomDocument random(20261204);
    for (int n = 0; n < 2000; ++n) {
        const auto doc = random.object(0);
        std::ostringstream poco;
        doc->stringify(poco);
        ASSERT_EQ(scanorch::framework::json_text(doc), poco.str()) << "document " << n;
        ASSERT_EQ(scanorch::framework::json_text(*doc), poco.str()) << "document " << n << " by value";
    }
}

TEST(JsonText, ADocumentThatEscapesAllOfUnicodeIsPocos) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("k", std::string("caf\xc3\xa9"));
    o->setEscapeUnicode(true);
    std::ostringstream poco;
    o->stringify(poco);
    EXPECT_EQ(scanorch::framework::json_text(o), poco.str());
    EXPECT_NE(poco.str().find("\\u00E9"), std::string::npos) << poco.str();
}

TEST(JsonWriter, RawTextIsAValueWithItsComma) {
    JsonWriter w;
    w.begin_array().value(1).raw("{\"a\":[]}").raw("null").end_array();
    EXPECT_EQ(w.text(), "[1,{\"a\":[]},null]");
}

}  // namespace
