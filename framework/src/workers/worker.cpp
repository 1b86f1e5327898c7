#include "scanorch/framework/clock.h"
#include "scanorch/framework/workers/worker.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <sstream>

#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/workers/client_slot.h"

namespace scanorch::framework {

namespace {

// A task-level failure: why it failed, and whether the scanner is to blame.
struct Failure {
    sdk::Error error;
    bool scanner_fault;
};

}  // namespace

std::string make_payload(const TaskRecord& t, const std::string& sealed) {
    Poco::JSON::Object o;
    o.set("task_id", t.task_id);
    o.set("scan_type", t.scan_type);
    o.set("targets", t.targets);
    o.set("name", t.name);
    o.set("description", t.description);
    o.set("credentials", sealed);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

Worker::Worker(ScannerConfig scanner, std::shared_ptr<sdk::Scanner> plugin, std::shared_ptr<sdk::Queue> queue,
               std::shared_ptr<sdk::Validator> validator, std::shared_ptr<TaskStore> store,
               std::shared_ptr<CredentialSealer> sealer, std::shared_ptr<CoreMetrics> metrics, WorkerOptions options)
    : scanner_(std::move(scanner)),
      plugin_(std::move(plugin)),
      queue_(std::move(queue)),
      validator_(std::move(validator)),
      store_(std::move(store)),
      sealer_(std::move(sealer)),
      metrics_(std::move(metrics)),
      opt_(options) {}

Worker::~Worker() { stop(); }

void Worker::start() {
    spdlog::info("worker for scanner '{}' started (capacity {})", scanner_.instance_id, scanner_.max_concurrent_scans);
    dispatcher_ = std::thread([this] { dispatch_loop(); });
}

void Worker::stop() {
    if (stopping_.exchange(true)) {
        if (dispatcher_.joinable()) dispatcher_.join();
        return;
    }
    cv_.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
    std::map<std::string, std::thread> jobs;
    {
        std::lock_guard lock(mu_);
        jobs.swap(jobs_);
    }
    for (auto& [id, t] : jobs) {
        if (t.joinable()) t.join();
    }
    for (auto& t : finished_) {
        if (t.joinable()) t.join();
    }
    finished_.clear();
    spdlog::info("worker for scanner '{}' stopped", scanner_.instance_id);
}

bool Worker::sleep_for(std::int64_t ms) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
    return !stopping_.load();
}

bool Worker::circuit_allows() {
    auto c = queue_->circuit(scanner_.instance_id);
    if (!c) return false;
    if (c->state == sdk::CircuitState::closed) return true;
    if (c->state == sdk::CircuitState::open) {
        if (now_ms() - c->opened_at_ms < opt_.circuit_open_ms) return false;
        sdk::CircuitInfo trial = *c;
        trial.state = sdk::CircuitState::half_open;
        (void)queue_->set_circuit(scanner_.instance_id, trial);
        spdlog::info("scanner '{}': circuit half-open, one trial scan", scanner_.instance_id);
    }
    return active_.load() == 0;  // half-open: one trial at a time
}

void Worker::record_scanner_outcome(bool failed) {
    auto c = queue_->circuit(scanner_.instance_id);
    if (!c) return;
    sdk::CircuitInfo next = *c;
    if (!failed) {
        if (c->state == sdk::CircuitState::closed && c->consecutive_failures == 0) return;
        if (c->state != sdk::CircuitState::closed) spdlog::info("scanner '{}': circuit closed", scanner_.instance_id);
        next = {};
    } else {
        ++next.consecutive_failures;
        if (c->state == sdk::CircuitState::half_open || next.consecutive_failures >= opt_.circuit_failures) {
            if (c->state != sdk::CircuitState::open) {
                spdlog::warn("scanner '{}': circuit opened after {} consecutive failures; no new scans for {} s",
                             scanner_.instance_id, next.consecutive_failures, opt_.circuit_open_ms / 1000);
            }
            next.state = sdk::CircuitState::open;
            next.opened_at_ms = now_ms();
        }
    }
    (void)queue_->set_circuit(scanner_.instance_id, next);
}

void Worker::dispatch_loop() {
    std::int64_t last_reclaim = 0;
    while (!stopping_.load()) {
        {  // join the threads of finished jobs
            std::lock_guard lock(mu_);
            for (auto& t : finished_) {
                if (t.joinable()) t.join();
            }
            finished_.clear();
        }
        if (now_ms() - last_reclaim > 5000) {
            last_reclaim = now_ms();
            if (auto moved = queue_->reclaim_expired(); moved && !moved->empty()) {
                for (const auto& t : *moved) spdlog::warn("task {}: its worker's lease lapsed; returned to its queue", t.task_id);
            }
        }
        bool claimed = false;
        if (active_.load() < scanner_.max_concurrent_scans && circuit_allows()) {
            auto c = queue_->claim(scanner_.instance_id, scanner_.max_concurrent_scans, opt_.lease_ms);
            if (!c) {
                spdlog::warn("scanner '{}': cannot claim: {}", scanner_.instance_id, c.error().message);
                sleep_for(1000);
                continue;
            }
            if (c->has_value()) {
                claimed = true;
                ++active_;
                sdk::Claim claim = std::move(**c);
                const std::string id = claim.task.task_id;
                std::lock_guard lock(mu_);
                jobs_[id] = std::thread([this, claim = std::move(claim)]() mutable { run(std::move(claim)); });
            }
        }
        // Claim again at once after a success; otherwise wait to be woken.
        if (!claimed) (void)queue_->wait_for_work(scanner_.instance_id, 1000);
    }
}

void Worker::run(sdk::Claim claim) {
    const std::string id = claim.task.task_id;
    try {
        execute(claim);
    } catch (const std::exception& e) {  // never lose the slot to a bug
        spdlog::error("task {}: unexpected error: {}", id, e.what());
        (void)queue_->dead_letter(claim, std::string("internal error: ") + e.what());
    }
    --active_;
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it != jobs_.end()) {
        finished_.push_back(std::move(it->second));
        jobs_.erase(it);
    }
    cv_.notify_all();
}

