// The queue contract of sdk/queue.h, for every backend.
#include <future>
#include <set>
#include <thread>

#include "queue_fixture.h"
#include "redis_server.h"
#include "scanorch/sdk/counters.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/pool_snapshot.h"
#include "scanorch/sdk/slot_vacate.h"

using namespace contract;

namespace {
// A fresh key prefix per test: an empty queue in the shared server.
std::string redis_config() {
    static int n = 0;
    return R"({"url":")" + scanorch::testing::RedisServer::shared().url() + R"(","key_prefix":"t)" +
           std::to_string(::getpid()) + "-" + std::to_string(++n) + R"("})";
}
}  // namespace

TEST_P(QueueContract, FifoWithinEachQueue) {
    for (auto id : {"a", "b", "c"})
        ASSERT_EQ(queue_->enqueue(task(id, "s1")).value_or(0), std::string("abc").find(id[0]) + 1);
    EXPECT_EQ(must_claim("s1").task.task_id, "a");
    EXPECT_EQ(must_claim("s1").task.task_id, "b");
    EXPECT_EQ(must_claim("s1").task.task_id, "c");
    EXPECT_TRUE(nothing("s1"));
}

TEST_P(QueueContract, ScannerQueueFirstThenGlobal) {
    ASSERT_TRUE(queue_->enqueue(task("g1")));
    ASSERT_TRUE(queue_->enqueue(task("s1-only", "s1")));
    ASSERT_TRUE(queue_->enqueue(task("s2-only", "s2")));
    auto first = must_claim("s1");
    EXPECT_EQ(first.task.task_id, "s1-only");
    EXPECT_FALSE(first.from_global);
    auto second = must_claim("s1");
    EXPECT_EQ(second.task.task_id, "g1");
    EXPECT_TRUE(second.from_global);
    EXPECT_TRUE(nothing("s1")) << "s1 must never take s2's work";
    EXPECT_EQ(must_claim("s2").task.task_id, "s2-only");
}

TEST_P(QueueContract, AScannerIsNeverPastItsLimit) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue_->enqueue(task("t" + std::to_string(i), "s1")));
    auto a = must_claim("s1", 2);
    auto b = must_claim("s1", 2);
    EXPECT_TRUE(nothing("s1", 2));
    EXPECT_EQ(queue_->running("s1").value().size(), 2u);
    ASSERT_TRUE(queue_->complete(a).ok());
    EXPECT_EQ(must_claim("s1", 2).task.task_id, "t2");
    EXPECT_TRUE(nothing("s1", 2));
    ASSERT_TRUE(queue_->complete(b).ok());
    EXPECT_EQ(queue_->running("s1").value().size(), 1u);
}

