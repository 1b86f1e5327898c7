// The schema, as an ordered list of migrations. A released migration is never
// edited: a change is a new entry at the end. Types are the ones SQLite and
// PostgreSQL both accept with the same meaning (BIGINT, TEXT, DOUBLE PRECISION).
#include <algorithm>
#include <string>
#include <vector>

#include "scanorch/store_sql/sql_store.h"

namespace scanorch::store_sql {

namespace {

struct Migration {
    std::uint32_t version;
    std::vector<std::string> statements;
};

// Why each index exists (docs/ARCHITECTURE.md, "Store"):
// - tasks (created_at, task_id): list_tasks' order and keyset cursor;
//   (client, ...) and (status, ...) the same within a visible client or status;
//   (targets, created_at): "the previous scan of the same targets".
// - findings' primary key (task_id, seq): a task's page in export order;
//   (task_id, severity, seq) severity filters within a task;
//   (plugin_id|host|ipv4, task_id, seq): the same filters within a task and
//   searches across tasks, already in the cursor's order.
// - finding_cves (cve, task_id, seq): search by CVE; (task_id, seq) deletes.
// - findings_text_sources (task_id, text_hash), partial: a batch finds the
//   findings of its task that already hold its texts (version 2).
const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {1,
         {"CREATE TABLE tasks ("
          " task_id TEXT PRIMARY KEY,"
          " client TEXT NOT NULL,"
          " status TEXT NOT NULL,"
          " scanner TEXT NOT NULL,"
          " pool TEXT NOT NULL,"
          " targets TEXT NOT NULL,"
          " lease_token TEXT NOT NULL,"
          " created_at BIGINT NOT NULL,"
          " updated_at BIGINT NOT NULL,"
          " completed_at BIGINT NOT NULL,"
          " last_accessed_at BIGINT NOT NULL,"
          " revision BIGINT NOT NULL,"
          " summary TEXT NOT NULL,"
          " document TEXT NOT NULL,"
          " payload TEXT NOT NULL)",
          "CREATE INDEX tasks_by_created ON tasks (created_at, task_id)",
          "CREATE INDEX tasks_by_client ON tasks (client, created_at, task_id)",
          "CREATE INDEX tasks_by_status ON tasks (status, created_at, task_id)",
          "CREATE INDEX tasks_by_targets ON tasks (targets, created_at)",
          "CREATE TABLE findings ("
          " task_id TEXT NOT NULL,"
          " seq BIGINT NOT NULL,"
          " host TEXT NOT NULL,"
          " host_ip TEXT NOT NULL,"
          " ipv4 BIGINT,"
          " port BIGINT NOT NULL,"
          " protocol TEXT NOT NULL,"
          " service TEXT NOT NULL,"
          " plugin_id BIGINT NOT NULL,"
          " plugin_name TEXT NOT NULL,"
          " plugin_family TEXT NOT NULL,"
          " severity BIGINT NOT NULL,"
          " risk_factor TEXT NOT NULL,"
          " cvss3 DOUBLE PRECISION,"
          " cvss2 DOUBLE PRECISION,"
          " cves TEXT NOT NULL,"
          " seen_at BIGINT NOT NULL,"
          " synopsis TEXT NOT NULL,"
          " solution TEXT NOT NULL,"
          // The large texts last: SQLite then reads them only when asked.
          " description TEXT NOT NULL,"
          " see_also TEXT NOT NULL,"
          " plugin_output TEXT NOT NULL,"
          " PRIMARY KEY (task_id, seq))",
          "CREATE INDEX findings_by_severity ON findings (task_id, severity, seq)",
          "CREATE INDEX findings_by_plugin ON findings (plugin_id, task_id, seq)",
          "CREATE INDEX findings_by_host ON findings (host, task_id, seq)",
          "CREATE INDEX findings_by_ipv4 ON findings (ipv4, task_id, seq)",
          "CREATE TABLE finding_cves ("
          " cve TEXT NOT NULL,"
          " task_id TEXT NOT NULL,"
          " seq BIGINT NOT NULL,"
          " PRIMARY KEY (cve, task_id, seq))",
          "CREATE INDEX finding_cves_by_task ON finding_cves (task_id, seq)"}},
        // A task keeps each of its plugins' text sets once (sql_findings.cpp,
        // kFindingsFrom): text_seq points a finding at the one holding its
        // texts; text_hash, set only on those holders, finds them. Rows of
        // version 1 hold their own texts, as holders do, so nothing is
        // rewritten.
        {2,
         {"ALTER TABLE findings ADD COLUMN text_seq BIGINT",
          "ALTER TABLE findings ADD COLUMN text_hash BIGINT",
          "CREATE INDEX findings_text_sources ON findings (task_id, text_hash) WHERE text_hash IS NOT NULL"}},
    };
    return all;
}

}  // namespace

std::uint32_t latest_schema_version() noexcept { return 2; }

std::uint32_t migrate(Connection& c, const Dialect& d) {
    Transaction tx(c, d.begin_write);
    if (!d.migration_lock.empty()) c.run(d.migration_lock);
    c.run("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
    std::int64_t at = 0;
    c.run("SELECT version FROM schema_version", {}, [&](const Row& r) { at = std::max(at, r.integer(0)); });
    const auto latest = static_cast<std::int64_t>(latest_schema_version());
    if (at > latest) {
        throw DbError(sdk::ErrorKind::permanent,
                      "the database's schema is at version " + std::to_string(at) + ", newer than this plugin knows (" +
                          std::to_string(latest) + "): upgrade scanorch, or point the store at another database");
    }
    if (at == latest) return static_cast<std::uint32_t>(at);
    for (const auto& m : migrations()) {
        if (m.version <= at) continue;
        for (const auto& s : m.statements) c.run(s);
    }
    c.run("DELETE FROM schema_version");
    c.run("INSERT INTO schema_version (version) VALUES (?)", {Value(latest)});
    tx.commit();
    return static_cast<std::uint32_t>(latest);
}

}  // namespace scanorch::store_sql
