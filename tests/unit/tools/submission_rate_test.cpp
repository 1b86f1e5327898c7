#include <gtest/gtest.h>

#include <map>

#include "scanorch/framework/tools/submission_rate.h"

namespace sf = scanorch::framework;
namespace sw = scanorch::framework::submission_window;
namespace sdk = scanorch::sdk;

namespace {

constexpr std::int64_t kMinute = 60'000;

// The counters as the contract describes them (the backends themselves are
// checked against the same contract in tests/queue_contract); this one
// records every call and can be told to fail.
class RecordingCounters final : public sdk::SharedCounters {
public:
    sdk::Result<std::int64_t> add(const std::string& key, std::int64_t delta, std::int64_t) noexcept override {
        ++adds;
        if (delta < 0) ++give_backs;
        if (fail_adds) return sdk::Error::transient("down");
        auto it = values.find(key);
        if (it == values.end() && delta <= 0) return std::int64_t{0};
        auto& v = values[key];
        v = std::max<std::int64_t>(0, v + delta);
        return v;
    }
    sdk::Result<std::vector<std::int64_t>> read(const std::vector<std::string>& keys) noexcept override {
        if (fail_reads) return sdk::Error::transient("down");
        std::vector<std::int64_t> out;
        for (const auto& k : keys) out.push_back(values.count(k) ? values.at(k) : 0);
        return out;
    }
    std::map<std::string, std::int64_t> values;
    int adds = 0, give_backs = 0;
    bool fail_adds = false, fail_reads = false;
};

sf::LimitSettings limit(std::int64_t n) {
    sf::LimitSettings l;
    l.submissions_per_hour = n;
    l.client_submissions_per_hour["unlimited"] = 0;
    return l;
}

// Submits at `at` and commits when allowed, as a submission that queued.
bool submit(const sf::SubmissionRate& rate, std::int64_t at, const std::string& client = "soc") {
    auto t = rate.take(client, at);
    if (!t) return false;
    if (t->has_value()) (*t)->commit();
    return true;
}

constexpr std::int64_t kStart = 1'800'000'000'000;  // a bucket boundary (divisible by 5 minutes)

}  // namespace

TEST(SubmissionRate, NoSixtyMinutesEverHoldMoreThanTheLimit) {
    static_assert(kStart % sw::kBucketMs == 0);
    RecordingCounters counters;
    const sf::SubmissionRate rate(limit(10), nullptr, &counters);
    // Ten at the very end of a bucket...
    const std::int64_t burst = kStart + sw::kBucketMs - 1;
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(submit(rate, burst)) << i;
    EXPECT_FALSE(submit(rate, burst)) << "the eleventh at once";
    // ...keep counting for the whole of the next 60 minutes, wherever in a bucket the clock is.
    for (std::int64_t at = burst + 1; at < burst + 60 * kMinute; at += 7 * kMinute / 3) {
        EXPECT_FALSE(submit(rate, at)) << (at - burst) / 1000 << " s after the burst";
    }
    EXPECT_FALSE(submit(rate, burst + 60 * kMinute - 1));
    // Room again once the burst's bucket has left the span.
    EXPECT_TRUE(submit(rate, kStart + 13 * sw::kBucketMs));
}

TEST(SubmissionRate, ARefusalGivesItsCountBackExactlyOnce) {
    RecordingCounters counters;
    const sf::SubmissionRate rate(limit(2), nullptr, &counters);
    ASSERT_TRUE(submit(rate, kStart));
    ASSERT_TRUE(submit(rate, kStart + 1000));
    const std::string key = "scanorch:submissions:soc:" + std::to_string(kStart / sw::kBucketMs);
    ASSERT_EQ(counters.values.at(key), 2);
    auto refused = rate.take("soc", kStart + 2000);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, sdk::ErrorKind::capacity);
    EXPECT_NE(refused.error().message.find(
                  "client 'soc' reached the limit of 2 scan submissions per hour; the next one fits in about 3898 s"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(counters.give_backs, 1);
    EXPECT_EQ(counters.values.at(key), 2) << "a refusal leaves the count as it was";
    {
        auto dropped = rate.take("soc2", kStart);  // a submission that then queued nothing
        ASSERT_TRUE(dropped && dropped->has_value());
    }
    EXPECT_EQ(counters.give_backs, 2);
    EXPECT_EQ(counters.values.at("scanorch:submissions:soc2:" + std::to_string(kStart / sw::kBucketMs)), 0);
    // The backend failing after the count: given back, and the error says nothing was queued.
    counters.fail_reads = true;
    auto down = rate.take("soc3", kStart);
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().kind, sdk::ErrorKind::transient);
    EXPECT_EQ(counters.give_backs, 3);
    EXPECT_EQ(counters.values.at("scanorch:submissions:soc3:" + std::to_string(kStart / sw::kBucketMs)), 0);
}

TEST(SubmissionRate, PerClientOverridesAndNoLimit) {
    RecordingCounters counters;
    sf::LimitSettings l = limit(0);
    l.client_submissions_per_hour["ci"] = 1;
    const sf::SubmissionRate rate(l, nullptr, &counters);
    EXPECT_EQ(rate.limit_for("ci"), 1);
    EXPECT_EQ(rate.limit_for("soc"), 0);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(submit(rate, kStart, "soc"));
    EXPECT_EQ(counters.adds, 0) << "no limit: nothing counted";
    EXPECT_TRUE(submit(rate, kStart, "ci"));
    EXPECT_FALSE(submit(rate, kStart, "ci"));
}

TEST(SubmissionRate, TheWaitIsWhenTheOldestBucketsLeave) {
    sw::Counts counts{};
    EXPECT_EQ(sw::wait_for_room(counts, 0, 1), 0);
    counts[0] = 3;  // oldest bucket
    counts[12] = 6;
    EXPECT_EQ(sw::wait_for_room(counts, 2 * kMinute, 10), 0) << "9 counted: one more fits";
    EXPECT_EQ(sw::wait_for_room(counts, 2 * kMinute, 9), 3 * kMinute) << "at the next boundary the oldest leaves";
    EXPECT_EQ(sw::wait_for_room(counts, 2 * kMinute, 6), 3 * kMinute + 12 * sw::kBucketMs)
        << "all of this bucket must go";
    EXPECT_EQ(sw::wait_for_room(counts, 0, 0), 0) << "no limit";
}