TEST_P(QueueContract, ClaimsAreAtomicUnderContention) {
    constexpr int kTasks = 300, kThreads = 8;
    constexpr std::uint32_t kLimit = 2;
    const std::vector<std::string> scanners = {"s1", "s2", "s3"};
    for (int i = 0; i < kTasks; ++i)
        ASSERT_TRUE(queue_->enqueue(task("t" + std::to_string(i), i % 4 == 3 ? "" : scanners[i % 3])));
    std::mutex mu;
    std::multiset<std::string> done;
    std::atomic<int> over_limit{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w) {
        threads.emplace_back([&, w] {
            const auto& scanner = scanners[w % 3];
            for (int idle = 0; idle < 50;) {
                auto c = queue_->claim(scanner, kLimit, 60000);
                ASSERT_TRUE(c);
                if (!c->has_value()) {
                    ++idle;
                    std::this_thread::yield();
                    continue;
                }
                idle = 0;
                if (queue_->running(scanner).value().size() > kLimit) ++over_limit;
                {
                    std::lock_guard lock(mu);
                    done.insert((*c)->task.task_id);
                }
                ASSERT_TRUE(queue_->complete(**c).ok());
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(over_limit.load(), 0);
    EXPECT_EQ(done.size(), static_cast<std::size_t>(kTasks)) << "every task claimed";
    EXPECT_EQ(std::set<std::string>(done.begin(), done.end()).size(), done.size()) << "no task claimed twice";
}

TEST_P(QueueContract, ALapsedLeaseReturnsTheTaskToTheHeadAndFreesTheSlot) {
    ASSERT_TRUE(queue_->enqueue(task("first", "s1")));
    ASSERT_TRUE(queue_->enqueue(task("second", "s1")));
    auto c = must_claim("s1", 1, 30000);
    EXPECT_EQ(c.task.attempts, 0u);
    now_ += 20000;
    ASSERT_TRUE(queue_->renew(c, 30000).ok());
    now_ += 20000;  // renewed: not lapsed yet
    EXPECT_TRUE(queue_->reclaim_expired().value().empty());
    now_ += 20000;  // 40 s since the renewal: lapsed (the worker was killed)
    auto moved = queue_->reclaim_expired();
    ASSERT_TRUE(moved);
    ASSERT_EQ(moved->size(), 1u);
    EXPECT_EQ(moved->front().task_id, "first");
    EXPECT_TRUE(queue_->running("s1").value().empty());
    auto again = must_claim("s1", 1);
    EXPECT_EQ(again.task.task_id, "first") << "a reclaimed task keeps its turn";
    EXPECT_EQ(again.task.attempts, 1u);
    // The old holder can no longer touch it.
    auto late = queue_->complete(c);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().kind, sdk::ErrorKind::not_found);
    EXPECT_FALSE(queue_->renew(c, 1000).ok());
    ASSERT_TRUE(queue_->complete(again).ok());
}

TEST_P(QueueContract, ReleaseHandsBackAtTheHeadWithTheNewPayload) {
    ASSERT_TRUE(queue_->enqueue(task("a")));
    ASSERT_TRUE(queue_->enqueue(task("b")));
    auto c = must_claim("s1");
    ASSERT_TRUE(queue_->release(c, R"({"task_id":"a","scan_id":"17"})").ok());
    auto again = must_claim("s2");
    EXPECT_EQ(again.task.task_id, "a");
    EXPECT_EQ(again.task.payload, R"({"task_id":"a","scan_id":"17"})");
    EXPECT_TRUE(again.from_global);
    EXPECT_TRUE(queue_->running("s1").value().empty());
}

TEST_P(QueueContract, DeadLetterListRetryPurge) {
    ASSERT_TRUE(queue_->enqueue(task("x", "s1")));
    ASSERT_TRUE(queue_->enqueue(task("y", "s1")));
    auto x = must_claim("s1");
    now_ += 1000;
    ASSERT_TRUE(queue_->dead_letter(x, "authentication failed on every host").ok());
    auto y = must_claim("s1");
    now_ += 1000;
    ASSERT_TRUE(queue_->dead_letter(y, "scanner aborted the scan").ok());
    EXPECT_TRUE(queue_->running("s1").value().empty());
    auto list = queue_->dlq_list(0, 10);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].task.task_id, "y") << "newest first";
    EXPECT_EQ((*list)[1].reason, "authentication failed on every host");
    EXPECT_EQ((*list)[1].failed_at_ms, now_ - 1000);
    auto got = queue_->dlq_get("x");
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->task.scanner_id, "s1");
    // Retry = back into its queue, out of the DLQ.
    ASSERT_TRUE(queue_->enqueue((*got)->task));
    EXPECT_TRUE(queue_->dlq_remove("x").value_or(false));
    EXPECT_FALSE(queue_->dlq_remove("x").value_or(true));
    EXPECT_EQ(must_claim("s1").task.task_id, "x");
    EXPECT_EQ(queue_->depths({}).value().dead_letter, 1u);
    EXPECT_EQ(queue_->dlq_purge().value_or(0), 1u);
    EXPECT_EQ(queue_->depths({}).value().dead_letter, 0u);
}

TEST_P(QueueContract, RemovePositionListDepths) {
    for (auto id : {"a", "b", "c"}) ASSERT_TRUE(queue_->enqueue(task(id, "s1")));
    ASSERT_TRUE(queue_->enqueue(task("g")));
    EXPECT_EQ(queue_->position("c").value(), std::optional<std::uint64_t>(3));
    EXPECT_TRUE(queue_->remove("b").value_or(false));
    EXPECT_FALSE(queue_->remove("b").value_or(true));
    EXPECT_EQ(queue_->position("c").value(), std::optional<std::uint64_t>(2));
    EXPECT_EQ(queue_->position("zzz").value(), std::nullopt);
    EXPECT_EQ(queue_->position("g").value(), std::optional<std::uint64_t>(1)) << "the global queue counts too";
    auto l = queue_->list("s1", 0, 10).value();
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[1].task_id, "c");
    auto c = must_claim("s1");
    EXPECT_EQ(queue_->position(c.task.task_id).value(), std::nullopt) << "a claimed task is not queued";
    auto d = queue_->depths({"s1", "s2"}).value();
    EXPECT_EQ(d.global, 1u);
    ASSERT_EQ(d.scanners.size(), 2u);
    EXPECT_EQ(d.scanners[0].queued, 1u);
    EXPECT_EQ(d.scanners[0].running, 1u);
    EXPECT_EQ(d.scanners[1].queued, 0u);
    EXPECT_FALSE(queue_->enqueue(task("c", "s2")).ok()) << "a task is queued at most once";
    ASSERT_TRUE(queue_->complete(c).ok());
}

