// The scan board's own rules, over a scripted sdk::ScanList: who is woken,
// and how often a run is told to poll, while listings answer, fail, recover
// or have not answered yet. The board against a real scanner (the
// nessus-emulator) is in plugins/nessus/tests/nessus_scan_list_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scanorch/framework/workers/scan_board.h"

namespace sdk = scanorch::sdk;
using Board = scanorch::framework::ScanBoard;
using namespace std::chrono_literals;

namespace {

// Answers each listing with what `script` says for that call (0 = the
// first), and remembers what each call asked for.
class ScriptedList final : public sdk::ScanList {
public:
    using Script = std::function<sdk::Result<sdk::ScanListing>(int call)>;
    explicit ScriptedList(Script script) : script_(std::move(script)) {}

    sdk::Result<sdk::ScanListing> list_scans(std::int64_t changed_since) noexcept override {
        int call = 0;
        {
            const std::lock_guard lock(mu_);
            call = static_cast<int>(asked_.size());
            asked_.push_back(changed_since);
        }
        return script_(call);
    }
    std::vector<std::int64_t> asked() const {
        const std::lock_guard lock(mu_);
        return asked_;
    }

private:
    Script script_;
    mutable std::mutex mu_;
    std::vector<std::int64_t> asked_;
};

sdk::Result<sdk::ScanListing> answer(std::int64_t as_of, std::vector<sdk::ListedScan> scans = {}) {
    return sdk::ScanListing{as_of, std::move(scans)};
}
sdk::Result<sdk::ScanListing> refused() { return sdk::Error::transient("GET /scans: connection refused"); }
sdk::ListedScan scan(const std::string& id, sdk::ScanState state, const std::string& status) {
    return {id, state, status};
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds within = 10s) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

struct Count {
    int poll = 0, due = 0, listed = 0;
};
// Asks the board every `every` for `how_long`, as a run whose own checks
// are due that often does.
Count rounds(Board& board, Board::Watch& w, std::chrono::milliseconds every, std::chrono::milliseconds how_long) {
    Count c;
    const auto end = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < end) {
        switch (board.next(w, std::chrono::steady_clock::now() + every).outcome) {
            case Board::Outcome::poll: ++c.poll; break;
            case Board::Outcome::due: ++c.due; break;
            case Board::Outcome::listed: ++c.listed; break;
            case Board::Outcome::stopped: ADD_FAILURE() << "stopped"; return c;
        }
    }
    return c;
}

}  // namespace

TEST(ScanBoardRules, NothingWatchedNothingListed) {
    ScriptedList list([](int) { return answer(1); });
    Board board(list, 20ms, "s");
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(board.listings(), 0U);
    {
        auto w = board.watch("a");
        ASSERT_TRUE(wait_for([&] { return board.listings() >= 3; })) << "a watch starts the listings";
    }
    std::this_thread::sleep_for(100ms);  // a listing in flight as the watch went may still end
    const auto made = board.listings();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(board.listings(), made) << "listings went on with nothing watched";
}

TEST(ScanBoardRules, AListingThatShowsNoNewStateWakesNoOne) {
    // Every listing names the scan, always running: the run is told once,
    // then sleeps until its own time.
    ScriptedList list([](int call) {
        if (call == 0) return answer(1);
        return answer(1 + call, {scan("a", sdk::ScanState::running, "running")});
    });
    Board board(list, 20ms, "s");
    auto w = board.watch("a");
    ASSERT_EQ(board.next(*w, std::chrono::steady_clock::now() + 10s).outcome, Board::Outcome::poll)
        << "watched before the first answer";
    const auto seen = board.next(*w, std::chrono::steady_clock::now() + 10s);
    ASSERT_EQ(seen.outcome, Board::Outcome::listed);
    ASSERT_TRUE(seen.scan);
    EXPECT_EQ(seen.scan->state, sdk::ScanState::running);
    const auto before = board.listings();
    const auto t0 = std::chrono::steady_clock::now();
    const auto again = board.next(*w, t0 + 600ms);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 600ms) << "woken by a listing with nothing new";
    EXPECT_EQ(again.outcome, Board::Outcome::listed);
    ASSERT_TRUE(again.scan);
    EXPECT_EQ(again.scan->state, sdk::ScanState::running) << "at its own time, what the board knows";
    EXPECT_GE(board.listings(), before + 5) << "the listings went on meanwhile";
}

TEST(ScanBoardRules, BothWatchesOfOneScanAreToldOfItsEnd) {
    std::atomic<bool> ended{false};
    ScriptedList list([&](int call) {
        if (call == 0) return answer(1);
        if (!ended) return answer(1 + call);
        return answer(1 + call, {scan("a", sdk::ScanState::completed, "completed")});
    });
    Board board(list, 20ms, "s");
    ASSERT_TRUE([&] {
        auto probe = board.watch("other");
        return wait_for([&] { return board.listings() >= 1; });
    }());
    auto w1 = board.watch("a");
    auto w2 = board.watch("a");
    ended = true;
    for (auto* w : {w1.get(), w2.get()}) {
        const auto seen = board.next(*w, std::chrono::steady_clock::now() + 10s);
        ASSERT_EQ(seen.outcome, Board::Outcome::listed);
        ASSERT_TRUE(seen.scan);
        EXPECT_EQ(seen.scan->state, sdk::ScanState::completed);
    }
}

