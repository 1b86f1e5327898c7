// Findings out of a validator's single pass (ABI 1.3): a validator already
// streams every result of an export to judge it, so it hands each one to the
// host as a typed sdk::Finding (store.h) on the way, and the host indexes
// them without ever parsing the scanner's file format itself.
//
// A validator offers this through `validator.extension(kValidatorFindings)`
// (extensions.h), which returns a `FindingEmitter*` converted to void*,
// valid as long as the validator instance; nullptr means it cannot, and the
// host then calls validate() alone. The host asks only plugins built for ABI
// 1.3 or later (abi.h rule 4).
#pragma once

#include <cstddef>
#include <string_view>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

/// The most bytes a validator puts in one text field of a Finding
/// (plugin_output, description, synopsis, solution, see_also): one finding
/// at a time must stay small whatever the export holds (real outputs reach
/// 900 KB). A longer text is cut at a UTF-8 character boundary and ends with
/// kFindingTextCut, the whole within this limit; the raw export keeps it all.
inline constexpr std::size_t kFindingTextMax = 64 * 1024;

/// How a cut text field ends, so a reader knows there is more in the export.
inline constexpr std::string_view kFindingTextCut = "\n[... cut at 64 KiB: the export has the full text]";

/// The most CVE ids one Finding carries; further ones are left out. Far
/// above any real result (a kernel advisory lists a few hundred).
inline constexpr std::size_t kFindingMaxCves = 8192;

/// Where a validator sends the findings of an export. Implemented by the
/// host; called by the plugin from the thread that called
/// validate_and_emit(), one finding after another, never concurrently.
class SCANORCH_SDK_VISIBLE FindingSink {
public:
    virtual ~FindingSink() = default;

    /// One finding, in export order, `seq` counting from 0 with no gap. The
    /// reference is valid during the call only. An error means stop: the
    /// validator sends nothing more, ends its pass and returns this very
    /// error (kind and message unchanged) from validate_and_emit().
    virtual Result<void> accept(const Finding& finding) noexcept = 0;

protected:
    FindingSink() = default;
    FindingSink(const FindingSink&) = default;
    FindingSink& operator=(const FindingSink&) = default;
};

/// The optional interface behind kValidatorFindings. Thread-safe like the
/// validator: each call has its own sink.
class SCANORCH_SDK_VISIBLE FindingEmitter {
public:
    virtual ~FindingEmitter() = default;

    /// validate() and, in the same single pass over the file, every result
    /// of the export sent to `sink` as a Finding:
    /// - the verdict is the one validate() gives for the same request;
    /// - the findings leave while the file is read, before the verdict is
    ///   known: a file that turns out malformed has sent the results before
    ///   the fault, and a file refused before reading (missing, too small,
    ///   not this scanner's format) sends none. Whether findings of an
    ///   invalid export are kept is the host's decision;
    /// - Finding::seen_at_ms is 0 when the export does not say when the
    ///   host was scanned; the host then fills in its own time;
    /// - an error is either the sink's (see FindingSink::accept) or the
    ///   validator's own failure to run, as for validate().
    virtual Result<ValidationResult> validate_and_emit(const ValidationRequest& request,
                                                       FindingSink& sink) noexcept = 0;

protected:
    FindingEmitter() = default;
    FindingEmitter(const FindingEmitter&) = default;
    FindingEmitter& operator=(const FindingEmitter&) = default;
};

}  // namespace scanorch::sdk