// A backend may remember where it last found a task; a task that left that
// queue, came back to it or moved to another must still get its true place.
TEST_P(QueueContract, APositionFollowsATaskThatMovesBetweenQueues) {
    ASSERT_TRUE(queue_->enqueue(task("first", "s1")));
    ASSERT_TRUE(queue_->enqueue(task("m", "s1")));
    EXPECT_EQ(queue_->position("m").value(), std::optional<std::uint64_t>(2));
    ASSERT_TRUE(queue_->remove("m").value_or(false));
    EXPECT_EQ(queue_->position("m").value(), std::nullopt);
    ASSERT_TRUE(queue_->enqueue(task("ahead-1", "s2")));
    ASSERT_TRUE(queue_->enqueue(task("ahead-2", "s2")));
    ASSERT_TRUE(queue_->enqueue(task("m", "s2")));
    EXPECT_EQ(queue_->position("m").value(), std::optional<std::uint64_t>(3)) << "now in s2's queue";
    ASSERT_TRUE(queue_->remove("m").value_or(false));
    ASSERT_TRUE(queue_->enqueue(task("m")));
    EXPECT_EQ(queue_->position("m").value(), std::optional<std::uint64_t>(1)) << "now in the global queue";
    EXPECT_EQ(must_claim("s2").task.task_id, "ahead-1");
    EXPECT_EQ(must_claim("s2").task.task_id, "ahead-2");
    auto m = must_claim("s2");
    EXPECT_EQ(m.task.task_id, "m") << "s2's own queue is empty: the global queue comes next";
    EXPECT_EQ(queue_->position("m").value(), std::nullopt) << "claimed";
    ASSERT_TRUE(queue_->release(m, m.task.payload).ok());
    EXPECT_EQ(queue_->position("m").value().value_or(0), 1u) << "handed back to the front";
}

TEST_P(QueueContract, SharedStateForCoordination) {
    EXPECT_EQ(queue_->kv_set_if_absent("lock:housekeeping", "host-a", 5000).value(), std::nullopt);
    EXPECT_EQ(queue_->kv_set_if_absent("lock:housekeeping", "host-b", 5000).value(),
              std::optional<std::string>("host-a"));
    EXPECT_FALSE(queue_->kv_delete_if("lock:housekeeping", "host-b").value());
    now_ += 6000;  // expired
    EXPECT_EQ(queue_->kv_get("lock:housekeeping").value(), std::nullopt);
    EXPECT_EQ(queue_->kv_set_if_absent("lock:housekeeping", "host-b", 0).value(), std::nullopt);
    EXPECT_TRUE(queue_->kv_delete_if("lock:housekeeping", "host-b").value());
    ASSERT_TRUE(queue_->kv_set("k", "v", 0).ok());
    EXPECT_EQ(queue_->kv_get("k").value(), std::optional<std::string>("v"));
}

