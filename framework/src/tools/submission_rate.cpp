#include "scanorch/framework/tools/submission_rate.h"

#include <spdlog/spdlog.h>

#include <numeric>
#include <vector>

#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/sdk/extensions.h"

namespace scanorch::framework {

namespace sw = submission_window;

namespace {

// A bucket must still be readable while it is one of the 13 counted.
constexpr std::int64_t kCounterTtlMs = static_cast<std::int64_t>(sw::kBuckets + 1) * sw::kBucketMs;

std::string who(const std::string& client) { return client.empty() ? "anonymous callers" : "client '" + client + "'"; }

sdk::Error unreachable(const sdk::Error& e) {
    return sdk::Error::transient("queue backend unreachable, nothing was queued: " + e.message);
}

}  // namespace

std::int64_t sw::total(const Counts& counts) { return std::accumulate(counts.begin(), counts.end(), std::int64_t{0}); }

std::int64_t sw::wait_for_room(const Counts& counts, std::int64_t elapsed_ms, std::int64_t limit) {
    if (limit <= 0) return 0;  // no limit: never waits
    // After k more bucket boundaries the k oldest buckets no longer count.
    std::int64_t remaining = total(counts);
    for (std::size_t k = 0; k < counts.size(); ++k) {
        if (remaining + 1 <= limit)
            return k == 0 ? 0 : (kBucketMs - elapsed_ms) + static_cast<std::int64_t>(k - 1) * kBucketMs;
        remaining -= counts[k];
    }
    return (kBucketMs - elapsed_ms) + static_cast<std::int64_t>(counts.size() - 1) * kBucketMs;
}

sdk::Result<std::shared_ptr<const SubmissionRate>> SubmissionRate::make(const LimitSettings& limits,
                                                                        std::shared_ptr<sdk::QueueBackend> queue,
                                                                        const std::string& backend_name) {
    if (!limits.any()) return std::shared_ptr<const SubmissionRate>();
    // The host's queue wrapper asks only plugins built for 1.2 or later.
    auto* counters = static_cast<sdk::SharedCounters*>(queue->extension(sdk::kQueueCounters));
    if (!counters) {
        return sdk::Error::invalid_input(
            "limits: per-client submission rates need a queue backend with shared counters, "
            "and '" +
            backend_name + "' has none (use redis-queue or memory-queue)");
    }
    return std::make_shared<const SubmissionRate>(limits, std::move(queue), counters);
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
        // The count stays one too high until its bucket ages out: a stricter
        // limit for a while, never a looser one.
        spdlog::warn("could not give back a submission count ({}): {}", key_, r.error().message);
    }
}

sdk::Result<std::optional<SubmissionRate::Ticket>> SubmissionRate::take(const std::string& client,
                                                                        std::int64_t now_ms) const {
    const std::int64_t limit = limit_for(client);
    if (limit <= 0) return std::optional<Ticket>();
    const std::int64_t bucket = now_ms / sw::kBucketMs;
    const std::int64_t elapsed = now_ms - bucket * sw::kBucketMs;
    const std::string key = shared_keys::submissions(client, bucket);
    // Count first, then decide: concurrent submitters each see their own
    // increment, so no race lets more than the limit through.
    auto current = counters_->add(key, 1, kCounterTtlMs);
    if (!current) return unreachable(current.error());
    Ticket ticket(counters_, key);
    std::vector<std::string> older;
    for (std::int64_t b = bucket - static_cast<std::int64_t>(sw::kBuckets) + 1; b < bucket; ++b) {
        older.push_back(shared_keys::submissions(client, b));
    }
    auto values = counters_->read(older);
    if (!values) return unreachable(values.error());
    if (values->size() != older.size())
        return sdk::Error::internal("shared counters answered the wrong number of values");
    sw::Counts counts{};
    std::copy(values->begin(), values->end(), counts.begin());
    counts.back() = *current;
    if (sw::total(counts) <= limit) return std::optional<Ticket>(std::move(ticket));
    counts.back() -= 1;  // this one is given back as `ticket` goes
    const auto wait_s = (sw::wait_for_room(counts, elapsed, limit) + 999) / 1000;
    return sdk::Error::capacity(who(client) + " reached the limit of " + std::to_string(limit) +
                                " scan submissions per hour; the next one fits in about " + std::to_string(wait_s) +
                                " s");
}

}  // namespace scanorch::framework