template <class F>
auto Worker::with_retry(const std::string& what, F&& f) -> decltype(f()) {
    auto r = f();
    for (int attempt = 0; attempt < opt_.retries && !r.ok() && r.error().retryable(); ++attempt) {
        const std::int64_t wait = opt_.retry_base_ms << attempt;
        spdlog::warn("scanner '{}': {} failed ({}); retry {} of {} in {} ms", scanner_.instance_id, what,
                     r.error().message, attempt + 1, opt_.retries, wait);
        if (!sleep_for(wait)) break;
        r = f();
    }
    return r;
}

void Worker::finish(sdk::Claim& claim, const std::string& status, const std::string& error,
                    const std::string& error_kind) {
    const std::string id = claim.task.task_id;
    (void)store_->update(id, [&](TaskRecord& t) {
        if (t.status == "cancelled" && status != "cancelled") return false;
        t.status = status;
        t.phase = "done";
        t.dead_letter = status == "failed";
        t.error = error;
        t.error_kind = error_kind;
        t.completed_at = now_ms();
        if (status == "completed") t.progress = 100;
        return true;
    });
    if (metrics_) metrics_->task_finished(scanner_.instance_id, status);
    if (status == "completed") {  // observed scan durations feed estimated_wait_time (moving average)
        if (auto t = store_->load(id); t && t->started_at > 0) {
            const std::int64_t took = t->completed_at - t->started_at;
            for (const std::string& key : {"scanorch:duration:" + scanner_.instance_id, std::string("scanorch:duration:all")}) {
                std::int64_t avg = took;
                if (auto old = queue_->kv_get(key); old && old->has_value()) {
                    try {
                        avg = (std::stoll(**old) * 7 + took * 3) / 10;
                    } catch (...) {
                    }
                }
                (void)queue_->kv_set(key, std::to_string(avg), 0);
            }
        }
    }
    if (status == "failed") {
        spdlog::warn("task {} failed on '{}': {}", id, scanner_.instance_id, error);
        auto d = queue_->dead_letter(claim, error);
        if (!d) spdlog::error("task {}: could not move to the dead-letter queue: {}", id, d.error().message);
    } else {
        spdlog::info("task {} {} on '{}'", id, status, scanner_.instance_id);
        auto d = queue_->complete(claim);
        if (!d) spdlog::warn("task {}: {}", id, d.error().message);
    }
}

