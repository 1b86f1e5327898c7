#include "scanorch/framework/clock.h"
#include "scanorch/framework/service/tool_service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/UUIDGenerator.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/service/results_reader.h"
#include "scanorch/framework/workers/worker.h"
#include "tool_schemas.h"

namespace scanorch::framework {

namespace targets = sdk::targets;
using Obj = Poco::JSON::Object::Ptr;

namespace {

Obj object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::Dynamic::Var iso(std::int64_t ms) {
    if (ms <= 0) return Poco::Dynamic::Var();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), "%Y-%m-%dT%H:%M:%SZ");
}

std::string text(const Obj& a, const std::string& key) {
    if (!a->has(key) || a->isNull(key)) return "";
    const auto v = a->get(key);
    if (!v.isString()) throw std::invalid_argument("'" + key + "' must be a string");
    return v.convert<std::string>();
}

// Refuses arguments the tool does not know, naming the valid ones.
sdk::Result<void> only(const Obj& a, const std::vector<std::string>& allowed) {
    for (const auto& [k, v] : *a) {
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
            std::string names;
            for (const auto& n : allowed) names += (names.empty() ? "" : ", ") + n;
            return sdk::Error::invalid_input("unknown argument '" + k + "' (valid: " + names + ")");
        }
    }
    return {};
}

int severity_level(const std::string& s) {
    static const std::map<std::string, int> m = {{"info", 0}, {"low", 1}, {"medium", 2}, {"high", 3}, {"critical", 4}};
    auto it = m.find(s);
    if (it == m.end()) throw std::invalid_argument("severity '" + s + "' is not critical, high, medium, low or info");
    return it->second;
}

std::optional<std::int64_t> parse_time(const std::string& s) {
    if (s.empty()) return std::nullopt;
    if (s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
    int tz = 0;
    Poco::DateTime dt;
    if (!Poco::DateTimeParser::tryParse(s, dt, tz)) throw std::invalid_argument("'" + s + "' is not an ISO 8601 time");
    return (dt.timestamp().epochMicroseconds() - static_cast<std::int64_t>(tz) * 1000000) / 1000;
}

}  // namespace

HostToolService::HostToolService(ToolServiceDeps deps) : d_(std::move(deps)) {
    for (const auto& s : d_.scope) {
        if (!s.empty() && s[0] == '.') {
            scope_suffixes_.push_back(s);
            continue;
        }
        if (auto t = targets::parse_target(s)) scope_.push_back(std::move(t).value());
        else spdlog::warn("scope entry '{}' ignored: {}", s, t.error().message);
    }
    auto tool = [&](std::string name, std::string title, std::string desc, std::string in, std::string out, bool ro,
                    bool destructive, bool idempotent, bool open_world, Handler h) {
        tools_.push_back({name, title, desc, in, out, ro, destructive, idempotent, open_world});
        handlers_[name] = std::move(h);
    };
    // Most tools build a JSON object; it is printed here, once.
    auto printed = [](auto build) -> Handler {
        return [build](const Args& a, const sdk::CallContext& c) -> sdk::Result<std::string> {
            auto r = build(a, c);
            if (!r) return std::move(r).error();
            return stringify(*r);
        };
    };
    const std::string scan_in = std::string("{\"type\": \"object\", \"properties\": {") + schemas::kScanCommon;
    const std::string req = "}, \"required\": [\"targets\", \"name\"], \"additionalProperties\": false}";
    tool("run_untrusted_scan", "Run an untrusted scan",
         "Network scan without credentials. Returns a task_id at once; poll get_scan_status.",
         scan_in + req, schemas::kSubmitOutput, false, false, false, true,
         printed([this](const Args& a, const sdk::CallContext& c) { return submit("untrusted", a, c); }));
    tool("run_trusted_scan", "Run a trusted (authenticated) scan",
         "Scan that logs in over SSH and/or Windows (SMB). scanorch checks afterwards that the login worked on each host.",
         scan_in + schemas::kCredentials + req, schemas::kSubmitOutput, false, false, false, true,
         printed([this](const Args& a, const sdk::CallContext& c) { return submit("trusted_basic", a, c); }));
    tool("run_privileged_scan", "Run a privileged scan",
         "Trusted scan that also escalates privileges (sudo, su, ...) for full local checks.",
         scan_in + schemas::kCredentials + schemas::kEscalation + req, schemas::kSubmitOutput, false, false, false, true,
         printed([this](const Args& a, const sdk::CallContext& c) { return submit("trusted_privileged", a, c); }));
    tool("get_scan_status", "Get a scan's status",
         "Status, phase and progress; for finished scans a results summary, warnings, authentication status, and "
         "troubleshooting when authentication failed.",
         schemas::kTaskId, schemas::kStatusOutput, true, false, true, false,
         [this](const Args& a, const sdk::CallContext& c) { return status(a, c); });
    tool("get_scan_results", "Get a scan's findings",
         "Findings from the export, paginated, with a detail level (schema_profile) or custom_fields, and filters.",
         schemas::kResultsInput, schemas::kResultsOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return results(a, c); }));
    tool("list_tasks", "List scan tasks", "Tasks, newest first, filtered by status, scanner, pool, time or target.",
         schemas::kListTasksInput, schemas::kListTasksOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return list_tasks(a, c); }));
    tool("cancel_scan", "Cancel a scan", "Removes a queued scan, or stops a running one on its scanner.", schemas::kTaskId,
         schemas::kCancelOutput, false, true, true, true,
         printed([this](const Args& a, const sdk::CallContext& c) { return cancel(a, c); }));
    tool("list_scanners", "List scanners", "Every scanner with its capacity, load, pool, zones and circuit state.",
         schemas::kNoInput, schemas::kScannersOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return list_scanners(a, c); }));
    tool("list_pools", "List scanner pools", "Named groups of scanners (pool in scanners.yaml).", schemas::kNoInput,
         schemas::kPoolsOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return list_pools(a, c); }));
    tool("get_pool_status", "Get a pool's status", "Capacity, load and scanners of one pool.", schemas::kPoolInput,
         schemas::kPoolOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return pool_status(a, c); }));
    tool("get_queue_status", "Get queue status", "Tasks waiting per scanner, in the global queue and in the dead-letter queue.",
         schemas::kNoInput, schemas::kQueueOutput, true, false, true, false,
         printed([this](const Args& a, const sdk::CallContext& c) { return queue_status(a, c); }));
}

