// The registry applies each tool's published input schema before its handler
// runs: what an MCP client reads is what the host enforces.
#include <gtest/gtest.h>

#include "scanorch/framework/tools/tool_registry.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

sf::ToolRegistry registry(int& calls) {
    sf::ToolRegistry r;
    sdk::ToolInfo info;
    info.name = "scan";
    info.input_schema_json = R"({"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 10},
        "page": {"type": "integer", "minimum": 1, "maximum": 5},
        "level": {"type": "string", "enum": ["low", "high"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "filters": {"type": "object", "properties": {"host": {"type": "string"}}, "additionalProperties": false}},
        "required": ["name"], "additionalProperties": false})";
    r.add(info, [&calls](const sf::ToolRegistry::Args&, const sdk::CallContext&) -> sdk::Result<std::string> {
        ++calls;
        return std::string("{}");
    });
    return r;
}

}  // namespace

TEST(ToolRegistry, ChecksArgumentsAgainstThePublishedSchema) {
    int calls = 0;
    auto r = registry(calls);
    EXPECT_TRUE(r.call("scan", R"({"name":"ok","page":2,"level":"low","tags":["a"],"filters":{"host":"x"}})", {}));
    EXPECT_EQ(calls, 1);
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({})", "'name' is required"},
        {R"({"name":""})", "'name' is required"},
        {R"({"name":"01234567890"})", "'name' is longer than 10 characters"},
        {R"({"name":7})", "'name' must be string, not integer"},
        {R"({"name":"a","page":0})", "'page' must be at least 1, not 0"},
        {R"({"name":"a","page":9})", "'page' must be at most 5, not 9"},
        {R"({"name":"a","page":"2"})", "'page' must be integer, not string"},
        {R"({"name":"a","level":"mid"})", "'level' must be one of low, high"},
        {R"({"name":"a","tags":["a","b","c"]})", "'tags' has more than 2 items"},
        {R"({"name":"a","tags":[1]})", "'tags[0]' must be string"},
        {R"({"name":"a","filters":{"port":1}})", "unknown argument 'filters.port' (valid: host)"},
        {R"({"name":"a","extra":true})", "unknown argument 'extra'"},
        {R"([1,2])", "arguments must be a JSON object"},
        {R"({"name":)", "arguments are not a JSON object"},
    };
    for (const auto& [args, message] : bad) {
        auto res = r.call("scan", args, {});
        ASSERT_FALSE(res) << args;
        EXPECT_EQ(res.error().kind, sdk::ErrorKind::invalid_input) << args;
        EXPECT_NE(res.error().message.find(message), std::string::npos) << args << " -> " << res.error().message;
    }
    EXPECT_EQ(calls, 1) << "no handler runs on arguments its schema refuses";
    // Lengths count characters, not bytes.
    EXPECT_TRUE(r.call("scan", R"({"name":"éééééééééé"})", {}));
}

TEST(ToolRegistry, RefusesUnknownToolsAndToolsOutsideTheCallersList) {
    int calls = 0;
    auto r = registry(calls);
    EXPECT_EQ(r.call("nope", "{}", {}).error().kind, sdk::ErrorKind::not_found);
    sdk::CallContext viewer;
    viewer.client = "viewer";
    viewer.allowed_tools = {"other"};
    EXPECT_EQ(r.call("scan", R"({"name":"a"})", viewer).error().kind, sdk::ErrorKind::auth);
    EXPECT_EQ(calls, 0);
}
