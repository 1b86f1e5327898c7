#include "scanorch/framework/workers/task_run.h"
#include "scanorch/framework/workers/finding_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/runtime/late_job.h"
#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/framework/tasks/task_payload.h"

namespace scanorch::framework {

namespace {

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// A claim's lease token as a file-name part: export files are per attempt.
std::string attempt_name(const sdk::Claim& c) {
    std::string name = std::to_string(c.task.attempts + 1) + "-";
    for (const char ch : c.lease_token) {
        if (name.size() >= 24) break;
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) name += ch;
    }
    return name;
}

// An export this small is validated and indexed in a few tens of
// milliseconds: a `validating` phase that short is seen by no reader, and
// writing it cost one durable write in six per scan. A larger one records
// the phase before it is read.
constexpr std::uintmax_t kExportShownValidating = 1 << 20;

// Most exports take a second or two; a reader polling a task every few
// seconds would rarely see an `exporting` phase that short, and writing it
// was one durable write in five per scan. A slower export shows it while it
// lasts (recorded from this bound on).
constexpr std::chrono::milliseconds kExportShownAfter{2000};

// Most scans' exports, validation and ending take a second or two: giving
// the slot back then would cost a queue round trip per scan and run the
// next scan's start beside this one's export for little gain. A large
// export takes minutes, while the scanner could be running its next scan.
constexpr std::chrono::milliseconds kSlotKeptAfterScan{2000};

// The record says the task runs, in `phase`; started_at stays the first start's.
void start_in(TaskRecord& t, TaskPhase phase) {
    t.status = TaskStatus::running;
    t.phase = phase;
    if (t.started_at == 0) t.started_at = now_ms();
}

}  // namespace

TaskRun::TaskRun(const WorkerDeps& deps, CircuitBreaker& circuit, const std::atomic<bool>& stopping, Sleeper sleep,
                 std::shared_ptr<HeldTask> held, ScanBoard* board, std::function<void()> free_slot)
    : d_(deps),
      circuit_(circuit),
      stopping_(stopping),
      sleep_(std::move(sleep)),
      held_(std::move(held)),
      id_(held_->task_id()),
      board_(board),
      free_slot_(std::move(free_slot)) {}

void TaskRun::run() noexcept {
    try {
        Next next = take_over();
        while (const Step* s = std::get_if<Step>(&next)) next = step(*s);
        if (slot_job_) slot_job_->settle();  // the ending frees the slot, and ends the claim it was freed from
        held_->close();                      // from here a re-claim starts a fresh run, not this one
        conclude(std::get<Ending>(next));
    } catch (const std::exception& e) {  // a bug must not cost the slot or the task
        spdlog::error("task {}: unexpected error: {}", id_, e.what());
        if (slot_job_) slot_job_->settle();
        held_->close();  // before the claim is given up: the heartbeat must not call that a loss
        try {
            fail_task({FailureKind::internal, std::string("internal error: ") + e.what(), false});
        } catch (...) {
            (void)d_.queue->dead_letter(held_->claim(), "internal error");
        }
        held_->close();
    }
}

TaskRun::Next TaskRun::step(Step s) {
    switch (s) {
        case Step::open_credentials: return open_credentials();
        case Step::wait_for_client_slot: return wait_for_client_slot();
        case Step::ensure_scan: return ensure_scan();
        case Step::await_scan: return await_scan();
        case Step::export_results: return export_results();
        case Step::validate: return validate();
    }
    return Failed{FailureKind::internal, "unknown step", false};
}

// ------------------------------------------------------------------ steps

