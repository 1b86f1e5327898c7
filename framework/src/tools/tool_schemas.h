// JSON Schemas of the tools' inputs and outputs (draft 2020-12 subset that
// MCP clients understand). Kept apart from the logic so they read as a spec.
#pragma once

namespace scanorch::framework::schemas {

inline constexpr const char* kScanCommon = R"json(
  "targets": {"type": "string", "description": "Comma-separated addresses, CIDR networks (192.0.2.0/24), ranges (192.0.2.1-20) or host names", "minLength": 1, "maxLength": 10000},
  "name": {"type": "string", "description": "A name for the scan", "minLength": 1, "maxLength": 200},
  "description": {"type": "string", "maxLength": 2000},
  "scanner_instance": {"type": "string", "description": "Run on this scanner (see list_scanners); omit to let scanorch choose", "maxLength": 200},
  "scanner_pool": {"type": "string", "description": "Choose only among this pool's scanners (see list_pools)", "maxLength": 200},
  "idempotency_key": {"type": "string", "description": "Repeat a request safely: the same key with the same arguments returns the first task", "maxLength": 200})json";

inline constexpr const char* kCredentials = R"json(,
  "ssh_username": {"type": "string", "maxLength": 256}, "ssh_password": {"type": "string", "maxLength": 1024},
  "ssh_private_key": {"type": "string", "description": "PEM private key (ssh_password is then its passphrase)", "maxLength": 16384},
  "windows_username": {"type": "string", "maxLength": 256}, "windows_password": {"type": "string", "maxLength": 1024},
  "windows_domain": {"type": "string", "maxLength": 256})json";

inline constexpr const char* kEscalation = R"json(,
  "escalation_method": {"type": "string", "enum": ["sudo", "su", "su+sudo", "pbrun", "dzdo", ".k5login", "cisco_enable"]},
  "escalation_account": {"type": "string", "description": "Account to become (default root)", "maxLength": 256},
  "escalation_password": {"type": "string", "maxLength": 1024})json";

inline constexpr const char* kSubmitOutput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string"}, "trace_id": {"type": "string"}, "status": {"type": "string"},
  "scanner_instance": {"type": ["string", "null"]}, "scanner_url": {"type": ["string", "null"]},
  "queue": {"type": "string"}, "queue_position": {"type": "integer"}, "estimated_wait_time": {"type": "integer", "description": "seconds"},
  "routing_reason": {"type": "string"}, "message": {"type": "string"}},
  "required": ["task_id", "status", "queue", "queue_position", "estimated_wait_time"]})json";

inline constexpr const char* kTaskId =
    R"json({"type": "object", "properties": {"task_id": {"type": "string", "minLength": 1, "maxLength": 64}}, "required": ["task_id"], "additionalProperties": false})json";

inline constexpr const char* kStatusOutput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string"}, "name": {"type": "string"}, "scan_type": {"type": "string"}, "targets": {"type": "string"},
  "status": {"type": "string", "enum": ["queued", "running", "completed", "failed", "cancelled"]},
  "phase": {"type": "string"}, "progress": {"type": "integer"}, "scanner_instance": {"type": "string"},
  "queue_position": {"type": ["integer", "null"]},
  "authentication_status": {"type": ["string", "null"], "enum": ["success", "partial", "failed", "not_applicable", "unknown", null]},
  "results_summary": {"type": ["object", "null"]}, "warnings": {"type": "array", "items": {"type": "string"}},
  "error": {"type": ["string", "null"]}, "error_kind": {"type": ["string", "null"]}, "troubleshooting": {"type": ["object", "null"]},
  "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]}},
  "required": ["task_id", "status", "phase", "progress"]})json";

