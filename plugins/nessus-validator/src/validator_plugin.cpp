// The `nessus-validator` plugin: the SDK face of validate_file(), with the
// findings of its pass offered through kValidatorFindings.
#include <memory>

#include "nessus_validator.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/validator.h"
#include "validator_config.h"

namespace {

namespace sdk = scanorch::sdk;
namespace nv = scanorch::nessus_validator;

class NessusValidatorPlugin final : public sdk::Validator, public sdk::FindingEmitter {
public:
    using interface_type = sdk::Validator;
    static constexpr const char* kName = "nessus-validator";
    static constexpr const char* kVersion = "1.1.0";
    static constexpr const char* kDescription =
        "Streams .nessus exports; checks structure, host counts and per-host authentication";
    static constexpr const auto& kConfig = nv::kConfigKeys;

    NessusValidatorPlugin(sdk::PluginContext ctx, nv::ValidatorConfig config)
        : ctx_(std::move(ctx)), config_(std::move(config)) {
        failures_ = ctx_.metrics().counter("nessus_validation_failures_total",
                                           "Exports that failed validation, by reason", {"reason"});
        for (auto reason : nv::kFailureReasons) failures_.add({std::string(reason)}, 0);
    }

    static sdk::Result<std::unique_ptr<NessusValidatorPlugin>> create(sdk::PluginContext ctx) {
        auto config = nv::parse_config(ctx.config());
        if (!config) return std::move(config).error();
        return std::make_unique<NessusValidatorPlugin>(std::move(ctx), std::move(config).value());
    }

    sdk::Result<sdk::ValidationResult> validate(const sdk::ValidationRequest& request) noexcept override {
        return sdk::guard("validating an export", [&]() -> sdk::Result<sdk::ValidationResult> {
            return judged(request, nv::validate_file(request, config_));
        });
    }

    sdk::Result<sdk::ValidationResult> validate_and_emit(const sdk::ValidationRequest& request,
                                                         sdk::FindingSink& sink) noexcept override {
        return sdk::guard("validating an export", [&]() -> sdk::Result<sdk::ValidationResult> {
            auto result = nv::validate_file(request, config_, sink);
            if (!result) return result;  // the sink's own error, as it gave it
            return judged(request, std::move(result).value());
        });
    }

    void* extension(std::string_view id) noexcept override {
        if (id == sdk::kValidatorFindings) return static_cast<sdk::FindingEmitter*>(this);
        return nullptr;
    }

private:
    // Counts and logs a failed verdict, whichever call gave it.
    sdk::ValidationResult judged(const sdk::ValidationRequest& request, sdk::ValidationResult result) {
        if (!result.is_valid) {
            failures_.add({result.failure_reason});
            ctx_.log().info("invalid export ", request.path, ": ", result.error);
        }
        return result;
    }

    sdk::PluginContext ctx_;
    nv::ValidatorConfig config_;
    sdk::Metric failures_;
};

}  // namespace

SCANORCH_PLUGIN(NessusValidatorPlugin)
