// What one scanner's running scans are doing, from one listing per poll
// interval shared by every run of its worker (sdk::ScanList), instead of a
// status request per run per interval.
//
// Each listing asks for the scans changed since the previous one answered,
// and the board keeps the latest listed state of every watched scan. A run
// watches its scan before launching it, so every change after that is in
// some later listing. What happened before a watch (a scan resumed after a
// hand-back, which may have ended meanwhile) no listing shows again: such a
// run polls its scan itself first. The board's first question only asks the
// scanner for its clock, never for its whole history; a watch made before
// that answer is told to poll its scan once after it.
//
// Nobody lists while nobody waits: the listing is made by one of the waiting
// runs, when one is due, and every waiting run wakes when it ends. So an
// idle worker costs nothing, and a scan that ends is noticed one interval
// (and a request) later at most, as with polling. While listings fail they
// are made less and less often (up to a minute apart), and the runs poll
// their scans themselves every interval meanwhile.
//
// A listing carries states, not progress: runs still poll their own scan
// now and then for that, and to notice a scan that vanished from the
// scanner, which a listing of changes cannot show.
#pragma once

#include <algorithm>
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
    /// `period`: listings start at least this far apart; `scanner` names
    /// the scanner in the log.
    ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period, std::string scanner);
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
        Watch(ScanBoard& board, std::string scan_id, std::uint64_t seen, bool based)
            : board_(board), scan_id_(std::move(scan_id)), seen_(seen), based_(based) {}
        ScanBoard& board_;
        const std::string scan_id_;
        std::uint64_t seen_;  ///< the last listing this watch was told of
        bool based_;          ///< the listings since it began cover every change after it
    };
    std::unique_ptr<Watch> watch(const std::string& scan_id);

    enum class Outcome {
        listed,   ///< `scan` is the state the listings since the watch began gave
        poll,     ///< poll the scan yourself this round (a listing failed, or none can vouch yet)
        stopped,  ///< interrupt(): the worker stops
    };
    struct Seen {
        Outcome outcome = Outcome::listed;
        /// The watched scan's latest listed state; nullopt while no listing
        /// since the watch began has named it (its state has not changed).
        std::optional<sdk::ListedScan> scan;
        std::optional<sdk::Error> error;  ///< why `poll`, when a listing failed
    };
    /// Waits for the next listing this watch has not been told of, making it
    /// when one is due and no other run is making it; about one period at
    /// most when another run's listing is slow (then what the board knew
    /// already) or listings are backed off (then `poll`), so a run still
    /// checks for a cancel every period. Returns at once when listings ended
    /// while the run was away from the board.
    Seen next(Watch& w);

    /// Every next() returns `stopped`, now and from now on.
    void interrupt();

    std::uint64_t listings() const;  ///< made so far (for tests and metrics)

    /// Listings are this far apart at most while they fail (or one period,
    /// if that is longer).
    static constexpr std::chrono::seconds kMaxBackoff{60};
    /// A run on the board polls its own scan at least this often, whatever
    /// progress_write_ms says: the safety net for a scan deleted on the
    /// scanner. A board is worth having only with a shorter period.
    static constexpr std::chrono::seconds kOwnPollAtMost{60};
    /// How often a run on the board polls its own scan, for a given
    /// workers.progress_write_ms.
    static std::chrono::milliseconds own_poll_every(std::int64_t progress_write_ms) {
        return std::min<std::chrono::milliseconds>(std::chrono::milliseconds(progress_write_ms), kOwnPollAtMost);
    }

private:
    void unwatch(const std::string& scan_id);
    void list(std::unique_lock<std::mutex>& lock);  ///< makes one listing; the lock is released meanwhile
    Seen seen_by(Watch& w);

    struct Entry {
        std::size_t watchers = 0;
        std::optional<sdk::ListedScan> listed;
    };

    sdk::ScanList& list_;
    const std::chrono::milliseconds period_;
    const std::string scanner_;
    mutable std::mutex mu_;
    std::condition_variable cv_;    ///< a listing ended, or interrupt()
    std::uint64_t generation_ = 0;  ///< listings ended
    bool listing_ = false;          ///< one is being made
    bool interrupted_ = false;
    std::chrono::steady_clock::time_point next_due_{};
    std::optional<std::int64_t> as_of_;     ///< of the last listing that succeeded; none yet: ask for a start
    std::optional<sdk::Error> last_error_;  ///< of the last listing, if it failed
    std::uint32_t failures_ = 0;            ///< listings failed in a row
    std::chrono::steady_clock::time_point last_warned_{};
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace scanorch::framework