TaskRun::Next TaskRun::take_over() {
    const auto claim = held_->claim();
    const std::string& me = d_.scanner.instance_id;
    const auto w = held_->take_over(
        *d_.store,
        [&](TaskRecord& t) {
            t.attempts = claim.task.attempts + 1;
            if (!t.scan.empty() && t.scan.scanner != me) return;  // not ours to run: moved below
            if (t.scan.empty() && (t.client_cap == 0 || t.client.empty())) {
                // Nothing stands between the claim and creating the scan (no
                // client cap to wait for; credentials open here): the
                // take-over records that step too, one durable write fewer.
                start_in(t, TaskPhase::creating);
            } else {
                t.phase = TaskPhase::claimed;
            }
            t.scanner_instance = me;
            t.scanner_url = d_.scanner.url;
            t.scanner_pool = d_.scanner.pool;
        },
        task_);
    const bool foreign_scan = !task_.scan.empty() && task_.scan.scanner != me;
    switch (w) {
        case WriteOutcome::written:
        case WriteOutcome::unchanged: break;
        case WriteOutcome::cancelled:
            if (foreign_scan) return MoveToOwner{};  // its owner stops the scan
            scan_ = task_.scan;
            return Cancelled{};
        case WriteOutcome::ended:
        case WriteOutcome::fenced: spdlog::info("task {}: already ended or gone; nothing to run", id_); return Lost{};
        case WriteOutcome::failed:
            // The store is away: the task goes back to its queue untouched,
            // after a pause, so workers do not spin through the queue while it is.
            spdlog::warn("task {}: its record cannot be written now; handed back", id_);
            (void)sleep_(2000);
            return HandedBack{false};
    }
    if (foreign_scan) return MoveToOwner{};
    scan_ = task_.scan;  // a resumed scan is this run's to stop on cancel, whatever step that comes in
    request_.task_id = id_;
    request_.name = task_.name;
    request_.description = task_.description;
    request_.targets = task_.targets;
    request_.scan_type = task_.scan_type;
    return Step::open_credentials;
}

TaskRun::Next TaskRun::open_credentials() {
    // A resumed scan was created with them already.
    if (task_.scan_type == sdk::ScanType::untrusted || !task_.scan.empty()) return Step::wait_for_client_slot;
    if (!d_.sealer) return fail(sdk::Error::permanent("no credential key is configured"), false);
    auto creds = d_.sealer->open_credentials(sealed_credentials_of(held_->claim().task.payload), id_);
    if (!creds) return fail(creds.error(), false);
    request_.credentials = std::move(creds).value();
    return Step::wait_for_client_slot;
}

// The submitting client's cap, checked again now: submissions through other
// API processes may have raced past it. Waiting keeps the claim (and the
// task's turn) until one of the client's scans ends.
TaskRun::Next TaskRun::wait_for_client_slot() {
    if (task_.client_cap == 0 || task_.client.empty()) return Step::ensure_scan;
    bool waiting = false;
    while (true) {
        auto s = ClientSlot::try_acquire(d_.queue, task_.client, task_.client_cap, id_, d_.options.lease_ms);
        if (s && s->has_value()) {
            held_->hold_client_slot(std::move(*s));
            return Step::ensure_scan;
        }
        if (!s) {
            spdlog::warn("task {}: cannot check client '{}''s scan cap: {}", id_, task_.client, s.error().message);
        } else if (!waiting) {
            waiting = true;
            spdlog::info("task {}: client '{}' already runs {} scans (its limit); waiting for one to end", id_,
                         task_.client, task_.client_cap);
            if (auto e = after_write(write([](TaskRecord& t) {
                    t.phase = TaskPhase::waiting_for_client_slot;
                    return true;
                })))
                return *e;
        }
        if (!sleep_(d_.options.poll_ms)) return HandedBack{};
        if (auto e = checkpoint()) return *e;
    }
}

