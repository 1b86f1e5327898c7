// A TaskStore on a data dir's sqlite-store database, opened as another
// process on the same host would open it: its own plugin instance and
// connections. Tests use it to write or read what a daemon's store holds.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/tasks/task_store.h"
#include "scanorch/sdk/store.h"

namespace scanorch::testing {

/// The sqlite-store plugin itself on a data dir (its own instance).
inline std::shared_ptr<sdk::Store> open_store_plugin(const std::filesystem::path& data_dir,
                                                     const std::string& plugin_file) {
    static framework::PluginLoader loader;
    if (!loader.find("sqlite-store")) {
        auto r = loader.load_file(plugin_file);
        if (!r) throw std::runtime_error(r.error().message);
    }
    auto services = std::make_shared<framework::HostServices>(nullptr, data_dir.string());
    auto db = loader.instantiate<sdk::Store>("sqlite-store", R"({"busy_timeout_ms":20000})",
                                             framework::HostApi::make(services, "sqlite-store"));
    if (!db) throw std::runtime_error(db.error().message);
    return std::move(db).value();
}

inline std::shared_ptr<framework::TaskStore> open_task_store(const std::filesystem::path& data_dir,
                                                             const std::string& plugin_file) {
    return std::make_shared<framework::TaskStore>(open_store_plugin(data_dir, plugin_file), data_dir / "exports");
}

/// Rewrites one task's last read time in a data dir's sqlite-store, as if it
/// had last been read then: the store itself never moves that time back.
inline void age_task(const std::filesystem::path& data_dir, const std::string& task_id, std::int64_t last_accessed_ms) {
    sqlite3* db = nullptr;
    if (sqlite3_open((data_dir / "store.sqlite").c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("cannot open the store of " + data_dir.string());
    }
    sqlite3_busy_timeout(db, 20000);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "UPDATE tasks SET last_accessed_at = ?1 WHERE task_id = ?2", -1, &st, nullptr);
    sqlite3_bind_int64(st, 1, last_accessed_ms);
    sqlite3_bind_text(st, 2, task_id.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    const int changed = sqlite3_changes(db);
    sqlite3_close(db);
    if (rc != SQLITE_DONE || changed != 1) throw std::runtime_error("cannot age task " + task_id);
}

}  // namespace scanorch::testing
