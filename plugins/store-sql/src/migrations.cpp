// The schema, as an ordered list of migrations. A released migration is never
// edited: a change is a new entry at the end. Types are the ones SQLite and
// PostgreSQL both accept with the same meaning (BIGINT, TEXT, DOUBLE PRECISION).
#include <algorithm>
#include <string>
#include <vector>

#include "scanorch/store_sql/sql_store.h"

namespace scanorch::store_sql {

namespace {

// A statement of one dialect only names it; the rest run on every database.
struct Statement {
    Statement(const char* text) : sql(text) {}  // NOLINT(google-explicit-constructor): the list reads as SQL
    Statement(const char* only, const char* text) : dialect(only), sql(text) {}
    std::string dialect;
    std::string sql;
};

struct Migration {
    std::uint32_t version;
    std::vector<Statement> statements;
};

// Why each index exists (docs/ARCHITECTURE.md, "Store"):
// - tasks (created_at, task_id): list_tasks' order and keyset cursor;
//   (client, ...) and (status, ...) the same within a visible client or status;
//   (targets, created_at): "the previous scan of the same targets".
// - tasks (task_key), unique: the number findings name their task by.
// - findings' primary key (task_key, seq): a task's page in export order,
//   and the rows a group (below) lists. (Until version 4, (task_key,
//   severity, seq) and (plugin_id, task_key, seq) served the filters.)
// - finding_hosts: a task's findings by host are runs of seq (first_seq,
//   last_seq), pairwise disjoint within a task and covering every finding;
//   keyed by (task_key, first_seq) for a task's runs and deletes;
//   (host|host_ip|ipv4, task_key, first_seq) find a host's or a network's.
// - finding_cves (cve, task_key, seq): search by CVE; (task_key, seq) deletes.
// - findings_text_sources (task_key, text_hash), partial: a batch finds the
//   findings of its task that already hold its texts (version 2).
// (Before version 3 findings named their task by task_id.)
// - finding_groups (version 4): by plugin and by severity, a row per batch
//   instead of an index entry per finding; keyed by (task_key, first_seq,
//   plugin_id, severity) for a task's batches and deletes;
//   (plugin_id, task_key, first_seq) a plugin's within a task and across
//   tasks. Severities are read along the key: an index by severity made
//   PostgreSQL sort every matching group of the task for a page.
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
         {"ALTER TABLE findings ADD COLUMN text_seq BIGINT", "ALTER TABLE findings ADD COLUMN text_hash BIGINT",
          "CREATE INDEX findings_text_sources ON findings (task_id, text_hash) WHERE text_hash IS NOT NULL"}},
        // Findings name their task by a number (tasks.task_key) instead of
        // its 36-character id: the key of the table and of every index entry,
        // so each entry is a few bytes instead of ~40 and compares as an
        // integer (on PostgreSQL a text key also makes every index tuple
        // slow to take apart). Indexing a scan cost ~2x less. The tables are
        // rebuilt in the new shape; findings of a task that no longer exists
        // are dropped. text_seq/text_hash now come before the large texts
        // (SQLite reads a row's columns in order).
        // Hosts are found through finding_hosts, one row per run of a host's
        // findings (an export lists a host's findings together), instead of
        // two index entries per finding (host, ipv4): a third fewer index
        // entries to write, and a search by host (host or host_ip) no longer
        // scans every finding. The severity index leaves informational
        // findings out.
        {3,
         {{"postgres", "CREATE SEQUENCE IF NOT EXISTS task_keys"},
          "ALTER TABLE tasks ADD COLUMN task_key BIGINT",
          {"sqlite", "UPDATE tasks SET task_key = rowid"},
          // SQLite's keys come from a counter that only grows (a sequence
          // on PostgreSQL), never from MAX(task_key) + 1, which would give
          // the key of a task just removed to the next one.
          {"sqlite", "CREATE TABLE task_key_counter (last_key BIGINT NOT NULL)"},
          {"sqlite", "INSERT INTO task_key_counter (last_key) SELECT COALESCE(MAX(task_key), 0) FROM tasks"},
          {"postgres", "UPDATE tasks SET task_key = nextval('task_keys')"},
          {"postgres", "ALTER TABLE tasks ALTER COLUMN task_key SET NOT NULL"},
          {"postgres", "ALTER SEQUENCE task_keys OWNED BY tasks.task_key"},
          "CREATE UNIQUE INDEX tasks_by_key ON tasks (task_key)",
          "CREATE TABLE findings_v3 ("
          " task_key BIGINT NOT NULL,"
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
          " text_seq BIGINT,"
          " text_hash BIGINT,"
          " synopsis TEXT NOT NULL,"
          " solution TEXT NOT NULL,"
          " description TEXT NOT NULL,"
          " see_also TEXT NOT NULL,"
          " plugin_output TEXT NOT NULL,"
          " PRIMARY KEY (task_key, seq))",
          "INSERT INTO findings_v3 SELECT t.task_key, f.seq, f.host, f.host_ip, f.ipv4, f.port, f.protocol, f.service,"
          " f.plugin_id, f.plugin_name, f.plugin_family, f.severity, f.risk_factor, f.cvss3, f.cvss2, f.cves, f.seen_at,"
          " f.text_seq, f.text_hash, f.synopsis, f.solution, f.description, f.see_also, f.plugin_output"
          " FROM findings f JOIN tasks t ON t.task_id = f.task_id",
          "DROP TABLE findings",
          "ALTER TABLE findings_v3 RENAME TO findings",
          {"postgres", "ALTER TABLE findings RENAME CONSTRAINT findings_v3_pkey TO findings_pkey"},
          "CREATE INDEX findings_by_severity ON findings (task_key, severity, seq) WHERE severity > 0",
          "CREATE INDEX findings_by_plugin ON findings (plugin_id, task_key, seq)",
          "CREATE INDEX findings_text_sources ON findings (task_key, text_hash) WHERE text_hash IS NOT NULL",
          "CREATE TABLE finding_cves_v3 ("
          " cve TEXT NOT NULL,"
          " task_key BIGINT NOT NULL,"
          " seq BIGINT NOT NULL,"
          " PRIMARY KEY (cve, task_key, seq))",
          "INSERT INTO finding_cves_v3 SELECT c.cve, t.task_key, c.seq FROM finding_cves c JOIN tasks t ON t.task_id = c.task_id",
          "DROP TABLE finding_cves",
          "ALTER TABLE finding_cves_v3 RENAME TO finding_cves",
          {"postgres", "ALTER TABLE finding_cves RENAME CONSTRAINT finding_cves_v3_pkey TO finding_cves_pkey"},
          "CREATE INDEX finding_cves_by_task ON finding_cves (task_key, seq)",
          // Keyed by (task_key, first_seq), unique since a task's runs never
          // overlap; small rows, so SQLite keeps them in the key's own tree.
          {"sqlite",
           "CREATE TABLE finding_hosts (task_key BIGINT NOT NULL, first_seq BIGINT NOT NULL,"
           " last_seq BIGINT NOT NULL, host TEXT NOT NULL, host_ip TEXT NOT NULL, ipv4 BIGINT,"
           " PRIMARY KEY (task_key, first_seq)) WITHOUT ROWID"},
          {"postgres",
           "CREATE TABLE finding_hosts (task_key BIGINT NOT NULL, first_seq BIGINT NOT NULL,"
           " last_seq BIGINT NOT NULL, host TEXT NOT NULL, host_ip TEXT NOT NULL, ipv4 BIGINT,"
           " PRIMARY KEY (task_key, first_seq))"},
          // The runs of the rows already there: consecutive rows (in seq
          // order) of one host share the difference of the two row numbers.
          "INSERT INTO finding_hosts (task_key, first_seq, last_seq, host, host_ip, ipv4)"
          " SELECT task_key, MIN(seq), MAX(seq), host, host_ip, MIN(ipv4) FROM ("
          "  SELECT task_key, seq, host, host_ip, ipv4,"
          "   ROW_NUMBER() OVER (PARTITION BY task_key ORDER BY seq)"
          "   - ROW_NUMBER() OVER (PARTITION BY task_key, host, host_ip ORDER BY seq) AS island"
          "  FROM findings) runs"
          " GROUP BY task_key, host, host_ip, island",
          "CREATE INDEX finding_hosts_by_host ON finding_hosts (host, task_key, first_seq)",
          "CREATE INDEX finding_hosts_by_address ON finding_hosts (host_ip, task_key, first_seq)",
          "CREATE INDEX finding_hosts_by_ipv4 ON finding_hosts (ipv4, task_key, first_seq)"}},
        // A task's findings by plugin and by severity are found through
        // finding_groups (finding_groups.h), one row per batch, plugin and
        // severity, instead of two index entries per finding: about half of
        // PostgreSQL's work in indexing an export. The rows already there
        // are grouped in blocks of 4096 seqs (the offsets' order is not
        // kept by SQLite's group_concat; readers sort them).
        {4,
         {"CREATE TABLE finding_groups (task_key BIGINT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,"
          " plugin_id BIGINT NOT NULL, severity BIGINT NOT NULL, seqs TEXT NOT NULL,"
          " PRIMARY KEY (task_key, first_seq, plugin_id, severity))",
          {"postgres",
           "INSERT INTO finding_groups (task_key, first_seq, last_seq, plugin_id, severity, seqs)"
           " SELECT task_key, block, block + 4095, plugin_id, severity,"
           " string_agg(CAST(seq - block AS TEXT), ',' ORDER BY seq)"
           " FROM (SELECT task_key, seq, plugin_id, severity, seq - seq % 4096 AS block FROM findings) f"
           " GROUP BY task_key, block, plugin_id, severity"},
          {"sqlite",
           "INSERT INTO finding_groups (task_key, first_seq, last_seq, plugin_id, severity, seqs)"
           " SELECT task_key, block, block + 4095, plugin_id, severity, group_concat(seq - block, ',')"
           " FROM (SELECT task_key, seq, plugin_id, severity, seq - seq % 4096 AS block FROM findings ORDER BY task_key, seq)"
           " GROUP BY task_key, block, plugin_id, severity"},
          "CREATE INDEX finding_groups_by_plugin ON finding_groups (plugin_id, task_key, first_seq)",
          "DROP INDEX findings_by_plugin",
          "DROP INDEX findings_by_severity"}},
    };
    return all;
}

}  // namespace

