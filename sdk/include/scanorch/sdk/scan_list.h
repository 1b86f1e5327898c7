// An optional interface of a scanner (ABI 2.1), reached through
// Scanner::extension(kScannerScanList): what changed on the scanner, for all
// of its scans in one request. A worker running many scans on one scanner
// then asks once per poll interval ("which of your scans changed since my
// last question?") instead of polling each scan: on Nessus, one
// `GET /scans?last_modification_date=` in place of one `GET /scans/{id}`
// per running scan, an answer of a few lines instead of one that grows with
// the scan. The host still polls each scan now and then (poll_scan) for its
// progress, which a listing does not carry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

/// One scan of a listing, as poll_scan would report its state.
struct ListedScan {
    std::string scan_id;
    ScanState state = ScanState::pending;
    std::string scanner_status;  ///< the scanner's own word, as in ScanProgress
};

struct ScanListing {
    /// When the scanner answered, on the scanner's own clock, in whatever
    /// unit it counts (Nessus: epoch seconds). The host passes it back
    /// unchanged as the next listing's `changed_since` and never compares it
    /// with its own clock.
    std::int64_t as_of = 0;
    std::vector<ListedScan> scans;
};

/// `changed_since` of a host's first question: "what is your clock?"
inline constexpr std::int64_t kScanListStart = -1;

class SCANORCH_SDK_VISIBLE ScanList {
public:
    virtual ~ScanList() = default;
    /// The scans whose state changed at or after `changed_since` (an `as_of`
    /// of an earlier listing of this instance), and `as_of` for the next
    /// question. It must not leave out a scan whose state changed in that
    /// time (listing more is harmless: the host reads the states, not the
    /// fact of a change), and `as_of` must not be later than the moment the
    /// list was taken. `kScanListStart` asks for a starting point only:
    /// `as_of`, with as few scans as the scanner allows (the host ignores
    /// them), never the scanner's whole history. It must be as thread-safe
    /// and as bounded in time as the scanner's other methods.
    virtual Result<ScanListing> list_scans(std::int64_t changed_since) noexcept = 0;
};

}  // namespace scanorch::sdk
