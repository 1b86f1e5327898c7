// A task's findings, written to the store's index while the validator
// streams the export (sdk::FindingEmitter), in batches fenced by the run's
// lease: the host never parses a scanner's file format to index results.
//
// Typical use in a task run:
//   FindingWriter writer(store.findings(), task_id, lease_token, now_ms);
//   FindingsIndexing how;
//   auto verdict = validate_with_findings(validator, validator_abi_minor, request, &writer, &how);
//   if (!verdict && writer.fenced()) -> the lease moved: end the run as lost
//   if (how != FindingsIndexing::indexed) -> log that the results cannot be queried
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/validator.h"

namespace scanorch::framework {

/// Batching and retries of a FindingWriter.
struct FindingBatching {
    // Each commit rewrites every index page it touched, and a scan's
    // findings land all over the (plugin_id, ...) and (host, ...) indexes:
    // 5000 a commit wrote a third fewer pages than 2000 (indexing_bench),
    // and the byte bound below keeps a batch of long outputs small.
    std::size_t max_findings = 5000;          ///< a batch is written when it holds this many findings
    std::size_t max_bytes = 8 * 1024 * 1024;  ///< ... or this much text, whichever comes first
    std::uint32_t attempts = 8;  ///< tries of one write when the store answers transient (~13 s in all: a failover)
    std::chrono::milliseconds backoff{100};  ///< before the 2nd try; doubles for each next one
};

/// Writes one run's findings into the index. One writer per run; begin(),
/// accept() and finish() are called from the thread that validates, and the
/// batches are written on a thread of the writer's own, so validating the
/// next batch overlaps writing the last one (indexing costs about what the
/// slower of the two does, not their sum). Memory: two batches, the one
/// filling and the one being written; a full batch waits for the write
/// before it to end, so a slow store slows the validator instead of
/// buffering the export.
///
/// Errors are sticky: after the first, every call returns it and writes
/// nothing. A write's error reaches the validating thread at the next
/// batch handed over, or at drain()/finish(). A write refused because the
/// task's lease_token is no longer this run's is `forbidden`, and fenced()
/// says so, so the run can end as lost rather than fail a task that another
/// worker now owns.
class FindingWriter final : public sdk::FindingSink {
public:
    /// `default_seen_at_ms` stands in for a finding whose seen_at_ms is 0
    /// (the export did not say when the host was scanned).
    FindingWriter(sdk::FindingIndex& index, std::string task_id, std::string lease_token,
                  std::int64_t default_seen_at_ms, FindingBatching batching = {});
    /// The run's lease token as it is at each write: a run that adopts a
    /// newer claim of its task mid-validation (HeldTask::adopt moves the
    /// record's token and the run's together) goes on writing under it. A
    /// write refused while the token moved is made again under the new one.
    /// Called from the writing thread: it must be thread-safe.
    FindingWriter(sdk::FindingIndex& index, std::string task_id, std::function<std::string()> lease_token,
                  std::int64_t default_seen_at_ms, FindingBatching batching = {});
    /// Waits for the batch being written, if any: its rows are the run's.
    ~FindingWriter() override;
    FindingWriter(const FindingWriter&) = delete;
    FindingWriter& operator=(const FindingWriter&) = delete;

    /// Drops what an earlier run of the task indexed (fenced, retried like a
    /// batch) and starts counting from 0. Call before the validator runs.
    sdk::Result<void> begin() noexcept;

    /// Buffers the finding and hands the batch to the writing thread once
    /// it is full. The findings must come numbered 0, 1, 2, ... (the
    /// validator's contract); a gap or a repeat is `internal`.
    sdk::Result<void> accept(const sdk::Finding& finding) noexcept override;

    /// Waits until the batches handed over so far are written; their error,
    /// if one failed. The batch still filling stays buffered.
    sdk::Result<void> drain() noexcept;