TaskRun::Next TaskRun::ensure_scan() {
    const std::string& me = d_.scanner.instance_id;
    if (!scan_.empty()) {  // ours (take_over moved any other): resume it
        spdlog::info("task {}: resuming scan {} on '{}'", id_, scan_.id, me);
        watch_scan();  // before the poll: what the poll misses, a listing shows
        resumed_ = true;
        auto p = with_retry("poll scan", [&] { return d_.plugin->poll_scan(scan_.id); });
        // The last holder stopped between creating and launching it.
        if (p && p->state == sdk::ScanState::created) {
            (void)with_retry("launch scan", [&] { return d_.plugin->launch_scan(scan_.id); });
        }
        if (auto e = after_write(write([](TaskRecord& t) {
                start_in(t, TaskPhase::scanning);
                return true;
            })))
            return *e;
        return Step::await_scan;
    }
    if (d_.scope) {
        if (auto in = d_.scope->check(task_.targets); !in) {
            return fail(sdk::Error{in.error().kind, "refused at start: " + in.error().message}, false);
        }
    }
    if (task_.status != TaskStatus::running || task_.phase != TaskPhase::creating) {
        if (auto e = after_write(write([](TaskRecord& t) {
                start_in(t, TaskPhase::creating);
                return true;
            })))
            return *e;
    } else if (auto e = checkpoint()) {
        // The take-over wrote 'creating': a cancel (or a lost lease) since
        // then must still stop the run before a scan exists, as the write
        // here used to.
        return *e;
    }
    auto created = with_retry("create scan", [&] { return d_.plugin->create_scan(request_); });
    request_.credentials = {};  // not needed past creation
    if (!created) {
        if (stopping_) return HandedBack{};
        return fail(created.error(), created.error().kind != sdk::ErrorKind::invalid_input);
    }
    scan_ = {me, *created};
    // Recorded before launching: whoever holds the task next resumes this
    // scan instead of starting another (launching it if it is still only
    // created). A run that cannot record it (the task was cancelled, or
    // passed to another worker) removes it again. Readers see it scanning
    // from here: the launch is one request, and the first poll need not
    // write the phase again.
    if (auto e = after_write(write([&](TaskRecord& t) {
            t.scan = scan_;
            t.phase = TaskPhase::scanning;
            return true;
        }))) {
        if (!std::holds_alternative<Cancelled>(*e)) forget_scan();
        return *e;
    }
    watch_scan();  // before the launch: each change it causes is in a later listing
    auto launched = with_retry("launch scan", [&] { return d_.plugin->launch_scan(scan_.id); });
    if (!launched) {
        if (stopping_) return HandedBack{};  // recorded: the next holder launches it
        return fail(launched.error(), true);
    }
    return Step::await_scan;
}

TaskRun::Next TaskRun::await_scan() {
    // Progress is what a status reader sees move, not state anyone resumes
    // from: it is recorded at most every progress_write_ms (the phase went
    // with the scan id), so a pool of hundreds of scans polled every few
    // seconds does not turn each poll into a durable write.
    int last_progress = task_.phase == TaskPhase::scanning ? task_.progress : -2;
    auto last_write = std::chrono::steady_clock::now();
    // When the scan itself last answered. On the board, a run still polls
    // its scan at least every progress_write_ms (a minute at most):
    // listings carry no progress, and cannot show a scan that vanished from
    // the scanner. A resumed scan is polled in the first round, as without
    // the board: it may have ended before this run watched it, and no
    // listing shows a change made before the one it follows.
    // Between the board's wake-ups (its scan changed, a listing failed) the
    // run wakes only for its own checks: a cancel or a lost lease every
    // cancel_check_ms, its own poll every own_poll_every.
    const auto own_poll_every = ScanBoard::own_poll_every(d_.options.progress_write_ms);
    const auto check_every = std::chrono::milliseconds(d_.options.cancel_check_ms);
    auto last_poll = std::chrono::steady_clock::now();
    auto last_check = last_poll;
    bool poll_first = resumed_;
    sdk::ScanProgress progress;
    while (true) {
        if (watch_) {
            const auto by = poll_first ? std::chrono::steady_clock::now()
                                       : std::min(last_check + check_every, last_poll + own_poll_every);
            const auto seen = board_->next(*watch_, by);
            if (seen.outcome == ScanBoard::Outcome::stopped) return HandedBack{};
            if (auto e = checkpoint()) return *e;
            last_check = std::chrono::steady_clock::now();
            const bool poll_due = poll_first || last_check - last_poll >= own_poll_every;
            if (seen.outcome != ScanBoard::Outcome::poll && !poll_due) {
                if (!seen.scan || !sdk::is_terminal(seen.scan->state)) continue;
                progress.state = seen.scan->state;
                progress.scanner_status = seen.scan->scanner_status;
                if (progress.state == sdk::ScanState::completed) polled_progress_ = 100;
                progress.progress_pct = polled_progress_;
                break;
            }
            // The board cannot vouch this round (a failed listing, a watch
            // older than its first answer), or a poll is due: ask the scan.
        } else if (!sleep_(d_.options.poll_ms)) {
            // A pause first: a scan just launched (or resumed, which polled
            // it already) has nothing new to say at once.
            return HandedBack{};
        } else if (auto e = checkpoint()) {
            return *e;
        }
        auto p = with_retry("poll scan", [&] { return d_.plugin->poll_scan(scan_.id); });
        last_poll = std::chrono::steady_clock::now();
        poll_first = false;
        if (!p) {
            if (stopping_) return HandedBack{};
            return fail(p.error(), true);
        }
        progress = *p;
        polled_progress_ = progress.progress_pct;
        if (sdk::is_terminal(progress.state)) break;
        const auto now = std::chrono::steady_clock::now();
        if (progress.progress_pct != last_progress &&
            (last_progress == -2 || now - last_write >= std::chrono::milliseconds(d_.options.progress_write_ms))) {
            last_progress = progress.progress_pct;
            last_write = now;
            if (auto e = after_write(write([&](TaskRecord& t) {
                    t.phase = TaskPhase::scanning;
                    t.progress = std::max(0, progress.progress_pct);
                    return true;
                })))
                return *e;
        }
    }
    watch_.reset();  // the scan has ended: no listing need name it for this run
    if (progress.state == sdk::ScanState::cancelled) {
        return fail(sdk::Error::permanent("the scan was stopped on the scanner (" + progress.scanner_status + ")"),
                    false);
    }
    if (progress.state == sdk::ScanState::aborted) {
        return fail(sdk::Error::transient("the scanner aborted scan " + scan_.id), true);
    }
    return Step::export_results;
}

