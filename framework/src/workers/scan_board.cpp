#include "scanorch/framework/workers/scan_board.h"

namespace scanorch::framework {

ScanBoard::ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period) : list_(list), period_(period) {}

ScanBoard::Watch::~Watch() { board_.unwatch(scan_id_); }

std::unique_ptr<ScanBoard::Watch> ScanBoard::watch(const std::string& scan_id) {
    const std::lock_guard lock(mu_);
    ++entries_[scan_id].watchers;
    // Told of no listing yet: one in flight now applies to this watch when it
    // ends. It may have been answered before the watch began, which is fine:
    // the one after asks for every change since that answer.
    return std::unique_ptr<Watch>(new Watch(*this, scan_id, generation_));
}

void ScanBoard::unwatch(const std::string& scan_id) {
    const std::lock_guard lock(mu_);
    auto it = entries_.find(scan_id);
    if (it != entries_.end() && --it->second.watchers == 0) entries_.erase(it);
}

ScanBoard::Seen ScanBoard::next(Watch& w) {
    std::unique_lock lock(mu_);
    for (;;) {
        if (interrupted_) return {Outcome::stopped, std::nullopt, std::nullopt};
        if (generation_ > w.seen_) {
            w.seen_ = generation_;
            Seen seen;
            if (last_error_) {
                seen.outcome = Outcome::list_failed;
                seen.error = last_error_;
            }
            if (auto it = entries_.find(w.scan_id()); it != entries_.end()) seen.scan = it->second.listed;
            return seen;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!listing_ && now >= last_start_ + period_) {
            listing_ = true;
            last_start_ = now;
            const auto since = as_of_;
            lock.unlock();
            // Outside the lock: runs keep watching and unwatching meanwhile,
            // and a stop is not held up by the scanner's answer.
            auto listed = list_.list_scans(since);
            lock.lock();
            listing_ = false;
            if (listed) {
                as_of_ = listed->as_of;
                last_error_.reset();
                for (auto& s : listed->scans) {
                    if (auto it = entries_.find(s.scan_id); it != entries_.end()) it->second.listed = std::move(s);
                }
            } else {
                // as_of_ stays: the next listing covers this one's changes too.
                last_error_ = std::move(listed).error();
            }
            ++generation_;
            cv_.notify_all();
            continue;
        }
        if (listing_) {
            cv_.wait(lock);
        } else {
            cv_.wait_until(lock, last_start_ + period_);
        }
    }
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
