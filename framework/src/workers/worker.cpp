#include "scanorch/framework/workers/worker.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/sdk/extensions.h"

namespace scanorch::framework {

Worker::Worker(WorkerDeps deps)
    : d_(std::move(deps)),
      circuit_(d_.queue, d_.scanner.instance_id, d_.options.circuit_failures, d_.options.circuit_open_ms,
               d_.options.lease_ms) {
    if (!d_.threads) d_.threads = std::make_shared<ThreadCache>();
    if (!d_.late_jobs) d_.late_jobs = std::make_shared<LateJobs>(d_.threads);
    if (d_.queue_abi_minor >= 2) {
        vacate_ = static_cast<sdk::SlotVacate*>(d_.queue->extension(sdk::kQueueSlotVacate));
    }
    // Listings pay off only when a run does not poll its own scan at every
    // interval anyway. kScannerScanList is ABI 2.1: not asked of older plugins.
    if (d_.scanner_abi_minor >= 1 &&
        ScanBoard::own_poll_every(d_.options.progress_write_ms) > std::chrono::milliseconds(d_.options.poll_ms)) {
        if (auto* list = static_cast<sdk::ScanList*>(d_.plugin->extension(sdk::kScannerScanList))) {
            board_ = std::make_unique<ScanBoard>(*list, std::chrono::milliseconds(d_.options.poll_ms),
                                                 d_.scanner.instance_id);
        }
    }
}

Worker::~Worker() { stop(); }

void Worker::start() {
    spdlog::info("worker for scanner '{}' started (capacity {})", d_.scanner.instance_id,
                 d_.scanner.max_concurrent_scans);
    dispatcher_ = std::thread([this] { dispatch_loop(); });
    heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

void Worker::request_stop() {
    {
        // Under the sleepers' lock, so no sleep tests the flag and then
        // misses the notification. Not under mu_: accept() and run_job()
        // hold it across queue calls, and the orchestrator stops its
        // workers one after another. A heartbeat that misses this wakes
        // at its next beat.
        std::lock_guard lock(sleep_mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    sleep_cv_.notify_all();
    if (board_) board_->interrupt();
}

void Worker::stop() {
    if (stopped_.exchange(true)) {
        if (dispatcher_.joinable()) dispatcher_.join();
        if (heartbeat_.joinable()) heartbeat_.join();
        return;
    }
    request_stop();
    if (dispatcher_.joinable()) dispatcher_.join();
    // Runs hand their tasks back; the heartbeat keeps their leases until they
    // have. A run's entry goes as its last step (run_job), under the lock.
    {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return jobs_.empty(); });
    }
    cv_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
    // Its runs have handed their tasks back: a trial this worker held would
    // otherwise keep the scanner waiting a lease for another process.
    circuit_.release_trial();
    spdlog::info("worker for scanner '{}' stopped", d_.scanner.instance_id);
}

bool Worker::sleep_for(std::int64_t ms) {
    std::unique_lock lock(sleep_mu_);
    sleep_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
    return !stopping_.load();
}

void Worker::heartbeat_loop() {
    const auto period = std::chrono::milliseconds(std::max<std::int64_t>(d_.options.lease_ms / 3, 50));
    std::unique_lock lock(mu_);
    const auto done = [&] { return stopping_.load() && jobs_.empty(); };
    auto next_beat = std::chrono::steady_clock::now() + period;
    // Runs on while stopping: hand-backs need their leases until they are done.
    while (!done()) {
        // Beats keep their period: cv_ is notified whenever a run ends, and
        // renewing every lease of the worker at each of those was most of
        // the renewals.
        if (cv_.wait_until(lock, next_beat, done)) break;
        next_beat = std::chrono::steady_clock::now() + period;
        std::vector<std::shared_ptr<HeldTask>> held;
        for (const auto& [id, job] : jobs_) {
            held.push_back(job.held);
            if (job.next) held.push_back(job.next);  // may wait as long as an export for its run to end
        }
        lock.unlock();
        // A half-open circuit's trial is held like a lease: renewed while this
        // process lives, taken over by another when it stops being renewed.
        // First, so that slow task renewals cannot delay it past a lease.
        circuit_.keep_trial();
        for (const auto& h : held) {
            if (h->renew(*d_.queue, d_.options.lease_ms) == HeldTask::Renewal::lost_now) {
                // The backend cannot tell a lease taken over from one it lost
                // (a restart without persistence): either way this run ends.
                spdlog::warn(
                    "task {}: lease lost: the queue no longer holds this worker's claim (it lapsed and "
                    "was reclaimed, or the queue backend lost it); this run stops at its next step",
                    h->task_id());
            }
        }
        lock.lock();
    }
}

namespace {

constexpr std::int64_t kReclaimEveryMs = 5000;

}  // namespace

void Worker::dispatch_loop() {
    auto reclaim_clock =
        d_.options.last_reclaim_ms ? d_.options.last_reclaim_ms : std::make_shared<std::atomic<std::int64_t>>(0);
    while (!stopping_.load()) {
        auto last_reclaim = reclaim_clock->load();
        if (now_ms() - last_reclaim > kReclaimEveryMs &&
            reclaim_clock->compare_exchange_strong(last_reclaim, now_ms())) {
            if (auto moved = d_.queue->reclaim_expired(); moved && !moved->empty()) {
                for (const auto& t : *moved) {
                    spdlog::warn("task {}: its worker's lease lapsed; returned to its queue", t.task_id);
                }
            }
        }
        bool claimed = false;
        const bool room = has_room();
        // A claim after every wait, woken or not: a wake-up can be lost (a
        // global task handed back or reclaimed wakes one scanner; a wake token
        // taken by a worker that could not claim; a backend restarted empty),
        // and one claim a second per idle worker is the bound on how long work
        // waits beside a free slot.
        if (room && circuit_.allows(active_.load())) {
            auto c = d_.queue->claim(d_.scanner.instance_id, d_.scanner.max_concurrent_scans, d_.options.lease_ms);
            if (!c) {
                spdlog::warn("scanner '{}': cannot claim: {}", d_.scanner.instance_id, c.error().message);
                sleep_for(1000);
                continue;
            }
            if (c->has_value()) {
                claimed = true;
                // A claim it could not start went back to the queue's head:
                // claiming again at once would take it straight back.
                if (!accept(std::move(**c))) {
                    sleep_for(1000);
                    continue;
                }
            }
        }
        // Claim again at once after a success; otherwise wait to be woken.
        if (claimed) continue;
        if (!room) {
            // Full here: a slot this worker may fill opens when one of its
            // runs ends, which notifies cv_. Waiting in the queue backend
            // instead, it took the wake-up a run's end sends from the backend
            // a moment before the run left this worker's count, found no
            // room, and slept the rest of a second with a slot free: a
            // quarter of a busy pool's slots sat idle that way. A second
            // still bounds the wait (a lease lapsed elsewhere, a stop).
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::seconds(1),
                         [&] { return stopping_.load() || slots_held_locked() < d_.scanner.max_concurrent_scans; });
            continue;
        }
        (void)d_.queue->wait_for_work(d_.scanner.instance_id, 1000);
    }
}

std::uint32_t Worker::slots_held_locked() const {
    std::uint32_t n = 0;
    for (const auto& [id, job] : jobs_) {
        // A lost run's scan may still run on the scanner until a later claim
        // resumes it: counted, unless that later claim waits here already
        // (it resumes the same scan, and counts below).
        n += job.held->holds_slot() && !(job.held->lost() && job.next) ? 1 : 0;
        n += job.next ? 1 : 0;
    }
    return n;
}

bool Worker::has_room() {
    std::lock_guard lock(mu_);
    return slots_held_locked() < d_.scanner.max_concurrent_scans;
}

bool Worker::accept(sdk::Claim claim) {
    const std::string id = claim.task.task_id;
    std::shared_ptr<HeldTask> running;
    {
        std::lock_guard lock(mu_);
        if (auto it = jobs_.find(id); it != jobs_.end()) running = it->second.held;
    }
    // Claimed again while its run goes on (the lease lapsed and the task came
    // back to this worker): that run continues under the new lease. Outside
    // the worker's lock: adopting writes the record.
    if (running && running->adopt(claim, *d_.store)) {
        spdlog::warn("task {}: claimed again while running here; the run goes on under the new lease", id);
        return true;
    }
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {  // its run is ending, or lost: a fresh run follows it
        if (it->second.next) (void)d_.queue->release(it->second.next->claim(), it->second.next->claim().task.payload);
        it->second.next = std::make_shared<HeldTask>(std::move(claim));
        return true;
    }
    // The entry first: the run reads it as it starts (it waits for this lock).
    jobs_[id].held = std::make_shared<HeldTask>(claim);
    try {
        d_.threads->run([this, claim] { run_job(claim); });
    } catch (const std::exception& e) {
        // No thread to run it on: the claim goes back untouched for a
        // worker (this one, a second later) that can.
        jobs_.erase(id);
        spdlog::error("task {}: no thread to run it on ({}); handed back", id, e.what());
        (void)d_.queue->release(claim, claim.task.payload);
        return false;
    }
    ++active_;
    return true;
}

void Worker::run_job(const sdk::Claim& claim) {
    const std::string id = claim.task.task_id;
    std::shared_ptr<HeldTask> held;
    {
        std::lock_guard lock(mu_);
        held = jobs_[id].held;
    }
    while (true) {
        std::function<void()> free_slot;
        if (vacate_) {
            free_slot = [this, held] {
                // As many finishing as running at most: a scanner whose
                // exports are slower than its scans holds its slots instead
                // of piling up exports on it.
                if (!held->vacate(*vacate_, d_.scanner.max_concurrent_scans)) return;
                std::lock_guard lock(mu_);
                cv_.notify_all();  // the dispatcher may claim into the slot
            };
        }
        TaskRun(
            d_, circuit_, stopping_, [this](std::int64_t ms) { return sleep_for(ms); }, held, board_.get(),
            std::move(free_slot))
            .run();
        held->close();
        std::lock_guard lock(mu_);
        auto it = jobs_.find(id);
        if (it != jobs_.end() && it->second.next && !stopping_.load()) {
            held = std::move(it->second.next);
            it->second.held = held;
            continue;
        }
        if (it != jobs_.end() && it->second.next) {  // stopping: give the later claim back untouched
            const auto later = it->second.next->claim();
            (void)d_.queue->release(later, later.task.payload);
        }
        --active_;
        if (it != jobs_.end()) jobs_.erase(it);
        cv_.notify_all();  // stop() waits for the last entry to go
        return;
    }
}

}  // namespace scanorch::framework