std::vector<sdk::ToolInfo> HostToolService::tools() const noexcept { return tools_; }

sdk::Result<std::string> HostToolService::call(std::string_view tool, std::string_view arguments_json,
                                               const sdk::CallContext& context) noexcept {
    try {
        auto it = handlers_.find(std::string(tool));
        if (it == handlers_.end()) return sdk::Error::not_found("unknown tool '" + std::string(tool) + "'");
        if (!context.allowed_tools.empty() &&
            std::find(context.allowed_tools.begin(), context.allowed_tools.end(), tool) == context.allowed_tools.end()) {
            return sdk::Error::auth("client '" + context.client + "' may not use " + std::string(tool));
        }
        Obj args;
        try {
            const std::string text_args = arguments_json.empty() ? "{}" : std::string(arguments_json);
            args = Poco::JSON::Parser().parse(text_args).extract<Obj>();
        } catch (const Poco::BadCastException&) {
            return sdk::Error::invalid_input("arguments must be a JSON object");
        } catch (const Poco::Exception& e) {
            return sdk::Error::invalid_input("arguments are not a JSON object: " + e.displayText());
        }
        if (!args) return sdk::Error::invalid_input("arguments must be a JSON object");
        return it->second(args, context);
    } catch (const std::invalid_argument& e) {
        return sdk::Error::invalid_input(e.what());
    } catch (const Poco::Exception& e) {
        return sdk::Error::invalid_input(e.displayText());
    } catch (const std::exception& e) {
        return sdk::Error::internal(e.what());
    }
}

std::string HostToolService::metrics_text() noexcept {
    try {
        refresh_metrics();
        return prometheus::TextSerializer().Serialize(d_.registry->Collect());
    } catch (const std::exception& e) {
        return "# metrics unavailable: " + std::string(e.what()) + "\n";
    }
}

sdk::Result<void> HostToolService::ready() noexcept {
    if (!d_.queue) return sdk::Error::transient("no queue backend");
    auto p = d_.queue->ping();
    if (!p) return sdk::Error::transient("queue backend unreachable: " + p.error().message);
    return {};
}