TaskRun::Next TaskRun::export_results() {
    if (auto e = checkpoint()) return *e;
    // The scan no longer runs on the scanner: if what follows it (export,
    // validation, the ending) outlasts kSlotKeptAfterScan, the slot starts
    // the scanner's next scan meanwhile. The claim stays held (renewed,
    // reclaimed if this process dies), so the task is no less safe.
    if (free_slot_ && !slot_job_) slot_job_.emplace(d_.late_jobs->after(kSlotKeptAfterScan, free_slot_));
    // The phase is recorded only if the export outlasts kExportShownAfter,
    // from a thread of its own while this one waits on the scanner. Until
    // settled, that write owns `shown`; after, this thread does.
    struct Shown {
        WriteOutcome outcome = WriteOutcome::unchanged;
        TaskRecord record;
    };
    auto shown = std::make_shared<Shown>();
    LateJob late = d_.late_jobs->after(
        kExportShownAfter, [held = held_, store = d_.store, shown, polled = polled_progress_, stopping = &stopping_] {
            if (*stopping) return;  // the hand-back writes the record next
            shown->outcome = held->write(
                *store,
                [polled](TaskRecord& t) {
                    t.phase = TaskPhase::exporting;
                    // The last value polled: a throttled one may not have been recorded.
                    if (polled >= 0) t.progress = polled;
                    return true;
                },
                &shown->record);
        });
    export_path_ = d_.store->export_path(id_, attempt_name(held_->claim())).string();
    auto exported = with_retry("export", [&] { return d_.plugin->export_scan(scan_.id, export_path_); });
    const bool ran = late.settle();
    if (ran && shown->outcome == WriteOutcome::written) {
        task_ = std::move(shown->record);
    } else {
        // Not shown (nor when the store was away for it: an outage is the
        // ending's to meet, not this phase's): the next write records the
        // progress.
        progress_unrecorded_ = true;
        if (ran && shown->outcome != WriteOutcome::failed) {
            if (auto e = after_write(shown->outcome)) return *e;
        }
    }
    if (!exported) {
        if (stopping_) return HandedBack{};
        return fail(exported.error(), true);
    }
    circuit_.record(false);
    // A long export may have outlived a stop or a cancel; the file is this
    // attempt's own, so whoever goes on exports again into theirs.
    if (auto e = checkpoint()) return *e;
    return Step::validate;
}

