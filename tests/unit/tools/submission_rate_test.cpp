#include <gtest/gtest.h>

#include "scanorch/framework/tools/submission_rate.h"

namespace sf = scanorch::framework;

namespace {
constexpr std::int64_t kHour = 3'600'000;
}

TEST(SubmissionRate, TheHourSlidesOverTwoWindows) {
    EXPECT_EQ(sf::sliding_count(0, 7, 0, kHour), 7);
    EXPECT_EQ(sf::sliding_count(10, 0, 0, kHour), 10) << "at a window's start the previous one counts whole";
    EXPECT_EQ(sf::sliding_count(10, 2, kHour / 2, kHour), 7) << "half of it still in the last hour";
    EXPECT_EQ(sf::sliding_count(10, 2, kHour / 2 + 1, kHour), 7) << "rounded up, never down";
    EXPECT_EQ(sf::sliding_count(10, 2, kHour, kHour), 2);
    EXPECT_EQ(sf::sliding_count(10, 2, kHour + 5, kHour), 2) << "clamped";
}

// A fixed window would let 2 x the limit through around an hour boundary:
// the sliding estimate does not.
TEST(SubmissionRate, NoBurstAcrossAWindowBoundary) {
    const std::int64_t limit = 10;
    // Ten at the very end of one window...
    EXPECT_EQ(sf::sliding_count(0, 10, kHour - 1, kHour), 10);
    // ...leave no room at the very start of the next.
    EXPECT_GT(sf::sliding_count(10, 1, 0, kHour), limit);
    EXPECT_GT(sf::sliding_count(10, 1, kHour / 20, kHour), limit);
}

TEST(SubmissionRate, TheWaitIsWhenOneMoreFits) {
    const std::int64_t limit = 10;
    EXPECT_EQ(sf::wait_for_room(0, 3, 1000, kHour, limit), 0);
    // 10 in the previous window, 4 now, half way: 4 + 5 = 9, one more fits.
    EXPECT_EQ(sf::wait_for_room(10, 4, kHour / 2, kHour, limit), 0);
    // 10 before, 5 now, half way: 10 already; room when previous weighs <= 4.
    const auto wait = sf::wait_for_room(10, 5, kHour / 2, kHour, limit);
    EXPECT_GT(wait, 0);
    EXPECT_LE(sf::sliding_count(10, 6, kHour / 2 + wait, kHour), limit) << "fits after the wait";
    EXPECT_GT(sf::sliding_count(10, 6, kHour / 2 + wait - 60'000, kHour), limit) << "not a minute earlier";
    // This window alone is full: wait past its end, and then for its own count to fade.
    const auto full = sf::wait_for_room(0, 10, kHour / 4, kHour, limit);
    EXPECT_GT(full, kHour * 3 / 4);
    EXPECT_LE(sf::sliding_count(10, 1, full - kHour * 3 / 4, kHour), limit);
    EXPECT_GT(sf::sliding_count(10, 1, full - kHour * 3 / 4 - 60'000, kHour), limit);
}