void HostToolService::refresh_metrics() {
    if (!d_.metrics || !d_.queue) return;
    auto snap = d_.pool->snapshot(*d_.queue);
    auto depths = d_.queue->depths({});
    if (snap && depths) d_.metrics->refresh(*snap, depths->global, depths->dead_letter);
}

sdk::Result<void> HostToolService::check_scope(const std::vector<targets::Target>& wanted, const sdk::CallContext& c) const {
    if (scope_.empty() && scope_suffixes_.empty()) {
        return sdk::Error::invalid_input("no target scope is configured, so no scan may run: set `scope` in scanorch.yaml "
                                         "or SCANORCH_SCOPE");
    }
    std::vector<targets::Target> client_scope;
    for (const auto& s : c.scope) {
        if (auto t = targets::parse_target(s)) client_scope.push_back(std::move(t).value());
    }
    auto in_suffix = [&](const targets::Target& t) {
        if (t.kind != targets::Kind::hostname) return false;
        for (const auto& s : scope_suffixes_) {
            if (t.text.size() > s.size() && t.text.compare(t.text.size() - s.size(), s.size(), s) == 0) return true;
        }
        return false;
    };
    for (const auto& t : wanted) {
        if (!targets::covered_by(scope_, t) && !in_suffix(t)) {
            return sdk::Error::invalid_input("target " + t.text + " is outside the allowed scan scope; refused before "
                                             "anything was queued (ask an administrator to extend `scope`)");
        }
        if (!client_scope.empty() && !targets::covered_by(client_scope, t)) {
            return sdk::Error::invalid_input("target " + t.text + " is outside the scope of client '" + c.client + "'");
        }
    }
    return {};
}

std::int64_t HostToolService::estimated_wait_s(const std::string& scanner, std::uint64_t position) const {
    // From observed scan durations (kept by the workers); 10 minutes until there are some.
    std::int64_t avg_ms = 600'000;
    if (auto v = d_.queue->kv_get(d_.key_prefix + ":duration:" + (scanner.empty() ? "all" : scanner)); v && v->has_value()) {
        try {
            avg_ms = std::stoll(**v);
        } catch (...) {
        }
    }
    std::uint32_t capacity = 0;
    for (const auto& s : d_.pool->config().scanners) {
        if (s.enabled && (scanner.empty() || s.instance_id == scanner)) capacity += s.max_concurrent_scans;
    }
    if (capacity == 0) capacity = 1;
    const auto ahead = position > 0 ? position - 1 : 0;
    return static_cast<std::int64_t>((ahead / capacity + (position > 0 ? 1 : 0)) * avg_ms / 1000);
}

