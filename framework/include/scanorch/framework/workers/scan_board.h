// What one scanner's running scans are doing, from one listing per poll
// interval shared by every run of its worker (sdk::ScanList), instead of a
// status request per run per interval.
//
// A run watches its scan before launching it (or before the poll that
// resumes it), so every state change after that point is in some listing
// that starts after the watch: each listing asks for the scans changed
// since the previous one answered, and the board keeps the latest state of
// every watched scan it has seen. Nobody lists while nobody waits: the
// listing is made by one of the waiting runs, when one is due, and every
// waiting run wakes when it ends. So an idle worker costs nothing, and a
// scan that ends is noticed one interval (and a request) later at most, as
// with polling.
//
// A listing carries states, not progress: runs still poll their own scan
// now and then for that, and to notice a scan that vanished from the
// scanner, which a listing of changes cannot show.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/scan_list.h"

namespace scanorch::framework {

class ScanBoard {
public:
    /// `period`: listings start at least this far apart.
    ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period);
    ScanBoard(const ScanBoard&) = delete;
    ScanBoard& operator=(const ScanBoard&) = delete;

    /// One run's interest in one scan; unwatched when destroyed, which must
    /// come before the board's end.
    class Watch {
    public:
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;
        const std::string& scan_id() const { return scan_id_; }

    private:
        friend class ScanBoard;
        Watch(ScanBoard& board, std::string scan_id, std::uint64_t seen)
            : board_(board), scan_id_(std::move(scan_id)), seen_(seen) {}
        ScanBoard& board_;
        const std::string scan_id_;
        std::uint64_t seen_;  ///< the last listing this watch was told of
    };
    std::unique_ptr<Watch> watch(const std::string& scan_id);

    enum class Outcome {
        listed,       ///< a listing ended; `scan` is the state it or an earlier one since the watch began gave
        list_failed,  ///< that listing failed (`error`): poll the scan directly this time
        stopped,      ///< interrupt(): the worker stops
    };
    struct Seen {
        Outcome outcome = Outcome::listed;
        /// The watched scan's latest listed state; nullopt while no listing
        /// since the watch began has named it (its state has not changed).
        std::optional<sdk::ListedScan> scan;
        std::optional<sdk::Error> error;
    };
    /// Waits for the next listing this watch has not been told of, making it
    /// when one is due and no other run is making it. Returns at once when
    /// listings ended while the run was away from the board.
    Seen next(Watch& w);

    /// Every next() returns `stopped`, now and from now on.
    void interrupt();

    std::uint64_t listings() const;  ///< made so far (for tests and metrics)

private:
    void unwatch(const std::string& scan_id);

    struct Entry {
        std::size_t watchers = 0;
        std::optional<sdk::ListedScan> listed;
    };

    sdk::ScanList& list_;
    const std::chrono::milliseconds period_;
    mutable std::mutex mu_;
    std::condition_variable cv_;    ///< a listing ended, or interrupt()
    std::uint64_t generation_ = 0;  ///< listings ended
    bool listing_ = false;          ///< one is being made
    bool interrupted_ = false;
    std::chrono::steady_clock::time_point last_start_{};
    std::int64_t as_of_ = 0;  ///< of the last listing that succeeded; 0: none yet, so list everything
    std::optional<sdk::Error> last_error_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace scanorch::framework