// kv_get_many answers every key in the order asked, in one step, with the
// same expiry as kv_get: the host reads every scanner's circuit this way.
TEST_P(QueueContract, KvGetManyAnswersInOrderWithExpiry) {
    EXPECT_TRUE(queue_->kv_get_many({}).value().empty());
    ASSERT_TRUE(queue_->kv_set("circuit:a", "open 3 17", 0).ok());
    ASSERT_TRUE(queue_->kv_set("circuit:b", "closed 0 0", 1000).ok());
    ASSERT_TRUE(queue_->kv_set("circuit:c", "", 0).ok());  // an empty value is a value
    using V = std::vector<std::optional<std::string>>;
    EXPECT_EQ(queue_->kv_get_many({"circuit:b", "circuit:none", "circuit:a", "circuit:c"}).value(),
              (V{"closed 0 0", std::nullopt, "open 3 17", ""}));
    now_ += 1500;  // b expired
    EXPECT_EQ(queue_->kv_get_many({"circuit:a", "circuit:b"}).value(), (V{"open 3 17", std::nullopt}));
    EXPECT_EQ(queue_->kv_get("circuit:b").value(), std::nullopt);
    // Many keys at once (a pool of hundreds of scanners).
    std::vector<std::string> keys;
    for (int i = 0; i < 500; ++i) keys.push_back("many:" + std::to_string(i));
    for (int i = 0; i < 500; i += 2) ASSERT_TRUE(queue_->kv_set(keys[i], std::to_string(i), 0).ok());
    const auto many = queue_->kv_get_many(keys).value();
    ASSERT_EQ(many.size(), keys.size());
    for (int i = 0; i < 500; ++i) {
        EXPECT_EQ(many[i], i % 2 == 0 ? std::optional<std::string>(std::to_string(i)) : std::nullopt) << i;
    }
}