sdk::Result<Obj> HostToolService::submit(const std::string& scan_type, const Args& a, const sdk::CallContext& c) {
    std::vector<std::string> allowed = {"targets", "name", "description", "scanner_instance", "scanner_pool", "idempotency_key"};
    if (scan_type != "untrusted") {
        allowed.insert(allowed.end(), {"ssh_username", "ssh_password", "ssh_private_key", "windows_username",
                                       "windows_password", "windows_domain"});
    }
    if (scan_type == "trusted_privileged") allowed.insert(allowed.end(), {"escalation_method", "escalation_account", "escalation_password"});
    if (auto r = only(a, allowed); !r) return std::move(r).error();

    TaskRecord t;
    t.scan_type = scan_type;
    t.targets = text(a, "targets");
    t.name = text(a, "name");
    t.description = text(a, "description");
    t.requested_scanner = text(a, "scanner_instance");
    t.requested_pool = text(a, "scanner_pool");
    t.idempotency_key = text(a, "idempotency_key");
    t.client = c.client;
    t.client_cap = c.max_concurrent_scans;
    if (t.targets.empty()) return sdk::Error::invalid_input("'targets' is required");
    if (t.name.empty()) return sdk::Error::invalid_input("'name' is required");
    auto parsed = targets::parse_list(t.targets);
    if (!parsed) return std::move(parsed).error();
    if (auto s = check_scope(*parsed, c); !s) return std::move(s).error();

    sdk::ScanCredentials creds;
    creds.ssh_username = text(a, "ssh_username");
    creds.ssh_password = text(a, "ssh_password");
    creds.ssh_private_key = text(a, "ssh_private_key");
    creds.windows_username = text(a, "windows_username");
    creds.windows_password = text(a, "windows_password");
    creds.windows_domain = text(a, "windows_domain");
    creds.escalation_method = text(a, "escalation_method");
    creds.escalation_account = text(a, "escalation_account");
    creds.escalation_password = text(a, "escalation_password");
    if (scan_type != "untrusted") {
        if (!creds.has_ssh() && !creds.has_windows()) {
            return sdk::Error::invalid_input("a " + scan_type + " scan needs ssh_username (with ssh_password or "
                                             "ssh_private_key) or windows_username with windows_password");
        }
        if (creds.has_ssh() && creds.ssh_password.empty() && creds.ssh_private_key.empty()) {
            return sdk::Error::invalid_input("ssh_username needs ssh_password or ssh_private_key");
        }
        if (creds.has_windows() && creds.windows_password.empty()) return sdk::Error::invalid_input("windows_username needs windows_password");
    }
    if (scan_type == "trusted_privileged" && creds.has_ssh() && creds.escalation_method.empty()) {
        return sdk::Error::invalid_input("a privileged scan needs escalation_method (sudo, su, ...) for its SSH login");
    }

    // Idempotency: the same key and arguments return the first task.
    std::string fingerprint;
    if (!t.idempotency_key.empty()) {
        Poco::SHA2Engine sha;
        std::ostringstream canonical;
        a->stringify(canonical);
        sha.update(scan_type + "\n" + canonical.str());
        fingerprint = Poco::DigestEngine::digestToHex(sha.digest());
    }

    // Per-client cap on scans not yet finished.
    if (c.max_concurrent_scans > 0) {
        const auto open = static_cast<std::uint32_t>(d_.store->unfinished_for(c.client).size());
        if (open >= c.max_concurrent_scans) {
            return sdk::Error::capacity("client '" + c.client + "' already has " + std::to_string(open) +
                                        " unfinished scans (its limit); wait for one to finish");
        }
    }

    auto snapshot = d_.pool->snapshot(*d_.queue);
    if (!snapshot) return sdk::Error::transient("queue backend unreachable: " + snapshot.error().message);
    auto global = d_.queue->depths({});
    if (!global) return sdk::Error::transient("queue backend unreachable: " + global.error().message);
    sdk::RouteRequest rr;
    rr.requested_scanner = t.requested_scanner;
    rr.requested_pool = t.requested_pool;
    rr.scan_type = sdk::parse_scan_type(scan_type).value_or(sdk::ScanType::untrusted);
    for (const auto& x : *parsed) rr.targets.push_back(x.text);
    rr.global_queued = global->global;
    auto decision = d_.router->route(rr, *snapshot);
    if (!decision) return std::move(decision).error();

    t.task_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    rr.task_id = t.task_id;
    t.trace_id = c.trace_id.empty() ? t.task_id : c.trace_id;
    t.queue = decision->queue_scanner;
    t.scanner_instance = decision->scanner_instance;
    if (const auto* s = d_.pool->find(t.scanner_instance)) {
        t.scanner_url = s->url;
        t.scanner_pool = s->pool;
    }
    t.created_at = t.last_accessed_at = now_ms();

    if (!fingerprint.empty()) {
        const std::string key = d_.key_prefix + ":idempotency:" + c.client + ":" + t.idempotency_key;
        auto prior = d_.queue->kv_set_if_absent(key, t.task_id + " " + fingerprint, d_.idempotency_ttl_ms);
        if (!prior) return sdk::Error::transient("queue backend unreachable: " + prior.error().message);
        if (prior->has_value()) {
            const auto& v = **prior;
            const auto space = v.find(' ');
            if (v.substr(space + 1) != fingerprint) {
                return sdk::Error::invalid_input("idempotency_key '" + t.idempotency_key +
                                                 "' was already used with different arguments");
            }
            auto first = d_.store->load(v.substr(0, space));
            if (!first) return std::move(first).error();
            Obj o = object();
            o->set("task_id", first->task_id);
            o->set("trace_id", first->trace_id);
            o->set("status", first->status);
            o->set("scanner_instance", first->scanner_instance.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(first->scanner_instance));
            o->set("scanner_url", first->scanner_url.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(first->scanner_url));
            o->set("queue", first->queue.empty() ? "global" : first->queue);
            auto pos = d_.queue->position(first->task_id);
            const std::uint64_t position = pos && pos->has_value() ? **pos : 0;
            o->set("queue_position", position);
            o->set("estimated_wait_time", estimated_wait_s(first->queue, position));
            o->set("message", "idempotency_key matched an earlier request: this is its task");
            return o;
        }
    }

    const std::string sealed = scan_type == "untrusted" ? "" : d_.sealer->seal(creds, t.task_id);
    sdk::QueueTask qt;
    qt.task_id = t.task_id;
    qt.scanner_id = t.queue;
    qt.payload = make_payload(t, sealed);
    qt.enqueued_at_ms = t.created_at;
    if (auto w = d_.store->create(t, qt.payload); !w) return std::move(w).error();
    auto position = d_.queue->enqueue(qt);
    if (!position) {
        // Nothing queued: remove the record so no task is left that no worker will run.
        (void)d_.store->remove(t.task_id);
        return sdk::Error::transient("queue backend unreachable, nothing was queued: " + position.error().message);
    }
    spdlog::info("task {} ({}, trace {}) queued on {}: {}", t.task_id, scan_type, t.trace_id,
                 t.queue.empty() ? "the global queue" : t.queue, decision->reason);

    Obj o = object();
    o->set("task_id", t.task_id);
    o->set("trace_id", t.trace_id);
    o->set("status", "queued");
    o->set("scanner_instance", t.scanner_instance.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t.scanner_instance));
    o->set("scanner_url", t.scanner_url.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t.scanner_url));
    o->set("queue", t.queue.empty() ? "global" : t.queue);
    o->set("queue_position", *position);
    o->set("estimated_wait_time", estimated_wait_s(t.queue, *position));
    o->set("routing_reason", decision->reason);
    o->set("message", "Scan queued. Poll get_scan_status with this task_id.");
    return o;
}