void Worker::execute(sdk::Claim& claim) {
    const std::string id = claim.task.task_id;
    auto task = store_->load(id);
    if (!task) {
        spdlog::error("task {}: {}", id, task.error().message);
        (void)queue_->dead_letter(claim, "task record unreadable: " + task.error().message);
        return;
    }
    if (task->status == "cancelled" || task->terminal()) {
        (void)queue_->complete(claim);
        return;
    }
    auto fail = [&](const Failure& f) {
        if (f.scanner_fault) record_scanner_outcome(true);
        finish(claim, "failed", f.error.message, std::string(sdk::to_string(f.error.kind)));
    };
    auto hand_back = [&] {  // stopping: keep the turn, keep the scan id
        (void)store_->update(id, [](TaskRecord& t) {
            if (t.terminal()) return false;
            t.status = "queued";
            t.phase = "queued";
            return true;
        });
        auto r = queue_->release(claim, claim.task.payload);
        spdlog::info("task {}: handed back to its queue ({})", id, r ? "ok" : r.error().message);
    };

    // What to scan, with the credentials opened only now.
    sdk::ScanRequest req;
    req.task_id = id;
    req.name = task->name;
    req.description = task->description;
    req.targets = task->targets;
    req.scan_type = sdk::parse_scan_type(task->scan_type).value_or(sdk::ScanType::untrusted);
    if (req.scan_type != sdk::ScanType::untrusted) {
        std::string sealed;
        try {
            sealed = Poco::JSON::Parser().parse(claim.task.payload).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("credentials", "");
        } catch (...) {
        }
        auto creds = sealer_ ? sealer_->open_credentials(sealed, id)
                             : sdk::Result<sdk::ScanCredentials>(sdk::Error::permanent("no credential key configured"));
        if (!creds) return fail({creds.error(), false});
        req.credentials = std::move(creds).value();
    }

    // The submitting client's cap, checked again now: submissions through
    // other API processes may have raced past it. Waiting keeps the claim
    // (and the task's turn) until one of the client's scans ends.
    auto lease_lost = [&] {  // renews the lease; true when it has passed to another worker
        auto lease = queue_->renew(claim, opt_.lease_ms);
        if (lease || lease.error().kind != sdk::ErrorKind::not_found) return false;
        spdlog::warn("task {}: lease lost; another worker has it now", id);
        return true;
    };
    std::optional<ClientSlot> client_slot;
    if (task->client_cap > 0 && !task->client.empty()) {
        bool waiting = false;
        while (true) {
            auto s = ClientSlot::try_acquire(queue_, task->client, task->client_cap, id, opt_.lease_ms);
            if (s && s->has_value()) {
                client_slot.emplace(std::move(**s));
                break;
            }
            if (!s) {
                spdlog::warn("task {}: cannot check client '{}''s scan cap: {}", id, task->client, s.error().message);
            } else if (!waiting) {
                waiting = true;
                spdlog::info("task {}: client '{}' already runs {} scans (its limit); waiting for one to end", id,
                             task->client, task->client_cap);
                (void)store_->update(id, [](TaskRecord& t) {
                    if (t.terminal()) return false;
                    t.phase = "waiting_for_client_slot";
                    return true;
                });
            }
            if (!sleep_for(opt_.poll_ms)) return hand_back();
            if (lease_lost()) return;
            if (auto current = store_->load(id); current && current->status == "cancelled") {
                spdlog::info("task {}: cancelled while waiting for its client's slot", id);
                (void)queue_->complete(claim);
                return;
            }
        }
    }

    (void)store_->update(id, [&](TaskRecord& t) {
        t.status = "running";
        t.scanner_instance = scanner_.instance_id;
        t.scanner_url = scanner_.url;
        t.scanner_pool = scanner_.pool;
        if (t.started_at == 0) t.started_at = now_ms();
        t.attempts = claim.task.attempts + 1;
        return true;
    });

    std::string scan_id = task->scan_id;
    if (scan_id.empty()) {
        (void)store_->update(id, [](TaskRecord& t) { t.phase = "creating"; return true; });
        auto created = with_retry("create scan", [&] { return plugin_->create_scan(req); });
        if (!created) {
            if (stopping_) return hand_back();
            return fail({created.error(), created.error().kind != sdk::ErrorKind::invalid_input});
        }
        scan_id = *created;
        // Recorded before launching: a reclaimed task resumes this scan instead of starting another.
        (void)store_->update(id, [&](TaskRecord& t) { t.scan_id = scan_id; t.phase = "launching"; return true; });
        auto launched = with_retry("launch scan", [&] { return plugin_->launch_scan(scan_id); });
        if (!launched) {
            if (stopping_) return hand_back();
            (void)plugin_->delete_scan(scan_id);
            return fail({launched.error(), true});
        }
    } else {
        spdlog::info("task {}: resuming scan {} on '{}'", id, scan_id, scanner_.instance_id);
        auto p = with_retry("poll scan", [&] { return plugin_->poll_scan(scan_id); });
        if (p && p->scanner_status == "empty") (void)with_retry("launch scan", [&] { return plugin_->launch_scan(scan_id); });
    }
    req.credentials = {};  // not needed past creation

    // Poll until the scan ends; renew the lease each round; watch for cancel.
    int last_progress = -2;
    sdk::ScanProgress progress;
    while (true) {
        if (stopping_) return hand_back();
        if (lease_lost()) return;
        if (client_slot) client_slot->renew();
        auto current = store_->load(id);
        if (current && current->status == "cancelled") {
            (void)plugin_->stop_scan(scan_id);
            spdlog::info("task {}: cancelled; scan {} stopped", id, scan_id);
            (void)queue_->complete(claim);
            return;
        }
        auto p = with_retry("poll scan", [&] { return plugin_->poll_scan(scan_id); });
        if (!p) {
            if (stopping_) return hand_back();
            return fail({p.error(), true});
        }
        progress = *p;
        if (sdk::is_terminal(progress.state)) break;
        if (progress.progress_pct != last_progress) {
            last_progress = progress.progress_pct;
            (void)store_->update(id, [&](TaskRecord& t) {
                t.phase = "scanning";
                t.progress = std::max(0, progress.progress_pct);
                return true;
            });
        }
        if (!sleep_for(opt_.poll_ms)) return hand_back();
    }
    if (progress.state == sdk::ScanState::cancelled) {
        return fail({sdk::Error::permanent("the scan was stopped on the scanner (" + progress.scanner_status + ")"), false});
    }
    if (progress.state == sdk::ScanState::aborted) {
        return fail({sdk::Error::transient("the scanner aborted scan " + scan_id), true});
    }

    // Export, streamed into the task's folder.
    (void)store_->update(id, [](TaskRecord& t) { t.phase = "exporting"; return true; });
    const std::string dest = store_->export_path(id).string();
    auto exported = with_retry("export", [&] {
        (void)queue_->renew(claim, opt_.lease_ms);
        if (client_slot) client_slot->renew();
        return plugin_->export_scan(scan_id, dest);
    });
    if (!exported) {
        if (stopping_) return hand_back();
        return fail({exported.error(), true});
    }
    record_scanner_outcome(false);
    if (opt_.delete_scans) (void)plugin_->delete_scan(scan_id);

    // Validate: the verdict decides completed or failed.
    (void)store_->update(id, [&](TaskRecord& t) {
        t.phase = "validating";
        t.export_path = dest;
        return true;
    });
    if (!validator_) return finish(claim, "completed", "", "");
    auto v = validator_->validate({dest, req.scan_type, req.targets});
    if (!v) return fail({v.error(), false});
    (void)store_->update(id, [&](TaskRecord& t) {
        t.validation_stats = to_json(v->stats);
        t.validation_warnings = v->warnings;
        t.authentication_status = std::string(sdk::to_string(v->authentication_status));
        return true;
    });
    if (v->authentication_status == sdk::AuthStatus::failed || v->authentication_status == sdk::AuthStatus::unknown) {
        if (req.scan_type != sdk::ScanType::untrusted && metrics_) metrics_->auth_failure(scanner_.instance_id, task->scan_type);
    }
    if (!v->is_valid) return finish(claim, "failed", v->error, v->failure_reason.rfind("auth", 0) == 0 ? "auth" : "validation");
    finish(claim, "completed", "", "");
}

}  // namespace scanorch::framework
