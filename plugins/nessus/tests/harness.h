// The nessus plugin as scanorchd uses it (loaded from its .so through the
// SDK) against a real nessus-emulator process on loopback.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "emulator_process.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/scanner.h"

namespace harness {

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

/// Scanner config JSON as the host builds it from a scanners.yaml entry.
inline std::string config(const std::string& url, const std::string& user = "admin",
                          const std::string& password = "adminpw",
                          const std::string& options = R"({"export_poll_ms":100,"timeout":5})",
                          const std::string& access_key = "", const std::string& secret_key = "") {
    return R"({"instance_id":"emu_1","url":")" + url + R"(","credentials":{"username":")" + user + R"(","password":")" +
           password + R"(","access_key":")" + access_key + R"(","secret_key":")" + secret_key + R"("},"options":)" +
           options + "}";
}

struct Plugin {
    std::shared_ptr<sf::HostServices> services;
    std::shared_ptr<sdk::Scanner> scanner;
    sdk::Error error;
};

inline Plugin load(const std::string& config_json) {
    sf::PluginLoader loader;
    auto info = loader.load_file(NESSUS_PLUGIN);
    EXPECT_TRUE(info.ok()) << (info.ok() ? "" : info.error().message);
    Plugin p;
    p.services = std::make_shared<sf::HostServices>(nullptr, "/tmp");
    auto made = loader.instantiate<sdk::Scanner>("nessus", config_json, sf::HostApi::make(p.services, "nessus:emu_1"));
    if (made) {
        p.scanner = std::move(made).value();
    } else {
        p.error = made.error();
    }
    return p;
}

/// A folder removed when the test ends.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("scanorch-nessus-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

/// create -> launch -> poll until terminal (bounded) -> state.
inline sdk::ScanState run_to_end(sdk::Scanner& s, const sdk::ScanRequest& req, std::string& scan_id,
                                 std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto id = s.create_scan(req);
    EXPECT_TRUE(id) << (id ? "" : id.error().message);
    if (!id) return sdk::ScanState::aborted;
    scan_id = *id;
    auto launched = s.launch_scan(scan_id);
    EXPECT_TRUE(launched.ok()) << (launched.ok() ? "" : launched.error().message);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        auto p = s.poll_scan(scan_id);
        EXPECT_TRUE(p) << (p ? "" : p.error().message);
        if (!p) return sdk::ScanState::aborted;
        if (sdk::is_terminal(p->state)) return p->state;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "scan " << scan_id << " did not finish within " << limit.count() << " s";
    return sdk::ScanState::running;
}

inline sdk::ScanRequest request(const std::string& targets, sdk::ScanType type = sdk::ScanType::untrusted) {
    sdk::ScanRequest r;
    r.task_id = "task-1";
    r.name = "test scan";
    r.targets = targets;
    r.scan_type = type;
    return r;
}

}  // namespace harness
