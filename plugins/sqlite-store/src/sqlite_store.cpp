// sqlite-store: tasks and findings in one SQLite file in the data dir.
//
// Several processes of one host (`all`, or `api` and `worker`s sharing a
// data dir) open the same file: WAL lets readers run beside the one writer,
// writes that span statements start with BEGIN IMMEDIATE (so two writers
// queue instead of deadlocking on a lock upgrade), and busy_timeout_ms is
// how long a writer waits for its turn before the call fails as transient.
// Not for a network filesystem: SQLite's locks need one host's kernel.

#include <filesystem>
#include <memory>

#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/store.h"
#include "scanorch/store_sql/sql_store.h"
#include "sqlite_connection.h"

namespace sdk = scanorch::sdk;
namespace ss = scanorch::store_sql;
using scanorch::sqlite_store::SqliteConnection;
using scanorch::sqlite_store::SqliteOptions;

namespace {

class SqliteStore final : public ss::SqlStore {
public:
    using interface_type = sdk::Store;
    static constexpr const char* kName = "sqlite-store";
    static constexpr const char* kVersion = "0.1.0";
    static constexpr const char* kDescription = "Tasks and findings in an SQLite database in the data dir";
    static constexpr scanorch_config_field kConfig[] = {
        sdk::ConfigKey{.name = "path",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"store.sqlite\"",
                       .description = "Database file; relative paths are below the data dir"},
        sdk::ConfigKey{.name = "busy_timeout_ms",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "10000",
                       .description = "How long a writer waits for another process's write"},
        sdk::ConfigKey{.name = "pool_size",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "4",
                       .description = "Connections kept open (concurrent readers)"},
        sdk::ConfigKey{.name = "cache_mb",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "16",
                       .description = "Page cache of each connection, in MB (filled only as pages are read)"},
        sdk::ConfigKey{.name = "synchronous",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"full\"",
                       .description = "full: every commit but findings batches is on disk; normal: a power loss may "
                                      "undo the last commits (never corrupts)"},
    };

    SqliteStore(const SqliteOptions& o, std::size_t pool)
        : ss::SqlStore([o] { return std::make_unique<SqliteConnection>(o); }, pool,
                       ss::Dialect{"sqlite", "BEGIN IMMEDIATE", "", "", "",
                                   // WAL + NORMAL: the commit appends to the log without fsync
                                   o.synchronous_full ? "PRAGMA synchronous = NORMAL" : "",
                                   o.synchronous_full ? "PRAGMA synchronous = FULL" : "",
                                   "",  // BINARY, SQLite's default collation, is byte order
                                   "ANALYZE tasks",
                                   // BEGIN IMMEDIATE: one writer at a time
                                   "UPDATE task_key_counter SET last_key = last_key + 1 RETURNING last_key",
                                   /*one_writer=*/true}) {}

    static sdk::Result<std::unique_ptr<SqliteStore>> create(const sdk::PluginContext& ctx) {
        const sdk::Config& c = ctx.config();
        SqliteOptions opts;
        std::filesystem::path path = c.string("path");
        if (path.is_relative()) {
            if (ctx.data_dir().empty())
                return sdk::Error::invalid_input("path '" + path.string() + "' is relative and there is no data dir");
            path = std::filesystem::path(ctx.data_dir()) / path;
        }
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        opts.path = path.string();
        const auto busy = c.integer("busy_timeout_ms");
        if (busy < 0 || busy > 3'600'000)
            return sdk::Error::invalid_input("busy_timeout_ms must be 0..3600000, not " + std::to_string(busy));
        opts.busy_timeout_ms = static_cast<int>(busy);
        const auto sync = c.string("synchronous");
        if (sync != "full" && sync != "normal")
            return sdk::Error::invalid_input("synchronous must be full or normal, not '" + sync + "'");
        opts.synchronous_full = sync == "full";
        const auto cache = c.integer("cache_mb");
        if (cache < 1 || cache > 4096)
            return sdk::Error::invalid_input("cache_mb must be 1..4096, not " + std::to_string(cache));
        opts.cache_mb = static_cast<int>(cache);
        const auto pool = c.integer("pool_size");
        if (pool < 1 || pool > 64)
            return sdk::Error::invalid_input("pool_size must be 1..64, not " + std::to_string(pool));
        return sdk::guard("open " + opts.path, [&]() -> sdk::Result<std::unique_ptr<SqliteStore>> {
            return std::make_unique<SqliteStore>(opts, static_cast<std::size_t>(pool));
        });
    }
};

}  // namespace

SCANORCH_PLUGIN(SqliteStore)
