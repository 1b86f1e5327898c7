// The tools a front end offers, and the one door into them: looks the tool
// up, checks the caller may use it, parses the arguments and checks them
// against the tool's published input schema (names, types, lengths, enums,
// ranges) before the handler runs, so the schema an MCP client reads is the
// rule the host applies, not a second list kept by hand.
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"

namespace scanorch::framework {

class ToolRegistry {
public:
    using Args = Poco::JSON::Object::Ptr;
    using Handler = std::function<sdk::Result<std::string>(const Args&, const sdk::CallContext&)>;

    /// Registers a tool; its input schema must be a JSON object schema.
    void add(sdk::ToolInfo info, Handler handler);

    const std::vector<sdk::ToolInfo>& tools() const { return tools_; }

    sdk::Result<std::string> call(std::string_view tool, std::string_view arguments_json,
                                  const sdk::CallContext& context) const;

private:
    struct Entry {
        Poco::JSON::Object::Ptr schema;
        Handler handler;
    };
    std::vector<sdk::ToolInfo> tools_;
    std::map<std::string, Entry, std::less<>> entries_;
};

/// Checks `value` against a JSON Schema subset (type, properties,
/// additionalProperties, required, enum, minLength, maxLength, minimum,
/// maximum, items, oneOf); `path` names the value in errors.
sdk::Result<void> check_against_schema(const Poco::Dynamic::Var& value, const Poco::JSON::Object::Ptr& schema,
                                       const std::string& path);

}  // namespace scanorch::framework
