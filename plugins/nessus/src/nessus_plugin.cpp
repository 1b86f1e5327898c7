// The `nessus` scanner plugin: one instance per scanners.yaml entry with
// scanner_type: nessus.
#include <Poco/Net/NetSSL.h>

#include <memory>

#include "nessus_scanner.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/scanner.h"

namespace {

namespace sdk = scanorch::sdk;
namespace nessus = scanorch::nessus;

class NessusPlugin final : public sdk::Scanner {
public:
    using interface_type = sdk::Scanner;
    static constexpr const char* kName = "nessus";
    static constexpr const char* kVersion = "1.0.0";
    static constexpr const char* kDescription = "Tenable Nessus over its REST API (sessions or API keys, TLS)";
    static constexpr scanorch_config_field kConfig[] = {
        {"ca_file", SCANORCH_CFG_STRING, 0, nullptr, "CA certificate (PEM) that signed the scanner's TLS certificate"},
        {"verify_tls", SCANORCH_CFG_BOOL, 0, "true", "Verify the scanner's TLS certificate (false is logged as a warning)"},
        {"timeout", SCANORCH_CFG_DURATION, 0, "30", "Timeout of every request"},
        {"export_timeout", SCANORCH_CFG_DURATION, 0, "900", "How long an export may take to be ready"},
        {"export_poll_ms", SCANORCH_CFG_INT, 0, "1000", "Interval between export status checks (ms)"},
        {"untrusted_template", SCANORCH_CFG_STRING, 0, "\"basic\"", "Template name for untrusted scans"},
        {"trusted_template", SCANORCH_CFG_STRING, 0, "\"advanced\"", "Template name for trusted and privileged scans"},
        {"folder_id", SCANORCH_CFG_INT, 0, "0", "Folder for created scans (0 = the server's default)"},
    };

    NessusPlugin(nessus::NessusConfig config, sdk::PluginContext ctx) : scanner_(std::move(config), std::move(ctx)) {}

    static sdk::Result<std::unique_ptr<NessusPlugin>> create(sdk::PluginContext ctx) {
        auto config = nessus::parse_config(ctx.config_json());
        if (!config) return std::move(config).error();
        return std::make_unique<NessusPlugin>(std::move(config).value(), std::move(ctx));
    }

    sdk::Result<sdk::ScannerHealth> health() noexcept override { return guard([&] { return scanner_.health(); }); }
    sdk::Result<std::string> create_scan(const sdk::ScanRequest& r) noexcept override {
        return guard([&] { return scanner_.create_scan(r); });
    }
    sdk::Result<void> launch_scan(const std::string& id) noexcept override {
        return guard([&] { return scanner_.launch_scan(id); });
    }
    sdk::Result<sdk::ScanProgress> poll_scan(const std::string& id) noexcept override {
        return guard([&] { return scanner_.poll_scan(id); });
    }
    sdk::Result<void> stop_scan(const std::string& id) noexcept override {
        return guard([&] { return scanner_.stop_scan(id); });
    }
    sdk::Result<sdk::ExportInfo> export_scan(const std::string& id, const std::string& dest) noexcept override {
        return guard([&] { return scanner_.export_scan(id, dest); });
    }
    sdk::Result<void> delete_scan(const std::string& id) noexcept override {
        return guard([&] { return scanner_.delete_scan(id); });
    }

private:
    // No exception may cross the boundary: anything unexpected is a bug report.
    template <class F>
    static auto guard(F&& f) noexcept -> decltype(f()) {
        try {
            return f();
        } catch (const std::exception& e) {
            return sdk::Error::internal(std::string("unexpected exception: ") + e.what());
        } catch (...) {
            return sdk::Error::internal("unexpected exception");
        }
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
