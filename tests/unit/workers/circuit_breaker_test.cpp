// The circuit breaker's cache of a closed circuit, over the real memory-queue
// plugin: a read that began before this breaker's own write must not put the
// older state back (the dispatcher reading "closed" while a run of the same
// process opens the circuit).
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "memory_queue_plugin.h"

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/service/forwarding_queue.h"
#include "scanorch/framework/tasks/shared_keys.h"
#include "scanorch/framework/workers/circuit_breaker.h"
#include "scanorch/framework/workers/circuit_state.h"

namespace sdk = scanorch::sdk;
namespace sf = scanorch::framework;

namespace {

// The real queue, with one read of a circuit key held back after it has
// read: the answer it then returns is older than whatever was written
// meanwhile.
class HeldReadQueue final : public sf::ForwardingQueue {
public:
    using sf::ForwardingQueue::ForwardingQueue;

    void hold_next_read() {
        std::lock_guard lock(mu_);
        hold_ = true;
    }
    void wait_until_held() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return held_; });
    }
    void release_read() {
        std::lock_guard lock(mu_);
        released_ = true;
        cv_.notify_all();
    }

    sdk::Result<std::optional<std::string>> kv_get(const std::string& k) noexcept override {
        auto r = inner().kv_get(k);
        std::unique_lock lock(mu_);
        if (hold_ && k == sf::shared_keys::circuit("east")) {
            hold_ = false;
            held_ = true;
            cv_.notify_all();
            cv_.wait(lock, [&] { return released_; });
        }
        return r;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool hold_ = false, held_ = false, released_ = false;
};

// A memory-queue of this test's own, removed when the test ends.
struct TestQueue : scanorch::testing::TestQueue {
    explicit TestQueue(const std::string& tag) : scanorch::testing::TestQueue(tag, MEMORY_QUEUE_PLUGIN) {}
};

// Opens the circuit of a breaker made with failures = 1 and open_ms = 100,
// and waits until its open time is over: the next idle allows() takes the trial.
void open_until_due(sf::CircuitBreaker& breaker) {
    breaker.record(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
}

}  // namespace

TEST(CircuitBreaker, AReadOlderThanItsOwnOpeningIsNotKept) {
    const TestQueue q("circuit");
    auto inner = q.queue;
    ASSERT_TRUE(inner);
    auto queue = std::make_shared<HeldReadQueue>(inner);
    sf::CircuitBreaker breaker(queue, "east", /*failures=*/1, /*open_ms=*/60'000, /*trial_lease_ms=*/60'000);

    // The dispatcher asks; its read of "closed" is held back...
    queue->hold_next_read();
    auto asked = std::async(std::launch::async, [&] { return breaker.allows(0); });
    queue->wait_until_held();
    // ...while a run of the same worker fails and opens the circuit.
    breaker.record(true);
    ASSERT_EQ(sf::read_circuit(*inner, "east")->info.state, sdk::CircuitState::open);
    queue->release_read();
    EXPECT_TRUE(asked.get()) << "the held read saw the circuit closed";

    EXPECT_FALSE(breaker.allows(0)) << "the older 'closed' was cached over this breaker's own opening";
    EXPECT_FALSE(breaker.allows(0));
}

TEST(CircuitBreaker, ItsOwnClosingIsSeenAtOnce) {
    const TestQueue q("circuit2");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker breaker(queue, "east", 1, 60'000, 60'000);
    EXPECT_TRUE(breaker.allows(0));  // closed, and now cached
    breaker.record(true);
    EXPECT_FALSE(breaker.allows(0)) << "its own opening must not wait for the cache to age";
    breaker.record(false);
    EXPECT_TRUE(breaker.allows(0));
}