TaskRun::Next TaskRun::validate() {
    std::error_code ec;
    const auto size = std::filesystem::file_size(export_path_, ec);
    if (ec || size >= kExportShownValidating) {
        if (auto e = after_write(write([&](TaskRecord& t) {
                t.phase = TaskPhase::validating;
                t.export_path = export_path_;
                record_progress(t);
                return true;
            })))
            return *e;
    } else {
        // The checkpoint after the export stood in for this write's check
        // for a cancel; the path is recorded with the ending.
        export_unrecorded_ = true;
    }
    if (!d_.validator) return Completed{};
    // Findings are indexed in the validator's one pass over the export,
    // fenced by this run's lease: a run that lost the task writes nothing.
    FindingWriter writer(
        d_.store->findings(), id_, [held = held_] { return held->token(); }, now_ms());
    FindingsIndexing indexing = FindingsIndexing::no_writer;
    auto v = validate_with_findings(*d_.validator, d_.validator_abi_minor,
                                    {export_path_, task_.scan_type, task_.targets}, &writer, &indexing);
    if (!v) (void)writer.drain();  // a refusal still in flight decides the ending below
    if (!v && writer.fenced()) return Lost{};
    if (!v && writer.error() && writer.error()->kind == sdk::ErrorKind::transient) {
        // The scan is done and kept: whoever runs the task next exports and
        // indexes again, rather than a store outage failing a finished scan.
        spdlog::warn("task {}: its findings cannot be indexed now ({}); handed back to index them again", id_,
                     writer.error()->message);
        return HandedBack{};
    }
    if (!v) return fail(v.error(), false);
    if (indexing != FindingsIndexing::indexed) {
        spdlog::warn("task {}: the validator does not emit findings ({}): its results cannot be queried", id_,
                     to_string(indexing));
    }
    // Recorded with the ending (complete or fail_task): one durable write
    // fewer per scan, and a run that stops before its ending validates again.
    verdict_ = *v;
    const bool trusted = task_.scan_type != sdk::ScanType::untrusted;
    const bool auth_failed = v->authentication_status == sdk::AuthStatus::failed;
    if (trusted && (auth_failed || v->authentication_status == sdk::AuthStatus::unknown) && d_.metrics) {
        d_.metrics->auth_failure(d_.scanner.instance_id, std::string(sdk::to_string(task_.scan_type)));
    }
    if (!v->is_valid) {
        return Failed{trusted && auth_failed ? FailureKind::authentication : FailureKind::validation, v->error, false};
    }
    return Completed{};
}

// -------------------------------------------------------------- plumbing

void TaskRun::watch_scan() {
    if (board_ && !watch_) watch_ = board_->watch(scan_.id);
}

std::optional<TaskRun::Ending> TaskRun::checkpoint() {
    if (stopping_) return HandedBack{};
    if (held_->lost()) return Lost{};
    const auto token = held_->token();
    auto current = d_.store->load_shared(id_);
    if (!current)
        return current.error().kind == sdk::ErrorKind::not_found ? std::optional<Ending>(Lost{}) : std::nullopt;
    if ((*current)->status == TaskStatus::cancelled) return Cancelled{};
    // Compared only when no re-claim was adopted while the record was read:
    // adopt() moves the record's token and the run's together.
    if ((*current)->lease_token != token && held_->token() == token) return Lost{};
    return std::nullopt;
}

WriteOutcome TaskRun::write(const std::function<bool(TaskRecord&)>& change) {
    return held_->write(*d_.store, change, &task_);
}

std::optional<TaskRun::Ending> TaskRun::after_write(WriteOutcome w) {
    switch (w) {
        case WriteOutcome::written:
        case WriteOutcome::unchanged: return std::nullopt;
        case WriteOutcome::cancelled: return Cancelled{};
        case WriteOutcome::ended:
        case WriteOutcome::fenced: return Lost{};
        case WriteOutcome::failed: return HandedBack{};  // someone may do better; the record is as it was
    }
    return Lost{};
}

TaskRun::Ending TaskRun::fail(sdk::Error e, bool scanner_fault) {
    return Failed{failure_kind(e.kind), std::move(e.message), scanner_fault};
}

template <class F>
auto TaskRun::with_retry(const char* what, F&& f) -> decltype(f()) {
    auto r = f();
    for (int attempt = 0; attempt < d_.options.retries && !r.ok() && r.error().retryable(); ++attempt) {
        const std::int64_t wait = d_.options.retry_base_ms << attempt;
        spdlog::warn("scanner '{}': {} failed ({}); retry {} of {} in {} ms", d_.scanner.instance_id, what,
                     r.error().message, attempt + 1, d_.options.retries, wait);
        if (!sleep_(wait) || held_->lost()) break;
        r = f();
    }
    return r;
}

// -------------------------------------------------------------- endings

void TaskRun::conclude(const Ending& e) {
    std::visit(Overloaded{
                   [&](const Completed&) { complete(); },
                   [&](const Failed& f) { fail_task(f); },
                   [&](const Cancelled&) { cancel(); },
                   [&](const HandedBack& h) { hand_back(h); },
                   [&](const MoveToOwner&) { move_to_owner(); },
                   [&](const Lost&) {
                       spdlog::warn("task {}: this worker's lease is gone; it changes nothing more", id_);
                       held_->drop_client_slot(false);
                       // Frees the slot when the lease is still ours (the task ended another way).
                       (void)d_.queue->complete(held_->claim());
                   },
               },
               e);
}

