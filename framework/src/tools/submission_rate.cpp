#include "scanorch/framework/tools/submission_rate.h"

#include <spdlog/spdlog.h>

#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/sdk/extensions.h"

namespace scanorch::framework {

namespace {

// Two windows: a count must still be readable as "the previous hour" for the
// whole of the next one.
constexpr std::int64_t kCounterTtlMs = 2 * SubmissionRate::kWindowMs;

std::string who(const std::string& client) { return client.empty() ? "anonymous callers" : "client '" + client + "'"; }

}  // namespace

std::int64_t sliding_count(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms, std::int64_t window_ms) {
    const std::int64_t remaining = window_ms - std::min(std::max<std::int64_t>(elapsed_ms, 0), window_ms);
    // Rounded up: a quota errs on the side of the limit.
    return current + (previous * remaining + window_ms - 1) / window_ms;
}

std::int64_t wait_for_room(std::int64_t previous, std::int64_t current, std::int64_t elapsed_ms, std::int64_t window_ms,
                           std::int64_t limit) {
    if (sliding_count(previous, current + 1, elapsed_ms, window_ms) <= limit) return 0;
    if (current + 1 <= limit && previous > 0) {
        // The previous window's weight falls linearly: find when it leaves room.
        const std::int64_t room = limit - current - 1;  // of `previous`, this much may still count
        const std::int64_t remaining_allowed = room * window_ms / previous;
        return std::max<std::int64_t>(window_ms - elapsed_ms - remaining_allowed, 1);
    }
    // This window alone is full: its count becomes the next window's
    // "previous" and fades from there.
    return (window_ms - elapsed_ms) + wait_for_room(current, 0, 0, window_ms, limit);
}

sdk::Result<std::shared_ptr<const SubmissionRate>> SubmissionRate::make(const LimitSettings& limits,
                                                                         std::shared_ptr<sdk::Queue> queue,
                                                                         const std::string& backend_name) {
    if (!limits.any()) return std::shared_ptr<const SubmissionRate>();
    auto* counters = static_cast<sdk::SharedCounters*>(queue->extension(sdk::kQueueCounters));
    if (!counters) {
        return sdk::Error::invalid_input("limits: per-client submission rates need a queue backend with shared counters, "
                                         "and '" + backend_name + "' has none (use redis-queue or memory-queue)");
    }
    return std::shared_ptr<const SubmissionRate>(new SubmissionRate(limits, std::move(queue), counters));
}

std::int64_t SubmissionRate::limit_for(const std::string& client) const {
    if (auto it = limits_.client_submissions_per_hour.find(client); it != limits_.client_submissions_per_hour.end()) {
        return it->second;
    }
    return limits_.submissions_per_hour;
}

SubmissionRate::Ticket::~Ticket() {
    if (committed_ || !counters_) return;
    if (auto r = counters_->add(key_, -1, kCounterTtlMs); !r) {
        // The count stays one too high until its window ends: a stricter
        // limit for a while, never a looser one.
        spdlog::warn("could not give back a submission count ({}): {}", key_, r.error().message);
    }
}

sdk::Result<std::optional<SubmissionRate::Ticket>> SubmissionRate::take(const std::string& client, std::int64_t now_ms) const {
    const std::int64_t limit = limit_for(client);
    if (limit <= 0) return std::optional<Ticket>();
    const std::int64_t window = now_ms / kWindowMs;
    const std::int64_t elapsed = now_ms - window * kWindowMs;
    const std::string key = shared_keys::submissions(client, window);
    // Count first, then decide: concurrent submitters each see their own
    // increment, so no race lets more than the limit through.
    auto current = counters_->add(key, 1, kCounterTtlMs);
    if (!current) return sdk::Error::transient("queue backend unreachable, nothing was queued: " + current.error().message);
    Ticket ticket(counters_, key);
    auto previous = counters_->add(shared_keys::submissions(client, window - 1), 0, kCounterTtlMs);
    if (!previous) return sdk::Error::transient("queue backend unreachable, nothing was queued: " + previous.error().message);
    if (sliding_count(*previous, *current, elapsed, kWindowMs) <= limit) return std::optional<Ticket>(std::move(ticket));
    const auto wait_s = (wait_for_room(*previous, *current - 1, elapsed, kWindowMs, limit) + 999) / 1000;
    return sdk::Error::capacity(who(client) + " reached the limit of " + std::to_string(limit) +
                                " scan submissions per hour; the next one fits in about " + std::to_string(wait_s) + " s");
}

}  // namespace scanorch::framework
