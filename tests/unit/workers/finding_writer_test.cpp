// FindingWriter and validate_with_findings() over the real sqlite-store
// plugin in a temporary data dir, and the real nessus-validator plugin over
// the real exports: batches, the lease fence, clearing an earlier run,
// transient retries against a database another connection has locked.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

#include "report_items.h"

#include "scanorch/framework/json/sdk_json.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/workers/finding_writer.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/store.h"
#include "scanorch/sdk/validator.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;

namespace {

using scanorch::testing::report_item_tags;

constexpr std::int64_t kNow = 1'750'000'000'000;

/// Passes every call to the real index and records the batches it was given.
class RecordingIndex final : public sdk::FindingIndex {
public:
    explicit RecordingIndex(sdk::FindingIndex& real) : real_(real) {}
    std::vector<std::size_t> batches;
    int clears = 0;
    /// Runs before the append of this number (1 = the first): another
    /// worker taking the task over between two batches.
    std::optional<std::size_t> before_append;
    std::function<void()> meanwhile;

    sdk::Result<bool> append(const std::string& task_id, const std::string& token,
                             const std::vector<sdk::Finding>& batch) noexcept override {
        batches.push_back(batch.size());
        if (before_append && batches.size() == *before_append && meanwhile) meanwhile();
        return real_.append(task_id, token, batch);
    }
    sdk::Result<bool> clear(const std::string& task_id, const std::string& token) noexcept override {
        ++clears;
        return real_.clear(task_id, token);
    }
    sdk::Result<sdk::FindingPage> page(const sdk::FindingPageQuery& q) noexcept override { return real_.page(q); }
    sdk::Result<sdk::FindingHits> search(const sdk::FindingSearch& q) noexcept override { return real_.search(q); }
    sdk::Result<sdk::Comparison> compare(const std::string& a, const std::string& b,
                                         sdk::Severity s) noexcept override {
        return real_.compare(a, b, s);
    }

private:
    sdk::FindingIndex& real_;
};

sdk::Finding make_finding(std::uint64_t seq, std::size_t output_bytes = 40) {
    sdk::Finding f;
    f.seq = seq;
    f.host = "host-" + std::to_string(seq % 7) + ".example.org";
    f.host_ip = "192.0.2." + std::to_string(seq % 7 + 1);
    f.port = seq % 3 == 0 ? 0 : 443;
    f.protocol = "tcp";
    f.service = f.port == 0 ? "general" : "www";
    f.plugin_id = 10000 + seq;
    f.plugin_name = "Check " + std::to_string(seq);
    f.plugin_family = "General";
    f.severity = static_cast<sdk::Severity>(seq % 5);
    f.risk_factor = "None";
    if (seq % 2 == 0) f.cvss3_base_score = 7.5;
    if (seq % 4 == 1) f.cves = {"CVE-2024-" + std::to_string(1000 + seq), "CVE-2023-0001"};
    f.synopsis = "synopsis " + std::to_string(seq);
    f.plugin_output = std::string(output_bytes, 'x');
    f.seen_at_ms = seq % 10 == 0 ? 0 : kNow - 5000;  // every tenth leaves the time to the host
    return f;
}

class FindingWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        dir_ = std::filesystem::temp_directory_path() /
               ("scanorch-finding-writer-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::create_directories(dir_);
        ASSERT_TRUE(loader_.load_file(SQLITE_STORE_PLUGIN).ok());
        auto services = std::make_shared<sf::HostServices>(nullptr, dir_.string());
        auto made = loader_.instantiate<sdk::Store>("sqlite-store", R"({"busy_timeout_ms":50,"synchronous":"normal"})",
                                                    sf::HostApi::make(services, "sqlite-store"));
        ASSERT_TRUE(made) << made.error().message;
        store_ = std::move(made).value();
        sdk::StoredTask t;
        t.task_id = "task-1";
        t.status = sdk::TaskState::running;
        t.targets = "192.0.2.0/28";
        t.lease_token = "lease-1";
        t.created_at_ms = t.updated_at_ms = kNow - 60'000;
        t.document = "{}";
        t.summary = "{}";
        ASSERT_TRUE(store_->tasks().create(t));
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    /// Another claim takes the task over, as a worker re-claiming it would.
    void move_lease(const std::string& token) {
        auto t = store_->tasks().get("task-1");
        ASSERT_TRUE(t);
        t->lease_token = token;
        auto u = store_->tasks().update(*t, {});
        ASSERT_TRUE(u);
        ASSERT_EQ(u->outcome, sdk::UpdateOutcome::written);
    }

    std::vector<sdk::Finding> all_findings() {
        std::vector<sdk::Finding> out;
        sdk::FindingPageQuery q;
        q.task_id = "task-1";
        q.limit = 400;  // several pages, so the order holds across cursors too
        for (;;) {
            auto page = store_->findings().page(q);
            EXPECT_TRUE(page) << page.error().message;
            if (!page) break;
            out.insert(out.end(), page->findings.begin(), page->findings.end());
            if (page->next_cursor.empty()) break;
            q.cursor = page->next_cursor;
        }
        return out;
    }

    sf::FindingBatching quick(std::size_t max_findings = 500) {
        sf::FindingBatching b;
        b.max_findings = max_findings;
        b.backoff = std::chrono::milliseconds(20);
        return b;
    }

    std::filesystem::path dir_;
    sf::PluginLoader loader_;
    std::shared_ptr<sdk::Store> store_;
};

}  // namespace