// The scan's last polled progress, when no write since the scan ended has
// carried it (its `exporting` phase was not shown).
void TaskRun::record_progress(TaskRecord& t) const {
    if (progress_unrecorded_ && polled_progress_ >= 0) t.progress = polled_progress_;
}

// The validator's verdict, and the export when its path was not recorded
// yet, written with the run's ending.
void TaskRun::record_results(TaskRecord& t) const {
    if (export_unrecorded_) t.export_path = export_path_;
    record_progress(t);
    if (!verdict_) return;
    t.validation_stats = verdict_->stats;
    t.validation_warnings = verdict_->warnings;
    t.authentication_status = verdict_->authentication_status;
}

void TaskRun::complete() {
    const auto w = write([&](TaskRecord& t) {
        record_results(t);
        t.status = TaskStatus::completed;
        t.phase = TaskPhase::done;
        t.progress = 100;
        t.completed_at = now_ms();
        t.lease_token.clear();
        return true;
    });
    if (w != WriteOutcome::written) return conclude(after_write(w).value_or(Lost{}));
    if (auto r = d_.queue->complete(held_->claim()); !r) spdlog::warn("task {}: {}", id_, r.error().message);
    held_->drop_client_slot(true);
    if (d_.options.delete_scans && !scan_.empty()) (void)d_.plugin->delete_scan(scan_.id);
    record_duration();
    if (d_.metrics) d_.metrics->task_finished(d_.scanner.instance_id, "completed");
    spdlog::info("task {} completed on '{}' (authentication {})", id_, d_.scanner.instance_id,
                 verdict_ ? sdk::to_string(verdict_->authentication_status) : std::string_view("not checked"));
    // Exports of earlier attempts (a worker that lost its lease) are not results.
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(d_.store->dir(id_), ec)) {
        const auto name = f.path().filename().string();
        if (name.rfind("scan-", 0) == 0 && f.path() != export_path_) std::filesystem::remove(f.path(), ec);
    }
}

void TaskRun::fail_task(const Failed& f) {
    const auto w = write([&](TaskRecord& t) {
        record_results(t);
        t.status = TaskStatus::failed;
        t.phase = TaskPhase::done;
        t.dead_letter = true;
        t.error = f.message;
        t.failure = f.kind;
        t.completed_at = now_ms();
        t.lease_token.clear();
        return true;
    });
    if (w != WriteOutcome::written) return conclude(after_write(w).value_or(Lost{}));
    // Counted only for a run that still owned the task: a stale run's
    // not_found on a scan its successor finished is no scanner fault.
    if (f.scanner_fault) circuit_.record(true);
    spdlog::warn("task {} failed on '{}' ({}): {}", id_, d_.scanner.instance_id, to_string(f.kind), f.message);
    if (verdict_) {
        spdlog::warn("task {}: authentication {}", id_, sdk::to_string(verdict_->authentication_status));
    }
    // The record says dead_letter; the entry must exist too, or no retry can find it.
    auto dl = d_.queue->dead_letter(held_->claim(), f.message);
    for (int attempt = 0; attempt < 3 && !dl && dl.error().kind == sdk::ErrorKind::transient; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(d_.options.retry_base_ms << attempt));
        dl = d_.queue->dead_letter(held_->claim(), f.message);
    }
    if (!dl) spdlog::error("task {}: could not move to the dead-letter queue: {}", id_, dl.error().message);
    held_->drop_client_slot(true);
    forget_scan();  // a retry starts a fresh scan
    if (d_.metrics) d_.metrics->task_finished(d_.scanner.instance_id, "failed");
}

void TaskRun::cancel() {
    forget_scan();
    if (auto r = d_.queue->complete(held_->claim()); !r) spdlog::warn("task {}: {}", id_, r.error().message);
    held_->drop_client_slot(true);
    if (d_.metrics) d_.metrics->task_finished(d_.scanner.instance_id, "cancelled");
    spdlog::info("task {}: cancelled", id_);
}

