// The `nessus` scanner plugin: one instance per scanners.yaml entry with
// scanner_type: nessus.
#include <Poco/Net/NetSSL.h>

#include <memory>

#include "nessus_scanner.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/scanner.h"

namespace {

namespace sdk = scanorch::sdk;
namespace nessus = scanorch::nessus;

class NessusPlugin final : public sdk::Scanner, private sdk::ScanList {
public:
    using interface_type = sdk::Scanner;
    static constexpr const char* kName = "nessus";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "Tenable Nessus over its REST API (sessions or API keys, TLS)";
    static constexpr scanorch_config_field kConfig[] = {
        sdk::ConfigKey{.name = "ca_file",
                       .description = "CA certificate (PEM) that signed the scanner's TLS certificate"},
        sdk::ConfigKey{.name = "verify_tls",
                       .type = SCANORCH_CFG_BOOL,
                       .default_json = "true",
                       .description = "Verify the scanner's TLS certificate (false is logged as a warning)"},
        sdk::ConfigKey{.name = "timeout",
                       .type = SCANORCH_CFG_DURATION,
                       .default_json = "30",
                       .description = "Timeout of every request"},
        sdk::ConfigKey{.name = "export_timeout",
                       .type = SCANORCH_CFG_DURATION,
                       .default_json = "900",
                       .description = "How long an export may take to be ready"},
        sdk::ConfigKey{.name = "export_poll_ms",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "1000",
                       .description = "Interval between export status checks (ms)"},
        sdk::ConfigKey{.name = "keep_alive",
                       .type = SCANORCH_CFG_DURATION,
                       .default_json = "4",
                       .description = "How long an idle connection to the scanner is kept for the next request "
                                      "(0: a new connection per request)"},
        sdk::ConfigKey{.name = "max_idle_connections",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "4",
                       .description = "Idle connections kept to the scanner, at most"},
        sdk::ConfigKey{.name = "untrusted_template",
                       .default_json = "\"basic\"",
                       .description = "Template name for untrusted scans"},
        sdk::ConfigKey{.name = "trusted_template",
                       .default_json = "\"advanced\"",
                       .description = "Template name for trusted and privileged scans"},
        sdk::ConfigKey{.name = "folder_id",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "0",
                       .description = "Folder for created scans (0 = the server's default)"},
    };

    NessusPlugin(nessus::NessusConfig config, sdk::PluginContext ctx) : scanner_(std::move(config), std::move(ctx)) {}

    static sdk::Result<std::unique_ptr<NessusPlugin>> create(sdk::PluginContext ctx) {
        auto config = nessus::parse_config(ctx.config());
        if (!config) return std::move(config).error();
        return std::make_unique<NessusPlugin>(std::move(config).value(), std::move(ctx));
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
    void* extension(std::string_view id) noexcept override {
        return id == sdk::kScannerScanList ? static_cast<sdk::ScanList*>(this) : nullptr;
    }

private:
    sdk::Result<sdk::ScanListing> list_scans(std::int64_t changed_since) noexcept override {
        return sdk::guard([&] { return scanner_.list_scans(changed_since); });
    }

    // OpenSSL through Poco, initialised for exactly this instance's lifetime
    // (Poco counts the calls): what initializeSSL() allocates is freed before
    // the plugin, and perhaps Poco NetSSL itself, is unloaded.
    struct SslScope {
        SslScope() { Poco::Net::initializeSSL(); }
        ~SslScope() { Poco::Net::uninitializeSSL(); }
        SslScope(const SslScope&) = delete;
        SslScope& operator=(const SslScope&) = delete;
    } ssl_;
    nessus::NessusScanner scanner_;
};

}  // namespace

SCANORCH_PLUGIN(NessusPlugin)
