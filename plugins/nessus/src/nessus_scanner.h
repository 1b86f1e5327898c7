// The scan lifecycle on one Nessus server, over NessusClient.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "nessus_client.h"
#include "scanorch/sdk/scan_list.h"
#include "scanorch/sdk/types.h"

namespace scanorch::nessus {

class NessusScanner {
public:
    NessusScanner(NessusConfig config, sdk::PluginContext ctx);
    ~NessusScanner();

    sdk::Result<sdk::ScannerHealth> health();
    sdk::Result<std::string> create_scan(const sdk::ScanRequest& request);
    sdk::Result<void> launch_scan(const std::string& scan_id);
    sdk::Result<sdk::ScanProgress> poll_scan(const std::string& scan_id);
    sdk::Result<void> stop_scan(const std::string& scan_id);
    sdk::Result<sdk::ExportInfo> export_scan(const std::string& scan_id, const std::string& dest_path);
    sdk::Result<void> delete_scan(const std::string& scan_id);
    /// GET /scans?last_modification_date=: the scans changed since then.
    sdk::Result<sdk::ScanListing> list_scans(std::int64_t changed_since);

    /// The Nessus "settings"/"credentials" body for a request (no I/O).
    static sdk::Result<std::string> scan_body(const sdk::ScanRequest& request, const std::string& template_uuid,
                                              std::int64_t folder_id);
    /// Maps Nessus's status words to ScanState.
    static sdk::ScanState map_status(const std::string& status);

private:
    sdk::Result<std::string> template_uuid(const std::string& name);
    std::string who() const { return "scanner '" + client_.config().instance_id + "'"; }
    sdk::Error scoped(sdk::Error e) const;

    NessusClient client_;
    sdk::PluginContext ctx_;
    std::mutex templates_mu_;
    std::map<std::string, std::string> templates_;  ///< name -> uuid, loaded once
};

}  // namespace scanorch::nessus
