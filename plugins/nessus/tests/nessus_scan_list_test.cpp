// The scanner's scan list (ABI 2.1, kScannerScanList) on a real
// nessus-emulator, and the worker's ScanBoard reading it: what changed since
// the last question, one request per interval however many runs wait.
#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "harness.h"
#include "scanorch/framework/workers/scan_board.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/scan_list.h"

using namespace harness;
using scanorch::testing::EmulatorProcess;
using Board = scanorch::framework::ScanBoard;

namespace {

EmulatorProcess emulator(const std::string& scan_seconds = "0.6") {
    return EmulatorProcess(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--scan-seconds", scan_seconds,
                                             "--export-seconds", "0.1", "--max-running", "20"});
}

sdk::ScanList* scan_list_of(sdk::Scanner& s) { return static_cast<sdk::ScanList*>(s.extension(sdk::kScannerScanList)); }

std::set<std::string> ids_of(const sdk::ScanListing& l) {
    std::set<std::string> ids;
    for (const auto& s : l.scans) ids.insert(s.scan_id);
    return ids;
}

std::string launched_scan(sdk::Scanner& s, const std::string& target) {
    auto id = s.create_scan(request(target));
    EXPECT_TRUE(id) << (id ? "" : id.error().message);
    if (!id) return "";
    EXPECT_TRUE(s.launch_scan(*id).ok());
    return *id;
}

}  // namespace

TEST(NessusScanList, ListsOnlyWhatChangedSinceTheLastAnswer) {
    EmulatorProcess emu = emulator("3");  // a still runs when b is launched
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner) << p.error.message;
    auto* list = scan_list_of(*p.scanner);
    ASSERT_NE(list, nullptr) << "the nessus plugin offers its scan list";

    auto empty = list->list_scans(0);
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_TRUE(empty->scans.empty()) << "\"scans\": null is an empty list";
    EXPECT_GT(empty->as_of, 0);

    const std::string a = launched_scan(*p.scanner, "192.0.2.1");
    // A starting point is the server's clock, without its history.
    auto start = list->list_scans(sdk::kScanListStart);
    ASSERT_TRUE(start) << start.error().message;
    EXPECT_TRUE(start->scans.empty()) << "a starting point lists no scan";
    EXPECT_GE(start->as_of, empty->as_of);
    auto all = list->list_scans(0);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(ids_of(*all), std::set<std::string>{a});
    EXPECT_EQ(all->scans[0].state, sdk::ScanState::running);
    EXPECT_EQ(all->scans[0].scanner_status, "running");

    // Nessus counts in seconds: a scan launched two seconds after the last
    // answer is listed, and the one that did not change since is not.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const std::string b = launched_scan(*p.scanner, "192.0.2.2");
    auto changed = list->list_scans(all->as_of + 2);
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(ids_of(*changed).count(b), 1U);
    EXPECT_EQ(ids_of(*changed).count(a), 0U) << "scan " << a << " has not changed since";

    // Its end is a change: the next listing names it, completed.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool seen_done = false;
    auto since = changed->as_of;
    while (!seen_done && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto next = list->list_scans(since);
        ASSERT_TRUE(next) << next.error().message;
        since = next->as_of;
        for (const auto& s : next->scans) seen_done |= s.scan_id == a && s.state == sdk::ScanState::completed;
    }
    EXPECT_TRUE(seen_done) << "scan " << a << " ended and no listing said so";
}

TEST(NessusScanList, EachVirtualScannerOfTheEmulatorListsItsOwnScans) {
    // The emulator stands in for many servers at /vs/NAME (the benchmarks'
    // pools): each lists only its own scans, as separate servers would.
    EmulatorProcess emu = emulator();
    auto east = load(config(emu.url() + "/vs/east"));
    auto west = load(config(emu.url() + "/vs/west"));
    ASSERT_TRUE(east.scanner && west.scanner);
    const std::string e = launched_scan(*east.scanner, "192.0.2.1");
    const std::string w = launched_scan(*west.scanner, "192.0.2.2");
    auto le = scan_list_of(*east.scanner)->list_scans(0);
    auto lw = scan_list_of(*west.scanner)->list_scans(0);
    ASSERT_TRUE(le && lw);
    EXPECT_EQ(ids_of(*le), std::set<std::string>{e});
    EXPECT_EQ(ids_of(*lw), std::set<std::string>{w});
    // The scans themselves are reached by id through either.
    auto polled = east.scanner->poll_scan(w);
    EXPECT_TRUE(polled) << (polled ? "" : polled.error().message);
}

