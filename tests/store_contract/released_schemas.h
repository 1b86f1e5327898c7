// The findings tables as released schema versions left them, frozen here
// (the plugins' migrations list is internal, and a test that rebuilt old
// versions from it would prove nothing if an old entry were edited).
#pragma once

#include <string>
#include <vector>

namespace scanorch::testing {

/// Version 1: findings and their CVE rows keyed by the task's text id.
inline const std::vector<std::string>& findings_schema_v1() {
    static const std::vector<std::string> s = {
        "CREATE TABLE findings (task_id TEXT NOT NULL, seq BIGINT NOT NULL, host TEXT NOT NULL, host_ip TEXT NOT NULL,"
        " ipv4 BIGINT, port BIGINT NOT NULL, protocol TEXT NOT NULL, service TEXT NOT NULL, plugin_id BIGINT NOT NULL,"
        " plugin_name TEXT NOT NULL, plugin_family TEXT NOT NULL, severity BIGINT NOT NULL, risk_factor TEXT NOT NULL,"
        " cvss3 DOUBLE PRECISION, cvss2 DOUBLE PRECISION, cves TEXT NOT NULL, seen_at BIGINT NOT NULL,"
        " synopsis TEXT NOT NULL, solution TEXT NOT NULL, description TEXT NOT NULL, see_also TEXT NOT NULL,"
        " plugin_output TEXT NOT NULL, PRIMARY KEY (task_id, seq))",
        "CREATE INDEX findings_by_severity ON findings (task_id, severity, seq)",
        "CREATE INDEX findings_by_plugin ON findings (plugin_id, task_id, seq)",
        "CREATE INDEX findings_by_host ON findings (host, task_id, seq)",
        "CREATE INDEX findings_by_ipv4 ON findings (ipv4, task_id, seq)",
        "CREATE TABLE finding_cves (cve TEXT NOT NULL, task_id TEXT NOT NULL, seq BIGINT NOT NULL,"
        " PRIMARY KEY (cve, task_id, seq))",
        "CREATE INDEX finding_cves_by_task ON finding_cves (task_id, seq)"};
    return s;
}

/// Version 2 added, on top of version 1: a task's texts held once.
inline const std::vector<std::string>& findings_schema_v2() {
    static const std::vector<std::string> s = {
        "ALTER TABLE findings ADD COLUMN text_seq BIGINT", "ALTER TABLE findings ADD COLUMN text_hash BIGINT",
        "CREATE INDEX findings_text_sources ON findings (task_id, text_hash) WHERE text_hash IS NOT NULL"};
    return s;
}

/// Version 3's indexes of findings by severity and by plugin (version 4
/// replaced them with finding_groups). The rest of version 3 is version 4.
inline const std::vector<std::string>& findings_indexes_v3() {
    static const std::vector<std::string> s = {
        "CREATE INDEX findings_by_severity ON findings (task_key, severity, seq) WHERE severity > 0",
        "CREATE INDEX findings_by_plugin ON findings (plugin_id, task_key, seq)"};
    return s;
}

}  // namespace scanorch::testing
