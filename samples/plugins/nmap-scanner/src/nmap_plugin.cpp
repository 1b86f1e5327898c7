// The `nmap` scanner plugin: one instance per scanners.yaml entry with
// scanner_type: nmap. The SDK face of NmapScanner; no exception crosses it.
#include <filesystem>
#include <memory>

#include "nmap_options.h"
#include "nmap_scanner.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/scanner.h"

namespace {

namespace sdk = scanorch::sdk;
namespace nmap = scanorch::nmap;

class NmapPlugin final : public sdk::Scanner {
public:
    using interface_type = sdk::Scanner;
    static constexpr const char* kName = "nmap";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "Runs the local nmap (-sV, XML output) as a scanner: a sample backend";
    static constexpr const auto& kConfig = nmap::kConfigKeys;

    NmapPlugin(nmap::NmapOptions options, sdk::PluginContext ctx, std::string work_dir, std::string version)
        : scanner_(std::move(options), std::move(ctx), std::move(work_dir), std::move(version)) {}

    static sdk::Result<std::unique_ptr<NmapPlugin>> create(sdk::PluginContext ctx) {
        auto options = nmap::parse_options(ctx.config());
        if (!options) return std::move(options).error();
        if (ctx.data_dir().empty()) return sdk::Error::invalid_input("the host gave no data directory for the scans");
        const auto work_dir = (std::filesystem::path(ctx.data_dir()) / "nmap" / options->instance_id).string();
        // A wrong binary is a start-up error, not the first scan's.
        auto version = nmap::nmap_version(options->nmap_path, work_dir);
        if (!version) {
            return sdk::Error::invalid_input("scanner '" + options->instance_id +
                                             "': options.nmap_path: " + version.error().message);
        }
        ctx.log().info("scanner '", options->instance_id, "': nmap ", *version, " at ", options->nmap_path,
                       ", scans in ", work_dir);
        return std::make_unique<NmapPlugin>(std::move(options).value(), std::move(ctx), work_dir,
                                            std::move(version).value());
    }

    sdk::Result<sdk::ScannerHealth> health() noexcept override {
        return sdk::guard([&] { return scanner_.health(); });
    }
    sdk::Result<std::string> create_scan(const sdk::ScanRequest& r) noexcept override {
        return sdk::guard([&] { return scanner_.create_scan(r); });
    }
    sdk::Result<void> launch_scan(const std::string& id) noexcept override {
        return sdk::guard([&] { return scanner_.launch_scan(id); });
    }
    sdk::Result<sdk::ScanProgress> poll_scan(const std::string& id) noexcept override {
        return sdk::guard([&] { return scanner_.poll_scan(id); });
    }
    sdk::Result<void> stop_scan(const std::string& id) noexcept override {
        return sdk::guard([&] { return scanner_.stop_scan(id); });
    }
    sdk::Result<sdk::ExportInfo> export_scan(const std::string& id, const std::string& dest) noexcept override {
        return sdk::guard([&] { return scanner_.export_scan(id, dest); });
    }
    sdk::Result<void> delete_scan(const std::string& id) noexcept override {
        return sdk::guard([&] { return scanner_.delete_scan(id); });
    }

private:
    nmap::NmapScanner scanner_;
};

}  // namespace

SCANORCH_PLUGIN(NmapPlugin)
