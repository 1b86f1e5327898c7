// Must not compile: claims to be a router without deriving from Router.
#include <memory>

#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"
class NotARouter {
public:
    using interface_type = scanorch::sdk::Router;
    static constexpr const char* kName = "not-a-router";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "";
};
SCANORCH_PLUGIN(NotARouter)