sdk::Result<TaskRecord> HostToolService::visible_task(const Args& a, const sdk::CallContext& c) {
    auto t = visible_shared(a, c);
    if (!t) return std::move(t).error();
    return **t;
}

sdk::Result<std::shared_ptr<const TaskRecord>> HostToolService::visible_shared(const Args& a, const sdk::CallContext& c) {
    const std::string id = text(a, "task_id");
    if (id.empty()) return sdk::Error::invalid_input("'task_id' is required");
    auto t = d_.store->load_shared(id);
    if (!t && t.error().kind == sdk::ErrorKind::invalid_input) return sdk::Error::not_found("no task '" + id + "'");
    if (!t) return t;
    // last_accessed_at only feeds a TTL of days: refreshing it once a minute
    // spares a status poll the write (and fsync) of task.json.
    if (now_ms() - (*t)->last_accessed_at > 60'000) {
        (void)d_.store->update(id, [](TaskRecord& r) {
            r.last_accessed_at = now_ms();
            return true;
        });
    }
    if (!c.client.empty() && !(*t)->client.empty() && (*t)->client != c.client) return sdk::Error::not_found("no task '" + id + "'");
    return t;
}

sdk::Result<std::string> HostToolService::status(const Args& a, const sdk::CallContext& c) {
    if (auto r = only(a, {"task_id"}); !r) return std::move(r).error();
    auto shared = visible_shared(a, c);
    if (!shared) return std::move(shared).error();
    const auto& record = *shared;
    // The answer is a function of the record and, while queued, of its place
    // in the queue (asked of the backend every time: it moves).
    std::optional<std::uint64_t> position;
    if (record->status == "queued") {
        if (auto p = d_.queue->position(record->task_id); p) position = *p;
    }
    {
        std::lock_guard lock(printed_mu_);
        if (auto it = printed_.find(record->task_id);
            it != printed_.end() && it->second.record == record && it->second.position == position) {
            return it->second.text;
        }
    }
    std::string text = stringify(status_object(*record, position));
    std::lock_guard lock(printed_mu_);
    if (printed_.size() >= kPrintedStatuses && !printed_.count(record->task_id)) printed_.erase(printed_.begin());
    printed_[record->task_id] = {record, position, text};
    return text;
}

