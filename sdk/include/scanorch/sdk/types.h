// Plain data exchanged between the host and plugins. Standard library only;
// every type here is part of the ABI (see the rules at the top of abi.h):
// changing a member's type or order is a major bump.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scanorch::sdk {

// ---------------------------------------------------------------- scans

/// What a scan may do on its targets.
enum class ScanType : std::uint32_t {
    untrusted = 1,           ///< network only, no credentials
    trusted_basic = 2,       ///< SSH and/or Windows logins
    trusted_privileged = 3,  ///< as trusted_basic, plus privilege escalation
};

constexpr std::string_view to_string(ScanType t) noexcept {
    switch (t) {
        case ScanType::untrusted: return "untrusted";
        case ScanType::trusted_basic: return "trusted_basic";
        case ScanType::trusted_privileged: return "trusted_privileged";
    }
    return "untrusted";
}

/// Parses "untrusted" | "trusted_basic" | "trusted_privileged".
constexpr std::optional<ScanType> parse_scan_type(std::string_view s) noexcept {
    if (s == "untrusted") return ScanType::untrusted;
    if (s == "trusted_basic") return ScanType::trusted_basic;
    if (s == "trusted_privileged") return ScanType::trusted_privileged;
    return std::nullopt;
}

/// Credentials for a trusted scan. Held in memory only while a scan is being
/// created; plugins must never log or persist them.
struct ScanCredentials {
    std::string ssh_username;
    std::string ssh_password;
    std::string ssh_private_key;  ///< PEM text
    std::string windows_username;
    std::string windows_password;
    std::string windows_domain;
    std::string escalation_method;   ///< "sudo", "su", "su+sudo", ... (privileged only)
    std::string escalation_account;  ///< defaults to root when empty
    std::string escalation_password;

    bool has_ssh() const noexcept { return !ssh_username.empty(); }
    bool has_windows() const noexcept { return !windows_username.empty(); }
};

/// A scan to create on a scanner.
struct ScanRequest {
    std::string task_id;  ///< scanorch's id; plugins may tag scanner-side objects with it
    std::string name;
    std::string description;
    std::string targets;  ///< as given: comma list of addresses, CIDRs, ranges, host names
    ScanType scan_type = ScanType::untrusted;
    ScanCredentials credentials;
};

/// Where a scan is on the scanner.
enum class ScanState : std::uint32_t {
    pending = 1,  ///< created or launched, not yet running
    running = 2,  ///< includes processing/pausing/resuming/stopping
    paused = 3,
    completed = 4,  ///< terminal, results available
    cancelled = 5,  ///< terminal, stopped by a user
    aborted = 6,    ///< terminal, the scanner gave up
    /// ABI 1.2: created and never launched, so launching it is the caller's
    /// next step (a worker resuming a task after a crash between the two).
    /// Scanners built for 1.1 report such a scan as pending.
    created = 7,
};

constexpr bool is_terminal(ScanState s) noexcept {
    return s == ScanState::completed || s == ScanState::cancelled || s == ScanState::aborted;
}

constexpr std::string_view to_string(ScanState s) noexcept {
    switch (s) {
        case ScanState::pending: return "pending";
        case ScanState::running: return "running";
        case ScanState::paused: return "paused";
        case ScanState::completed: return "completed";
        case ScanState::cancelled: return "cancelled";
        case ScanState::aborted: return "aborted";
        case ScanState::created: return "created";
    }
    return "pending";
}

/// One poll of a scan.
struct ScanProgress {
    ScanState state = ScanState::pending;
    std::string scanner_status;  ///< the scanner's own word ("processing", "stopping", ...)
    int progress_pct = -1;       ///< 0..100, or -1 when the scanner does not say
    std::uint32_t hosts_total = 0;
    std::uint32_t hosts_done = 0;
};

/// A finished export on disk.
struct ExportInfo {
    std::string path;  ///< where the file now is (written atomically)
    std::uint64_t size_bytes = 0;
};

/// What the scanner says about itself.
struct ScannerHealth {
    bool healthy = false;          ///< reachable, ready, and logged in
    bool scan_api_allowed = true;  ///< false when the licence forbids scan control via API
    std::string version;           ///< scanner software version, when known
    std::string status;            ///< the scanner's own status word ("ready", "loading", ...)
    std::string message;           ///< why not healthy, or notes for operators
};

// ----------------------------------------------------------- validation

enum class AuthStatus : std::uint32_t {
    success = 1,         ///< every host authenticated
    partial = 2,         ///< some hosts authenticated
    failed = 3,          ///< no host authenticated, and there is evidence of failure
    not_applicable = 4,  ///< untrusted scan
    unknown = 5,         ///< trusted scan with no evidence either way
};

constexpr std::string_view to_string(AuthStatus a) noexcept {
    switch (a) {
        case AuthStatus::success: return "success";
        case AuthStatus::partial: return "partial";
        case AuthStatus::failed: return "failed";
        case AuthStatus::not_applicable: return "not_applicable";
        case AuthStatus::unknown: return "unknown";
    }
    return "unknown";
}

/// Per-host authentication outcome.
enum class HostAuth : std::uint32_t {
    success = 1,
    partial = 2,  ///< logged in, but with insufficient privilege or intermittently
    failed = 3,
    not_attempted = 4,  ///< no credentials were tried on this host
    unknown = 5,
};