inline constexpr const char* kResultsInput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string", "minLength": 1, "maxLength": 64},
  "page_size": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
  "cursor": {"type": "string", "maxLength": 200, "description": "next_cursor of the previous page; omit for the first page"},
  "page": {"deprecated": true, "description": "Removed: pages are read by cursor (pass next_cursor as cursor); any value is refused"},
  "schema_profile": {"type": "string", "enum": ["minimal", "summary", "brief", "full"], "default": "brief"},
  "custom_fields": {"type": "array", "items": {"type": "string"}, "maxItems": 64, "description": "Instead of a profile: exactly these fields"},
  "filters": {"type": "object", "properties": {
     "severity": {"description": "A level (critical, high, medium, low, info) or a list; matches that level", "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
     "min_severity": {"type": "string", "enum": ["critical", "high", "medium", "low", "info"]},
     "host": {"type": "string"}, "plugin_id": {"type": "string", "description": "Plugin number, e.g. \"104410\""},
     "port": {"type": "string", "description": "Port number, e.g. \"443\" (0 = host-level findings)"},
     "min_cvss": {"type": "number"}, "text": {"type": "string", "description": "Case-insensitive, in plugin name, synopsis, description and output"}},
     "additionalProperties": false}},
  "required": ["task_id"], "additionalProperties": false})json";

inline constexpr const char* kResultsOutput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string"}, "page_size": {"type": "integer"},
  "total_findings": {"type": "integer", "description": "First page only"}, "total_matching": {"type": "integer", "description": "First page only"},
  "total_pages": {"type": "integer", "description": "First page only"},
  "fields": {"type": "array", "items": {"type": "string"}}, "findings": {"type": "array", "items": {"type": "object"}},
  "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last page"}},
  "required": ["task_id", "page_size", "fields", "findings", "next_cursor"]})json";

inline constexpr const char* kSearchFindingsInput = R"json({"type": "object", "properties": {
  "cve": {"type": "string", "maxLength": 32, "description": "A CVE id, e.g. CVE-2024-3094"},
  "plugin_id": {"type": ["integer", "string"], "description": "Plugin number, e.g. 104410"},
  "host": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Host name or address as the scanner reported it"},
  "network": {"type": "string", "maxLength": 64, "description": "IPv4 network in CIDR notation (192.0.2.0/24) or one IPv4 address"},
  "min_severity": {"type": "string", "enum": ["critical", "high", "medium", "low", "info"]},
  "seen_from": {"type": "string", "maxLength": 64, "description": "RFC 3339 time (2026-12-01T00:00:00Z): findings seen at or after it"},
  "seen_before": {"type": "string", "maxLength": 64, "description": "RFC 3339 time: findings seen before it"},
  "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
  "cursor": {"type": "string", "maxLength": 300, "description": "next_cursor of the previous page, with the same criteria"}},
  "additionalProperties": false})json";

inline constexpr const char* kSearchFindingsOutput = R"json({"type": "object", "properties": {
  "findings": {"type": "array", "items": {"type": "object", "properties": {
    "task_id": {"type": "string"}, "host": {"type": "string"}, "host_ip": {"type": ["string", "null"]},
    "port": {"type": "string"}, "protocol": {"type": "string"}, "plugin_id": {"type": "string"}, "plugin_name": {"type": "string"},
    "severity": {"type": "integer", "description": "0 info .. 4 critical"}, "cve": {"type": "array", "items": {"type": "string"}},
    "cvss3_base_score": {"type": ["number", "null"]}, "cvss_base_score": {"type": ["number", "null"]},
    "seen_at": {"type": ["string", "null"]}}}},
  "count": {"type": "integer"},
  "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last page"}},
  "required": ["findings", "count", "next_cursor"]})json";

inline constexpr const char* kCompareScansInput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string", "minLength": 1, "maxLength": 64, "description": "Compare this scan with the previous completed scan of the same targets"},
  "older_task_id": {"type": "string", "minLength": 1, "maxLength": 64, "description": "With newer_task_id: compare these two scans"},
  "newer_task_id": {"type": "string", "minLength": 1, "maxLength": 64},
  "min_severity": {"type": "string", "enum": ["critical", "high", "medium", "low", "info"], "default": "low",
                   "description": "Leave out changes where neither scan reaches this level"},
  "include_changes": {"type": "boolean", "default": true, "description": "false: per-host counts only"}},
  "additionalProperties": false})json";