TEST_F(FindingWriterTest, WritesEveryFindingInBatchesAndPagesThemInOrder) {
    RecordingIndex index(store_->findings());
    sf::FindingWriter writer(index, "task-1", "lease-1", kNow, quick());
    ASSERT_TRUE(writer.begin());
    for (std::uint64_t i = 0; i < 1234; ++i) ASSERT_TRUE(writer.accept(make_finding(i)));
    ASSERT_TRUE(writer.drain());
    EXPECT_EQ(index.batches, (std::vector<std::size_t>{500, 500})) << "full batches go out as they fill";
    EXPECT_EQ(writer.written(), 1000u);
    ASSERT_TRUE(writer.finish());
    EXPECT_EQ(index.batches, (std::vector<std::size_t>{500, 500, 234}));
    EXPECT_EQ(writer.written(), 1234u);

    const auto all = all_findings();
    ASSERT_EQ(all.size(), 1234u);
    for (std::uint64_t i = 0; i < all.size(); ++i) {
        const auto want = make_finding(i);
        ASSERT_EQ(all[i].seq, i);
        EXPECT_EQ(all[i].plugin_id, want.plugin_id);
        EXPECT_EQ(all[i].host, want.host);
        EXPECT_EQ(all[i].port, want.port);
        EXPECT_EQ(all[i].severity, want.severity);
        EXPECT_EQ(all[i].cves.size(), want.cves.size());
        EXPECT_EQ(all[i].plugin_output, want.plugin_output);
        EXPECT_EQ(all[i].seen_at_ms, want.seen_at_ms == 0 ? kNow : want.seen_at_ms) << i;
    }
}

TEST_F(FindingWriterTest, ASlowStoreHoldsTheValidatorBackAtTwoBatches) {
    // The first batch is stuck in the store until the gate opens.
    RecordingIndex index(store_->findings());
    std::promise<void> open;
    auto gate = open.get_future().share();
    index.before_append = 1;
    index.meanwhile = [gate] { gate.wait(); };
    sf::FindingWriter writer(index, "task-1", "lease-1", kNow, quick(10));
    ASSERT_TRUE(writer.begin());
    std::atomic<std::uint64_t> accepted{0};
    std::thread validating([&] {
        for (std::uint64_t i = 0; i < 30; ++i) {
            if (!writer.accept(make_finding(i))) return;
            accepted = i + 1;
        }
    });
    // 0..9 is being written; 10..19 fills, and its hand-over (the 20th
    // finding) waits for the write before it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (accepted.load() < 19 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(accepted.load(), 19u) << "a third batch was buffered while the store was stuck";
    open.set_value();
    validating.join();
    EXPECT_EQ(accepted.load(), 30u);
    ASSERT_TRUE(writer.finish());
    EXPECT_EQ(writer.written(), 30u);
    EXPECT_EQ(index.batches, (std::vector<std::size_t>{10, 10, 10}));
    const auto all = all_findings();
    ASSERT_EQ(all.size(), 30u);
    for (std::uint64_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i);
}

