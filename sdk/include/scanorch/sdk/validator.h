// The `validator` plugin kind: checks a scan's export before the task is
// marked completed. A validator streams the file (constant memory) and
// returns a verdict; an invalid file fails the task and sends it to the DLQ.
//
// A failed validation is a *value* (ValidationResult::is_valid == false with
// an error naming what was wrong); an Error result means the validator itself
// could not run (e.g. `internal`). Must be thread-safe.
#pragma once

#include <string_view>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE Validator {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_VALIDATOR;
    virtual ~Validator() = default;

    virtual Result<ValidationResult> validate(const ValidationRequest& request) noexcept = 0;

    /// See Scanner::extension.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