constexpr std::string_view to_string(HostAuth a) noexcept {
    switch (a) {
        case HostAuth::success: return "success";
        case HostAuth::partial: return "partial";
        case HostAuth::failed: return "failed";
        case HostAuth::not_attempted: return "not_attempted";
        case HostAuth::unknown: return "unknown";
    }
    return "unknown";
}

/// A file to validate.
struct ValidationRequest {
    std::string path;
    ScanType scan_type = ScanType::untrusted;
    std::string targets;  ///< the targets the scan was given ("" = do not count hosts)
};

struct HostStats {
    std::string name;
    bool credentialed = false;
    std::uint64_t items = 0;
    HostAuth auth = HostAuth::unknown;
    std::string auth_evidence;  ///< why: e.g. "plugin 21745: SSH login failed"
};

struct SeverityBreakdown {
    std::uint64_t critical = 0, high = 0, medium = 0, low = 0, info = 0;
};

struct ValidationStats {
    std::uint64_t hosts_scanned = 0;
    std::uint64_t hosts_expected = 0;         ///< 0 when no targets were given
    std::uint64_t total_vulnerabilities = 0;  ///< items of severity >= 1
    SeverityBreakdown severity_breakdown;
    std::uint64_t report_items = 0;
    std::uint64_t auth_plugins = 0;  ///< results of authenticated-only plugins
    std::uint64_t unauth_plugins = 0;
    std::uint64_t file_size_bytes = 0;
    double file_size_mb = 0.0;
    std::vector<HostStats> hosts;
};

struct ValidationResult {
    bool is_valid = false;
    std::string error;           ///< empty when valid
    std::string failure_reason;  ///< short machine word for metrics ("auth_failed", "malformed", ...)
    std::vector<std::string> warnings;
    ValidationStats stats;
    AuthStatus authentication_status = AuthStatus::unknown;
};

// ---------------------------------------------------------------- queues

/// A task as queued. The payload is opaque to the queue: the host's task
/// JSON, with any credentials sealed.
struct QueueTask {
    std::string task_id;
    std::string scanner_id;  ///< queue it waits in; empty = the global queue
    std::string payload;
    std::int64_t enqueued_at_ms = 0;
    std::uint32_t attempts = 0;  ///< times it was claimed before
};

/// A task taken by a worker: the task, the running slot it holds on a
/// scanner, and a lease that must be renewed before it lapses.
struct Claim {
    QueueTask task;
    std::string scanner_id;   ///< the scanner whose slot it holds
    std::string lease_token;  ///< proves ownership to renew/complete/release
    std::int64_t lease_expires_at_ms = 0;
    bool from_global = false;  ///< taken from the global queue
};

struct DlqEntry {
    QueueTask task;
    std::string reason;
    std::int64_t failed_at_ms = 0;
};

struct ScannerQueueDepth {
    std::string scanner_id;
    std::uint64_t queued = 0;
    std::uint64_t running = 0;
};

struct QueueDepths {
    std::uint64_t global = 0;
    std::uint64_t dead_letter = 0;
    std::vector<ScannerQueueDepth> scanners;
};

/// A scanner's circuit breaker state, shared by every process.
enum class CircuitState : std::uint32_t { closed = 1, open = 2, half_open = 3 };

constexpr std::string_view to_string(CircuitState c) noexcept {
    switch (c) {
        case CircuitState::closed: return "closed";
        case CircuitState::open: return "open";
        case CircuitState::half_open: return "half_open";
    }
    return "closed";
}

// --------------------------------------------------------------- routing

/// The router's view of one scanner at decision time.
struct ScannerSnapshot {
    std::string instance_id;
    std::string scanner_type;
    std::string url;
    std::string pool;
    bool enabled = true;
    CircuitState circuit = CircuitState::closed;
    std::uint32_t running = 0;
    std::uint32_t capacity = 0;  ///< max_concurrent_scans
    std::uint64_t queued = 0;
    std::vector<std::string> zones;  ///< CIDRs it can reach; empty = everywhere
};

struct RouteRequest {
    std::string task_id;
    std::string requested_scanner;  ///< empty = any
    std::string requested_pool;     ///< empty = any
    ScanType scan_type = ScanType::untrusted;
    std::vector<std::string> targets;  ///< already split and checked against scope
    std::uint64_t global_queued = 0;
};

struct RouteDecision {
    std::string queue_scanner;     ///< queue to push to; empty = the global queue
    std::string scanner_instance;  ///< the scanner expected to run it; empty if not yet known
    std::string reason;            ///< one line for logs and the tool reply
};

// ------------------------------------------------------------- front ends

/// A tool the host offers (MCP tool / REST endpoint).
struct ToolInfo {
    std::string name;
    std::string title;
    std::string description;
    std::string input_schema_json;   ///< JSON Schema of the arguments
    std::string output_schema_json;  ///< JSON Schema of the structured result
    bool read_only = false;          ///< does not change state
    bool destructive = false;        ///< may delete or cancel
    bool idempotent = false;
    bool open_world = false;  ///< reaches outside scanorch (scanners, targets)
};

/// Who is calling, as established by the front end.
struct CallContext {
    std::string client;  ///< named client (bearer token name); empty = anonymous
    std::string trace_id;
    std::vector<std::string> scope;          ///< the client's own target scope (CIDR/host); empty = global scope
    std::vector<std::string> allowed_tools;  ///< empty = all
    std::uint32_t max_concurrent_scans = 0;  ///< 0 = no per-client cap
};

}  // namespace scanorch::sdk