Obj HostToolService::status_object(const TaskRecord& t, std::optional<std::uint64_t> queue_position) const {
    Obj o = object();
    o->set("task_id", t.task_id);
    o->set("trace_id", t.trace_id);
    o->set("name", t.name);
    o->set("scan_type", t.scan_type);
    o->set("targets", t.targets);
    o->set("status", t.status);
    o->set("phase", t.phase);
    o->set("progress", t.progress);
    o->set("scanner_instance", t.scanner_instance);
    o->set("scanner_url", t.scanner_url);
    o->set("queue_position", queue_position ? Poco::Dynamic::Var(*queue_position) : Poco::Dynamic::Var());
    o->set("authentication_status", t.authentication_status);
    if (t.validation_stats) {
        Obj summary = object();
        for (const char* k : {"hosts_scanned", "hosts_expected", "total_vulnerabilities", "severity_breakdown", "file_size_mb"}) {
            if (t.validation_stats->has(k)) summary->set(k, t.validation_stats->get(k));
        }
        o->set("results_summary", summary);
    } else {
        o->set("results_summary", Poco::Dynamic::Var());
    }
    Poco::JSON::Array::Ptr w = new Poco::JSON::Array;
    for (const auto& s : t.validation_warnings) w->add(s);
    o->set("warnings", w);
    o->set("error", t.error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t.error));
    if (t.status == "failed" && (t.authentication_status == "failed" || t.authentication_status == "unknown" ||
                                  t.error_kind == "auth")) {
        Obj ts = object();
        Poco::JSON::Array::Ptr steps = new Poco::JSON::Array;
        if (t.authentication_status == "unknown") {
            ts->set("likely_cause", "The export shows no sign that the scan logged in: local checks may be off in the "
                                    "scan policy, or the hosts did not answer.");
            steps->add("Check that the targets are up and reachable from scanner " + t.scanner_instance);
            steps->add("Check that the scan policy enables local (credentialed) checks");
        } else if (t.error_kind == "auth" && t.authentication_status.empty()) {
            ts->set("likely_cause", "The scanner rejected scanorch's own login (scanners.yaml credentials).");
            steps->add("Check the username/password or API keys of " + t.scanner_instance + " in scanners.yaml");
        } else {
            ts->set("likely_cause", "The targets rejected the supplied credentials, so only network checks ran.");
            steps->add("Verify the username and password (or key) on one target by hand");
            steps->add("Check that the account may log in over SSH/SMB from the scanner's address");
            steps->add("For Windows, check that the account is a local administrator and the ADMIN$ share is reachable");
            steps->add("Re-run with run_trusted_scan once the login works");
        }
        ts->set("next_steps", steps);
        o->set("troubleshooting", ts);
    } else {
        o->set("troubleshooting", Poco::Dynamic::Var());
    }
    o->set("created_at", iso(t.created_at));
    o->set("started_at", iso(t.started_at));
    o->set("completed_at", iso(t.completed_at));
    return o;
}

sdk::Result<Obj> HostToolService::results(const Args& a, const sdk::CallContext& c) {
    if (auto r = only(a, {"task_id", "page", "page_size", "schema_profile", "custom_fields", "filters"}); !r) return std::move(r).error();
    auto t = visible_task(a, c);
    if (!t) return std::move(t).error();
    if (t->export_path.empty()) {
        return sdk::Error::invalid_input("task " + t->task_id + " has no results yet (status " + t->status + ", phase " +
                                         t->phase + ")");
    }
    ResultsQuery q;
    q.page = a->has("page") ? a->getValue<std::uint64_t>("page") : 1;
    q.page_size = a->has("page_size") ? a->getValue<std::uint64_t>("page_size") : 50;
    if (q.page < 1) return sdk::Error::invalid_input("'page' starts at 1");
    if (q.page_size < 1 || q.page_size > 500) return sdk::Error::invalid_input("'page_size' must be 1..500");
    if (auto custom = a->getArray("custom_fields")) {
        for (std::size_t i = 0; i < custom->size(); ++i) {
            const auto f = custom->getElement<std::string>(static_cast<unsigned>(i));
            const auto& all = all_result_fields();
            if (std::find(all.begin(), all.end(), f) == all.end()) {
                std::string names;
                for (const auto& n : all) names += (names.empty() ? "" : ", ") + n;
                return sdk::Error::invalid_input("unknown field '" + f + "' in custom_fields (valid: " + names + ")");
            }
            q.fields.push_back(f);
        }
    } else {
        const std::string profile = a->has("schema_profile") ? text(a, "schema_profile") : "brief";
        q.fields = profile_fields(profile);
        if (q.fields.empty()) return sdk::Error::invalid_input("schema_profile '" + profile + "' is not minimal, summary, brief or full");
    }
    if (auto f = a->getObject("filters")) {
        if (auto r = only(f, {"severity", "min_severity", "host", "plugin_id", "port", "min_cvss", "text"}); !r) return std::move(r).error();
        if (f->has("severity")) {
            const auto v = f->get("severity");
            if (v.isArray()) {
                auto arr = f->getArray("severity");
                for (std::size_t i = 0; i < arr->size(); ++i) q.severities.insert(severity_level(arr->getElement<std::string>(static_cast<unsigned>(i))));
            } else {
                q.severities.insert(severity_level(v.convert<std::string>()));
            }
        }
        if (f->has("min_severity")) q.min_severity = severity_level(text(f, "min_severity"));
        q.host = text(f, "host");
        q.plugin_id = f->has("plugin_id") ? f->get("plugin_id").convert<std::string>() : "";
        q.port = f->has("port") ? f->get("port").convert<std::string>() : "";
        if (f->has("min_cvss")) q.min_cvss = f->getValue<double>("min_cvss");
        q.text = text(f, "text");
    }
    auto page = read_results(t->export_path, q);
    if (!page) return std::move(page).error();
    Obj o = object();
    o->set("task_id", t->task_id);
    o->set("page", q.page);
    o->set("page_size", q.page_size);
    o->set("total_findings", page->total_findings);
    o->set("total_matching", page->total_matching);
    o->set("total_pages", (page->total_matching + q.page_size - 1) / q.page_size);
    Poco::JSON::Array::Ptr fields = new Poco::JSON::Array;
    for (const auto& f : q.fields) fields->add(f);
    o->set("fields", fields);
    o->set("findings", page->findings);
    return o;
}

