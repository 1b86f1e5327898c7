// What a poll needs from `GET /scans/{id}`: `info.status` and the hosts'
// progress counters (docs/NESSUS_API.md 3.5). The answer also lists every
// host's and every plugin's summary, the history and more: megabytes for a
// large scan, polled every few seconds by every running scan. It is read
// as a stream of JSON events, keeping those few values, rather than built
// into a document only to read three fields of it.
#pragma once

#include <cstdint>
#include <string>

#include "scanorch/sdk/result.h"

namespace scanorch::nessus {

struct ScanStatus {
    std::string status;                  ///< info.status, "" when info has none
    std::uint32_t hosts = 0;             ///< objects in `hosts`
    std::uint64_t progress_current = 0;  ///< summed scanprogresscurrent
    std::uint64_t progress_total = 0;    ///< summed scanprogresstotal
};

/// Reads the answer of GET /scans/{id}. An error (transient: the scanner
/// answered something else than it should) when the body is not JSON or
/// has no `info` object; `what` names the request in it.
sdk::Result<ScanStatus> read_scan_status(const std::string& body, const std::string& what);

}  // namespace scanorch::nessus
