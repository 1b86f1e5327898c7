// The `scanner` plugin kind: drives one scanner instance (one scanners.yaml
// entry) through a scan's life: create, launch, poll, export, delete.
//
// One instance serves one scanner and is called from several worker threads at
// once (up to that scanner's max_concurrent_scans), so every method must be
// thread-safe. Methods may block on the network but must honour the plugin's
// own timeouts; none may block forever.
//
// Config: the host passes a JSON object with `instance_id`, `url`,
// `credentials` (username/password and/or access_key/secret_key, secrets
// included) and `options` (the entry's `options:` mapping, validated against
// the plugin's declared config fields).
#pragma once

#include <string>
#include <string_view>

#include "scanorch/sdk/abi.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"
#include "scanorch/sdk/visibility.h"

namespace scanorch::sdk {

class SCANORCH_SDK_VISIBLE Scanner {
public:
    static constexpr scanorch_plugin_kind kind = SCANORCH_KIND_SCANNER;
    virtual ~Scanner() = default;

    /// Reachability, readiness, login and licence. Called at start and
    /// periodically; must be cheap.
    virtual Result<ScannerHealth> health() noexcept = 0;

    /// Creates (does not launch) a scan; returns the scanner's scan id.
    virtual Result<std::string> create_scan(const ScanRequest& request) noexcept = 0;

    virtual Result<void> launch_scan(const std::string& scan_id) noexcept = 0;

    /// One status read. Never waits for the scan to advance.
    virtual Result<ScanProgress> poll_scan(const std::string& scan_id) noexcept = 0;

    /// Asks the scanner to stop a running scan (it ends `cancelled`).
    virtual Result<void> stop_scan(const std::string& scan_id) noexcept = 0;

    /// Exports a completed scan in the scanner's own format (the one the
    /// scanner's validator reads: .nessus for `nessus`, nmap XML for the
    /// nmap sample), streamed to `dest_path` and written atomically: the
    /// file is either complete or absent, never partial, even if the process
    /// dies meanwhile (a temporary name, then a rename). It need not be
    /// synced to disk: the host reads it at once and exports again for a
    /// task interrupted before it completed.
    virtual Result<ExportInfo> export_scan(const std::string& scan_id, const std::string& dest_path) noexcept = 0;

    /// Removes the scan from the scanner. Not found counts as success.
    virtual Result<void> delete_scan(const std::string& scan_id) noexcept = 0;

    /// Optional interfaces added in later minor versions, by id; nullptr when
    /// not offered. See the versioning rules in abi.h.
    virtual void* extension(std::string_view /*id*/) noexcept { return nullptr; }
};

}  // namespace scanorch::sdk
