#include "scanorch/framework/workers/scan_board.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

namespace scanorch::framework {

ScanBoard::ScanBoard(sdk::ScanList& list, std::chrono::milliseconds period, std::string scanner)
    : list_(list), period_(period), scanner_(std::move(scanner)) {}

ScanBoard::~ScanBoard() {
    interrupt();
    if (lister_.joinable()) lister_.join();
}

ScanBoard::Watch::~Watch() { board_.unwatch(*this); }

std::unique_ptr<ScanBoard::Watch> ScanBoard::watch(const std::string& scan_id) {
    const std::lock_guard lock(mu_);
    // Told of no listing yet: one in flight now applies to this watch when it
    // ends. It may have been answered before the watch began, which is fine:
    // the one after asks for every change since that answer. Before the
    // board has any answer, no listing can vouch for what happens until the
    // first one: the watch is told to poll once after it.
    auto [it, inserted] = entries_.try_emplace(scan_id);
    std::unique_ptr<Watch> w;
    try {
        it->second.watches.reserve(it->second.watches.size() + 1);  // nothing below throws once the watch exists
        w.reset(new Watch(*this, scan_id, generation_, as_of_.has_value()));
    } catch (...) {
        if (inserted) entries_.erase(it);
        throw;
    }
    it->second.watches.push_back(w.get());
    // Each watch, not only the first: a start that failed is tried again.
    const bool started = start_lister_locked();
    if (++watches_ == 1 || started) lister_cv_.notify_one();
    return w;
}

bool ScanBoard::start_lister_locked() noexcept {
    // At the first watch, not with the worker: a scanner that never runs a
    // scan here costs no thread.
    if (lister_.joinable() || interrupted_) return false;
    try {
        lister_ = std::thread([this] { lister_loop(); });
        return true;
    } catch (const std::exception& e) {
        // No listings: the board's first answer never comes, so its runs
        // poll their scans every period, as without a board. The next
        // watch tries again.
        spdlog::warn("scanner '{}': no thread for its scan listings ({}); its runs poll their own", scanner_, e.what());
        return false;
    }
}

void ScanBoard::unwatch(Watch& w) {
    const std::lock_guard lock(mu_);
    --watches_;
    auto it = entries_.find(w.scan_id());
    if (it == entries_.end()) return;
    auto& watches = it->second.watches;
    watches.erase(std::remove(watches.begin(), watches.end(), &w), watches.end());
    if (watches.empty()) entries_.erase(it);
}

ScanBoard::Seen ScanBoard::next(Watch& w, Clock::time_point by) {
    std::unique_lock lock(mu_);
    if (w.poll_pending_) {
        // Its period runs from the end of the poll it was told to make: a
        // poll slower than a period (retries, a slow scanner) is not
        // followed by another at once.
        w.poll_pending_ = false;
        w.polled_ = Clock::now();
    }
    for (;;) {
        if (interrupted_) return {Outcome::stopped, std::nullopt, std::nullopt};
        const auto now = Clock::now();
        // The board cannot vouch while its listings fail, nor before its
        // first answer: the run polls at each failed listing and every
        // period meanwhile, as it would without the board (and no more
        // often, however soon its own checks are due).
        const bool unvouched = last_error_ || !as_of_;
        if (last_error_ && failed_ > w.seen_) return told_to_poll(w);
        if (unvouched && now >= w.polled_ + period_) return told_to_poll(w);
        // The first answer since the watch began: one poll covers the time
        // before it, the listings from it every change after.
        if (!unvouched && !w.based_) return told_to_poll(w);
        const auto it = unvouched ? entries_.end() : entries_.find(w.scan_id());
        const bool changed = it != entries_.end() && it->second.changed > w.seen_;
        if (changed || now >= by) {
            w.seen_ = generation_;
            if (unvouched) return {Outcome::due, std::nullopt, last_error_};
            return {Outcome::listed, it != entries_.end() ? it->second.listed : std::nullopt, std::nullopt};
        }
        w.cv_.wait_until(lock, unvouched ? std::min(by, w.polled_ + period_) : by);
    }
}

ScanBoard::Seen ScanBoard::told_to_poll(Watch& w) {
    w.seen_ = generation_;
    w.poll_pending_ = true;  // its period starts when it next waits (next())
    // Once the board has an answer, the poll covers everything before it and
    // the next listing asks from that answer: the watch is vouched for from
    // here, even if this poll is for a failed listing.
    if (as_of_) w.based_ = true;
    return {Outcome::poll, std::nullopt, last_error_};
}

void ScanBoard::lister_loop() {
    std::unique_lock lock(mu_);
    while (!interrupted_) {
        if (watches_ == 0) {
            // Nobody watches: no listing until somebody does.
            lister_cv_.wait(lock);
        } else if (Clock::now() < next_due_) {
            lister_cv_.wait_until(lock, next_due_);
        } else {
            list(lock);
        }
    }
}

void ScanBoard::list(std::unique_lock<std::mutex>& lock) {
    const auto started = Clock::now();
    const auto since = as_of_.value_or(sdk::kScanListStart);
    lock.unlock();
    // Outside the lock: runs keep watching, waking and unwatching meanwhile.
    auto listed = list_.list_scans(since);
    lock.lock();
    const auto generation = generation_ + 1;
    if (listed) {
        if (failures_ > 0) spdlog::info("scanner '{}': its scan list answers again", scanner_);
        failures_ = 0;
        last_error_.reset();
        const bool first = !as_of_;
        as_of_ = listed->as_of;
        if (since != sdk::kScanListStart) {
            for (auto& s : listed->scans) {
                auto it = entries_.find(s.scan_id);
                if (it == entries_.end()) continue;
                auto& e = it->second;
                // Listed again in the same state (its progress moved): no run
                // has anything new to act on.
                if (e.listed && e.listed->state == s.state && e.listed->scanner_status == s.scanner_status) continue;
                e.listed = std::move(s);
                e.changed = generation;
                for (auto* w : e.watches) w->cv_.notify_one();
            }
        }
        next_due_ = started + period_;
        generation_ = generation;
        if (first) {
            // The watches older than this answer poll their scans once now.
            for (auto& [id, e] : entries_) {
                for (auto* w : e.watches) {
                    if (!w->based_) w->cv_.notify_one();
                }
            }
        }
        return;
    }
    // as_of_ stays: the next listing covers this one's changes too.
    // Backed off, so a scanner that cannot list (or not this way) is not
    // asked in vain every interval beside the runs' own polls.
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
    failed_ = generation;
    generation_ = generation;
    wake_all_locked();
}

void ScanBoard::wake_all_locked() {
    for (auto& [id, e] : entries_) {
        for (auto* w : e.watches) w->cv_.notify_one();
    }
}

void ScanBoard::interrupt() {
    const std::lock_guard lock(mu_);
    interrupted_ = true;
    lister_cv_.notify_all();
    wake_all_locked();
}

std::uint64_t ScanBoard::listings() const {
    const std::lock_guard lock(mu_);
    return generation_;
}

}  // namespace scanorch::framework