// The one text format of a circuit in shared state, and what a damaged
// value gives: read as closed (and logged), never an error that would stop
// routing for the whole pool, and replaced by the next state written.
TEST(CircuitState, RoundTripsAndReadsDamagedValuesAsClosed) {
    const sf::CircuitInfo open{sdk::CircuitState::open, 7, 1'700'000'000'123};
    EXPECT_EQ(sf::encode_circuit(open), "open 7 1700000000123");
    EXPECT_EQ(sf::decode_circuit(sf::encode_circuit(open)), open);
    const sf::CircuitInfo half{sdk::CircuitState::half_open, 1, 5, 18'446'744'073'709'551'615ULL};
    EXPECT_EQ(sf::encode_circuit(half), "half_open 1 5 18446744073709551615");
    EXPECT_EQ(sf::decode_circuit(sf::encode_circuit(half)), half);
    EXPECT_EQ(sf::decode_circuit("half_open 1 5"), (sf::CircuitInfo{sdk::CircuitState::half_open, 1, 5, 0}))
        << "an owner-less trial (written before owners were recorded) still reads";
    for (const char* bad : {"", "open", "open 1", "open x 1", "open 1 2 3", "shut 1 2", "open -1 2", "open 1 2x",
                            "open 1 -5", "open 1 9223372036854775807", "half_open 1 2 x", "half_open 1 2 0",
                            "half_open 1 2 3 4", "half_open 1 2 ", "closed 0 0 7"}) {
        EXPECT_EQ(sf::decode_circuit(bad), std::nullopt) << "'" << bad << "'";
    }

    const TestQueue q("circuit3");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    EXPECT_EQ(sf::read_circuit(*queue, "west")->info, sf::CircuitInfo{}) << "never written: closed";
    ASSERT_TRUE(queue->kv_set(sf::shared_keys::circuit("east"), sf::encode_circuit(open), 0).ok());
    ASSERT_TRUE(queue->kv_set(sf::shared_keys::circuit("north"), "garbage", 0).ok());
    auto all = sf::read_circuits(*queue, {"west", "east", "north"});
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ((*all)[1], open);
    EXPECT_EQ((*all)[2], sf::CircuitInfo{}) << "damaged: closed, not an error for the whole pool";
    // The breaker replaces the damaged value with the next state.
    sf::CircuitBreaker breaker(queue, "north", 5, 60'000, 60'000);
    breaker.record(true);
    EXPECT_EQ(sf::read_circuit(*queue, "north")->raw, std::optional<std::string>("closed 1 0"));
}

// Many processes' breakers count failures of one scanner: each count is a
// compare-and-set, so none is lost (a read then a write lost them).
TEST(CircuitBreaker, ConcurrentFailuresAreAllCounted) {
    const TestQueue q("circuit5");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    constexpr int kBreakers = 8, kEach = 50;
    std::vector<std::thread> threads;
    for (int t = 0; t < kBreakers; ++t) {
        threads.emplace_back([&] {
            sf::CircuitBreaker b(queue, "east", /*failures=*/1'000'000, 60'000, 60'000);  // as one per process
            for (int i = 0; i < kEach; ++i) b.record(true);
        });
    }
    for (auto& t : threads) t.join();
    const auto c = sf::read_circuit(*queue, "east");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->info.consecutive_failures, static_cast<std::uint32_t>(kBreakers * kEach));
}

