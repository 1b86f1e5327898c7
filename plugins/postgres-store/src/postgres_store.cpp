// postgres-store: tasks and findings in PostgreSQL, for API and worker
// processes on different hosts (no shared filesystem). Each process keeps a
// small pool of connections; every query is one round trip or one short
// transaction, and a conditional write is a single UPDATE the server decides.

#include <memory>

#include "pg_connection.h"
#include "scanorch/sdk/plugin.h"
#include "scanorch/sdk/store.h"
#include "scanorch/store_sql/sql_store.h"

namespace sdk = scanorch::sdk;
namespace ss = scanorch::store_sql;
using scanorch::postgres_store::PgConnection;

namespace {

// Any fixed number: processes migrating one database take turns on it.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7305042918)";

// Run whenever a task's findings double (store-sql): the columns queries
// filter and join on only, from a 3000-row sample (statistics target 10, not
// 100): enough to choose the indexes, and a fifth of the cost of indexing a
// large scan became a twentieth (indexing_bench: 0.38 s -> 0.09 s of 3 s).
constexpr const char* kRefreshFindingStatistics =
    "SET LOCAL default_statistics_target = 10; "
    "ANALYZE findings (task_key, seq, host, host_ip, ipv4, plugin_id, severity, seen_at, text_seq, text_hash), "
    "finding_cves, finding_hosts, finding_groups";

// At open and whenever this process's created tasks pass a power of two
// (store-sql): autovacuum analyzes a table about a minute after a burst, and
// until then list_tasks by client was planned blind (store_bench, 100k tasks
// just created: p50 38 ms, p99 184 ms; the same query 2 ms once analyzed).
// The filtered and ordered columns only, never the large documents.
constexpr const char* kRefreshTaskStatistics =
    "ANALYZE tasks (task_id, client, status, scanner, pool, targets, created_at, completed_at, last_accessed_at)";

class PostgresStore final : public ss::SqlStore {
public:
    using interface_type = sdk::Store;
    static constexpr const char* kName = "postgres-store";
    static constexpr const char* kVersion = "0.1.0";
    static constexpr const char* kDescription = "Tasks and findings in PostgreSQL, shared by every host";
    static constexpr scanorch_config_field kConfig[] = {
        sdk::ConfigKey{.name = "url",
                       .type = SCANORCH_CFG_SECRET,
                       .required = true,
                       .description = "libpq connection URL, e.g. "
                                      "postgresql://scanorch:PASSWORD@db.example:5432/scanorch?connect_timeout=5"},
        sdk::ConfigKey{.name = "schema",
                       .type = SCANORCH_CFG_STRING,
                       .default_json = "\"scanorch\"",
                       .description = "Schema holding the tables (created if absent)"},
        sdk::ConfigKey{.name = "pool_size",
                       .type = SCANORCH_CFG_INT,
                       .default_json = "8",
                       .description = "Connections kept open per process"},
    };

    PostgresStore(const std::string& url, const std::string& schema, std::size_t pool)
        : ss::SqlStore([url, schema] { return std::make_unique<PgConnection>(url, schema); }, pool,
                       ss::Dialect{"postgres", "BEGIN", kMigrationLock, " FOR UPDATE", kRefreshFindingStatistics,
                                   "SET synchronous_commit = off", "RESET synchronous_commit", " COLLATE \"C\"",
                                   kRefreshTaskStatistics, "SELECT nextval('task_keys')"}) {}

    static sdk::Result<std::unique_ptr<PostgresStore>> create(const sdk::PluginContext& ctx) {
        const sdk::Config& c = ctx.config();
        const auto url = c.find_string("url").value_or("");
        if (url.empty()) return sdk::Error::invalid_input("url is required (a postgresql:// connection URL)");
        const auto schema = c.string("schema");
        if (!scanorch::postgres_store::valid_schema_name(schema)) {
            return sdk::Error::invalid_input("schema '" + schema +
                                             "' is not a lower-case identifier ([a-z_][a-z0-9_]*)");
        }
        const auto pool = c.integer("pool_size");
        if (pool < 1 || pool > 256)
            return sdk::Error::invalid_input("pool_size must be 1..256, not " + std::to_string(pool));
        return sdk::guard("connect", [&]() -> sdk::Result<std::unique_ptr<PostgresStore>> {
            {
                // The schema before any connection points its search_path at it;
                // under the migration lock, as two processes may start at once.
                PgConnection first(url, "");
                first.run("BEGIN", {}, {});
                first.run(kMigrationLock, {}, {});
                first.run("CREATE SCHEMA IF NOT EXISTS " + schema, {}, {});
                first.run("COMMIT", {}, {});
            }
            return std::make_unique<PostgresStore>(url, schema, static_cast<std::size_t>(pool));
        });
    }
};

}  // namespace

SCANORCH_PLUGIN(PostgresStore)