std::uint32_t latest_schema_version() noexcept { return 4; }

std::uint32_t migrate(Connection& c, const Dialect& d) {
    Transaction tx(c, d.begin_write);
    if (!d.migration_lock.empty()) c.run(d.migration_lock);
    c.run("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
    std::int64_t at = 0;
    c.run("SELECT version FROM schema_version", {}, [&](const Row& r) { at = std::max(at, r.integer(0)); });
    const auto latest = static_cast<std::int64_t>(latest_schema_version());
    if (at > latest) {
        throw DbError(sdk::ErrorKind::permanent, "the database's schema is at version " + std::to_string(at) +
                                                     ", newer than this plugin knows (" + std::to_string(latest) +
                                                     "): upgrade scanorch, or point the store at another database");
    }
    if (at == latest) return static_cast<std::uint32_t>(at);
    for (const auto& m : migrations()) {
        if (m.version <= at) continue;
        for (const auto& s : m.statements) {
            if (s.dialect.empty() || s.dialect == d.name) c.run(s.sql);
        }
    }
    c.run("DELETE FROM schema_version");
    c.run("INSERT INTO schema_version (version) VALUES (?)", {Value(latest)});
    tx.commit();
    return static_cast<std::uint32_t>(latest);
}

}  // namespace scanorch::store_sql
