#include "scanorch/framework/workers/scan_board.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace scanorch::framework {

ScanBoard::ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period, std::string scanner)
    : list_(list), period_(period), scanner_(std::move(scanner)) {}

ScanBoard::Watch::~Watch() { board_.unwatch(scan_id_); }

std::unique_ptr<ScanBoard::Watch> ScanBoard::watch(const std::string& scan_id) {
    const std::lock_guard lock(mu_);
    ++entries_[scan_id].watchers;
    // Told of no listing yet: one in flight now applies to this watch when it
    // ends. It may have been answered before the watch began, which is fine:
    // the one after asks for every change since that answer. Before the
    // board has any answer, no listing can vouch for what happens until the
    // first one: the watch is told to poll once after it.
    return std::unique_ptr<Watch>(new Watch(*this, scan_id, generation_, as_of_.has_value()));
}

void ScanBoard::unwatch(const std::string& scan_id) {
    const std::lock_guard lock(mu_);
    auto it = entries_.find(scan_id);
    if (it != entries_.end() && --it->second.watchers == 0) entries_.erase(it);
}

ScanBoard::Seen ScanBoard::next(Watch& w) {
    std::unique_lock lock(mu_);
    // While listings are backed off the run waits one period, then polls.
    const auto give_up = std::chrono::steady_clock::now() + period_;
    for (;;) {
        if (interrupted_) return {Outcome::stopped, std::nullopt, std::nullopt};
        if (generation_ > w.seen_) {
            w.seen_ = generation_;
            return seen_by(w);
        }
        const auto now = std::chrono::steady_clock::now();
        if (!listing_ && now >= next_due_) {
            list(lock);
            continue;
        }
        if (now >= give_up) {
            // Another run's listing is slow, or listings are backed off: the
            // run goes on with what the board knows (its watch is told of
            // the listing when it ends), or polls if the board cannot vouch.
            if (listing_ && !last_error_ && w.based_) return seen_by(w);
            return {Outcome::poll, std::nullopt, last_error_};
        }
        cv_.wait_until(lock, listing_ ? give_up : std::min(next_due_, give_up));  // a listing's end notifies
    }
}

void ScanBoard::list(std::unique_lock<std::mutex>& lock) {
    listing_ = true;
    const auto started = std::chrono::steady_clock::now();
    const auto since = as_of_.value_or(sdk::kScanListStart);
    lock.unlock();
    // Outside the lock: runs keep watching and unwatching meanwhile, and a
    // stop is not held up by the scanner's answer.
    auto listed = list_.list_scans(since);
    lock.lock();
    listing_ = false;
    if (listed) {
        if (failures_ > 0) spdlog::info("scanner '{}': its scan list answers again", scanner_);
        failures_ = 0;
        last_error_.reset();
        as_of_ = listed->as_of;
        if (since != sdk::kScanListStart) {
            for (auto& s : listed->scans) {
                if (auto it = entries_.find(s.scan_id); it != entries_.end()) it->second.listed = std::move(s);
            }
        }
        next_due_ = started + period_;
    } else {
        // as_of_ stays: the next listing covers this one's changes too.
        // Backed off, so a scanner that cannot list (or not this way) is
        // not asked in vain every interval beside the runs' own polls.
        last_error_ = std::move(listed).error();
        ++failures_;
        const auto backoff =
            std::min<std::chrono::milliseconds>(period_ * (std::int64_t{1} << std::min<std::uint32_t>(failures_, 16)),
                                                std::max<std::chrono::milliseconds>(period_, kMaxBackoff));
        next_due_ = started + backoff;
        if (failures_ == 1 || started - last_warned_ >= kMaxBackoff) {
            last_warned_ = started;
            spdlog::warn("scanner '{}': cannot list its scans ({} in a row: {}); its runs poll their own", scanner_,
                         failures_, last_error_->message);
        }
    }
    ++generation_;
    cv_.notify_all();
}

ScanBoard::Seen ScanBoard::seen_by(Watch& w) {
    if (last_error_) return {Outcome::poll, std::nullopt, last_error_};
    if (!w.based_) {
        // The board's first answer has come since the watch began: from here
        // the listings cover every change, and one poll covers the time before.
        if (as_of_) w.based_ = true;
        return {Outcome::poll, std::nullopt, std::nullopt};
    }
    Seen seen;
    if (auto it = entries_.find(w.scan_id()); it != entries_.end()) seen.scan = it->second.listed;
    return seen;
}

void ScanBoard::interrupt() {
    {
        const std::lock_guard lock(mu_);
        interrupted_ = true;
    }
    cv_.notify_all();
}

std::uint64_t ScanBoard::listings() const {
    const std::lock_guard lock(mu_);
    return generation_;
}

}  // namespace scanorch::framework