// A half-open circuit gives one trial to the whole pool: of two breakers
// (two processes), only the one that took the trial may start a scan, and
// the other follows the trial's verdict.
TEST(CircuitBreaker, OneTrialForAllProcesses) {
    const TestQueue q("circuit6");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker a(queue, "east", 1, /*open_ms=*/300, /*trial_lease_ms=*/60'000);
    sf::CircuitBreaker b(queue, "east", 1, 300, 60'000);
    a.record(true);
    EXPECT_FALSE(a.allows(0));
    EXPECT_FALSE(b.allows(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    EXPECT_TRUE(a.allows(0)) << "a takes the trial";
    EXPECT_FALSE(b.allows(0)) << "b must not run a second trial";
    EXPECT_FALSE(a.allows(1)) << "and a runs one at a time";
    a.record(false);
    EXPECT_TRUE(b.allows(0)) << "the trial closed the circuit for everyone";
}

// A trial outlives the open time as long as its owner renews it (a trial
// scan may take hours): no second trial starts meanwhile. When the owner
// falls silent for a trial lease (its process died), another breaker takes
// the trial over, and the old owner, should it come back, no longer counts
// it as its own.
TEST(CircuitBreaker, ARenewedTrialIsKeptAndASilentOneIsTakenOver) {
    const TestQueue q("circuit7");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker a(queue, "east", 1, /*open_ms=*/100, /*trial_lease_ms=*/3000);
    sf::CircuitBreaker b(queue, "east", 1, 100, 3000);
    open_until_due(a);
    ASSERT_TRUE(a.allows(0)) << "a takes the trial";
    const auto before = sf::read_circuit(*queue, "east");
    b.keep_trial();  // not b's: changes nothing
    EXPECT_EQ(sf::read_circuit(*queue, "east")->raw, before->raw);
    const auto kept_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);  // past the lease
    while (std::chrono::steady_clock::now() < kept_until) {
        a.keep_trial();
        ASSERT_FALSE(b.allows(0)) << "b took over a trial its owner keeps renewing";
        ASSERT_TRUE(a.allows(0)) << "a lost a trial it keeps renewing";
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto stamp = sf::read_circuit(*queue, "east");
    ASSERT_TRUE(stamp);
    EXPECT_EQ(stamp->info.state, sdk::CircuitState::half_open);
    // a falls silent: within the trial lease b still waits, after it b takes over.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(b.allows(0)) << "inside the trial lease";
    std::this_thread::sleep_for(std::chrono::milliseconds(3100));
    EXPECT_TRUE(b.allows(0)) << "b takes over the silent trial";
    const auto taken = sf::read_circuit(*queue, "east");
    ASSERT_TRUE(taken);
    a.keep_trial();  // a comes back: it must see the trial is gone, not renew b's
    EXPECT_EQ(sf::read_circuit(*queue, "east")->raw, taken->raw);
    EXPECT_FALSE(a.allows(0)) << "a's trial was taken over: it must not run a second one";
    EXPECT_TRUE(b.allows(0)) << "b keeps the trial";
    b.record(false);
    EXPECT_TRUE(a.allows(0)) << "b's trial closed the circuit for everyone";
    EXPECT_EQ(sf::read_circuit(*queue, "east")->info.state, sdk::CircuitState::closed);
}

// A worker already running scans of its own cannot start a trial, so it must
// not take one (its heartbeat would then keep it from everyone else); and a
// circuit stamped far in the future (a damaged value, a clock years ahead)
// cannot stay open forever.
TEST(CircuitBreaker, OnlyAnIdleBreakerTakesATrialAndAFutureStampDoesNotFreezeTheCircuit) {
    const TestQueue q("circuit8");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker busy(queue, "east", 1, /*open_ms=*/100, /*trial_lease_ms=*/60'000);
    sf::CircuitBreaker idle(queue, "east", 1, 100, 60'000);
    open_until_due(busy);
    EXPECT_FALSE(busy.allows(1)) << "a breaker with a scan running took the trial";
    EXPECT_EQ(sf::read_circuit(*queue, "east")->info.state, sdk::CircuitState::open);
    EXPECT_TRUE(idle.allows(0)) << "the idle one takes it";
    EXPECT_FALSE(busy.allows(0)) << "one trial";

    const std::string far_future = "open 3 " + std::to_string(sf::now_ms() + 10LL * 365 * 24 * 3600 * 1000);
    ASSERT_TRUE(queue->kv_set(sf::shared_keys::circuit("south"), far_future, 0).ok());
    sf::CircuitBreaker south(queue, "south", 3, 60'000, 60'000);
    EXPECT_TRUE(south.allows(0)) << "a stamp years ahead held the circuit open";
    EXPECT_EQ(sf::read_circuit(*queue, "south")->info.state, sdk::CircuitState::half_open);
}

// A worker that stops gives its trial back: another process takes it at
// once, not a lease later; a breaker without the trial gives nothing back.
TEST(CircuitBreaker, AStoppingOwnerGivesItsTrialBack) {
    const TestQueue q("circuit9");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker a(queue, "east", 1, /*open_ms=*/100, /*trial_lease_ms=*/60'000);
    sf::CircuitBreaker b(queue, "east", 1, 100, 60'000);
    open_until_due(a);
    ASSERT_TRUE(a.allows(0));
    EXPECT_FALSE(b.allows(0));
    const auto held = sf::read_circuit(*queue, "east");
    b.release_trial();  // not b's
    EXPECT_EQ(sf::read_circuit(*queue, "east")->raw, held->raw);
    a.release_trial();
    EXPECT_EQ(sf::read_circuit(*queue, "east")->info.state, sdk::CircuitState::open);
    EXPECT_TRUE(b.allows(0)) << "b waited a lease for a trial its owner gave back";
    EXPECT_FALSE(a.allows(0)) << "a gave it away";
}

// Ownership is the owner field, not the time: another breaker's trial that
// carries exactly this breaker's last stamp (two takers computing the same
// time) is not this breaker's, and it neither runs it nor renews it.
TEST(CircuitBreaker, ATrialWithTheSameStampButAnotherOwnerIsNotMine) {
    const TestQueue q("circuit10");
    auto queue = q.queue;
    ASSERT_TRUE(queue);
    sf::CircuitBreaker a(queue, "east", 1, /*open_ms=*/100, /*trial_lease_ms=*/60'000);
    open_until_due(a);
    ASSERT_TRUE(a.allows(0));
    const auto mine = sf::read_circuit(*queue, "east");
    ASSERT_TRUE(mine);
    ASSERT_NE(mine->info.owner, 0u);
    sf::CircuitInfo theirs = mine->info;
    theirs.owner = mine->info.owner ^ 1;  // the same time, another breaker
    ASSERT_TRUE(queue->kv_set(sf::shared_keys::circuit("east"), sf::encode_circuit(theirs), 0).ok());
    EXPECT_FALSE(a.allows(0)) << "a ran another breaker's trial";
    a.keep_trial();
    EXPECT_EQ(sf::read_circuit(*queue, "east")->info, theirs) << "a renewed another breaker's trial";
    a.release_trial();
    EXPECT_EQ(sf::read_circuit(*queue, "east")->info, theirs) << "a gave away another breaker's trial";
}

// A write whose outcome the breaker could not learn (the backend timed out),
// landing only after a read that saw the old value: the trial is this
// breaker's after all, and once it runs it, its heartbeat must renew it.
TEST(CircuitBreaker, ATrialWonByAWriteThatLandedLateIsStillRenewed) {
    // Holds back the next compare-and-set of a circuit and answers an error,
    // as a timed-out write queued on a slow server; land() applies it later.
    class LateWrite final : public sf::ForwardingQueue {
    public:
        using sf::ForwardingQueue::ForwardingQueue;
        sdk::Result<bool> kv_compare_and_set(const std::string& key, const std::optional<std::string>& expected,
                                             const std::string& value, std::int64_t ttl_ms) noexcept override {
            if (hold_next) {
                hold_next = false;
                held = {key, expected, value, ttl_ms};
                return sdk::Error::transient("timed out");
            }
            return inner().kv_compare_and_set(key, expected, value, ttl_ms);
        }
        bool land() {
            auto r = inner().kv_compare_and_set(held.key, held.expected, held.value, held.ttl_ms);
            return r && *r;
        }
        bool hold_next = false;
        struct {
            std::string key;
            std::optional<std::string> expected;
            std::string value;
            std::int64_t ttl_ms = 0;
        } held;
    };
    const TestQueue q("circuit11");
    ASSERT_TRUE(q.queue);
    auto queue = std::make_shared<LateWrite>(q.queue);
    sf::CircuitBreaker a(queue, "east", 1, /*open_ms=*/100, /*trial_lease_ms=*/60'000);
    open_until_due(a);
    queue->hold_next = true;
    EXPECT_FALSE(a.allows(0)) << "the outcome is unknown";
    a.keep_trial();  // reads the circuit still open: not a's
    ASSERT_TRUE(queue->land()) << "the held write lands late";
    ASSERT_EQ(sf::read_circuit(*queue, "east")->info.state, sdk::CircuitState::half_open);
    EXPECT_TRUE(a.allows(0)) << "the trial is a's";
    const auto before = sf::read_circuit(*queue, "east");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    a.keep_trial();
    const auto after = sf::read_circuit(*queue, "east");
    EXPECT_GT(after->info.opened_at_ms, before->info.opened_at_ms) << "a runs the trial but does not renew it";
    EXPECT_EQ(after->info.owner, before->info.owner);
}

// Closing a circuit wakes the scanner's workers waiting for work in every
// process (they may have gone to sleep while it was open); opening it or a
// success on a closed circuit does not.
TEST(CircuitBreaker, ClosingWakesTheScannersWaitingWorkers) {
    class CountingWakes final : public sf::ForwardingQueue {
    public:
        using sf::ForwardingQueue::ForwardingQueue;
        sdk::Result<void> wake(const std::string& s) noexcept override {
            woken.push_back(s);
            return inner().wake(s);
        }
        std::vector<std::string> woken;
    };
    const TestQueue q("circuit4");
    auto inner = q.queue;
    ASSERT_TRUE(inner);
    auto queue = std::make_shared<CountingWakes>(inner);
    sf::CircuitBreaker breaker(queue, "east", 1, 60'000, 60'000);
    breaker.record(false);
    EXPECT_TRUE(queue->woken.empty()) << "a success on a closed circuit writes nothing";
    breaker.record(true);
    EXPECT_TRUE(queue->woken.empty()) << "opening wakes nobody";
    breaker.record(false);
    EXPECT_EQ(queue->woken, (std::vector<std::string>{"east"}));
}
