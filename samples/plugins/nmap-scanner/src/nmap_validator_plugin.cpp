// The `nmap-validator` plugin: the SDK face of validate_report(), with each
// open port offered as a Finding through kValidatorFindings (ABI 1.3), so
// nmap results are queried with the same tools as Nessus results.
#include <memory>

#include "nmap_validator.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/validator.h"

namespace {

namespace sdk = scanorch::sdk;
namespace nmap = scanorch::nmap;

class NmapValidatorPlugin final : public sdk::Validator, public sdk::FindingEmitter {
public:
    using interface_type = sdk::Validator;
    static constexpr const char* kName = "nmap-validator";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription =
        "Streams nmap XML reports; checks the run finished, hosts up and NSE failures; one finding per open port";

    explicit NmapValidatorPlugin(sdk::PluginContext ctx) : ctx_(std::move(ctx)) {
        failures_ = ctx_.metrics().counter("nmap_validation_failures_total",
                                           "nmap reports that failed validation, by reason", {"reason"});
        for (auto reason : nmap::kFailureReasons) failures_.add({std::string(reason)}, 0);
    }

    static sdk::Result<std::unique_ptr<NmapValidatorPlugin>> create(sdk::PluginContext ctx) {
        return std::make_unique<NmapValidatorPlugin>(std::move(ctx));
    }

    sdk::Result<sdk::ValidationResult> validate(const sdk::ValidationRequest& request) noexcept override {
        return run(request, nullptr);
    }

    sdk::Result<sdk::ValidationResult> validate_and_emit(const sdk::ValidationRequest& request,
                                                         sdk::FindingSink& sink) noexcept override {
        return run(request, &sink);
    }

    void* extension(std::string_view id) noexcept override {
        if (id == sdk::kValidatorFindings) return static_cast<sdk::FindingEmitter*>(this);
        return nullptr;
    }

private:
    sdk::Result<sdk::ValidationResult> run(const sdk::ValidationRequest& request, sdk::FindingSink* sink) noexcept {
        return sdk::guard("validating an export", [&]() -> sdk::Result<sdk::ValidationResult> {
            auto result = nmap::validate_report(request, sink);
            if (result && !result->is_valid) {
                failures_.add({result->failure_reason});
                ctx_.log().info("invalid report ", request.path, ": ", result->error);
            }
            return result;
        });
    }

    sdk::PluginContext ctx_;
    sdk::Metric failures_;
};

}  // namespace

SCANORCH_PLUGIN(NmapValidatorPlugin)