TEST_F(FindingWriterTest, ABatchIsAlsoBoundedByItsText) {
    RecordingIndex index(store_->findings());
    auto batching = quick();
    batching.max_bytes = 64 * 1024;
    sf::FindingWriter writer(index, "task-1", "lease-1", kNow, batching);
    ASSERT_TRUE(writer.begin());
    // 16,000 bytes of output each: four findings pass 64 KiB, three do not.
    for (std::uint64_t i = 0; i < 41; ++i) ASSERT_TRUE(writer.accept(make_finding(i, 16'000)));
    ASSERT_TRUE(writer.finish());
    ASSERT_EQ(index.batches.size(), 11u);
    for (std::size_t b = 0; b + 1 < index.batches.size(); ++b) EXPECT_EQ(index.batches[b], 4u) << b;
    EXPECT_EQ(index.batches.back(), 1u);
    EXPECT_EQ(all_findings().size(), 41u);
}

TEST_F(FindingWriterTest, AMovedLeaseStopsTheWriterAndNothingMoreIsWritten) {
    sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, quick(100));
    ASSERT_TRUE(writer.begin());
    for (std::uint64_t i = 0; i < 250; ++i) ASSERT_TRUE(writer.accept(make_finding(i)));
    ASSERT_TRUE(writer.drain());
    EXPECT_EQ(writer.written(), 200u);
    move_lease("lease-2");
    // Batch 200..299 is handed over at 299 and refused on the writing
    // thread; the refusal reaches the validating thread at the latest when
    // it hands over the next batch (399).
    sdk::Result<void> r;
    std::uint64_t i = 250;
    for (; i < 500 && r; ++i) r = writer.accept(make_finding(i));
    ASSERT_FALSE(r);
    EXPECT_GE(i, 300u);
    EXPECT_LE(i, 400u) << "refused by the hand-over after the refused batch at the latest";
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::forbidden);
    EXPECT_NE(r.error().message.find("lease moved to another claim"), std::string::npos) << r.error().message;
    EXPECT_TRUE(writer.fenced());
    EXPECT_EQ(writer.written(), 200u);
    // Sticky: later findings and finish() write nothing either.
    auto again = writer.accept(make_finding(300));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, sdk::ErrorKind::forbidden);
    ASSERT_FALSE(writer.finish());
    ASSERT_FALSE(writer.begin());
    EXPECT_EQ(all_findings().size(), 200u);

    // The new owner's writer works, and its begin() drops the old run's rows.
    sf::FindingWriter owner(store_->findings(), "task-1", "lease-2", kNow, quick(100));
    ASSERT_TRUE(owner.begin());
    EXPECT_TRUE(all_findings().empty());
}

TEST_F(FindingWriterTest, ARunThatAdoptsANewerClaimGoesOnWritingUnderIt) {
    // The lease lapsed and the task came back to the same run: adopt() moves
    // the record's token and the run's together. Here the move lands after
    // the writer read the token for its second batch, before the write.
    RecordingIndex index(store_->findings());
    std::mutex m;
    std::string current = "lease-1";
    index.before_append = 2;
    index.meanwhile = [&] {
        move_lease("lease-2");
        const std::lock_guard lock(m);
        current = "lease-2";
    };
    sf::FindingWriter writer(
        index, "task-1",
        [&] {
            const std::lock_guard lock(m);
            return current;
        },
        kNow, quick(10));
    ASSERT_TRUE(writer.begin());
    for (std::uint64_t i = 0; i < 35; ++i) ASSERT_TRUE(writer.accept(make_finding(i)));
    auto done = writer.finish();
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_FALSE(writer.fenced());
    EXPECT_EQ(writer.written(), 35u);
    // 35 findings in four batches; the second was refused once and sent again.
    EXPECT_EQ(index.batches, (std::vector<std::size_t>{10, 10, 10, 10, 5}));
    EXPECT_EQ(all_findings().size(), 35u);
}

