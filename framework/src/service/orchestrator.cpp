#include "scanorch/framework/service/orchestrator.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/service/metered_queue.h"
#include "scanorch/framework/service/metrics_listener.h"
#include "scanorch/framework/service/scanner_validators.h"
#include "scanorch/framework/service/shared_queue.h"
#include "scanorch/framework/tasks/legacy_import.h"
#include "scanorch/framework/tasks/local_queue_tasks.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "scanorch/sdk/router.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

Orchestrator::Orchestrator(Host& host, Mode mode, const std::string& worker_scanner) : host_(host) {
    const auto& cfg = host.config();
    const bool api = mode != Mode::worker;
    const bool workers = mode != Mode::api;
    auto db = host.make_configured<sdk::Store>("store");
    if (!db) throw HostError("a store plugin is required (plugins.store.use in scanorch.yaml, or DATABASE_URL)");
    if (auto ping = db->ping(); !ping) {
        throw HostError("store plugin '" + cfg.slot("store")->use +
                        "' cannot reach its database: " + ping.error().message);
    }
    store_ = std::make_shared<TaskStore>(db, cfg.exports_dir, host.abi_minor_of("store"));
    if (const auto old = legacy_task_count(cfg.data_dir); old > 0) {
        spdlog::warn(
            "{} holds {} task(s) kept as files by an earlier version; they are not served until "
            "`scanorchctl db migrate` imports them",
            (std::filesystem::path(cfg.data_dir) / "tasks").string(), old);
    }
    if (auto v = db->schema_version())
        spdlog::info("tasks and findings in store '{}' (schema version {})", cfg.slot("store")->use, *v);
    // A queue that lives in this process's memory is a view of the store:
    // it rebuilds itself from it as it starts, and follows it after.
    host.services()->set_local_queue_tasks(
        [view = std::make_shared<LocalQueueTasks>(store_)]() -> std::optional<std::string> { return view->read(); });
    queue_ = host.make_configured<sdk::QueueBackend>("queue");
    if (!queue_) throw HostError("a queue plugin is required (plugins.queue.use in scanorch.yaml, or QUEUE_BACKEND)");
    const auto* queue_slot = cfg.slot("queue");
    queue_ = metered_queue(queue_, host.services()->registry());
    // Single machine: a key file is created on first start. Elsewhere API and
    // workers must share SCANORCH_CREDENTIAL_KEY (or the file).
    auto sealer =
        CredentialSealer::from_environment(std::filesystem::path(cfg.data_dir) / "credential.key", mode == Mode::all);
    if (!sealer) throw HostError(sealer.error().message);
    sealer_ = std::make_shared<CredentialSealer>(std::move(sealer).value());
    metrics_ = std::make_shared<CoreMetrics>(host.services()->registry());
    pool_ = std::make_shared<ScannerPool>(host.scanners());
    keeper_ = std::make_unique<Housekeeping>(cfg.housekeeping, cfg.workers.lease_ms, queue_, store_, pool_, metrics_);
    auto scope = ScopePolicy::parse(cfg.scope);
    if (!scope) throw HostError("scope in " + cfg.file + ": " + scope.error().message);
    scope_ = std::make_shared<const ScopePolicy>(std::move(scope).value());
    // Workers check it again when a scan starts: an empty scope refuses every scan there too.
    if (scope_->empty()) spdlog::warn("no target scope is configured: every scan will be refused (set `scope`)");

    if (api) {
        router_ = host.make_configured<sdk::Router>("router");
        if (!router_) throw HostError("a router plugin is required for the API (plugins.router.use)");
        ToolServiceDeps d;
        d.pool = pool_;
        d.queue = queue_;
        d.router = router_;
        d.store = store_;
        d.db = db;
        d.sealer = sealer_;
        d.metrics = metrics_;
        d.registry = host.services()->registry_ptr();
        d.scope = scope_;
        auto rate =
            SubmissionRate::make(cfg.limits, queue_, queue_slot ? queue_slot->use : std::string("the queue plugin"));
        if (!rate) throw HostError((cfg.file.empty() ? std::string("config") : cfg.file) + ": " + rate.error().message);
        d.rate = std::move(rate).value();
        tools_ = std::make_shared<HostToolService>(std::move(d));
        frontend_ = host.make_configured<sdk::Frontend>("frontend");
    }
    if (workers) {
        validator_ = host.make_configured<sdk::Validator>("validator");
        if (!validator_) spdlog::warn("no validator plugin: exports will not be checked");
        WorkerOptions wo;
        wo.poll_ms = cfg.workers.poll_interval_ms;
        wo.progress_write_ms = cfg.workers.progress_write_ms;
        wo.cancel_check_ms = cfg.workers.cancel_check_ms;
        wo.lease_ms = cfg.workers.lease_ms;
        wo.retry_base_ms = cfg.workers.retry_base_ms;
        wo.retries = static_cast<int>(cfg.workers.retries);
        wo.circuit_failures = static_cast<std::uint32_t>(cfg.workers.circuit_failures);
        wo.circuit_open_ms = cfg.workers.circuit_open_ms;
        wo.last_reclaim_ms = std::make_shared<std::atomic<std::int64_t>>(0);
        auto pool_config = std::make_shared<const ScannersConfig>(pool_->config());
        // Each scanner type exports its own format: a mixed pool names a validator per scanner.
        ScannerValidators validators(host, validator_);
        const auto threads = std::make_shared<ThreadCache>();
        const auto late_jobs = std::make_shared<LateJobs>(threads);
        for (const auto& s : pool_->config().scanners) {
            if (mode == Mode::worker && s.instance_id != worker_scanner) continue;
            if (!s.enabled) {
                if (mode == Mode::worker)
                    throw HostError("scanner '" + s.instance_id + "' is disabled in " + pool_->config().file);
                continue;
            }
            auto plugin = host.make_scanner(s);
            scanners_.push_back(plugin);
            const auto checks = validators.of(s);
            if (!checks.validator && !s.validator.empty()) {
                spdlog::warn(
                    "scanner '{}': validator none: its exports are not checked and its results cannot be queried",
                    s.instance_id);
            }
            workers_.push_back(std::make_unique<Worker>(WorkerDeps{
                s, plugin, queue_, checks.validator, checks.abi_minor, store_, sealer_, metrics_, pool_config, scope_,
                wo, threads, late_jobs, host.plugin_abi_minor(s.scanner_type), host.abi_minor_of("queue")}));
            metrics_->init_scanner(s.instance_id);
        }
        if (mode == Mode::worker && workers_.empty()) {
            std::string ids;
            for (const auto& s : pool_->config().scanners) ids += (ids.empty() ? "" : ", ") + s.instance_id;
            throw HostError("scanner '" + worker_scanner + "' is not in " + pool_->config().file +
                            " (configured: " + (ids.empty() ? "none" : ids) + ")");
        }
    }
    if (mode != Mode::all) require_shared_queue(*queue_, api ? "api" : "worker", cfg.slot("queue")->use);
    // Only a worker lacks a front end to be scraped through.
    if (mode == Mode::worker) {
        metrics_listener_ = make_worker_metrics_listener(cfg, host.services()->registry(), queue_, pool_, metrics_);
    }
}

