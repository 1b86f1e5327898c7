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
// The listings are made by the board's own thread, once per period while
// anything is watched, and nothing else: an idle worker costs nothing. A
// listing wakes only the runs whose scan it shows in a new state, so a
// thousand scans running for hours cost one listing per scanner per period
// and no wake-up of their runs until each ends. A run also wakes at the
// time it asks for (its own checks: a cancel, a lost lease, its own poll)
// whatever the listings do; a slow listing holds up no run. While listings
// fail they are made less and less often (up to a minute apart), and the
// waiting runs are told to poll their scans themselves every period.
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
#include <thread>
#include <unordered_map>
#include <vector>

#include "scanorch/sdk/result.h"
#include "scanorch/sdk/scan_list.h"

namespace scanorch::framework {

class ScanBoard {
public:
    using Clock = std::chrono::steady_clock;

    /// `period`: listings start at least this far apart; `scanner` names
    /// the scanner in the log. The listing thread starts at the first watch.
    ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period, std::string scanner);
    /// Stops the listing thread; waits for a listing in flight to end.
    ~ScanBoard();
    ScanBoard(const ScanBoard&) = delete;
    ScanBoard& operator=(const ScanBoard&) = delete;

    /// One run's interest in one scan; unwatched when destroyed, which must
    /// come before the board's end. One thread waits on a watch at a time.
    class Watch {
    public:
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;
        const std::string& scan_id() const { return scan_id_; }

    private:
        friend class ScanBoard;
        Watch(ScanBoard& board, std::string scan_id, std::uint64_t seen, bool based)
            : board_(board), scan_id_(std::move(scan_id)), seen_(seen), based_(based), polled_(Clock::now()) {}
        ScanBoard& board_;
        const std::string scan_id_;
        std::uint64_t seen_;          ///< the last listing this watch was told of
        bool based_;                  ///< the listings since it began cover every change after it
        Clock::time_point polled_;    ///< when it last polled as told (or began)
        bool poll_pending_ = false;   ///< told to poll; its next wait starts the period
        std::condition_variable cv_;  ///< its scan changed, a listing failed, the first answer, a stop
    };
    std::unique_ptr<Watch> watch(const std::string& scan_id);

    enum class Outcome {
        listed,   ///< `scan` is the state the listings gave (a new one, unless `by` came first)
        poll,     ///< poll the scan yourself this round (a listing failed, or none can vouch yet)
        due,      ///< `by` came; the board cannot vouch, and a poll was asked for less than a period ago
        stopped,  ///< interrupt(): the worker stops
    };
    struct Seen {
        Outcome outcome = Outcome::listed;
        /// The watched scan's latest listed state; nullopt while no listing
        /// has named it since the board began watching it (its state has
        /// not changed since).
        std::optional<sdk::ListedScan> scan;
        std::optional<sdk::Error> error;  ///< why `poll` or `due`, when a listing failed
    };
    /// Waits until a listing shows the watched scan in a new state (`listed`),
    /// or until `by` (`listed` with what the board knows, or `due` if it
    /// cannot vouch). Returns `poll` when the board's first answer has come
    /// since an unvouched watch began, when a listing has failed since the
    /// watch was last told, and every period while listings fail or before
    /// the first answer: a run polls that often then, as without the board.
    Seen next(Watch& w, Clock::time_point by);

    /// Every next() returns `stopped`, now and from now on; no listing
    /// starts from now on.
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
    struct Entry {
        std::vector<Watch*> watches;
        std::optional<sdk::ListedScan> listed;
        std::uint64_t changed = 0;  ///< the listing that last gave it a new state
    };

    void unwatch(Watch& w);
    bool start_lister_locked() noexcept;  ///< true if it started the thread now
    void lister_loop();
    void list(std::unique_lock<std::mutex>& lock);  ///< makes one listing; the lock is released meanwhile
    void wake_all_locked();
    Seen told_to_poll(Watch& w);

    sdk::ScanList& list_;
    const std::chrono::milliseconds period_;
    const std::string scanner_;
    mutable std::mutex mu_;
    std::condition_variable lister_cv_;  ///< a first watch, or interrupt()
    std::uint64_t generation_ = 0;       ///< listings ended
    std::uint64_t failed_ = 0;           ///< the last listing that failed
    bool interrupted_ = false;
    Clock::time_point next_due_{};
    std::optional<std::int64_t> as_of_;     ///< of the last listing that succeeded; none yet: ask for a start
    std::optional<sdk::Error> last_error_;  ///< of the last listing, if it failed
    std::uint32_t failures_ = 0;            ///< listings failed in a row
    Clock::time_point last_warned_{};
    std::size_t watches_ = 0;
    std::unordered_map<std::string, Entry> entries_;
    std::thread lister_;  ///< started at the first watch; joined by the destructor
};

}  // namespace scanorch::framework