TEST_F(FindingWriterTest, ARunAdoptingClaimsWithoutEndIsHandedBackNotLost) {
    // Every batch is refused because the run adopted yet another claim
    // meanwhile: the run still holds the task. Reported as fenced, the run
    // would end as lost and give up the claim it holds now, dropping a task
    // whose record says it runs; past the bound it is a transient failure,
    // which hands the task back.
    RecordingIndex index(store_->findings());
    std::mutex m;
    int lease = 1;
    index.before_append = 1;
    index.meanwhile = [&] {
        // From the first append on, each one moves the lease before it lands.
        index.before_append = index.batches.size() + 1;
        const std::lock_guard lock(m);
        move_lease("lease-" + std::to_string(++lease));
    };
    sf::FindingWriter writer(
        index, "task-1",
        [&] {
            const std::lock_guard lock(m);
            return "lease-" + std::to_string(lease);
        },
        kNow, quick(10));
    ASSERT_TRUE(writer.begin());
    for (std::uint64_t i = 0; i < 10; ++i) (void)writer.accept(make_finding(i));
    auto done = writer.finish();
    ASSERT_FALSE(done) << "every batch was refused";
    EXPECT_FALSE(writer.fenced()) << "a run that adopts every claim is not one that lost the task";
    ASSERT_TRUE(writer.error());
    EXPECT_EQ(writer.error()->kind, sdk::ErrorKind::transient) << writer.error()->message;
    EXPECT_NE(writer.error()->message.find("claimed again"), std::string::npos) << writer.error()->message;
    EXPECT_GT(index.batches.size(), 1u) << "adopted claims were retried";
    EXPECT_LT(index.batches.size(), 20u) << "the retries are bounded";
}

TEST_F(FindingWriterTest, FinishRefusesAnIndexThatLostABatch) {
    // A database crash loses batches that committed without waiting for the
    // disk, while the run goes on: here the first batch's rows vanish.
    RecordingIndex index(store_->findings());
    index.before_append = 3;
    index.meanwhile = [&] {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "store.sqlite").c_str(), &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        EXPECT_EQ(sqlite3_exec(db,
                               "DELETE FROM findings WHERE seq < 10 AND task_key = "
                               "(SELECT task_key FROM tasks WHERE task_id = 'task-1')",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    };
    sf::FindingWriter writer(index, "task-1", "lease-1", kNow, quick(10));
    ASSERT_TRUE(writer.begin());
    for (std::uint64_t i = 0; i < 35; ++i) ASSERT_TRUE(writer.accept(make_finding(i)));
    auto done = writer.finish();
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().kind, sdk::ErrorKind::transient) << "the run hands back and indexes again";
    EXPECT_NE(done.error().message.find("holds 25 of the 35 findings"), std::string::npos) << done.error().message;
    EXPECT_FALSE(writer.fenced());
}