sdk::Result<Obj> HostToolService::list_tasks(const Args& a, const sdk::CallContext& c) {
    if (auto r = only(a, {"status", "scanner_instance", "scanner_pool", "since", "until", "target", "limit"}); !r) return std::move(r).error();
    const auto want_status = text(a, "status");
    const auto want_scanner = text(a, "scanner_instance");
    const auto want_pool = text(a, "scanner_pool");
    const auto since = parse_time(a->has("since") ? a->get("since").convert<std::string>() : "");
    const auto until = parse_time(a->has("until") ? a->get("until").convert<std::string>() : "");
    const std::uint64_t limit = a->has("limit") ? a->getValue<std::uint64_t>("limit") : 100;
    std::optional<targets::Target> target;
    if (a->has("target")) {
        auto parsed = targets::parse_target(text(a, "target"));
        if (!parsed) return std::move(parsed).error();
        target = std::move(parsed).value();
    }
    std::vector<TaskRecord> matched;
    for (const auto& id : d_.store->ids()) {
        auto t = d_.store->load(id);
        if (!t) continue;
        if (!c.client.empty() && !t->client.empty() && t->client != c.client) continue;
        if (!want_status.empty() && t->status != want_status) continue;
        if (!want_scanner.empty() && t->scanner_instance != want_scanner) continue;
        if (!want_pool.empty() && t->scanner_pool != want_pool && t->requested_pool != want_pool) continue;
        if (since && t->created_at < *since) continue;
        if (until && t->created_at >= *until) continue;
        if (target) {
            auto list = targets::parse_list(t->targets);
            bool hit = false;
            if (list) {
                for (const auto& x : *list) hit = hit || targets::contains(x, *target) || targets::contains(*target, x);
            }
            if (!hit) continue;
        }
        matched.push_back(std::move(t).value());
    }
    std::sort(matched.begin(), matched.end(), [](const auto& x, const auto& y) { return x.created_at > y.created_at; });
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (std::size_t i = 0; i < matched.size() && i < limit; ++i) {
        const auto& t = matched[i];
        Obj o = object();
        o->set("task_id", t.task_id);
        o->set("name", t.name);
        o->set("scan_type", t.scan_type);
        o->set("targets", t.targets);
        o->set("status", t.status);
        o->set("phase", t.phase);
        o->set("scanner_instance", t.scanner_instance);
        o->set("authentication_status", t.authentication_status);
        o->set("created_at", iso(t.created_at));
        arr->add(o);
    }
    Obj o = object();
    o->set("tasks", arr);
    o->set("count", arr->size());
    o->set("truncated", matched.size() > limit);
    return o;
}