TEST(NessusScanList, AnUnreachableScannerIsATransientError) {
    EmulatorProcess emu = emulator();
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    emu.stop();
    auto r = scan_list_of(*p.scanner)->list_scans(0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::transient) << r.error().message;
}

TEST(ScanBoard, RunsShareOneListingPerIntervalAndWakeOnlyWhenTheirScanChanges) {
    EmulatorProcess emu = emulator("0.6");
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    auto* list = scan_list_of(*p.scanner);
    ASSERT_NE(list, nullptr);
    const auto period = std::chrono::milliseconds(200);
    Board board(*list, period, "emu_1");

    // Eight runs, each watching its scan before launching it, as TaskRun
    // does, and asking to be woken for nothing but its scan (no own checks).
    constexpr int kRuns = 8;
    std::vector<std::thread> runs;
    std::atomic<int> completed{0};
    std::atomic<int> polls{0};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRuns; ++i) {
        runs.emplace_back([&, i] {
            auto id = p.scanner->create_scan(request("192.0.2." + std::to_string(i + 1)));
            ASSERT_TRUE(id);
            auto watch = board.watch(*id);
            ASSERT_TRUE(p.scanner->launch_scan(*id).ok());
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            std::optional<sdk::ListedScan> shown;
            while (std::chrono::steady_clock::now() < deadline) {
                const auto seen = board.next(*watch, deadline);
                ASSERT_NE(seen.outcome, Board::Outcome::stopped);
                ASSERT_FALSE(seen.error.has_value()) << seen.error->message;
                if (seen.outcome == Board::Outcome::poll) {
                    // Watched before the board's first answer: told once to
                    // poll; a run would. From then on the listings vouch.
                    ++polls;
                    continue;
                }
                if (std::chrono::steady_clock::now() >= deadline) break;
                // Woken before its own time: only a new state of its scan may do that.
                ASSERT_TRUE(seen.scan.has_value()) << "scan " << *id << ": woken with nothing new";
                if (shown) {
                    EXPECT_FALSE(seen.scan->state == shown->state && seen.scan->scanner_status == shown->scanner_status)
                        << "scan " << *id << ": woken again for state " << seen.scan->scanner_status;
                }
                shown = seen.scan;
                if (sdk::is_terminal(seen.scan->state)) {
                    EXPECT_EQ(seen.scan->state, sdk::ScanState::completed);
                    ++completed;
                    return;
                }
            }
            ADD_FAILURE() << "scan " << *id << ": the board never showed its end";
        });
    }
    for (auto& t : runs) t.join();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(completed.load(), kRuns);
    // One listing per interval for all of them, not one per run.
    const auto intervals = took / period + 1;
    EXPECT_LE(board.listings(), static_cast<std::uint64_t>(intervals) + 1)
        << "listings " << board.listings() << " over " << intervals << " intervals";
    EXPECT_LE(polls.load(), kRuns) << "each run is told to poll once at most, before the board's first answer";
    // Nothing watched: no more listings.
    const auto made = board.listings();
    std::this_thread::sleep_for(period * 4);
    EXPECT_LE(board.listings(), made + 1) << "the board kept listing with nothing watched";
}