void TaskRun::hand_back(const HandedBack& how) {
    // A record this claim never took over still names the run before it
    // (whose own hand-back could not be written while the store was away):
    // writing it under this claim's token would be refused, and the task
    // then dropped as lost. The next holder's take-over rewrites it.
    const auto w = how.record_taken_over ? write([&](TaskRecord& t) {
        t.status = TaskStatus::queued;
        t.phase = TaskPhase::queued;
        t.lease_token.clear();
        record_progress(t);
        return true;
    })
                                         : WriteOutcome::failed;
    if (w == WriteOutcome::cancelled) return cancel();
    if (w == WriteOutcome::fenced || w == WriteOutcome::ended) return conclude(Lost{});
    // Written, or the store is away: either way the queue gets the task back,
    // so a store outage never drops it (whoever claims it next rewrites the
    // record as it takes the task over).
    held_->drop_client_slot(true);
    const auto claim = held_->claim();
    if (scan_.empty()) {
        auto r = d_.queue->release(claim, claim.task.payload);
        spdlog::info("task {}: handed back to its queue ({})", id_, r ? "ok" : r.error().message);
        return;
    }
    // Its scan runs here: back to the head of this scanner's own queue, so
    // only this scanner resumes it.
    sdk::QueueTask task = claim.task;
    task.scanner_id = d_.scanner.instance_id;
    auto done = d_.queue->complete(claim);
    auto r = done ? d_.queue->enqueue_front(task) : sdk::Result<void>(std::move(done).error());
    spdlog::info("task {}: handed back to the head of '{}''s queue with scan {} ({})", id_, task.scanner_id, scan_.id,
                 r ? "ok" : r.error().message + "; housekeeping re-queues it");
}

void TaskRun::move_to_owner() {
    const auto owner = task_.scan.scanner;
    const auto* cfg = d_.pool ? d_.pool->find(owner) : nullptr;
    if (!cfg || !cfg->enabled) {
        return fail_task({FailureKind::permanent,
                          "its scan " + task_.scan.id + " was started on scanner '" + owner + "', which is " +
                              (cfg ? "disabled" : "no longer configured") + "; submit the scan again",
                          false});
    }
    if (task_.status != TaskStatus::cancelled) {
        const auto w = write([&](TaskRecord& t) {
            t.status = TaskStatus::queued;
            t.phase = TaskPhase::queued;
            t.queue = owner;
            t.scanner_instance = owner;
            t.scanner_url = cfg->url;
            t.scanner_pool = cfg->pool;
            t.lease_token.clear();
            return true;
        });
        if (w == WriteOutcome::fenced || w == WriteOutcome::ended) return conclude(Lost{});
    }
    const auto claim = held_->claim();
    sdk::QueueTask task = claim.task;
    task.scanner_id = owner;
    auto done = d_.queue->complete(claim);
    auto r = done ? d_.queue->enqueue_front(task) : sdk::Result<void>(std::move(done).error());
    spdlog::info("task {}: its scan {} lives on '{}'; moved to the head of that scanner's queue ({})", id_,
                 task_.scan.id, owner, r ? "ok" : r.error().message + "; housekeeping re-queues it");
}

void TaskRun::forget_scan() {
    if (scan_.empty()) return;
    if (auto r = with_retry("stop scan", [&] { return d_.plugin->stop_scan(scan_.id); }); !r) {
        spdlog::error("task {}: scan {} on '{}' could not be stopped: {}", id_, scan_.id, d_.scanner.instance_id,
                      r.error().message);
    }
    if (d_.options.delete_scans) (void)d_.plugin->delete_scan(scan_.id);
    spdlog::info("task {}: scan {} stopped on '{}'", id_, scan_.id, d_.scanner.instance_id);
    scan_ = {};
}

// Observed scan durations feed estimated_wait_time (a moving average): the
// scanner's own and the pool's, both read in one step.
void TaskRun::record_duration() {
    if (task_.started_at <= 0) return;
    const std::int64_t took = now_ms() - task_.started_at;
    const std::vector<std::string> keys = {shared_keys::duration(d_.scanner.instance_id), shared_keys::duration("")};
    auto old = d_.queue->kv_get_many(keys);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::int64_t avg = took;
        if (old && i < old->size() && (*old)[i]) {
            try {
                avg = (std::stoll(*(*old)[i]) * 7 + took * 3) / 10;
            } catch (const std::exception&) {
            }
        }
        (void)d_.queue->kv_set(keys[i], std::to_string(avg), 0);
    }
}

}  // namespace scanorch::framework
