// Must not compile: create() has the wrong signature.
#include <memory>

#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/router.h"
class WrongCreate final : public scanorch::sdk::Router {
public:
    using interface_type = scanorch::sdk::Router;
    static constexpr const char* kName = "wrong-create";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "";
    static std::unique_ptr<WrongCreate> create(scanorch::sdk::PluginContext) { return nullptr; }
    scanorch::sdk::Result<scanorch::sdk::RouteDecision> route(
        const scanorch::sdk::RouteRequest&, const std::vector<scanorch::sdk::ScannerSnapshot>&) noexcept override {
        return scanorch::sdk::RouteDecision{};
    }
};
SCANORCH_PLUGIN(WrongCreate)
