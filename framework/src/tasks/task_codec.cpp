#include "scanorch/framework/tasks/task_codec.h"

#include <Poco/JSON/Array.h>

#include <array>
#include <utility>

#include "scanorch/framework/json/sdk_json.h"

namespace scanorch::framework {

namespace {

template <class E, std::size_t N>
using Words = std::array<std::pair<E, std::string_view>, N>;

constexpr Words<TaskStatus, 5> kStatus{{{TaskStatus::queued, "queued"},
                                        {TaskStatus::running, "running"},
                                        {TaskStatus::completed, "completed"},
                                        {TaskStatus::failed, "failed"},
                                        {TaskStatus::cancelled, "cancelled"}}};

constexpr Words<TaskPhase, 9> kPhase{{{TaskPhase::queued, "queued"},
                                      {TaskPhase::claimed, "claimed"},
                                      {TaskPhase::waiting_for_client_slot, "waiting_for_client_slot"},
                                      {TaskPhase::creating, "creating"},
                                      {TaskPhase::launching, "launching"},
                                      {TaskPhase::scanning, "scanning"},
                                      {TaskPhase::exporting, "exporting"},
                                      {TaskPhase::validating, "validating"},
                                      {TaskPhase::done, "done"}}};

constexpr Words<FailureKind, 11> kFailure{{{FailureKind::none, ""},
                                           {FailureKind::transient, "transient"},
                                           {FailureKind::permanent, "permanent"},
                                           {FailureKind::auth, "auth"},
                                           {FailureKind::invalid_input, "invalid_input"},
                                           {FailureKind::not_found, "not_found"},
                                           {FailureKind::capacity, "capacity"},
                                           {FailureKind::internal, "internal"},
                                           {FailureKind::forbidden, "forbidden"},
                                           {FailureKind::validation, "validation"},
                                           {FailureKind::authentication, "authentication"}}};

constexpr Words<sdk::AuthStatus, 5> kAuth{{{sdk::AuthStatus::success, "success"},
                                           {sdk::AuthStatus::partial, "partial"},
                                           {sdk::AuthStatus::failed, "failed"},
                                           {sdk::AuthStatus::not_applicable, "not_applicable"},
                                           {sdk::AuthStatus::unknown, "unknown"}}};

constexpr Words<sdk::HostAuth, 5> kHostAuth{{{sdk::HostAuth::success, "success"},
                                             {sdk::HostAuth::partial, "partial"},
                                             {sdk::HostAuth::failed, "failed"},
                                             {sdk::HostAuth::not_attempted, "not_attempted"},
                                             {sdk::HostAuth::unknown, "unknown"}}};

template <class E, std::size_t N>
std::string_view word(const Words<E, N>& words, E e) noexcept {
    for (const auto& [v, w] : words) {
        if (v == e) return w;
    }
    return "";
}

template <class E, std::size_t N>
std::optional<E> parse(const Words<E, N>& words, std::string_view s) noexcept {
    for (const auto& [v, w] : words) {
        if (w == s) return v;
    }
    return std::nullopt;
}

std::string str(const Poco::JSON::Object::Ptr& o, const char* k) {
    return o->has(k) && !o->isNull(k) ? o->getValue<std::string>(k) : std::string();
}

std::int64_t num(const Poco::JSON::Object::Ptr& o, const char* k) {
    return o->has(k) && !o->isNull(k) ? o->getValue<std::int64_t>(k) : std::int64_t{0};
}

std::uint64_t unum(const Poco::JSON::Object::Ptr& o, const char* k) {
    return o->has(k) && !o->isNull(k) ? o->getValue<std::uint64_t>(k) : std::uint64_t{0};
}

}  // namespace

std::string_view to_string(TaskStatus s) noexcept { return word(kStatus, s); }
std::string_view to_string(TaskPhase p) noexcept { return word(kPhase, p); }
std::string_view to_string(FailureKind k) noexcept { return word(kFailure, k); }
std::optional<TaskStatus> parse_task_status(std::string_view s) noexcept { return parse(kStatus, s); }
std::optional<TaskPhase> parse_task_phase(std::string_view s) noexcept { return parse(kPhase, s); }
std::optional<FailureKind> parse_failure_kind(std::string_view s) noexcept { return parse(kFailure, s); }
std::optional<sdk::AuthStatus> parse_auth_status(std::string_view s) noexcept { return parse(kAuth, s); }
std::optional<sdk::HostAuth> parse_host_auth(std::string_view s) noexcept { return parse(kHostAuth, s); }

Poco::JSON::Object::Ptr to_json(const TaskRecord& t) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("task_id", t.task_id);
    o->set("trace_id", t.trace_id);
    o->set("scan_type", std::string(sdk::to_string(t.scan_type)));
    o->set("name", t.name);
    o->set("description", t.description);
    o->set("targets", t.targets);
    o->set("status", std::string(to_string(t.status)));
    o->set("phase", std::string(to_string(t.phase)));
    o->set("progress", t.progress);
    o->set("scanner_instance", t.scanner_instance);
    o->set("scanner_url", t.scanner_url);
    o->set("scanner_pool", t.scanner_pool);
    o->set("requested_scanner", t.requested_scanner);
    o->set("requested_pool", t.requested_pool);
    o->set("queue", t.queue);
    o->set("scan_scanner", t.scan.scanner);
    o->set("scan_id", t.scan.id);
    o->set("lease_token", t.lease_token);
    o->set("attempts", t.attempts);
    o->set("dead_letter", t.dead_letter);
    o->set("client", t.client);
    o->set("client_cap", t.client_cap);
    o->set("idempotency_key", t.idempotency_key);
    o->set("created_at", t.created_at);
    o->set("queued_at", t.queued_at);
    o->set("updated_at", t.updated_at);
    o->set("started_at", t.started_at);
    o->set("completed_at", t.completed_at);
    o->set("last_accessed_at", t.last_accessed_at);
    o->set("error", t.error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t.error));
    o->set("error_kind", std::string(to_string(t.failure)));
    o->set("export_path", t.export_path);
    o->set("authentication_status", t.authentication_status
                                        ? Poco::Dynamic::Var(std::string(sdk::to_string(*t.authentication_status)))
                                        : Poco::Dynamic::Var());
    Poco::JSON::Array::Ptr w = new Poco::JSON::Array;
    for (const auto& s : t.validation_warnings) w->add(s);
    o->set("validation_warnings", w);
    o->set("validation_stats",
           t.validation_stats ? Poco::Dynamic::Var(to_json(*t.validation_stats)) : Poco::Dynamic::Var());
    return o;
}