TEST_F(FindingWriterTest, BeginClearsAnEarlierRun) {
    {
        sf::FindingWriter first(store_->findings(), "task-1", "lease-1", kNow, quick());
        ASSERT_TRUE(first.begin());
        for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(first.accept(make_finding(i)));
        ASSERT_TRUE(first.finish());
    }
    ASSERT_EQ(all_findings().size(), 10u);
    sf::FindingWriter second(store_->findings(), "task-1", "lease-1", kNow, quick());
    ASSERT_TRUE(second.begin());
    EXPECT_TRUE(all_findings().empty());
    for (std::uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(second.accept(make_finding(i)));
    ASSERT_TRUE(second.finish());
    const auto now = all_findings();
    ASSERT_EQ(now.size(), 3u);
    EXPECT_EQ(now.back().seq, 2u);
}

TEST_F(FindingWriterTest, FindingsOutOfOrderAreRefused) {
    sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, quick());
    ASSERT_TRUE(writer.begin());
    ASSERT_TRUE(writer.accept(make_finding(0)));
    auto gap = writer.accept(make_finding(2));
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().kind, sdk::ErrorKind::internal);
    EXPECT_NE(gap.error().message.find("sent finding 2 where 1 was due"), std::string::npos) << gap.error().message;
    ASSERT_FALSE(writer.finish());
    EXPECT_TRUE(all_findings().empty());
}

TEST_F(FindingWriterTest, ATransientStoreIsRetriedThenGivenUp) {
    // An earlier run's findings, more than this run's: begin() has rows to
    // clear, so it must write (a clear with none to delete writes nothing),
    // and a clear that deleted nothing would leave rows past this run's.
    {
        sf::FindingWriter earlier(store_->findings(), "task-1", "lease-1", kNow, quick());
        ASSERT_TRUE(earlier.begin());
        for (std::uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(earlier.accept(make_finding(i)));
        ASSERT_TRUE(earlier.finish());
    }
    // Another connection holds the database's write lock: the store answers
    // transient after its 50 ms busy timeout.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "store.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    // Held throughout: two tries, then the store's transient error.
    auto two = quick(5);
    two.attempts = 2;
    sf::FindingWriter giving_up(store_->findings(), "task-1", "lease-1", kNow, two);
    auto r = giving_up.begin();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::transient);
    EXPECT_NE(r.error().message.find("after 2 tries"), std::string::npos) << r.error().message;
    EXPECT_FALSE(giving_up.fenced());

    // Released while the writer waits between tries: the batch goes in.
    auto patient = quick(5);
    patient.attempts = 6;
    patient.backoff = std::chrono::milliseconds(100);
    sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, patient);
    std::atomic<bool> released{false};
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        released = true;
    });
    auto begun = writer.begin();
    release.join();
    sqlite3_close(db);
    ASSERT_TRUE(released.load());
    ASSERT_TRUE(begun) << begun.error().message;
    for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(writer.accept(make_finding(i)));
    ASSERT_TRUE(writer.finish());
    EXPECT_EQ(all_findings().size(), 5u);
}

// ------------------------------------------------ with the real validator

class ValidateWithFindings : public FindingWriterTest {
protected:
    void SetUp() override {
        FindingWriterTest::SetUp();
        ASSERT_TRUE(loader_.load_file(NESSUS_VALIDATOR_PLUGIN).ok());
        auto services = std::make_shared<sf::HostServices>(nullptr, dir_.string());
        auto made = loader_.instantiate<sdk::Validator>("nessus-validator", "{}",
                                                        sf::HostApi::make(services, "nessus-validator"));
        ASSERT_TRUE(made) << made.error().message;
        validator_ = std::move(made).value();
        minor_ = loader_.find("nessus-validator")->abi_minor;
    }
    void TearDown() override {
        validator_.reset();
        FindingWriterTest::TearDown();
    }
    static std::string fixture(const std::string& name) { return std::string(NESSUS_FIXTURES) + "/" + name; }
    static std::string json(const sdk::ValidationResult& r) { return sf::stringify(sf::to_json(r)); }

    std::shared_ptr<sdk::Validator> validator_;
    std::uint32_t minor_ = 0;
};