sdk::Result<Obj> HostToolService::cancel(const Args& a, const sdk::CallContext& c) {
    if (auto r = only(a, {"task_id"}); !r) return std::move(r).error();
    auto t = visible_task(a, c);
    if (!t) return std::move(t).error();
    if (t->terminal()) return sdk::Error::invalid_input("task " + t->task_id + " already ended (" + t->status + ")");
    const bool was_queued = t->status == "queued";
    if (was_queued) {
        auto removed = d_.queue->remove(t->task_id);
        if (!removed) return sdk::Error::transient("queue backend unreachable: " + removed.error().message);
    }
    auto u = d_.store->update(t->task_id, [](TaskRecord& r) {
        if (r.terminal()) return false;
        r.status = "cancelled";
        r.phase = "done";
        r.completed_at = now_ms();
        return true;
    });
    if (!u) return std::move(u).error();
    Obj o = object();
    o->set("task_id", t->task_id);
    o->set("status", u->status);
    o->set("message", was_queued ? "Removed from the queue." : "The scan is being stopped on its scanner.");
    return o;
}

namespace {
Obj scanner_json(const sdk::ScannerSnapshot& s) {
    Obj o = object();
    o->set("instance_id", s.instance_id);
    o->set("scanner_type", s.scanner_type);
    o->set("url", s.url);
    o->set("pool", s.pool);
    o->set("enabled", s.enabled);
    o->set("capacity", s.capacity);
    o->set("running", s.running);
    o->set("queued", s.queued);
    o->set("utilization_pct", s.capacity ? 100.0 * s.running / s.capacity : 0.0);
    o->set("circuit", std::string(sdk::to_string(s.circuit)));
    Poco::JSON::Array::Ptr z = new Poco::JSON::Array;
    for (const auto& x : s.zones) z->add(x);
    o->set("zones", z);
    return o;
}
}  // namespace

sdk::Result<Obj> HostToolService::list_scanners(const Args& a, const sdk::CallContext&) {
    if (auto r = only(a, {}); !r) return std::move(r).error();
    auto snap = d_.pool->snapshot(*d_.queue);
    if (!snap) return sdk::Error::transient("queue backend unreachable: " + snap.error().message);
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : *snap) arr->add(scanner_json(s));
    Obj o = object();
    o->set("scanners", arr);
    return o;
}

sdk::Result<Obj> HostToolService::list_pools(const Args& a, const sdk::CallContext& c) {
    if (auto r = only(a, {}); !r) return std::move(r).error();
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& p : d_.pool->pools()) {
        Obj args = object();
        args->set("scanner_pool", p);
        auto s = pool_status(args, c);
        if (!s) return s;
        arr->add(*s);
    }
    Obj o = object();
    o->set("pools", arr);
    return o;
}

sdk::Result<Obj> HostToolService::pool_status(const Args& a, const sdk::CallContext&) {
    if (auto r = only(a, {"scanner_pool"}); !r) return std::move(r).error();
    const auto name = text(a, "scanner_pool");
    auto pools = d_.pool->pools();
    if (std::find(pools.begin(), pools.end(), name) == pools.end()) {
        std::string names;
        for (const auto& p : pools) names += (names.empty() ? "" : ", ") + p;
        return sdk::Error::not_found("unknown scanner pool '" + name + "' (pools: " + names + ")");
    }
    auto snap = d_.pool->snapshot(*d_.queue);
    if (!snap) return sdk::Error::transient("queue backend unreachable: " + snap.error().message);
    std::uint64_t capacity = 0, running = 0, queued = 0;
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : *snap) {
        if (s.pool != name) continue;
        if (s.enabled) capacity += s.capacity;
        running += s.running;
        queued += s.queued;
        arr->add(scanner_json(s));
    }
    Obj o = object();
    o->set("scanner_pool", name);
    o->set("capacity", capacity);
    o->set("running", running);
    o->set("queued", queued);
    o->set("utilization_pct", capacity ? 100.0 * static_cast<double>(running) / static_cast<double>(capacity) : 0.0);
    o->set("scanners", arr);
    return o;
}

sdk::Result<Obj> HostToolService::queue_status(const Args& a, const sdk::CallContext&) {
    if (auto r = only(a, {}); !r) return std::move(r).error();
    auto d = d_.queue->depths(d_.pool->ids());
    if (!d) return sdk::Error::transient("queue backend unreachable: " + d.error().message);
    return to_json(*d);
}

}  // namespace scanorch::framework