TEST(ScanBoardRules, AWatchOlderThanTheFirstAnswerPollsOncePerPeriodWhileListingsFail) {
    // The first answer comes while the run is away (launching its scan),
    // then every listing fails: the run is told to poll at each failure and
    // every period, never at once again and again.
    ScriptedList list([](int call) { return call == 0 ? answer(100) : refused(); });
    const auto period = 50ms;
    Board board(list, period, "s");
    auto w = board.watch("a");
    ASSERT_TRUE(wait_for([&] { return board.listings() >= 2; })) << "one answer, one failure";
    const auto c = rounds(board, *w, 10s, 1s);
    EXPECT_GE(c.poll, 5);
    EXPECT_LE(c.poll, 1s / period + 3) << "told to poll more than once a period";
}

TEST(ScanBoardRules, ChecksSoonerThanAPeriodPollOncePerPeriod) {
    // A run whose own checks are due every 20 ms, on a board with a period
    // of 200 ms that cannot vouch: it polls every period, as without the
    // board, and is only told its time came in between.
    const auto period = 200ms;
    {
        ScriptedList failing([](int) { return refused(); });
        Board board(failing, period, "s");
        auto w = board.watch("a");
        const auto c = rounds(board, *w, 20ms, 2s);
        EXPECT_LE(c.poll, 2s / period + 2) << "listings failing";
        EXPECT_GE(c.poll, 2s / period - 3) << "listings failing";
        EXPECT_GT(c.due, c.poll) << "listings failing";
        EXPECT_EQ(c.listed, 0);
    }
    {
        ScriptedList slow([](int) {
            std::this_thread::sleep_for(2s);
            return answer(1);
        });
        Board board(slow, period, "s");
        auto w = board.watch("a");
        const auto c = rounds(board, *w, 20ms, 1500ms);
        EXPECT_LE(c.poll, 1500ms / period + 2) << "before the first answer";
        EXPECT_GT(c.due, c.poll) << "before the first answer";
    }
}

TEST(ScanBoardRules, APollSlowerThanAPeriodIsNotFollowedByAnotherAtOnce) {
    // The board has no answer yet (its first listing is slow): the run is
    // told to poll once a period, the period counted from the end of its
    // poll. A poll that took longer than a period (retries against a slow
    // scanner) must not be followed by another straight away.
    ScriptedList slow([](int) {
        std::this_thread::sleep_for(2s);
        return answer(1);
    });
    const auto period = 200ms;
    Board board(slow, period, "s");
    auto w = board.watch("a");
    ASSERT_EQ(board.next(*w, std::chrono::steady_clock::now() + 10s).outcome, Board::Outcome::poll);
    std::this_thread::sleep_for(period + 100ms);  // the poll it was told to make
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(board.next(*w, t0 + 10s).outcome, Board::Outcome::poll);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, period - 20ms) << "told to poll again as its poll ended";
}

TEST(ScanBoardRules, AScanThatEndedWhileListingsFailedIsListedOnRecovery) {
    // The failed listings keep the last answer's clock, so the first one to
    // answer again asks for every change since then, the scan's end among
    // them.
    std::atomic<int> fail_from{1000}, answer_from{1000};
    ScriptedList list([&](int call) {
        if (call < fail_from) return answer(10 + call);
        if (call < answer_from) return refused();
        return answer(10 + call, {scan("a", sdk::ScanState::completed, "completed")});
    });
    Board board(list, 20ms, "s");
    auto probe = board.watch("other");
    ASSERT_TRUE(wait_for([&] { return board.listings() >= 2; }));
    auto w = board.watch("a");  // vouched for: watched after the first answer
    // Two calls (40 ms) ahead of the listings: none is made on the old script.
    const int asked = static_cast<int>(list.asked().size());
    fail_from = asked + 2;
    answer_from = asked + 5;
    Count c;
    std::optional<sdk::ListedScan> last;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!last && std::chrono::steady_clock::now() < until) {
        const auto seen = board.next(*w, until);
        if (seen.outcome == Board::Outcome::poll) {
            ++c.poll;
            EXPECT_TRUE(seen.error.has_value());
        } else if (seen.outcome == Board::Outcome::listed) {
            last = seen.scan;
        }
    }
    ASSERT_TRUE(last.has_value()) << "the scan's end was never shown";
    EXPECT_EQ(last->state, sdk::ScanState::completed);
    EXPECT_GE(c.poll, 1) << "told to poll while listings failed";
    const auto questions = list.asked();
    ASSERT_GE(questions.size(), static_cast<std::size_t>(answer_from + 1));
    EXPECT_EQ(questions[static_cast<std::size_t>(answer_from.load())], 10 + fail_from - 1)
        << "the recovered listing asks from the last answer before the failures";
}

TEST(ScanBoardRules, InterruptEndsEveryWaitAndStopsTheListings) {
    ScriptedList list([](int) { return answer(1); });
    Board board(list, 20ms, "s");
    auto w = board.watch("a");
    std::atomic<bool> returned{false};
    std::thread waiting([&] {
        while (board.next(*w, std::chrono::steady_clock::now() + 1h).outcome != Board::Outcome::stopped) {
        }
        returned = true;
    });
    std::this_thread::sleep_for(100ms);
    board.interrupt();
    ASSERT_TRUE(wait_for([&] { return returned.load(); }, 5s)) << "interrupt() woke no one";
    waiting.join();
    const auto made = board.listings();
    std::this_thread::sleep_for(100ms);
    EXPECT_LE(board.listings(), made + 1) << "listings went on after interrupt()";
    EXPECT_EQ(board.next(*w, std::chrono::steady_clock::now()).outcome, Board::Outcome::stopped);
}