inline constexpr const char* kCompareScansOutput = R"json({"type": "object", "properties": {
  "older": {"type": "object"}, "newer": {"type": "object"}, "min_severity": {"type": "string"},
  "totals": {"type": "object", "properties": {"new": {"type": "integer"}, "fixed": {"type": "integer"},
             "rerated": {"type": "integer"}, "unchanged": {"type": "integer"}}},
  "hosts": {"type": "array", "items": {"type": "object", "properties": {
    "host": {"type": "string"}, "new": {"type": "integer"}, "fixed": {"type": "integer"}, "rerated": {"type": "integer"},
    "unchanged": {"type": "integer"},
    "changes": {"type": "array", "items": {"type": "object", "properties": {
      "change": {"type": "string", "enum": ["new", "fixed", "rerated"]}, "port": {"type": "string"}, "protocol": {"type": "string"},
      "plugin_id": {"type": "string"}, "plugin_name": {"type": "string"},
      "severity_before": {"type": ["integer", "null"]}, "severity_after": {"type": ["integer", "null"]}}}}}}},
  "warnings": {"type": "array", "items": {"type": "string"}}},
  "required": ["older", "newer", "totals", "hosts", "warnings"]})json";

inline constexpr const char* kListTasksInput = R"json({"type": "object", "properties": {
  "status": {"type": "string", "enum": ["queued", "running", "completed", "failed", "cancelled"]},
  "scanner_instance": {"type": "string"}, "scanner_pool": {"type": "string"},
  "since": {"type": "string", "description": "ISO 8601 time or epoch milliseconds: created at or after"},
  "until": {"type": "string", "description": "ISO 8601 time or epoch milliseconds: created before"},
  "target": {"type": "string", "description": "Only tasks whose targets contain this address or network", "maxLength": 200},
  "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
  "cursor": {"type": "string", "maxLength": 200, "description": "next_cursor of the previous page: the tasks after it, with the same filters"}},
  "additionalProperties": false})json";

inline constexpr const char* kListTasksOutput = R"json({"type": "object", "properties": {
  "tasks": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}, "truncated": {"type": "boolean"},
  "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last page"}},
  "required": ["tasks", "count", "next_cursor"]})json";

inline constexpr const char* kCancelOutput = R"json({"type": "object", "properties": {
  "task_id": {"type": "string"}, "status": {"type": "string"}, "message": {"type": "string"}}, "required": ["task_id", "status"]})json";

inline constexpr const char* kNoInput =
    R"json({"type": "object", "properties": {}, "additionalProperties": false})json";

inline constexpr const char* kScannersOutput = R"json({"type": "object", "properties": {
  "scanners": {"type": "array", "items": {"type": "object", "properties": {
    "instance_id": {"type": "string"}, "scanner_type": {"type": "string"}, "url": {"type": "string"}, "pool": {"type": "string"},
    "enabled": {"type": "boolean"}, "capacity": {"type": "integer"}, "running": {"type": "integer"}, "queued": {"type": "integer"},
    "utilization_pct": {"type": "number"}, "circuit": {"type": "string"}, "zones": {"type": "array", "items": {"type": "string"}}}}}},
  "required": ["scanners"]})json";

inline constexpr const char* kPoolsOutput = R"json({"type": "object", "properties": {
  "pools": {"type": "array", "items": {"type": "object"}}}, "required": ["pools"]})json";

inline constexpr const char* kPoolInput =
    R"json({"type": "object", "properties": {"scanner_pool": {"type": "string"}}, "required": ["scanner_pool"], "additionalProperties": false})json";

inline constexpr const char* kPoolOutput = R"json({"type": "object", "properties": {
  "scanner_pool": {"type": "string"}, "capacity": {"type": "integer"}, "running": {"type": "integer"}, "queued": {"type": "integer"},
  "utilization_pct": {"type": "number"}, "scanners": {"type": "array", "items": {"type": "object"}}},
  "required": ["scanner_pool", "capacity", "running", "scanners"]})json";

inline constexpr const char* kQueueOutput = R"json({"type": "object", "properties": {
  "global": {"type": "integer"}, "dead_letter": {"type": "integer"}, "total_queued": {"type": "integer"},
  "scanners": {"type": "array", "items": {"type": "object"}}}, "required": ["global", "dead_letter", "scanners"]})json";

}  // namespace scanorch::framework::schemas
