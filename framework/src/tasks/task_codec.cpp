#include "scanorch/framework/tasks/task_codec.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <utility>

#include "scanorch/framework/json/json_writer.h"
#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/sdk/utf8.h"

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

namespace {

// Every member, in the stored order. A summary is the record without its
// large parts (per-host validation stats can run to tens of KB): the same
// members, those emptied, so a list reads it as it reads a whole record.
std::string write_task(const TaskRecord& t, bool summary) {
    // About 800 bytes with no stats, and what the free-text members add.
    JsonWriter w(1024 + t.name.size() + t.targets.size() + (summary ? 0 : t.description.size() + t.error.size()));
    w.begin_object();
    w.key("task_id").value(t.task_id);
    w.key("trace_id").value(t.trace_id);
    w.key("scan_type").value(sdk::to_string(t.scan_type));
    w.key("name").value(t.name);
    w.key("description").value(summary ? std::string_view() : std::string_view(t.description));
    w.key("targets").value(t.targets);
    w.key("status").value(to_string(t.status));
    w.key("phase").value(to_string(t.phase));
    w.key("progress").value(t.progress);
    w.key("scanner_instance").value(t.scanner_instance);
    w.key("scanner_url").value(t.scanner_url);
    w.key("scanner_pool").value(t.scanner_pool);
    w.key("requested_scanner").value(t.requested_scanner);
    w.key("requested_pool").value(t.requested_pool);
    w.key("queue").value(t.queue);
    w.key("scan_scanner").value(t.scan.scanner);
    w.key("scan_id").value(t.scan.id);
    w.key("lease_token").value(t.lease_token);
    w.key("attempts").value(t.attempts);
    w.key("dead_letter").value(t.dead_letter);
    w.key("client").value(t.client);
    w.key("client_cap").value(t.client_cap);
    w.key("idempotency_key").value(t.idempotency_key);
    w.key("created_at").value(t.created_at);
    w.key("queued_at").value(t.queued_at);
    w.key("updated_at").value(t.updated_at);
    w.key("started_at").value(t.started_at);
    w.key("completed_at").value(t.completed_at);
    w.key("last_accessed_at").value(t.last_accessed_at);
    w.key("error");
    if (summary || t.error.empty()) {
        w.null();
    } else {
        w.value(t.error);
    }
    w.key("error_kind").value(to_string(t.failure));
    w.key("export_path").value(t.export_path);
    w.key("authentication_status");
    if (t.authentication_status) {
        w.value(sdk::to_string(*t.authentication_status));
    } else {
        w.null();
    }
    w.key("validation_warnings").begin_array();
    if (!summary) {
        for (const auto& s : t.validation_warnings) w.value(s);
    }
    w.end_array();
    w.key("validation_stats");
    if (summary || !t.validation_stats) {
        w.null();
    } else {
        // Present only once a scan is validated, when the task is all but
        // done: Poco's form keeps the one spelling of the stats that the
        // tools share.
        w.raw(stringify(to_json(*t.validation_stats)));
    }
    w.end_object();
    std::string text = std::move(w).text();
    // A member that is not valid UTF-8 (a scanner's error text, a third
    // party validator's evidence) would make the whole record unreadable to
    // the JSON parser, and PostgreSQL refuses such text: the bad bytes are
    // stored as U+FFFD instead. The text is only scanned when it is ASCII.
    sdk::make_storable_text(text);
    return text;
}

}  // namespace

std::string task_json(const TaskRecord& t) { return write_task(t, false); }

std::string task_summary_json(const TaskRecord& t) { return write_task(t, true); }

Poco::JSON::Object::Ptr to_json(const TaskRecord& t) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keeps the members' order
    return parser.parse(task_json(t)).extract<Poco::JSON::Object::Ptr>();
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