sdk::Result<TaskRecord> task_from_json(const Poco::JSON::Object::Ptr& o) {
    TaskRecord t;
    t.task_id = str(o, "task_id");
    auto bad = [&](const char* field, const std::string& value) {
        return sdk::Error::invalid_input("task " + t.task_id + ": unknown " + field + " '" + value + "'");
    };
    t.trace_id = str(o, "trace_id");
    const auto scan_type = str(o, "scan_type");
    const auto st = sdk::parse_scan_type(scan_type);
    if (!st) return bad("scan_type", scan_type);
    t.scan_type = *st;
    t.name = str(o, "name");
    t.description = str(o, "description");
    t.targets = str(o, "targets");
    const auto status = str(o, "status");
    const auto s = parse_task_status(status);
    if (!s) return bad("status", status);
    t.status = *s;
    const auto phase = str(o, "phase");
    const auto p = parse_task_phase(phase);
    if (!p) return bad("phase", phase);
    t.phase = *p;
    t.progress = static_cast<int>(num(o, "progress"));
    t.scanner_instance = str(o, "scanner_instance");
    t.scanner_url = str(o, "scanner_url");
    t.scanner_pool = str(o, "scanner_pool");
    t.requested_scanner = str(o, "requested_scanner");
    t.requested_pool = str(o, "requested_pool");
    t.queue = str(o, "queue");
    t.scan.scanner = str(o, "scan_scanner");
    t.scan.id = str(o, "scan_id");
    // Records from before scan ownership was stored: the scan was created by
    // the scanner the task ran on.
    if (t.scan.scanner.empty() && !t.scan.id.empty()) t.scan.scanner = str(o, "scanner_instance");
    t.lease_token = str(o, "lease_token");
    t.attempts = static_cast<std::uint32_t>(num(o, "attempts"));
    t.dead_letter = o->has("dead_letter") && o->getValue<bool>("dead_letter");
    t.client = str(o, "client");
    t.client_cap = static_cast<std::uint32_t>(num(o, "client_cap"));
    t.idempotency_key = str(o, "idempotency_key");
    t.created_at = num(o, "created_at");
    t.queued_at = o->has("queued_at") ? num(o, "queued_at") : t.created_at;
    t.updated_at = num(o, "updated_at");
    t.started_at = num(o, "started_at");
    t.completed_at = num(o, "completed_at");
    t.last_accessed_at = num(o, "last_accessed_at");
    t.error = str(o, "error");
    const auto kind = str(o, "error_kind");
    const auto k = parse_failure_kind(kind);
    if (!k) return bad("error_kind", kind);
    t.failure = *k;
    t.export_path = str(o, "export_path");
    if (const auto a = str(o, "authentication_status"); !a.empty()) {
        const auto parsed = parse_auth_status(a);
        if (!parsed) return bad("authentication_status", a);
        t.authentication_status = *parsed;
    }
    if (auto w = o->getArray("validation_warnings")) {
        for (std::size_t n = 0; n < w->size(); ++n) t.validation_warnings.push_back(w->getElement<std::string>(n));
    }
    if (auto v = o->getObject("validation_stats")) t.validation_stats = validation_stats_from_json(v);
    return t;
}

sdk::ValidationStats validation_stats_from_json(const Poco::JSON::Object::Ptr& o) {
    sdk::ValidationStats s;
    s.hosts_scanned = unum(o, "hosts_scanned");
    s.hosts_expected = unum(o, "hosts_expected");
    s.total_vulnerabilities = unum(o, "total_vulnerabilities");
    if (auto sev = o->getObject("severity_breakdown")) {
        s.severity_breakdown.critical = unum(sev, "critical");
        s.severity_breakdown.high = unum(sev, "high");
        s.severity_breakdown.medium = unum(sev, "medium");
        s.severity_breakdown.low = unum(sev, "low");
        s.severity_breakdown.info = unum(sev, "info");
    }
    s.report_items = unum(o, "report_items");
    s.auth_plugins = unum(o, "auth_plugins");
    s.unauth_plugins = unum(o, "unauth_plugins");
    s.file_size_bytes = unum(o, "file_size_bytes");
    s.file_size_mb = o->has("file_size_mb") ? o->getValue<double>("file_size_mb") : 0.0;
    if (auto hosts = o->getArray("hosts")) {
        for (std::size_t n = 0; n < hosts->size(); ++n) {
            auto h = hosts->getObject(static_cast<unsigned>(n));
            if (!h) continue;
            sdk::HostStats hs;
            hs.name = str(h, "name");
            hs.credentialed = h->has("credentialed") && h->getValue<bool>("credentialed");
            hs.items = unum(h, "items");
            hs.auth = parse_host_auth(str(h, "authentication")).value_or(sdk::HostAuth::unknown);
            hs.auth_evidence = str(h, "evidence");
            s.hosts.push_back(std::move(hs));
        }
    }
    return s;
}

}  // namespace scanorch::framework