Orchestrator::~Orchestrator() { stop(); }

void Orchestrator::start() {
    for (auto& w : workers_) w->start();
    if (frontend_ && tools_) {
        auto r = frontend_->start(*tools_);
        if (!r) throw HostError("front end failed to start: " + r.error().message);
        spdlog::info("front end serving at {}", frontend_->endpoint());
    }
    if (metrics_listener_) {
        metrics_listener_->start();
        spdlog::info("worker metrics at {}/metrics", metrics_listener_->endpoint());
    }
    housekeeping_ = std::thread([this] { housekeeping_loop(); });
}

void Orchestrator::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (frontend_) frontend_->stop();
    for (auto& w : workers_) w->request_stop();
    for (auto& w : workers_) w->stop();
    if (housekeeping_.joinable()) housekeeping_.join();
    if (metrics_listener_) metrics_listener_->stop();
}

void Orchestrator::housekeeping_loop() {
    const auto& h = host_.config().housekeeping;
    std::int64_t next = 0;
    std::unique_lock lock(mu_);
    while (!stopping_) {
        lock.unlock();
        if (tools_) tools_->refresh_metrics();
        if (now_ms() >= next) {
            next = now_ms() + h.interval_seconds * 1000;
            try {
                housekeeping_pass();
            } catch (const std::exception& e) {
                spdlog::error("housekeeping: {}", e.what());
            }
        }
        lock.lock();
        cv_.wait_for(lock, std::chrono::seconds(5), [&] { return stopping_; });
    }
}

void Orchestrator::housekeeping_pass() { keeper_->pass(); }

}  // namespace scanorch::framework