TEST_F(ValidateWithFindings, EveryReportItemOfARealExportLandsInTheStore) {
    for (const char* file : {"mitre-heimdall2__sample.nessus", "defectdojo__nessus_v_unknown.nessus",
                             "defectdojo__nessus_with_cvssv3.nessus"}) {
        SCOPED_TRACE(file);
        const sdk::ValidationRequest req{fixture(file), sdk::ScanType::trusted_basic, ""};
        ASSERT_TRUE(std::filesystem::exists(req.path)) << "missing fixture (set SCANORCH_NESSUS_FIXTURES)";
        sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, quick(100));
        sf::FindingsIndexing how = sf::FindingsIndexing::no_writer;
        auto verdict = sf::validate_with_findings(*validator_, minor_, req, &writer, &how);
        ASSERT_TRUE(verdict) << verdict.error().message;
        EXPECT_EQ(how, sf::FindingsIndexing::indexed);

        const auto items = report_item_tags(req.path);
        EXPECT_EQ(verdict->stats.report_items, items);
        EXPECT_EQ(writer.written(), items);
        const auto all = all_findings();  // this run only: begin() cleared the previous file's
        ASSERT_EQ(all.size(), items);
        for (std::uint64_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].seq, i);

        auto plain = validator_->validate(req);
        ASSERT_TRUE(plain);
        EXPECT_EQ(json(*verdict), json(*plain));
    }
    // The last file says when its host was scanned; the writer kept that.
    EXPECT_EQ(all_findings().front().seen_at_ms, 1648044472LL * 1000);
}

// Every 2.x validator may be asked for findings; without a writer the
// host validates only, and the verdict is the same as with one.
TEST_F(ValidateWithFindings, NoWriterIsPlainValidation) {
    const sdk::ValidationRequest req{fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""};
    EXPECT_NE(sf::finding_emitter(*validator_, 0), nullptr) << "kValidatorFindings is part of ABI 2.0";
    sf::FindingsIndexing how = sf::FindingsIndexing::indexed;
    auto without = sf::validate_with_findings(*validator_, minor_, req, nullptr, &how);
    ASSERT_TRUE(without);
    EXPECT_EQ(how, sf::FindingsIndexing::no_writer);
    EXPECT_TRUE(all_findings().empty());

    sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, quick());
    auto with = sf::validate_with_findings(*validator_, minor_, req, &writer, &how);
    ASSERT_TRUE(with);
    EXPECT_EQ(how, sf::FindingsIndexing::indexed);
    EXPECT_EQ(json(*with), json(*without));
    EXPECT_FALSE(all_findings().empty());
}

TEST_F(ValidateWithFindings, ALeaseMovedBeforeTheRunIsTheWritersError) {
    move_lease("lease-2");
    sf::FindingWriter writer(store_->findings(), "task-1", "lease-1", kNow, quick());
    auto r = sf::validate_with_findings(
        *validator_, minor_, {fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""}, &writer);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::forbidden);
    EXPECT_TRUE(writer.fenced());
    EXPECT_TRUE(all_findings().empty());
}

TEST_F(ValidateWithFindings, ALeaseMovedInTheMiddleOfThePassStopsTheValidatorWithTheFence) {
    // Another worker takes the task over after two batches of 50 were written:
    // the third is refused, the plugin stops its pass and hands the error back.
    RecordingIndex index(store_->findings());
    index.before_append = 3;
    index.meanwhile = [&] { move_lease("lease-2"); };
    sf::FindingWriter writer(index, "task-1", "lease-1", kNow, quick(50));
    sf::FindingsIndexing how = sf::FindingsIndexing::no_writer;
    auto r = sf::validate_with_findings(
        *validator_, minor_, {fixture("pytenable__example.nessus"), sdk::ScanType::trusted_basic, ""}, &writer, &how);
    ASSERT_FALSE(r);
    EXPECT_EQ(how, sf::FindingsIndexing::indexed);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::forbidden);
    EXPECT_NE(r.error().message.find("lease moved to another claim"), std::string::npos) << r.error().message;
    EXPECT_TRUE(writer.fenced());
    EXPECT_EQ(writer.written(), 100u);
    EXPECT_EQ(index.batches, (std::vector<std::size_t>{50, 50, 50})) << "nothing after the refused batch";
    const auto kept = all_findings();
    ASSERT_EQ(kept.size(), 100u);
    EXPECT_EQ(kept.back().seq, 99u);
}
