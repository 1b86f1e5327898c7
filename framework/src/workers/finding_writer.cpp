#include "scanorch/framework/workers/finding_writer.h"

#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/finding_text.h"
#include "scanorch/sdk/utf8.h"

namespace scanorch::framework {

namespace {

// What a finding costs in a batch: its text, plus the fixed part.
std::size_t weight(const sdk::Finding& f) {
    return sizeof(sdk::Finding) + sdk::text_bytes(f) + f.cves.size() * sizeof(std::string);
}

// A validator may send any bytes (one built by a third party, or an export
// that is not what it claims): a database refuses text that is not UTF-8 or
// holds NUL, and with it the whole batch. Made storable here, once for every
// store; true when something had to change.
bool make_storable(sdk::Finding& f) {
    bool changed = false;
    for (std::string* s : sdk::text_fields(f)) changed = sdk::make_storable_text(*s) || changed;
    for (auto& cve : f.cves) changed = sdk::make_storable_text(cve) || changed;
    return changed;
}

}  // namespace

FindingWriter::FindingWriter(sdk::FindingIndex& index, std::string task_id, std::string lease_token,
                             std::int64_t default_seen_at_ms, FindingBatching batching)
    : FindingWriter(
          index, std::move(task_id), [token = std::move(lease_token)] { return token; }, default_seen_at_ms, batching) {
}

FindingWriter::FindingWriter(sdk::FindingIndex& index, std::string task_id, std::function<std::string()> lease_token,
                             std::int64_t default_seen_at_ms, FindingBatching batching)
    : index_(index),
      task_id_(std::move(task_id)),
      token_(std::move(lease_token)),
      default_seen_at_ms_(default_seen_at_ms),
      batching_(batching) {
    if (batching_.max_findings == 0) batching_.max_findings = 1;
    if (batching_.attempts == 0) batching_.attempts = 1;
}

FindingWriter::~FindingWriter() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

sdk::Result<void> FindingWriter::begin() noexcept {
    (void)drain();  // an earlier pass's last batch: its error is replaced below, unless it was the lease's
    if (fenced_) return failure();  // a lost lease does not come back
    batch_.clear();
    batch_bytes_ = 0;
    next_seq_ = 0;
    written_ = 0;
    {
        const std::lock_guard lock(mutex_);
        failed_.reset();
        has_failed_ = false;
    }
    return fenced_call("clear the findings of an earlier run",
                       [&](const std::string& token) { return index_.clear(task_id_, token); });
}

sdk::Result<void> FindingWriter::accept(const sdk::Finding& finding) noexcept {
    if (has_failed_.load(std::memory_order_acquire)) return failure();
    if (finding.seq != next_seq_) {
        // The index pages by seq: a gap or a repeat would lose or hide a result.
        return fail(sdk::Error::internal("task '" + task_id_ + "': the validator sent finding " +
                                         std::to_string(finding.seq) + " where " + std::to_string(next_seq_) +
                                         " was due (findings must be numbered 0, 1, 2, ... in export order)"));
    }
    try {
        batch_.push_back(finding);
    } catch (const std::exception& e) {
        return fail(sdk::Error::internal("task '" + task_id_ + "': buffering a finding: " + e.what()));
    }
    ++next_seq_;
    if (make_storable(batch_.back()) && !warned_text_) {
        warned_text_ = true;  // once per run: an export like that has many
        spdlog::warn(
            "task {}: finding {} has text that is not valid UTF-8 or holds NUL bytes; stored with "
            "U+FFFD for each invalid byte and without the NULs (later ones too, not logged)",
            task_id_, batch_.back().seq);
    }
    if (batch_.back().seen_at_ms == 0) batch_.back().seen_at_ms = default_seen_at_ms_;
    batch_bytes_ += weight(batch_.back());
    if (batch_.size() >= batching_.max_findings || batch_bytes_ >= batching_.max_bytes) return hand_over();
    return {};
}

sdk::Result<void> FindingWriter::drain() noexcept {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return writing_.empty(); });
    if (failed_) return *failed_;
    return {};
}

sdk::Result<void> FindingWriter::finish() noexcept {
    if (has_failed_.load(std::memory_order_acquire)) return failure();
    if (!thread_.joinable() && !batch_.empty()) {
        // Every finding fitted in one batch (most scans): written on this
        // thread rather than on one started, and woken, for that one batch.
        auto r = write_batch(batch_);
        batch_.clear();
        batch_bytes_ = 0;
        if (!r) return r;
    } else if (auto handed = hand_over(); !handed) {
        return handed;
    }
    if (auto drained = drain(); !drained) return drained;
    // Batches may commit without waiting for the disk: a database that
    // crashed and came back while this run rode the outage out can have
    // lost some. The count is checked once all are in; the task's own next
    // state change is a durable commit, which makes them all durable.
    sdk::FindingPageQuery q;
    q.task_id = task_id_;
    q.limit = 1;
    q.count = true;
    auto page = index_.page(q);
    if (!page) {
        auto e = std::move(page).error();
        e.message = "task '" + task_id_ + "': cannot count its indexed findings: " + e.message;
        return fail(std::move(e));
    }
    if (page->total && *page->total != next_seq_) {
        return fail(sdk::Error::transient("task '" + task_id_ + "': the index holds " + std::to_string(*page->total) +
                                          " of the " + std::to_string(next_seq_) +
                                          " findings written (the database lost batches: a crash?); they must be "
                                          "indexed again"));
    }
    return {};
}

