#include "scanorch/framework/tools/tool_registry.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

namespace scanorch::framework {

namespace {

std::string type_of(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "object";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "array";
    if (v.isString()) return "string";
    if (v.type() == typeid(bool)) return "boolean";
    if (v.isInteger()) return "integer";
    if (v.isNumeric()) return "number";
    return "unknown";
}

bool has_type(const Poco::Dynamic::Var& v, const std::string& want) {
    const auto t = type_of(v);
    return t == want || (want == "number" && t == "integer");
}

std::string names_of(const Poco::JSON::Object::Ptr& props) {
    std::string names;
    if (props) {
        for (const auto& [k, _] : *props) names += (names.empty() ? "" : ", ") + k;
    }
    return names.empty() ? "none" : names;
}

// UTF-8 code points, so a length limit means characters, as in JSON Schema.
std::size_t length(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

sdk::Result<void> check_against_schema(const Poco::Dynamic::Var& value, const Poco::JSON::Object::Ptr& schema,
                                       const std::string& path) {
    if (!schema) return {};
    if (auto one = schema->getArray("oneOf")) {
        for (std::size_t i = 0; i < one->size(); ++i) {
            if (check_against_schema(value, one->getObject(static_cast<unsigned>(i)), path)) return {};
        }
        return sdk::Error::invalid_input("'" + path + "' has none of the allowed forms");
    }
    if (schema->has("type")) {
        const auto t = schema->get("type");
        bool ok = false;
        std::string wanted;
        if (t.isString()) {
            wanted = t.toString();
            ok = has_type(value, wanted);
        } else if (auto arr = schema->getArray("type")) {
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const auto w = arr->getElement<std::string>(static_cast<unsigned>(i));
                wanted += (wanted.empty() ? "" : " or ") + w;
                ok = ok || has_type(value, w);
            }
        }
        if (!ok) return sdk::Error::invalid_input("'" + path + "' must be " + wanted + ", not " + type_of(value));
    }
    if (auto e = schema->getArray("enum")) {
        bool found = false;
        for (std::size_t i = 0; i < e->size() && !found; ++i) found = e->get(static_cast<unsigned>(i)) == value;
        if (!found) {
            std::string allowed;
            for (std::size_t i = 0; i < e->size(); ++i)
                allowed += (i ? ", " : "") + e->get(static_cast<unsigned>(i)).toString();
            return sdk::Error::invalid_input("'" + path + "' must be one of " + allowed);
        }
    }
    const auto type = type_of(value);
    if (type == "string") {
        const auto n = length(value.extract<std::string>());
        if (schema->has("maxLength") && n > schema->getValue<std::size_t>("maxLength")) {
            return sdk::Error::invalid_input("'" + path + "' is longer than " + schema->get("maxLength").toString() +
                                             " characters");
        }
        if (schema->has("minLength") && n < schema->getValue<std::size_t>("minLength")) {
            return sdk::Error::invalid_input("'" + path + "' is required");
        }
    } else if (type == "integer" || type == "number") {
        const double d = value.convert<double>();
        if (schema->has("minimum") && d < schema->getValue<double>("minimum")) {
            return sdk::Error::invalid_input("'" + path + "' must be at least " + schema->get("minimum").toString() +
                                             ", not " + value.toString());
        }
        if (schema->has("maximum") && d > schema->getValue<double>("maximum")) {
            return sdk::Error::invalid_input("'" + path + "' must be at most " + schema->get("maximum").toString() +
                                             ", not " + value.toString());
        }
    } else if (type == "array") {
        auto arr = value.extract<Poco::JSON::Array::Ptr>();
        if (schema->has("maxItems") && arr->size() > schema->getValue<std::size_t>("maxItems")) {
            return sdk::Error::invalid_input("'" + path + "' has more than " + schema->get("maxItems").toString() +
                                             " items");
        }
        if (auto items = schema->getObject("items")) {
            for (std::size_t i = 0; i < arr->size(); ++i) {
                if (auto r = check_against_schema(arr->get(static_cast<unsigned>(i)), items,
                                                  path + "[" + std::to_string(i) + "]");
                    !r)
                    return r;
            }
        }
    } else if (type == "object") {
        auto obj = value.extract<Poco::JSON::Object::Ptr>();
        auto props = schema->getObject("properties");
        const bool closed = schema->has("additionalProperties") && !schema->getValue<bool>("additionalProperties");
        const std::string prefix = path.empty() ? "" : path + ".";
        for (const auto& [k, v] : *obj) {
            auto sub = props ? props->getObject(k) : nullptr;
            if (!sub) {
                if (closed) {
                    return sdk::Error::invalid_input("unknown argument '" + prefix + k +
                                                     "' (valid: " + names_of(props) + ")");
                }
                continue;
            }
            if (auto r = check_against_schema(v, sub, prefix + k); !r) return r;
        }
        if (auto req = schema->getArray("required")) {
            for (std::size_t i = 0; i < req->size(); ++i) {
                const auto k = req->getElement<std::string>(static_cast<unsigned>(i));
                if (!obj->has(k) || obj->isNull(k))
                    return sdk::Error::invalid_input("'" + prefix + k + "' is required");
            }
        }
    }
    return {};
}

void ToolRegistry::add(sdk::ToolInfo info, Handler handler) {
    auto schema = Poco::JSON::Parser().parse(info.input_schema_json).extract<Poco::JSON::Object::Ptr>();
    entries_[info.name] = {schema, std::move(handler)};
    tools_.push_back(std::move(info));
}

sdk::Result<std::string> ToolRegistry::call(std::string_view tool, std::string_view arguments_json,
                                            const sdk::CallContext& context) const {
    auto it = entries_.find(tool);
    if (it == entries_.end()) return sdk::Error::not_found("unknown tool '" + std::string(tool) + "'");
    if (!context.allowed_tools.empty() &&
        std::find(context.allowed_tools.begin(), context.allowed_tools.end(), tool) == context.allowed_tools.end()) {
        return sdk::Error::auth("client '" + context.client + "' may not use " + std::string(tool));
    }
    Args args;
    try {
        const std::string text = arguments_json.empty() ? "{}" : std::string(arguments_json);
        args = Poco::JSON::Parser().parse(text).extract<Args>();
    } catch (const Poco::BadCastException&) {
        return sdk::Error::invalid_input("arguments must be a JSON object");
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input("arguments are not a JSON object: " + e.displayText());
    }
    if (!args) return sdk::Error::invalid_input("arguments must be a JSON object");
    if (auto r = check_against_schema(Poco::Dynamic::Var(args), it->second.schema, ""); !r) return std::move(r).error();
    try {
        return it->second.handler(args, context);
    } catch (const std::invalid_argument& e) {
        return sdk::Error::invalid_input(e.what());
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input(e.displayText());
    } catch (const std::exception& e) {
        return sdk::Error::internal(e.what());
    }
}

}  // namespace scanorch::framework