// kv_compare_and_set writes only over the value the caller read (absent
// included, expiry as kv_get), so a read-modify-write shared by processes
// loses no update.
TEST_P(QueueContract, KvCompareAndSetWritesOnlyOverWhatWasRead) {
    EXPECT_TRUE(queue_->kv_compare_and_set("cas", std::nullopt, "a", 0).value()) << "absent, expected absent";
    EXPECT_FALSE(queue_->kv_compare_and_set("cas", std::nullopt, "b", 0).value()) << "present now";
    EXPECT_FALSE(queue_->kv_compare_and_set("cas", std::optional<std::string>("x"), "b", 0).value());
    EXPECT_EQ(queue_->kv_get("cas").value(), std::optional<std::string>("a"));
    EXPECT_TRUE(queue_->kv_compare_and_set("cas", std::optional<std::string>("a"), "b", 1000).value());
    EXPECT_EQ(queue_->kv_get("cas").value(), std::optional<std::string>("b"));
    now_ += 1500;  // expired: reads as absent
    EXPECT_FALSE(queue_->kv_compare_and_set("cas", std::optional<std::string>("b"), "c", 0).value());
    EXPECT_TRUE(queue_->kv_compare_and_set("cas", std::nullopt, "c", 0).value());
    EXPECT_EQ(queue_->kv_get("cas").value(), std::optional<std::string>("c"));
    EXPECT_TRUE(queue_->kv_compare_and_set("empty", std::nullopt, "", 0).value());
    EXPECT_FALSE(queue_->kv_compare_and_set("empty", std::nullopt, "x", 0).value()) << "an empty value is a value";

    // Threads that each add one by read + compare-and-set, retrying: none lost.
    ASSERT_TRUE(queue_->kv_set("count", "0", 0).ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                for (;;) {
                    const auto v = queue_->kv_get("count").value();
                    const auto next = std::to_string(std::stoi(v.value_or("0")) + 1);
                    if (queue_->kv_compare_and_set("count", v, next, 0).value_or(false)) break;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(queue_->kv_get("count").value(), std::optional<std::string>("100"));
}

// wake() ends a wait for work of the scanner (the host closes a circuit in
// one process; workers of the scanner in others may claim again at once).
// Sent until it wakes, as for arriving work: a wake before the wait began
// may be missed.
TEST_P(QueueContract, WakeEndsAWaitForWork) {
    std::promise<bool> woke;
    auto woken = woke.get_future();
    std::thread waiter([&] { woke.set_value(queue_->wait_for_work("s1", 20000).value_or(false)); });
    const auto t0 = std::chrono::steady_clock::now();
    do {
        ASSERT_TRUE(queue_->wake("s1").ok());
    } while (woken.wait_for(std::chrono::milliseconds(300)) != std::future_status::ready &&
             std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    waiter.join();
    EXPECT_TRUE(woken.get()) << "woken by wake(), not by its timeout";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
    EXPECT_FALSE(queue_->claim("s1", 5, 60000).value().has_value()) << "a wake is not work";
}

// Counters behind per-client submission rates: one atomic add across every
// caller, an expiry set when a counter starts and never moved, and a space
// apart from the key/value state.
TEST_P(QueueContract, SharedCountersAddAtomicallyAndExpire) {
    auto* counters = static_cast<sdk::SharedCounters*>(queue_->extension(sdk::kQueueCounters));
    ASSERT_NE(counters, nullptr) << "every shipped backend counts";
    EXPECT_EQ(counters->add("rate:soc:1", 1, 10'000).value(), 1);
    EXPECT_EQ(counters->add("rate:soc:1", 2, 10'000).value(), 3);
    EXPECT_EQ(counters->add("rate:soc:1", 0, 10'000).value(), 3) << "a zero add reads";
    EXPECT_EQ(counters->add("rate:soc:1", -1, 10'000).value(), 2) << "a give-back";
    EXPECT_EQ(counters->add("rate:ci:1", 0, 10'000).value(), 0) << "a counter of its own";
    EXPECT_EQ(queue_->kv_get("rate:soc:1").value(), std::nullopt) << "not the key/value space";
    now_ += 6000;
    EXPECT_EQ(counters->add("rate:soc:1", 1, 10'000).value(), 3) << "later adds do not move the expiry";
    now_ += 4000;
    EXPECT_EQ(counters->add("rate:soc:1", 1, 10'000).value(), 1) << "expired: starts again at 0";
    EXPECT_EQ(counters->add("absent", -1, 10'000).value(), 0) << "a give-back never makes room that was not taken";
    EXPECT_EQ(counters->add("absent", 0, 10'000).value(), 0);
    EXPECT_EQ(counters->add("absent", 1, 10'000).value(), 1) << "and wrote nothing: it starts at 0";
    EXPECT_EQ(counters->add("absent", -5, 10'000).value(), 0) << "never below 0";
    EXPECT_EQ(counters->read({"rate:soc:1", "absent", "never-written", "rate:ci:1"}).value(),
              (std::vector<std::int64_t>{1, 0, 0, 0}));
    EXPECT_EQ(counters->read({}).value(), std::vector<std::int64_t>{});
    EXPECT_EQ(counters->add("forever", 5, 0).value(), 5);
    now_ += 365LL * 24 * 3600 * 1000;
    EXPECT_EQ(counters->add("forever", 0, 0).value(), 5) << "ttl 0: never expires";
    EXPECT_EQ(counters->read({"rate:soc:1", "forever"}).value(), (std::vector<std::int64_t>{0, 5}))
        << "expired reads as 0";

    // Many threads (each its own connection on Redis) adding at once lose nothing.
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) ASSERT_TRUE(counters->add("contended", 1, 60'000).ok());
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(counters->add("contended", 0, 60'000).value(), 400);
}

// A waiter wakes when work arrives, long before its own timeout. Nothing
// tells the test when the waiter has begun to wait, and work that arrived
// just before may be missed (the contract allows it: the caller claims
// first), so tasks keep arriving, one every 300 ms, until it wakes; it must
// wake within 1 s of one of them, never by its 20 s timeout.
TEST_P(QueueContract, WaitingWorkersWakeWhenWorkArrives) {
    std::promise<bool> woke;
    auto woken = woke.get_future();
    std::thread waiter([&] { woke.set_value(queue_->wait_for_work("s1", 20000).value_or(false)); });
    const auto t0 = std::chrono::steady_clock::now();
    int sent = 0;
    do {
        ASSERT_TRUE(queue_->enqueue(task("a" + std::to_string(sent++), "s1")));
    } while (woken.wait_for(std::chrono::milliseconds(300)) != std::future_status::ready &&
             std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    waiter.join();
    EXPECT_TRUE(woken.get()) << "woken by work, not by its timeout";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10)) << sent << " tasks sent";
    EXPECT_FALSE(queue_->wait_for_work("s1", 50).value_or(true)) << "times out when nothing happens";
}

// A task on the global queue wakes a waiting worker that has a free slot
// (without waking the whole pool: the Redis backend hands out one token).
// As above, a task that came before the waiter began to wait may be missed,
// so global tasks keep arriving, one every 300 ms, until it wakes (a head
// start of a fixed 100 ms was not always enough on a loaded machine).
TEST_P(QueueContract, AWaitingWorkerWakesForAGlobalTask) {
    std::promise<bool> woke;
    auto woken = woke.get_future();
    std::thread waiter([&] { woke.set_value(queue_->wait_for_work("s1", 20000).value_or(false)); });
    const auto t0 = std::chrono::steady_clock::now();
    int sent = 0;
    do {
        if (!queue_->enqueue(task("g" + std::to_string(sent++)))) {
            ADD_FAILURE() << "enqueue g" << sent - 1;
            break;
        }
    } while (woken.wait_for(std::chrono::milliseconds(300)) != std::future_status::ready &&
             std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
    waiter.join();
    EXPECT_TRUE(woken.get()) << "woken by a global task, not by its timeout";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10)) << sent << " global tasks sent";
    EXPECT_EQ(must_claim("s1").task.task_id, "g0") << "the oldest global task first";
}

// Every backend the project ships offers the one-step pool snapshot, and it
// says exactly what the per-scanner calls say: routing and the status tools
// must not see a different pool depending on how they asked.
TEST_P(QueueContract, PoolSnapshotMatchesThePerScannerCalls) {
    auto* whole = static_cast<sdk::QueuePoolSnapshot*>(queue_->extension(sdk::kQueuePoolSnapshot));
    ASSERT_NE(whole, nullptr) << GetParam().name << " does not offer " << sdk::kQueuePoolSnapshot;
    // A pool in varied states: queued, running, full, dead-lettered, never seen.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue_->enqueue(task("a" + std::to_string(i), "s1")));
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue_->enqueue(task("b" + std::to_string(i), "s2")));
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(queue_->enqueue(task("g" + std::to_string(i))));
    must_claim("s1", 5);
    must_claim("s2", 2);
    must_claim("s2", 2);
    auto dead = must_claim("s3", 5);  // from the global queue
    ASSERT_TRUE(queue_->dead_letter(dead, "broken").ok());

    const std::vector<std::string> ids = {"s3", "s1", "never-seen", "s2"};  // order kept, not sorted
    auto st = whole->pool_snapshot(ids);
    ASSERT_TRUE(st) << st.error().message;
    auto d = queue_->depths(ids);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(st->global, d->global);
    EXPECT_EQ(st->dead_letter, d->dead_letter);
    EXPECT_EQ(st->global, 1u);
    EXPECT_EQ(st->dead_letter, 1u);
    ASSERT_EQ(st->scanners.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto& s = st->scanners[i];
        SCOPED_TRACE(ids[i]);
        EXPECT_EQ(s.scanner_id, ids[i]);
        EXPECT_EQ(s.queued, d->scanners[i].queued);
        EXPECT_EQ(s.running, d->scanners[i].running);
        EXPECT_EQ(s.running, queue_->running(ids[i]).value().size());
    }
    // And the figures themselves, so two wrong answers cannot agree.
    EXPECT_EQ(st->scanners[1].queued, 2u);
    EXPECT_EQ(st->scanners[1].running, 1u);
    EXPECT_EQ(st->scanners[3].queued, 2u);
    EXPECT_EQ(st->scanners[3].running, 2u);
    EXPECT_EQ(st->scanners[0].running, 0u);
    EXPECT_EQ(st->scanners[2].queued + st->scanners[2].running, 0u);
    auto empty = whole->pool_snapshot({});
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->scanners.empty());
    EXPECT_EQ(empty->global, 1u);
}

// A claim whose scan ended gives its slot to the scanner's next claim and
// stays held: renewed, ended by its holder alone, listed by running().
TEST_P(QueueContract, AVacatedSlotGoesToTheNextClaimWhileTheClaimStaysHeld) {
    auto* slots = static_cast<sdk::SlotVacate*>(queue_->extension(sdk::kQueueSlotVacate));
    ASSERT_NE(slots, nullptr);
    for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(queue_->enqueue(task(id, "s1")));
    auto a = must_claim("s1", 1);
    EXPECT_FALSE(queue_->claim("s1", 1, 60000).value().has_value()) << "full";
    ASSERT_TRUE(slots->vacate(a, 1).value());
    ASSERT_TRUE(slots->vacate(a, 1).value()) << "twice is not an error";
    auto depths = queue_->depths({"s1"});
    ASSERT_TRUE(depths);
    EXPECT_EQ(depths->scanners.at(0).running, 0u) << "the running count counts slots";
    auto b = must_claim("s1", 1);
    EXPECT_EQ(b.task.task_id, "b");
    EXPECT_FALSE(queue_->claim("s1", 1, 60000).value().has_value()) << "b holds the one slot; a holds none";
    auto held = queue_->running("s1").value();
    EXPECT_EQ(std::set<std::string>(held.begin(), held.end()), (std::set<std::string>{"a", "b"}))
        << "a vacated claim is still held";
    ASSERT_TRUE(queue_->renew(a, 60000).ok());
    // Another's token can neither vacate nor end it.
    sdk::Claim stranger = a;
    stranger.lease_token = "not-the-holder";
    auto refused = slots->vacate(stranger, 1);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, sdk::ErrorKind::not_found);
    ASSERT_TRUE(queue_->complete(a).ok());
    EXPECT_EQ(queue_->running("s1").value(), std::vector<std::string>{"b"});
    EXPECT_FALSE(queue_->claim("s1", 1, 60000).value().has_value()) << "ending a vacated claim frees no slot";
    ASSERT_TRUE(queue_->complete(b).ok());
    EXPECT_EQ(must_claim("s1", 1).task.task_id, "c");
}

// However slow its exports, a scanner has at most max_vacated claims past
// their scans: the next one keeps its slot, and gets it freed once one of
// those ends.
TEST_P(QueueContract, VacatedClaimsOfAScannerAreBounded) {
    auto* slots = static_cast<sdk::SlotVacate*>(queue_->extension(sdk::kQueueSlotVacate));
    ASSERT_NE(slots, nullptr);
    for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(queue_->enqueue(task(id, "s1")));
    auto a = must_claim("s1", 1);
    ASSERT_TRUE(slots->vacate(a, 1).value());
    auto b = must_claim("s1", 1);
    EXPECT_FALSE(slots->vacate(b, 1).value()) << "one finishing already";
    EXPECT_FALSE(queue_->claim("s1", 1, 60000).value().has_value()) << "b kept its slot";
    ASSERT_TRUE(queue_->renew(b, 60000).ok()) << "a refused vacate changes nothing";
    EXPECT_TRUE(slots->vacate(b, 2).value()) << "the bound is the caller's";
    auto c = must_claim("s1", 1);
    ASSERT_TRUE(queue_->complete(a).ok());
    ASSERT_TRUE(queue_->release(b, b.task.payload).ok()) << "a vacated claim handed back";
    EXPECT_TRUE(slots->vacate(c, 1).value()) << "a ended and b went back: room to finish";
    EXPECT_EQ(must_claim("s1", 1).task.task_id, "b") << "handed back to the head of its queue";
    auto held = queue_->running("s1").value();
    EXPECT_EQ(std::set<std::string>(held.begin(), held.end()), (std::set<std::string>{"b", "c"}));
    EXPECT_EQ(queue_->position("d").value(), std::optional<std::uint64_t>(1));
}

// A worker that dies after giving its slot back loses nothing: the lease
// lapses and the task goes back to the head of its queue, slot or not.
TEST_P(QueueContract, AVacatedClaimWhoseLeaseLapsesIsReclaimed) {
    auto* slots = static_cast<sdk::SlotVacate*>(queue_->extension(sdk::kQueueSlotVacate));
    ASSERT_NE(slots, nullptr);
    ASSERT_TRUE(queue_->enqueue(task("exporting", "s1")));
    ASSERT_TRUE(queue_->enqueue(task("next", "s1")));
    auto c = must_claim("s1", 2, 30000);
    ASSERT_TRUE(slots->vacate(c, 2).value());
    auto other = must_claim("s1", 2, 300000);
    now_ += 40000;
    auto moved = queue_->reclaim_expired();
    ASSERT_TRUE(moved);
    ASSERT_EQ(moved->size(), 1u);
    EXPECT_EQ(moved->front().task_id, "exporting");
    EXPECT_EQ(queue_->running("s1").value(), std::vector<std::string>{"next"});
    EXPECT_FALSE(queue_->complete(c).ok()) << "the lapsed holder can no longer end it";
    EXPECT_FALSE(slots->vacate(c, 2).ok());
    auto again = must_claim("s1", 2);
    EXPECT_EQ(again.task.task_id, "exporting") << "back at the head";
    auto depths = queue_->depths({"s1"});
    ASSERT_TRUE(depths);
    EXPECT_EQ(depths->scanners.at(0).running, 2u) << "the new claim took a slot of its own";
    ASSERT_TRUE(queue_->release(again, again.task.payload).ok());
    ASSERT_TRUE(queue_->complete(other).ok());
    EXPECT_TRUE(queue_->running("s1").value().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueContract,
                         ::testing::Values(Backend{"memory", MEMORY_QUEUE_PLUGIN, "memory-queue",
                                                   [] { return std::string(R"({"rebuild_from_tasks":true})"); }},
                                           Backend{"redis", REDIS_QUEUE_PLUGIN, "redis-queue", redis_config}),
                         [](const auto& info) { return info.param.name; });