sdk::Result<void> FindingWriter::hand_over() noexcept {
    if (batch_.empty()) return {};
    std::optional<sdk::Error> refused;
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return writing_.empty(); });
        if (failed_) {
            refused = failed_;
        } else {
            writing_.swap(batch_);  // batch_ takes the written one's storage: its capacity is reused
            if (!thread_.joinable()) {
                try {
                    thread_ = std::thread([this] { write_batches(); });
                } catch (const std::exception& e) {
                    refused =
                        sdk::Error::internal("task '" + task_id_ + "': cannot start the findings writer: " + e.what());
                    failed_ = refused;
                    has_failed_ = true;
                    writing_.clear();
                }
            }
        }
    }
    batch_.clear();
    batch_bytes_ = 0;
    if (refused) return *refused;
    changed_.notify_all();
    return {};
}

void FindingWriter::write_batches() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [&] { return !writing_.empty() || stopping_; });
        if (writing_.empty()) return;
        // writing_ is this thread's until it is empty again: the validating
        // thread touches it only under the lock, and only when empty.
        lock.unlock();
        (void)write_batch(writing_);  // a failure is kept by fail(), for the validating thread
        lock.lock();
        writing_.clear();
        changed_.notify_all();
    }
}

sdk::Result<void> FindingWriter::write_batch(const std::vector<sdk::Finding>& batch) noexcept {
    const auto first = batch.front().seq, last = batch.back().seq;
    auto r = fenced_call("write findings " + std::to_string(first) + ".." + std::to_string(last),
                         [&](const std::string& token) { return index_.append(task_id_, token, batch); });
    if (r) written_ += batch.size();
    return r;
}

sdk::Result<void> FindingWriter::fenced_call(
    std::string_view what, const std::function<sdk::Result<bool>(const std::string&)>& call) noexcept {
    try {
        auto wait = batching_.backoff;
        std::uint32_t adopted = 0;
        for (std::uint32_t attempt = 1;; ++attempt) {
            const std::string token = token_();
            auto r = call(token);
            if (r && *r) return {};
            // Refused while the run adopted a newer claim of the task (its
            // token moved with the record's): the run still owns it, so the
            // call goes again under the new token. Bounded: each adoption is
            // a lease that lapsed and came back to this run.
            if (r && token_() != token) {
                if (++adopted <= kMaxAdoptions) {
                    --attempt;
                    continue;
                }
                // Past the bound the run still holds the task: not fenced,
                // which would end it as lost and give up the claim it holds
                // now, dropping a task whose record says it runs. A
                // transient error hands it back to be indexed again.
                return fail(sdk::Error::transient("task '" + task_id_ + "': its lease was claimed again " +
                                                  std::to_string(adopted) + " times while it wrote its findings (" +
                                                  std::string(what) + "); handed back"));
            }
            if (r) {
                fenced_ = true;
                return fail(sdk::Error::forbidden("task '" + task_id_ +
                                                  "': its lease moved to another claim, so this " +
                                                  "run may no longer write its findings (" + std::string(what) + ")"));
            }
            if (!r.error().retryable() || attempt >= batching_.attempts) {
                auto e = std::move(r).error();
                e.message = "task '" + task_id_ + "': cannot " + std::string(what) +
                            (attempt > 1 ? " after " + std::to_string(attempt) + " tries" : std::string()) + ": " +
                            e.message;
                return fail(std::move(e));
            }
            // Said at each try: an operator sees a store that fails, not
            // only validations that take long while it is away.
            spdlog::warn("task {}: cannot {} ({}); try {} of {} in {} ms", task_id_, what, r.error().message,
                         attempt + 1, batching_.attempts,
                         std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
            std::this_thread::sleep_for(wait);
            wait *= 2;
        }
    } catch (const std::exception& e) {
        return fail(sdk::Error::internal("task '" + task_id_ + "': " + std::string(what) + ": " + e.what()));
    }
}

sdk::Result<void> FindingWriter::fail(sdk::Error error) noexcept {
    const std::lock_guard lock(mutex_);
    if (!failed_) failed_ = error;  // the first error is the one that stopped the writer
    has_failed_.store(true, std::memory_order_release);
    return error;
}

sdk::Result<void> FindingWriter::failure() const {
    const std::lock_guard lock(mutex_);
    if (failed_) return *failed_;
    return {};
}

std::optional<sdk::Error> FindingWriter::error() const {
    const std::lock_guard lock(mutex_);
    return failed_;
}

sdk::FindingEmitter* finding_emitter(sdk::Validator& validator,
                                     [[maybe_unused]] std::uint32_t validator_abi_minor) noexcept {
    // kValidatorFindings is part of ABI 2.0: every loadable validator may be
    // asked. (ABI rule 4 gates ids a later 2.x minor adds on this minor.)
    return static_cast<sdk::FindingEmitter*>(validator.extension(sdk::kValidatorFindings));
}

sdk::Result<sdk::ValidationResult> validate_with_findings(sdk::Validator& validator, std::uint32_t validator_abi_minor,
                                                          const sdk::ValidationRequest& request, FindingWriter* writer,
                                                          FindingsIndexing* indexing) {
    auto said = [&](FindingsIndexing how) {
        if (indexing != nullptr) *indexing = how;
    };
    if (writer == nullptr) {
        said(FindingsIndexing::no_writer);
        return validator.validate(request);
    }
    sdk::FindingEmitter* emitter = finding_emitter(validator, validator_abi_minor);
    said(emitter != nullptr ? FindingsIndexing::indexed : FindingsIndexing::not_offered);
    if (auto cleared = writer->begin(); !cleared) return std::move(cleared).error();
    if (emitter == nullptr) return validator.validate(request);
    auto verdict = emitter->validate_and_emit(request, *writer);
    if (!verdict) return verdict;
    if (auto flushed = writer->finish(); !flushed) return std::move(flushed).error();
    return verdict;
}

}  // namespace scanorch::framework
