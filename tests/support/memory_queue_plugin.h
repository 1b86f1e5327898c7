// The real memory-queue plugin in a temporary directory of its own, for unit
// tests of host code that needs a queue backend but no other process.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/sdk/queue_backend.h"

namespace scanorch::testing {

/// A memory-queue instance over `dir`; null when the plugin cannot load.
inline std::shared_ptr<sdk::QueueBackend> memory_queue(const std::filesystem::path& dir,
                                                       const std::string& plugin_file) {
    static framework::PluginLoader loader;
    if (!loader.find("memory-queue")) {
        auto loaded = loader.load_file(plugin_file);
        if (!loaded.ok()) return nullptr;
    }
    auto services = std::make_shared<framework::HostServices>(nullptr, dir.string());
    auto q = loader.instantiate<sdk::QueueBackend>("memory-queue", R"({"rebuild_from_tasks":false})",
                                                   framework::HostApi::make(services, "memory-queue"));
    return q ? std::move(q).value() : nullptr;
}

/// A memory-queue in a temporary directory removed when the test ends, a
/// failed ASSERT included.
struct TestQueue {
    TestQueue(const std::string& tag, const std::string& plugin_file)
        : dir(std::filesystem::temp_directory_path() / ("scanorch-" + tag + "-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir);
        queue = memory_queue(dir, plugin_file);
    }
    ~TestQueue() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    TestQueue(const TestQueue&) = delete;
    TestQueue& operator=(const TestQueue&) = delete;
    std::filesystem::path dir;
    std::shared_ptr<sdk::QueueBackend> queue;
};

}  // namespace scanorch::testing