TEST(ScanBoard, ListingsShowOnlyChangesAfterAWatchSoAResumedScanIsPolledFirst) {
    // A scan that ended before anyone watched it is in no listing the board
    // makes from then on (they list changes since the last answer), which
    // is why a run resuming a scan polls it itself first. A scan watched
    // before its launch shows every change.
    EmulatorProcess emu = emulator("0.3");
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    std::string ended;
    ASSERT_EQ(run_to_end(*p.scanner, request("192.0.2.9"), ended), sdk::ScanState::completed);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(2100));  // the plugin asks from a second before the last answer
    Board board(*scan_list_of(*p.scanner), std::chrono::milliseconds(100), "emu_1");
    auto old = board.watch(ended);
    const auto far = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(20); };
    EXPECT_EQ(board.next(*old, far()).outcome, Board::Outcome::poll) << "watched before the board's first answer";

    auto id = p.scanner->create_scan(request("192.0.2.10"));
    ASSERT_TRUE(id);
    auto watch = board.watch(*id);
    ASSERT_TRUE(p.scanner->launch_scan(*id).ok());
    const auto deadline = far();
    std::optional<sdk::ListedScan> last;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto seen = board.next(*watch, deadline);
        ASSERT_EQ(seen.outcome, Board::Outcome::listed) << "watched after the board's first answer";
        last = seen.scan;
        if (last && sdk::is_terminal(last->state)) break;
    }
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->state, sdk::ScanState::completed);
    const auto seen_old = board.next(*old, std::chrono::steady_clock::now());
    EXPECT_EQ(seen_old.outcome, Board::Outcome::listed);
    EXPECT_FALSE(seen_old.scan.has_value()) << "the scan that ended first is never listed again";
}

TEST(ScanBoard, FailingListingsAreBackedOffWhileRunsPollEveryIntervalAndInterruptEndsEveryWait) {
    EmulatorProcess emu = emulator();
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    emu.stop();
    const auto period = std::chrono::milliseconds(100);
    Board board(*scan_list_of(*p.scanner), period, "emu_1");
    auto watch = board.watch("12345");
    // For 2 s the run asks to be woken much later, yet each answer comes
    // within about a period and says "poll", with the listing's error, as
    // it would poll without the board; the listings themselves come ever
    // further apart (100, 200, 400 ms...).
    const auto t0 = std::chrono::steady_clock::now();
    int rounds = 0;
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)) {
        const auto r0 = std::chrono::steady_clock::now();
        const auto seen = board.next(*watch, r0 + std::chrono::seconds(30));
        ++rounds;
        ASSERT_EQ(seen.outcome, Board::Outcome::poll);
        ASSERT_TRUE(seen.error.has_value());
        EXPECT_EQ(seen.error->kind, sdk::ErrorKind::transient) << seen.error->message;
        EXPECT_LT(std::chrono::steady_clock::now() - r0, std::chrono::seconds(5)) << "a round waited on the backoff";
    }
    EXPECT_GE(rounds, 8) << "the run was not told to poll every interval";
    EXPECT_LE(board.listings(), 6U) << "failing listings were not backed off";

    // A stop wakes a run waiting for its scan at once.
    Board slow(*scan_list_of(*p.scanner), std::chrono::hours(1), "emu_1");
    auto w = slow.watch("12345");
    (void)slow.next(*w, std::chrono::steady_clock::now() + std::chrono::seconds(10));  // the first listing fails fast
    auto waiting = std::async(std::launch::async, [&] {
        return slow.next(*w, std::chrono::steady_clock::now() + std::chrono::hours(1)).outcome;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    slow.interrupt();
    ASSERT_EQ(waiting.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "interrupt() woke no one";
    EXPECT_EQ(waiting.get(), Board::Outcome::stopped);
    EXPECT_EQ(slow.next(*w, std::chrono::steady_clock::now()).outcome, Board::Outcome::stopped)
        << "and every later wait";
}

TEST(ScanBoard, ASlowListingHoldsUpNoRun) {
    // Every answer takes 1.5 s: a run asking to be woken in 300 ms (its own
    // check is due) returns then with what the board knew, while the
    // board's listing is still on the wire.
    EmulatorProcess emu(NESSUS_EMULATOR, {"--user", "admin:adminpw", "--slow-ms", "1500"});
    auto p = load(config(emu.url()));
    ASSERT_TRUE(p.scanner);
    Board board(*scan_list_of(*p.scanner), std::chrono::milliseconds(200), "emu_1");
    auto first = board.watch("1");  // starts the listings
    for (int i = 0; i < 200 && board.listings() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_GE(board.listings(), 1U) << "the board's first answer (slow) never came";
    auto other = board.watch("2");  // watched after the first answer: the listings vouch for it
    const auto t0 = std::chrono::steady_clock::now();
    const auto seen = board.next(*other, t0 + std::chrono::milliseconds(300));
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(seen.outcome, Board::Outcome::listed);
    EXPECT_FALSE(seen.scan.has_value());
    EXPECT_LT(waited, std::chrono::milliseconds(1000)) << "a run waited out the board's whole listing";
}