    /// Writes what is still buffered, waits for it, and checks that the
    /// index holds every finding written (a database that crashed may have
    /// lost batches that committed without waiting for the disk: then
    /// `transient`, to be indexed again). Call after the validator returned.
    sdk::Result<void> finish() noexcept;

    /// Findings the index holds from this run (batches written so far).
    std::uint64_t written() const noexcept { return written_.load(); }
    /// The lease moved to another claim: nothing more was written.
    bool fenced() const noexcept { return fenced_.load(); }
    /// The error that stopped the writer, if one did. Read it after
    /// drain() or finish().
    std::optional<sdk::Error> error() const;

private:
    /// Hands batch_ to the writing thread once the previous one is written.
    sdk::Result<void> hand_over() noexcept;
    void write_batches() noexcept;
    /// One batch into the index, fenced; counted in written_ when it went in.
    sdk::Result<void> write_batch(const std::vector<sdk::Finding>& batch) noexcept;
    /// One fenced store call with the transient retries.
    sdk::Result<void> fenced_call(std::string_view what,
                                  const std::function<sdk::Result<bool>(const std::string& token)>& call) noexcept;
    sdk::Result<void> fail(sdk::Error error) noexcept;
    sdk::Result<void> failure() const;

    sdk::FindingIndex& index_;
    std::string task_id_;
    static constexpr std::uint32_t kMaxAdoptions = 8;
    std::function<std::string()> token_;
    std::int64_t default_seen_at_ms_;
    FindingBatching batching_;
    // The validating thread's: the batch filling.
    std::vector<sdk::Finding> batch_;
    std::size_t batch_bytes_ = 0;
    std::uint64_t next_seq_ = 0;
    bool warned_text_ = false;  ///< a finding's text had to be made storable (logged once)
    // Shared with the writing thread, under mutex_.
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<sdk::Finding> writing_;  ///< the batch handed over; empty once written
    bool stopping_ = false;
    std::optional<sdk::Error> failed_;
    std::atomic<bool> has_failed_{false};  ///< failed_ is set: accept() checks it without the lock
    std::atomic<bool> fenced_{false};
    std::atomic<std::uint64_t> written_{0};
    std::thread thread_;  ///< started at the first batch handed over
};

/// How validate_with_findings() went about the findings.
enum class FindingsIndexing {
    indexed,      ///< the validator emitted them and the writer stored them all
    no_writer,    ///< no writer was given: plain validate()
    not_offered,  ///< the validator offers no FindingEmitter: plain validate()
};

constexpr std::string_view to_string(FindingsIndexing i) noexcept {
    switch (i) {
        case FindingsIndexing::indexed: return "indexed";
        case FindingsIndexing::no_writer: return "no_writer";
        case FindingsIndexing::not_offered: return "not_offered";
    }
    return "not_offered";
}

/// The validator's FindingEmitter, asked for only when the plugin was built
/// for ABI 1.3 or later (`validator_abi_minor`, Host::abi_minor_of); nullptr
/// when older or not offered.
sdk::FindingEmitter* finding_emitter(sdk::Validator& validator, std::uint32_t validator_abi_minor) noexcept;

/// Validates `request` and, when the validator can emit findings and a
/// writer is given, indexes them in the same pass: writer->begin(), the
/// emitter's validate_and_emit() into the writer, writer->finish(). Without
/// a writer, plain validate(). With a writer but no emitter, the task's
/// earlier findings are still cleared (begin()), so the index never shows
/// another export's results, then plain validate().
///
/// The verdict is validate()'s. An error is the writer's (fenced(): the
/// lease moved; else the store's, after retries) or the validator's own.
/// `indexing` (optional) receives which way it went.
sdk::Result<sdk::ValidationResult> validate_with_findings(sdk::Validator& validator, std::uint32_t validator_abi_minor,
                                                          const sdk::ValidationRequest& request, FindingWriter* writer,
                                                          FindingsIndexing* indexing = nullptr);

}  // namespace scanorch::framework
