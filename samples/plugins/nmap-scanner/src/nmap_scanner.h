// The nmap scanner behind sdk::Scanner: a "scan" is one local nmap run.
//
// create_scan checks the request and writes the scan's folder
// (<data_dir>/nmap/<instance>/<scan id>/targets); launch_scan starts nmap
// (nmap_command.h) writing scan.xml there; poll_scan reads the process
// state; export_scan copies scan.xml to the worker's path; delete_scan
// removes the folder. The folder outlives a restart of the daemon: a scan
// created but never launched is launched from it, and one whose nmap was
// lost with the daemon reads as completed when its XML says nmap finished,
// else as aborted.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "child_process.h"
#include "nmap_command.h"
#include "nmap_options.h"
#include "scanorch/sdk/context.h"
#include "scanorch/sdk/result.h"
#include "scanorch/sdk/types.h"

namespace scanorch::nmap {

class NmapScanner {
public:
    /// `work_dir`: where the scans' folders go. `version`: nmap's, for health().
    NmapScanner(NmapOptions options, sdk::PluginContext ctx, std::string work_dir, std::string version);
    ~NmapScanner();

    sdk::Result<sdk::ScannerHealth> health();
    sdk::Result<std::string> create_scan(const sdk::ScanRequest& request);
    sdk::Result<void> launch_scan(const std::string& id);
    sdk::Result<sdk::ScanProgress> poll_scan(const std::string& id);
    sdk::Result<void> stop_scan(const std::string& id);
    sdk::Result<sdk::ExportInfo> export_scan(const std::string& id, const std::string& dest);
    sdk::Result<void> delete_scan(const std::string& id);

    /// The folder of scan `id` (tests look inside).
    std::string scan_dir(const std::string& id) const;

private:
    /// What this instance knows of a scan it launched.
    enum class Outcome : std::uint32_t { running = 1, completed = 2, failed = 3, stopped = 4, timed_out = 5 };
    struct Run {
        std::mutex mu;  ///< guards the rest; a stop may wait seconds while polls go on elsewhere
        std::optional<ChildProcess> child;
        Outcome outcome = Outcome::running;
        std::string detail;  ///< why it failed
        std::int64_t started_ms = 0;
    };

    sdk::Result<std::shared_ptr<Run>> run_of(const std::string& id);
    sdk::ScanProgress progress_of(const std::string& id, Run& run);
    void settle(const std::string& id, Run& run);

    NmapOptions options_;
    sdk::PluginContext ctx_;
    std::string work_dir_;
    std::string version_;
    std::mutex mu_;  ///< guards runs_
    std::map<std::string, std::shared_ptr<Run>> runs_;
};

/// Asks `nmap_path --version` for its version ("7.93"); an error names the path.
sdk::Result<std::string> nmap_version(const std::string& nmap_path, const std::string& scratch_dir);

}  // namespace scanorch::nmap
