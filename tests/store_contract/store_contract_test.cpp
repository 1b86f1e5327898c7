// The store contract (sdk/store.h), run against every store plugin.
#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <sqlite3.h>

#include "released_schemas.h"
#include "scanorch/framework/workers/finding_writer.h"
#include "scanorch/sdk/extensions.h"
#include "scanorch/sdk/task_removal.h"
#include "scanorch/sdk/task_stamps.h"
#include "store_fixture.h"

using namespace contract;

namespace {

constexpr std::int64_t kBase = 1'700'000'000'000;

#define MUST(expr)                                                                    \
    [&] {                                                                             \
        auto r_ = (expr);                                                             \
        EXPECT_TRUE(r_.ok()) << #expr << ": " << (r_.ok() ? "" : r_.error().message); \
        return r_;                                                                    \
    }()

// Deterministic findings with every attribute varying on its own period, so
// each filter selects a different, irregular subset.
sdk::Finding make_finding(std::uint64_t i) {
    sdk::Finding f;
    f.seq = i;
    f.host = "192.0.2." + std::to_string(i % 50 + 1);
    f.host_ip = f.host;
    static const std::uint32_t ports[] = {0, 22, 80, 443};
    f.port = ports[i % 4];
    f.protocol = i % 6 == 0 ? "udp" : "tcp";
    f.service = f.port == 22 ? "ssh" : "www";
    f.plugin_id = 10000 + i % 37;
    f.plugin_name = "Check " + std::to_string(f.plugin_id);
    f.plugin_family = "General";
    f.severity = static_cast<sdk::Severity>((i * 7) % 5);
    f.risk_factor = std::string(sdk::to_string(f.severity));
    const double score = static_cast<double>(static_cast<int>(f.severity)) * 2.0 + 0.5;
    if (i % 3 == 0) {
        f.cvss_base_score = score - 0.5;
    } else {
        f.cvss3_base_score = score;
    }
    if (i % 11 == 0) f.cves = {"CVE-2024-" + std::to_string(1000 + i % 5), "CVE-2023-0001"};
    // A plugin's texts are the same on every host it reports (as in real
    // exports), so stores that keep a text set once are exercised throughout.
    f.synopsis = "Synopsis of " + std::to_string(f.plugin_id);
    f.solution = "Upgrade";
    f.description = i % 13 == 0 ? "contains the needle here" : "plain";
    f.see_also = "https://example.invalid/" + std::to_string(f.plugin_id);
    f.plugin_output = i % 17 == 0 ? "OUTPUT WITH NEEDLE" : "output";
    f.seen_at_ms = kBase + static_cast<std::int64_t>(i);
    return f;
}

bool matches(const sdk::Finding& f, const sdk::FindingFilter& q) {
    if (!q.severities.empty() && std::find(q.severities.begin(), q.severities.end(), f.severity) == q.severities.end())
        return false;
    if (q.min_severity && f.severity < *q.min_severity) return false;
    if (!q.host.empty() && f.host != q.host) return false;
    if (q.plugin_id && f.plugin_id != *q.plugin_id) return false;
    if (q.port && f.port != *q.port) return false;
    if (q.min_cvss) {
        const auto s = f.cvss3_base_score ? f.cvss3_base_score : f.cvss_base_score;
        if (!s || *s < *q.min_cvss) return false;
    }
    if (!q.text.empty()) {
        auto lower = [](std::string s) {
            for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            return s;
        };
        const auto n = lower(q.text);
        bool hit = false;
        for (const auto* s : {&f.plugin_name, &f.synopsis, &f.description, &f.plugin_output})
            hit = hit || lower(*s).find(n) != std::string::npos;
        if (!hit) return false;
    }
    return true;
}

void expect_same_finding(const sdk::Finding& a, const sdk::Finding& b, bool with_text) {
    EXPECT_EQ(a.seq, b.seq);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.host_ip, b.host_ip);
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.protocol, b.protocol);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.plugin_id, b.plugin_id);
    EXPECT_EQ(a.plugin_name, b.plugin_name);
    EXPECT_EQ(a.plugin_family, b.plugin_family);
    EXPECT_EQ(a.severity, b.severity);
    EXPECT_EQ(a.risk_factor, b.risk_factor);
    EXPECT_EQ(a.cvss3_base_score, b.cvss3_base_score);
    EXPECT_EQ(a.cvss_base_score, b.cvss_base_score);
    EXPECT_EQ(a.cves, b.cves);
    EXPECT_EQ(a.synopsis, b.synopsis);
    EXPECT_EQ(a.solution, b.solution);
    EXPECT_EQ(a.seen_at_ms, b.seen_at_ms);
    if (with_text) {
        EXPECT_EQ(a.description, b.description);
        EXPECT_EQ(a.see_also, b.see_also);
        EXPECT_EQ(a.plugin_output, b.plugin_output);
    }
}

void expect_same_task(const sdk::StoredTask& a, const sdk::StoredTask& b) {
    EXPECT_EQ(a.task_id, b.task_id);
    EXPECT_EQ(a.client, b.client);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.scanner, b.scanner);
    EXPECT_EQ(a.pool, b.pool);
    EXPECT_EQ(a.targets, b.targets);
    EXPECT_EQ(a.lease_token, b.lease_token);
    EXPECT_EQ(a.created_at_ms, b.created_at_ms);
    EXPECT_EQ(a.updated_at_ms, b.updated_at_ms);
    EXPECT_EQ(a.completed_at_ms, b.completed_at_ms);
    EXPECT_EQ(a.last_accessed_at_ms, b.last_accessed_at_ms);
    EXPECT_EQ(a.summary, b.summary);
    EXPECT_EQ(a.document, b.document);
    EXPECT_EQ(a.payload, b.payload);
}

}  // namespace

// ------------------------------------------------------------------ tasks

TEST_P(StoreContract, EveryTaskFieldRoundTrips) {
    auto t = sample_task("round-trip_1");
    t.status = sdk::TaskState::running;
    t.lease_token = "lease-abc";
    t.completed_at_ms = kBase + 9;
    t.payload = std::string("line1\nline2\t\"quoted\" 'single' \\ ✓");
    auto made = MUST(tasks().create(t));
    ASSERT_TRUE(made);
    EXPECT_EQ(made->revision, 1u);
    auto got = MUST(tasks().get("round-trip_1"));
    ASSERT_TRUE(got);
    expect_same_task(*got, t);
    EXPECT_EQ(got->revision, 1u);

    // Every status word survives, through update as well as create.
    for (auto s : {sdk::TaskState::queued, sdk::TaskState::running, sdk::TaskState::completed, sdk::TaskState::failed,
                   sdk::TaskState::cancelled}) {
        auto next = *got;
        next.status = s;
        next.document = "doc for " + std::string(sdk::to_string(s));
        auto u = MUST(tasks().update(next, {}));
        ASSERT_TRUE(u);
        EXPECT_EQ(u->outcome, sdk::UpdateOutcome::written);
        auto again = MUST(tasks().get("round-trip_1"));
        ASSERT_TRUE(again);
        EXPECT_EQ(again->status, s);
        EXPECT_EQ(again->document, next.document);
        EXPECT_EQ(again->payload, t.payload) << "update never changes the payload";
        EXPECT_EQ(again->created_at_ms, t.created_at_ms);
    }
    // Another instance (another process) reads the same row.
    auto other = make();
    ASSERT_TRUE(other);
    auto seen = MUST(other->tasks().get("round-trip_1"));
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->status, sdk::TaskState::cancelled);
    EXPECT_EQ(seen->revision, 6u);
}

TEST_P(StoreContract, CreateRefusesADuplicateOrABadIdAndGetNamesAMissingTask) {
    ASSERT_TRUE(MUST(tasks().create(sample_task("dup"))));
    auto again = tasks().create(sample_task("dup"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(again.error().message.find("'dup' already exists"), std::string::npos) << again.error().message;
    for (const std::string& bad : std::vector<std::string>{"", "../etc", "a b", "x:y", std::string(65, 'a')}) {
        auto r = tasks().create(sample_task(bad));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input) << bad;
    }
    auto missing = tasks().get("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, sdk::ErrorKind::not_found);
    EXPECT_NE(missing.error().message.find("'nope'"), std::string::npos);
    auto upd = tasks().update(sample_task("nope"), {});
    ASSERT_FALSE(upd);
    EXPECT_EQ(upd.error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(tasks().touch("nope", kBase).error().kind, sdk::ErrorKind::not_found);
    EXPECT_FALSE(*MUST(tasks().remove("nope")));
}

TEST_P(StoreContract, AFencedUpdateLosesToANewerLeaseToken) {
    auto t = sample_task("fenced");
    t.status = sdk::TaskState::running;
    t.lease_token = "old-claim";
    ASSERT_TRUE(MUST(tasks().create(t)));

    // A newer claim takes the task over (the worker's take-over write).
    auto takeover = t;
    takeover.lease_token = "new-claim";
    takeover.document = "taken over";
    auto r = MUST(tasks().update(takeover, {}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, sdk::UpdateOutcome::written);

    // The old claim's write is refused, names the reason, and changes nothing.
    auto late = t;
    late.document = "late write of the old claim";
    sdk::WriteGuard old_claim;
    old_claim.lease_token = "old-claim";
    old_claim.unless_terminal = true;
    auto lost = MUST(tasks().update(late, old_claim));
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->outcome, sdk::UpdateOutcome::fenced);
    EXPECT_EQ(lost->current.lease_token, "new-claim");
    EXPECT_EQ(lost->current.document, "taken over");
    EXPECT_EQ(MUST(tasks().get("fenced"))->document, "taken over");

    // The new claim's own fenced write goes through.
    sdk::WriteGuard new_claim;
    new_claim.lease_token = "new-claim";
    new_claim.unless_terminal = true;
    auto progress = takeover;
    progress.document = "scanning";
    auto ok = MUST(tasks().update(progress, new_claim));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->outcome, sdk::UpdateOutcome::written);
    EXPECT_EQ(ok->current.revision, 3u);

    // Cancelled meanwhile (by the API, no token): the worker's write says "ended".
    auto cancel = ok->current;
    cancel.status = sdk::TaskState::cancelled;
    ASSERT_EQ(MUST(tasks().update(cancel, {}))->outcome, sdk::UpdateOutcome::written);
    progress.document = "would resurrect it";
    auto ended = MUST(tasks().update(progress, new_claim));
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->outcome, sdk::UpdateOutcome::ended);
    EXPECT_EQ(ended->current.status, sdk::TaskState::cancelled);

    // Read-modify-write by revision: a write in between makes the second stale.
    auto a = *MUST(tasks().get("fenced"));
    auto b = a;
    a.document = "first";
    b.document = "second";
    sdk::WriteGuard at_a;
    at_a.revision = a.revision;
    EXPECT_EQ(MUST(tasks().update(a, at_a))->outcome, sdk::UpdateOutcome::written);
    auto stale = MUST(tasks().update(b, at_a));
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->outcome, sdk::UpdateOutcome::stale);
    EXPECT_EQ(stale->current.document, "first");
}

TEST_P(StoreContract, TouchRecordsAReadWithoutCountingAsAChange) {
    auto t = sample_task("touched");
    ASSERT_TRUE(MUST(tasks().create(t)));
    ASSERT_TRUE(MUST(tasks().touch("touched", kBase + 500)));
    auto got = *MUST(tasks().get("touched"));
    EXPECT_EQ(got.last_accessed_at_ms, kBase + 500);
    EXPECT_EQ(got.revision, 1u) << "a read is not a write";
    EXPECT_EQ(got.updated_at_ms, t.updated_at_ms);
    ASSERT_TRUE(MUST(tasks().touch("touched", kBase + 100)));
    EXPECT_EQ(MUST(tasks().get("touched"))->last_accessed_at_ms, kBase + 500) << "never moves back";
    // An update carrying an older read time (read before the touch) keeps the later one.
    t.document = "changed";
    ASSERT_TRUE(MUST(tasks().update(t, {})));
    EXPECT_EQ(MUST(tasks().get("touched"))->last_accessed_at_ms, kBase + 500);
}

// TaskStamps (ABI 1.3): the row's version without the row. Both backends
// offer it; the stamp moves exactly when get() would show a change.
TEST_P(StoreContract, StampsMoveWithEveryUpdateAndTouch) {
    auto* stamps = static_cast<sdk::TaskStamps*>(tasks().extension(sdk::kStoreTaskStamps));
    ASSERT_NE(stamps, nullptr);
    EXPECT_EQ(stamps->stamp("nobody").error().kind, sdk::ErrorKind::not_found);
    auto t = sample_task("stamped");
    ASSERT_TRUE(MUST(tasks().create(t)));
    auto s1 = *MUST(stamps->stamp("stamped"));
    EXPECT_EQ(s1.revision, 1u);
    EXPECT_EQ(s1.last_accessed_at_ms, t.last_accessed_at_ms);
    t.document = "changed";
    ASSERT_TRUE(MUST(tasks().update(t, {})));
    EXPECT_EQ(MUST(stamps->stamp("stamped"))->revision, 2u);
    ASSERT_TRUE(MUST(tasks().touch("stamped", kBase + 900)));
    const auto s3 = *MUST(stamps->stamp("stamped"));
    EXPECT_EQ(s3.revision, 2u) << "a read is not a write";
    EXPECT_EQ(s3.last_accessed_at_ms, kBase + 900);
    const auto row = *MUST(tasks().get("stamped"));
    EXPECT_EQ(row.revision, s3.revision);
    EXPECT_EQ(row.last_accessed_at_ms, s3.last_accessed_at_ms);
}

TEST_P(StoreContract, ListFiltersNewestFirstWithAStableCursorWhileTasksArrive) {
    std::vector<sdk::StoredTask> all;
    const std::vector<std::string> clients = {"", "team-a", "team-b"};
    const std::vector<sdk::TaskState> states = {sdk::TaskState::queued, sdk::TaskState::running,
                                                sdk::TaskState::completed, sdk::TaskState::failed,
                                                sdk::TaskState::cancelled};
    for (int i = 0; i < 240; ++i) {
        auto t = sample_task("t" + std::to_string(i), kBase + (i / 3) * 1000);  // three tasks share each created_at
        t.client = clients[i % 3];
        t.status = states[i % 5];
        t.scanner = "nessus-" + std::to_string(i % 4);
        t.pool = i % 2 ? "dmz" : "lan";
        t.targets = "192.0.2." + std::to_string(i % 7);
        t.document.clear();
        ASSERT_TRUE(tasks().create(t)) << i;
        all.push_back(t);
    }
    auto newest_first = [](const sdk::StoredTask& a, const sdk::StoredTask& b) {
        return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.task_id > b.task_id;
    };
    std::sort(all.begin(), all.end(), newest_first);

    auto page_all = [&](sdk::TaskQuery q, const std::function<void(int)>& between_pages = {}) {
        std::vector<std::string> ids;
        for (int page = 0; page < 1000; ++page) {
            auto p = MUST(tasks().list(q));
            if (!p) break;
            EXPECT_LE(p->tasks.size(), q.limit);
            for (const auto& t : p->tasks) ids.push_back(t.task_id);
            if (p->next_cursor.empty()) break;
            q.cursor = p->next_cursor;
            if (between_pages) between_pages(page);
        }
        return ids;
    };
    auto expected = [&](const std::function<bool(const sdk::StoredTask&)>& keep) {
        std::vector<std::string> ids;
        for (const auto& t : all) {
            if (keep(t)) ids.push_back(t.task_id);
        }
        return ids;
    };

    // Every task once, newest first, while newer tasks arrive between pages:
    // they sort before the cursor, so the walk neither repeats nor skips.
    sdk::TaskQuery q;
    q.limit = 7;
    int arrived = 0;
    auto walked = page_all(q, [&](int) {
        ++arrived;
        auto t = sample_task("new" + std::to_string(arrived), kBase + 10'000'000 + arrived);
        ASSERT_TRUE(tasks().create(t));
    });
    EXPECT_EQ(walked, expected([](const auto&) { return true; }));
    EXPECT_GT(arrived, 30);

    auto only = [&](const std::function<void(sdk::TaskQuery&)>& set,
                    const std::function<bool(const sdk::StoredTask&)>& keep, const char* what) {
        sdk::TaskQuery f;
        f.limit = 11;
        f.created_before_ms = kBase + 10'000'000;  // not the ones that arrived
        set(f);
        EXPECT_EQ(page_all(f), expected(keep)) << what;
    };
    only(
        [](auto& f) {
            f.clients = std::vector<std::string>{"", "team-a"};
        },
        [](const auto& t) { return t.client.empty() || t.client == "team-a"; }, "visible clients");
    only([](auto& f) { f.clients = std::vector<std::string>{}; }, [](const auto&) { return false; },
         "no visible client");
    only(
        [](auto& f) {
            f.statuses = {sdk::TaskState::completed, sdk::TaskState::failed};
        },
        [](const auto& t) { return t.status == sdk::TaskState::completed || t.status == sdk::TaskState::failed; },
        "status");
    only([](auto& f) { f.scanner = "nessus-2"; }, [](const auto& t) { return t.scanner == "nessus-2"; }, "scanner");
    only([](auto& f) { f.pool = "lan"; }, [](const auto& t) { return t.pool == "lan"; }, "pool");
    only([](auto& f) { f.targets = "192.0.2.3"; }, [](const auto& t) { return t.targets == "192.0.2.3"; }, "targets");
    only(
        [](auto& f) {
            f.created_from_ms = kBase + 20'000;
            f.created_before_ms = kBase + 40'000;
        },
        [](const auto& t) { return t.created_at_ms >= kBase + 20'000 && t.created_at_ms < kBase + 40'000; }, "window");
    only(
        [](auto& f) {
            f.clients = std::vector<std::string>{"team-b"};
            f.statuses = {sdk::TaskState::queued};
            f.pool = "dmz";
        },
        [](const auto& t) { return t.client == "team-b" && t.status == sdk::TaskState::queued && t.pool == "dmz"; },
        "combined");

    // Lists carry the summary; the document and payload only when asked.
    sdk::TaskQuery one;
    one.limit = 1;
    auto p = *MUST(tasks().list(one));
    ASSERT_EQ(p.tasks.size(), 1u);
    EXPECT_FALSE(p.tasks[0].summary.empty());
    EXPECT_TRUE(p.tasks[0].payload.empty());
    one.with_document = true;
    EXPECT_FALSE(MUST(tasks().list(one))->tasks[0].payload.empty());

    // Cursors and limits from elsewhere are refused by name.
    sdk::TaskQuery bad;
    bad.cursor = "f1:12";
    auto refused = tasks().list(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(refused.error().message.find("cursor 'f1:12'"), std::string::npos) << refused.error().message;
    bad.cursor.clear();
    bad.limit = 0;
    EXPECT_EQ(tasks().list(bad).error().kind, sdk::ErrorKind::invalid_input);
}

// Ties on created_at are ordered by task_id byte by byte on every backend:
// the host's list positions compare ids that way (TaskStore::list skips the
// ids >= its position within the position's millisecond), so a database whose
// default collation sorts 'a-B' after 'ab' (en_US.UTF-8, ICU: case and
// punctuation weigh less than letters) would make it skip or repeat tasks.
// The PostgreSQL backend's database has such a collation (backends.cpp).
TEST_P(StoreContract, ListOrdersTiesByTaskIdByteWiseSoAPageBoundaryNeverSkipsOrRepeats) {
    const std::vector<std::string> ids = {"Zeta", "alpha", "Alpha", "a-b", "a_b", "aB", "ab", "A-1", "a1",  "a-1",
                                          "b",    "B",     "a--",   "a-",  "Z9",  "z9", "0a", "9Z",  "a-B", "a_B"};
    std::vector<sdk::StoredTask> all;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        // Most share one millisecond; a few around it check the tie sits in the overall order.
        auto t = sample_task(ids[i], kBase + (i % 7 == 0 ? static_cast<std::int64_t>(i) * 1000 - 5000 : 0));
        t.client = i % 2 ? "team-a" : "";
        ASSERT_TRUE(MUST(tasks().create(t))) << ids[i];
        all.push_back(t);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.task_id > b.task_id;
    });
    for (const bool filtered : {false, true}) {
        std::vector<std::string> expected;
        for (const auto& t : all) expected.push_back(t.task_id);
        for (std::uint32_t limit : {1u, 2u, 3u, 100u}) {
            sdk::TaskQuery q;
            q.limit = limit;
            if (filtered) q.clients = std::vector<std::string>{"", "team-a"};  // the visible-clients plan
            std::vector<std::string> walked;
            for (int page = 0; page < 100; ++page) {
                auto p = MUST(tasks().list(q));
                if (!p) break;
                for (const auto& t : p->tasks) walked.push_back(t.task_id);
                if (p->next_cursor.empty()) break;
                q.cursor = p->next_cursor;
            }
            EXPECT_EQ(walked, expected) << "pages of " << limit << (filtered ? ", visible clients" : "");
        }
    }
    // The TTL's order breaks ties the same way.
    for (const auto& id : {"b-x", "B-x", "b_x"}) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;
        t.last_accessed_at_ms = kBase - 1;
        ASSERT_TRUE(MUST(tasks().create(t)));
    }
    EXPECT_EQ(*MUST(tasks().expired(kBase, 10)), (std::vector<std::string>{"B-x", "b-x", "b_x"}));
}

TEST_P(StoreContract, ExpiredNamesIdleTerminalTasksOldestFirst) {
    auto add = [&](const std::string& id, sdk::TaskState s, std::int64_t accessed, std::int64_t completed) {
        auto t = sample_task(id);
        t.status = s;
        t.last_accessed_at_ms = accessed;
        t.completed_at_ms = completed;
        ASSERT_TRUE(tasks().create(t));
    };
    add("old-read", sdk::TaskState::completed, kBase + 100, kBase + 50);
    add("older-read", sdk::TaskState::failed, kBase + 10, kBase + 5);
    add("never-read", sdk::TaskState::cancelled, 0, kBase + 20);
    add("recent", sdk::TaskState::completed, kBase + 5000, kBase + 50);
    add("running", sdk::TaskState::running, kBase + 1, 0);
    add("queued", sdk::TaskState::queued, 0, 0);
    auto ids = MUST(tasks().expired(kBase + 1000, 100));
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, (std::vector<std::string>{"older-read", "never-read", "old-read"}));
    EXPECT_EQ(*MUST(tasks().expired(kBase + 1000, 2)), (std::vector<std::string>{"older-read", "never-read"}));
    // Removing a task removes its findings.
    auto t = *MUST(tasks().get("old-read"));
    ASSERT_TRUE(*MUST(findings().append("old-read", t.lease_token, {make_finding(0), make_finding(11)})));
    ASSERT_TRUE(*MUST(tasks().remove("old-read")));
    sdk::FindingSearch s;
    s.cve = "CVE-2023-0001";
    EXPECT_TRUE(MUST(findings().search(s))->hits.empty()) << "its CVE index went with it";
    auto p = findings().page(page_of("old-read"));
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().kind, sdk::ErrorKind::not_found);
}

// TaskRemoval (ABI 1.4): the TTL's delete holds only while the row is still
// expired when it is deleted. A task listed by expired() and then retried or
// read keeps its row and its findings; one still idle goes with its findings.
TEST_P(StoreContract, RemoveIfExpiredDeletesOnlyWhatIsStillExpired) {
    auto* removal = static_cast<sdk::TaskRemoval*>(tasks().extension(sdk::kStoreTaskRemoval));
    ASSERT_NE(removal, nullptr);
    auto add = [&](const std::string& id, std::int64_t accessed) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;
        t.lease_token = "run-1";
        t.last_accessed_at_ms = accessed;
        t.completed_at_ms = kBase + 10;
        ASSERT_TRUE(MUST(tasks().create(t)));
        ASSERT_TRUE(*MUST(findings().append(id, "run-1", {make_finding(0), make_finding(11)})));
    };
    add("idle", kBase + 100);
    add("retried", kBase + 100);
    add("read-again", 0);
    add("recent", kBase + 5000);
    const std::int64_t cutoff = kBase + 1000;
    EXPECT_EQ(*MUST(tasks().expired(cutoff, 100)), (std::vector<std::string>{"read-again", "idle", "retried"}));

    // Between the list and the delete: a DLQ retry puts one back in the
    // queue, a client reads another.
    auto retried = *MUST(tasks().get("retried"));
    retried.status = sdk::TaskState::queued;
    retried.completed_at_ms = 0;
    ASSERT_EQ(MUST(tasks().update(retried, {}))->outcome, sdk::UpdateOutcome::written);
    ASSERT_TRUE(MUST(tasks().touch("read-again", kBase + 2000)));

    EXPECT_TRUE(*MUST(removal->remove_if_expired("idle", cutoff)));
    EXPECT_FALSE(*MUST(removal->remove_if_expired("retried", cutoff))) << "no longer terminal";
    EXPECT_FALSE(*MUST(removal->remove_if_expired("read-again", cutoff))) << "read after the cutoff";
    EXPECT_FALSE(*MUST(removal->remove_if_expired("recent", cutoff))) << "never was expired";
    EXPECT_FALSE(*MUST(removal->remove_if_expired("idle", cutoff))) << "gone: false, not an error";
    EXPECT_EQ(removal->remove_if_expired("../x", cutoff).error().kind, sdk::ErrorKind::invalid_input);

    EXPECT_EQ(tasks().get("idle").error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(findings().page(page_of("idle")).error().kind, sdk::ErrorKind::not_found);
    for (const auto* id : {"retried", "read-again", "recent"}) {
        EXPECT_TRUE(tasks().get(id).ok()) << id;
        auto q = page_of(id);
        q.count = true;
        EXPECT_EQ(MUST(findings().page(q))->total.value_or(0), 2u) << id << " keeps its findings";
    }
    // Only "recent" is left to expire, later; the kept ones follow the usual rule.
    EXPECT_TRUE(*MUST(removal->remove_if_expired("recent", kBase + 6000)));
}

TEST_P(StoreContract, AnUnknownStatusInARowIsAnErrorNamingIt) {
    ASSERT_TRUE(MUST(tasks().create(sample_task("odd"))));
    raw("UPDATE tasks SET status = 'paused' WHERE task_id = 'odd'");
    auto r = tasks().get("odd");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("task 'odd' has an unknown status 'paused'"), std::string::npos)
        << r.error().message;
    auto l = tasks().list({});
    ASSERT_FALSE(l) << "a list never skips or reinterprets the row";
    EXPECT_NE(l.error().message.find("'paused'"), std::string::npos);

    ASSERT_TRUE(MUST(tasks().create(sample_task("sev"))));
    ASSERT_TRUE(*MUST(findings().append("sev", "", {make_finding(1)})));
    raw("UPDATE findings SET severity = 9 WHERE task_key = (SELECT task_key FROM tasks WHERE task_id = 'sev')");
    auto p = findings().page(page_of("sev"));
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("task 'sev': finding 1 has severity 9"), std::string::npos) << p.error().message;
}

// --------------------------------------------------------------- findings

TEST_P(StoreContract, FindingsPageByKeysetWithEveryFilter) {
    auto t = sample_task("big");
    t.lease_token = "run-1";
    ASSERT_TRUE(MUST(tasks().create(t)));
    constexpr std::uint64_t kCount = 6000;
    std::vector<sdk::Finding> all;
    for (std::uint64_t i = 0; i < kCount; ++i) all.push_back(make_finding(i));
    // Batches arrive out of order; paging still follows seq.
    std::vector<std::vector<sdk::Finding>> batches;
    for (std::uint64_t i = 0; i < kCount; i += 500)
        batches.emplace_back(all.begin() + i, all.begin() + std::min(kCount, i + 500));
    std::swap(batches[1], batches[5]);
    for (const auto& b : batches) ASSERT_TRUE(*MUST(findings().append("big", "run-1", b)));
    // Findings of another task never leak into this one's pages.
    ASSERT_TRUE(MUST(tasks().create(sample_task("other"))));
    ASSERT_TRUE(*MUST(findings().append("other", "", {make_finding(0), make_finding(1)})));

    auto walk = [&](const sdk::FindingFilter& f, std::uint32_t limit, bool with_text, const char* what) {
        sdk::FindingPageQuery q;
        q.task_id = "big";
        q.filter = f;
        q.limit = limit;
        q.with_text = with_text;
        q.count = true;
        std::vector<sdk::Finding> got;
        for (int n = 0; n < 10000; ++n) {
            auto p = MUST(findings().page(q));
            if (!p) return;
            EXPECT_LE(p->findings.size(), limit);
            if (n == 0) {
                EXPECT_EQ(p->total, kCount) << what;
                EXPECT_EQ(*p->total_matching,
                          static_cast<std::uint64_t>(
                              std::count_if(all.begin(), all.end(), [&](const auto& x) { return matches(x, f); })))
                    << what;
            }
            got.insert(got.end(), p->findings.begin(), p->findings.end());
            if (p->next_cursor.empty()) break;
            q.cursor = p->next_cursor;
            q.count = false;
        }
        std::vector<sdk::Finding> want;
        std::copy_if(all.begin(), all.end(), std::back_inserter(want), [&](const auto& x) { return matches(x, f); });
        ASSERT_EQ(got.size(), want.size()) << what;
        EXPECT_FALSE(want.empty()) << what << ": the filter must select something to prove anything";
        for (std::size_t i = 0; i < want.size(); ++i) {
            expect_same_finding(got[i], want[i], with_text);
            if (::testing::Test::HasFailure()) {
                ADD_FAILURE() << what << " at " << i;
                return;
            }
        }
    };
    walk({}, 500, true, "everything");
    walk({}, 997, false, "everything, brief");
    sdk::FindingFilter f;
    f.severities = {sdk::Severity::critical, sdk::Severity::low};
    walk(f, 97, false, "severities");
    f = {};
    f.min_severity = sdk::Severity::high;
    walk(f, 97, false, "min_severity");
    f = {};
    f.host = "192.0.2.17";
    walk(f, 13, false, "host");
    f = {};
    f.plugin_id = 10005;
    walk(f, 13, false, "plugin_id");
    f = {};
    f.port = 443;
    walk(f, 301, false, "port");
    f = {};
    f.port = 0;
    walk(f, 301, false, "port 0");
    f = {};
    f.min_cvss = 6.4;
    walk(f, 301, false, "min_cvss");
    f = {};
    f.text = "NeEdLe";
    walk(f, 31, true, "text");
    f = {};
    f.text = "100%";  // LIKE's wildcards are literal here
    EXPECT_TRUE(MUST(findings().page(page_of("big", f)))->findings.empty());
    f = {};
    f.min_severity = sdk::Severity::medium;
    f.port = 80;
    f.text = "check 1001";
    walk(f, 7, false, "combined");

    // Bad input, by name.
    auto bad = page_of("big");
    bad.cursor = "t1:1:x";
    auto r = findings().page(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input);
    bad.cursor = "f1:notanumber";
    EXPECT_EQ(findings().page(bad).error().kind, sdk::ErrorKind::invalid_input);
    bad.cursor.clear();
    bad.limit = 5001;
    EXPECT_EQ(findings().page(bad).error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_EQ(findings().page(page_of("missing")).error().kind, sdk::ErrorKind::not_found);
}

TEST_P(StoreContract, AppendIsFencedByTheLeaseAndABatchSentTwiceIsStoredOnce) {
    auto t = sample_task("fence-f");
    t.lease_token = "mine";
    t.status = sdk::TaskState::completed;  // search() reads completed tasks only
    ASSERT_TRUE(MUST(tasks().create(t)));
    std::vector<sdk::Finding> batch = {make_finding(0), make_finding(1), make_finding(2)};
    EXPECT_FALSE(*MUST(findings().append("fence-f", "someone-else", batch))) << "a stale worker writes nothing";
    EXPECT_TRUE(MUST(findings().page(page_of("fence-f")))->findings.empty());
    EXPECT_TRUE(*MUST(findings().append("fence-f", "mine", batch)));
    batch[1].synopsis = "second send";
    EXPECT_TRUE(*MUST(findings().append("fence-f", "mine", batch)));
    auto p = *MUST(findings().page(page_of("fence-f")));
    ASSERT_EQ(p.findings.size(), 3u);
    EXPECT_EQ(p.findings[1].synopsis, "second send");
    sdk::FindingSearch s;
    s.cve = "CVE-2023-0001";
    EXPECT_EQ(MUST(findings().search(s))->hits.size(), 1u) << "the CVE index holds the finding once";
    // A run that has not completed (cut short, failed, being retried) holds
    // partial findings: search() never returns them.
    for (auto state : {sdk::TaskState::running, sdk::TaskState::failed, sdk::TaskState::cancelled}) {
        auto other = sample_task("partial-" + std::string(sdk::to_string(state)));
        other.status = state;
        ASSERT_TRUE(MUST(tasks().create(other)));
        ASSERT_TRUE(*MUST(findings().append(other.task_id, "", batch)));
    }
    EXPECT_EQ(MUST(findings().search(s))->hits.size(), 1u) << "only the completed task's finding";
    EXPECT_FALSE(*MUST(findings().clear("fence-f", "someone-else")));
    EXPECT_EQ(MUST(findings().page(page_of("fence-f")))->findings.size(), 3u);
    EXPECT_TRUE(*MUST(findings().clear("fence-f", "mine")));
    EXPECT_TRUE(MUST(findings().page(page_of("fence-f")))->findings.empty());
    EXPECT_EQ(findings().append("gone", "mine", batch).error().kind, sdk::ErrorKind::not_found);
    auto bad = make_finding(3);
    bad.cves = {"CVE-1,CVE-2"};
    EXPECT_EQ(findings().append("fence-f", "mine", {bad}).error().kind, sdk::ErrorKind::invalid_input);
}

// A first run's clear (no findings yet) answers as any clear does, and
// writes nothing: under a wave of runs ending, every write queues for the
// database's writer. On SQLite, with the write lock held by another
// connection, it still answers at once; a clear with rows to delete waits.
TEST_P(StoreContract, AClearOfATaskWithoutFindingsAnswersWithoutAWrite) {
    auto t = sample_task("empty-clear");
    t.lease_token = "mine";
    ASSERT_TRUE(MUST(tasks().create(t)));
    EXPECT_FALSE(*MUST(findings().clear("empty-clear", "someone-else"))) << "another lease's clear is refused";
    EXPECT_TRUE(*MUST(findings().clear("empty-clear", "mine")));
    EXPECT_EQ(findings().clear("no-such-task", "mine").error().kind, sdk::ErrorKind::not_found);
    if (GetParam().name != "sqlite") return;
    sqlite3* holder = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir_ / "store.sqlite").c_str(), &holder), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    auto cleared = std::async(std::launch::async, [&] { return findings().clear("empty-clear", "mine"); });
    const bool answered = cleared.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    EXPECT_TRUE(answered) << "the clear of an empty task waited for the write lock";
    (void)sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(holder);
    const auto r = cleared.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(*r);
}

// Where the database takes one writer at a time, small findings batches and
// clears share transactions with task writes (one thread may run another's
// work): from many threads at once, each writer's rows are its own and
// whole, a fenced writer adds nothing, and the clear of a run too large to
// share (a transaction of its own) takes all of it.
TEST_P(StoreContract, FindingsAndTaskWritesFromManyThreadsAtOnceKeepEachWritersRows) {
    constexpr int kThreads = 8, kTasksEach = 3, kRounds = 5;
    auto big = sample_task("big-run");
    big.lease_token = "big";
    ASSERT_TRUE(MUST(tasks().create(big)));
    for (std::uint64_t from = 0; from < 300; from += 150) {
        std::vector<sdk::Finding> batch;
        for (std::uint64_t i = from; i < from + 150; ++i) batch.push_back(make_finding(i));
        ASSERT_TRUE(*MUST(findings().append("big-run", "big", batch)));
    }
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w) {
        threads.emplace_back([&, w] {
            for (int k = 0; k < kTasksEach; ++k) {
                const auto id = "shared-" + std::to_string(w) + "-" + std::to_string(k);
                auto t = sample_task(id);
                t.lease_token = "own-" + id;
                EXPECT_TRUE(tasks().create(t).ok()) << id;
                for (int r = 0; r < kRounds; ++r) {
                    auto cleared = findings().clear(id, t.lease_token);
                    EXPECT_TRUE(cleared && *cleared) << id << (cleared ? "" : ": " + cleared.error().message);
                    std::vector<sdk::Finding> batch;
                    for (int i = 0; i <= r; ++i) batch.push_back(make_finding(static_cast<std::uint64_t>(i)));
                    auto added = findings().append(id, t.lease_token, batch);
                    EXPECT_TRUE(added && *added) << id << (added ? "" : ": " + added.error().message);
                    auto stale = findings().append(id, "someone-else", {make_finding(40)});
                    EXPECT_TRUE(stale && !*stale) << id << ": a fenced batch was written";
                    auto row = t;
                    row.document = "round " + std::to_string(r);
                    sdk::WriteGuard mine;
                    mine.lease_token = t.lease_token;
                    auto u = tasks().update(row, mine);
                    EXPECT_TRUE(u && u->outcome == sdk::UpdateOutcome::written) << id;
                }
            }
        });
    }
    threads.emplace_back([&] {
        auto cleared = findings().clear("big-run", "big");
        EXPECT_TRUE(cleared && *cleared) << (cleared ? "" : cleared.error().message);
    });
    for (auto& t : threads) t.join();
    for (int w = 0; w < kThreads; ++w) {
        for (int k = 0; k < kTasksEach; ++k) {
            const auto id = "shared-" + std::to_string(w) + "-" + std::to_string(k);
            auto q = page_of(id);
            q.limit = 100;
            const auto p = *MUST(findings().page(q));
            ASSERT_EQ(p.findings.size(), static_cast<std::size_t>(kRounds)) << id << ": the last round's batch, whole";
            for (std::size_t i = 0; i < p.findings.size(); ++i) EXPECT_EQ(p.findings[i].seq, i) << id;
            EXPECT_EQ(MUST(tasks().get(id))->document, "round " + std::to_string(kRounds - 1)) << id;
        }
    }
    EXPECT_TRUE(MUST(findings().page(page_of("big-run")))->findings.empty()) << "the large run's clear took all of it";
}

// Host filters and host/network searches read a host's findings as runs of
// seq (an export lists a host's findings together). Runs must follow batches
// that cut a host in two, arrive out of order, and are sent again with other
// hosts inside an existing run, on both the few-runs and the many-runs paths.
TEST_P(StoreContract, HostFiltersAndSearchesFollowRunsAcrossBatchesAndResends) {
    struct Model {
        std::map<std::uint64_t, sdk::Finding> rows;
        void append(const std::vector<sdk::Finding>& batch) {
            const auto [lo, hi] = std::minmax_element(batch.begin(), batch.end(),
                                                      [](const auto& a, const auto& b) { return a.seq < b.seq; });
            rows.erase(rows.lower_bound(lo->seq), rows.upper_bound(hi->seq));
            for (const auto& f : batch) rows[f.seq] = f;
        }
    };
    std::map<std::string, Model> model;
    const auto finding = [](std::uint64_t seq, const std::string& host) {
        auto f = make_finding(seq);
        f.host = host;
        f.host_ip = host;
        return f;
    };
    const auto block_host = [](std::uint64_t seq) { return "198.51.100." + std::to_string(seq / 40 + 1); };
    const auto write = [&](const std::string& task, std::vector<sdk::Finding> batch) {
        ASSERT_TRUE(*MUST(findings().append(task, "", batch)));
        model[task].append(batch);
    };
    for (const auto* id : {"runs-a", "runs-b"}) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;  // searches read completed tasks
        ASSERT_TRUE(MUST(tasks().create(t)));
    }
    // runs-a: ten hosts of 40 findings, in batches of 50 (each host cut by
    // a batch boundary), the second and fifth batch swapped.
    std::vector<std::vector<sdk::Finding>> batches;
    for (std::uint64_t at = 0; at < 400; at += 50) {
        std::vector<sdk::Finding> b;
        for (std::uint64_t i = at; i < at + 50; ++i) b.push_back(finding(i, block_host(i)));
        batches.push_back(b);
    }
    std::swap(batches[1], batches[4]);
    for (const auto& b : batches) write("runs-a", b);
    // Sent again with other hosts: inside one host's run (90..99 of .3) and
    // across runs (150..189: .4's end, .5's start become 203.0.113.7).
    std::vector<sdk::Finding> again;
    for (std::uint64_t i = 90; i < 100; ++i) again.push_back(finding(i, "203.0.113.9"));
    write("runs-a", again);
    again.clear();
    for (std::uint64_t i = 150; i < 190; ++i) again.push_back(finding(i, "203.0.113.7"));
    write("runs-a", again);
    // runs-b: one batch whose single host run the resend splits in three.
    std::vector<sdk::Finding> one;
    for (std::uint64_t i = 0; i < 300; ++i) one.push_back(finding(i, "198.51.100.2"));
    write("runs-b", one);
    again.clear();
    for (std::uint64_t i = 100; i < 120; ++i) again.push_back(finding(i, "198.51.100.3"));
    write("runs-b", again);
    // Many runs: hosts alternating finding by finding (past the page's cap
    // on ranges, so the task's rows are read instead).
    again.clear();
    for (std::uint64_t i = 1000; i < 1600; ++i) again.push_back(finding(i, i % 2 ? "198.51.100.1" : "198.51.100.3"));
    write("runs-b", again);

    // Pages of 17 and of 200 (past 64 and past 256 runs of a scattered host
    // in one call), and with a filter few of the host's findings pass.
    struct Pass {
        std::uint32_t limit;
        std::optional<sdk::Severity> min_severity;
    };
    for (const auto pass : {Pass{17, {}}, Pass{200, {}}, Pass{200, sdk::Severity::critical}})
        for (const auto* task : {"runs-a", "runs-b"}) {
            for (const auto* host : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5",
                                     "203.0.113.7", "203.0.113.9", "192.0.2.200"}) {
                sdk::FindingFilter f;
                f.host = host;
                f.min_severity = pass.min_severity;
                const auto keep = [&](const sdk::Finding& x) {
                    return x.host == host && (!pass.min_severity || x.severity >= *pass.min_severity);
                };
                auto q = page_of(task, f);
                q.limit = pass.limit;
                q.count = true;
                std::vector<std::uint64_t> got, want;
                for (int n = 0; n < 1000; ++n) {
                    auto p = *MUST(findings().page(q));
                    if (n == 0) {
                        const auto n_host = std::count_if(model[task].rows.begin(), model[task].rows.end(),
                                                          [&](const auto& r) { return keep(r.second); });
                        EXPECT_EQ(p.total_matching, static_cast<std::uint64_t>(n_host)) << task << " " << host;
                    }
                    for (const auto& x : p.findings) got.push_back(x.seq);
                    if (p.next_cursor.empty()) break;
                    q.cursor = p.next_cursor;
                    q.count = false;
                }
                for (const auto& [seq, x] : model[task].rows) {
                    if (keep(x)) want.push_back(seq);
                }
                EXPECT_EQ(got, want) << task << " " << host << " limit " << pass.limit;
            }
        }
    auto search = [&](sdk::FindingSearch q, const std::function<bool(const sdk::Finding&)>& keep, const char* what) {
        q.limit = 23;
        std::vector<std::pair<std::string, std::uint64_t>> got, want;
        for (int n = 0; n < 1000; ++n) {
            auto p = *MUST(findings().search(q));
            for (const auto& h : p.hits) got.emplace_back(h.task_id, h.finding.seq);
            if (p.next_cursor.empty()) break;
            q.cursor = p.next_cursor;
        }
        for (const auto* task : {"runs-a", "runs-b"}) {
            for (const auto& [seq, x] : model[task].rows) {
                if (keep(x)) want.emplace_back(task, seq);
            }
        }
        EXPECT_FALSE(want.empty()) << what;
        EXPECT_EQ(got, want) << what;
    };
    for (const auto* host : {"198.51.100.2", "198.51.100.3", "203.0.113.7"}) {
        sdk::FindingSearch q;
        q.host = host;
        search(
            q, [&](const sdk::Finding& x) { return x.host == host; }, host);
    }
    sdk::FindingSearch q;
    q.network = "198.51.100.0/30";  // .0 - .3
    search(
        q,
        [](const sdk::Finding& x) {
            return x.host == "198.51.100.1" || x.host == "198.51.100.2" || x.host == "198.51.100.3";
        },
        "network");
    q.min_severity = sdk::Severity::high;
    search(
        q,
        [](const sdk::Finding& x) {
            return (x.host == "198.51.100.1" || x.host == "198.51.100.2" || x.host == "198.51.100.3") &&
                   x.severity >= sdk::Severity::high;
        },
        "network and severity");
}

// A search by host matches host or host_ip; a network matches the address
// (host_ip, or the host when it is one). One call reads a bounded number of
// runs: a host in more runs than that answers short pages with a cursor, and
// every hit still comes exactly once.
namespace {

// The seqs of a model's findings that pass `f`, in order.
std::vector<std::uint64_t> model_seqs(const std::map<std::uint64_t, sdk::Finding>& rows, const sdk::FindingFilter& f) {
    std::vector<std::uint64_t> out;
    for (const auto& [seq, x] : rows) {
        if (matches(x, f)) out.push_back(seq);
    }
    return out;
}

// Every seq a filter's pages return, page after page.
std::vector<std::uint64_t> paged_seqs(sdk::FindingIndex& index, const std::string& task, const sdk::FindingFilter& f,
                                      std::uint32_t limit) {
    sdk::FindingPageQuery q = page_of(task, f);
    q.limit = limit;
    std::vector<std::uint64_t> got;
    for (int n = 0; n < 10000; ++n) {
        auto p = MUST(index.page(q));
        if (!p) break;
        for (const auto& x : p->findings) got.push_back(x.seq);
        if (p->next_cursor.empty()) break;
        q.cursor = p->next_cursor;
    }
    return got;
}

// Every (task, seq) a search by plugin returns, page after page.
std::vector<std::pair<std::string, std::uint64_t>> searched_by_plugin(sdk::FindingIndex& index, std::uint64_t plugin,
                                                                      std::optional<sdk::Severity> min,
                                                                      std::uint32_t limit) {
    sdk::FindingSearch q;
    q.plugin_id = plugin;
    q.min_severity = min;
    q.limit = limit;
    std::vector<std::pair<std::string, std::uint64_t>> got;
    for (int n = 0; n < 10000; ++n) {
        auto p = MUST(index.search(q));
        if (!p) break;
        for (const auto& h : p->hits) got.emplace_back(h.task_id, h.finding.seq);
        if (p->next_cursor.empty()) break;
        q.cursor = p->next_cursor;
    }
    return got;
}

}  // namespace

// Plugin and severity filters, and searches by plugin, read a task's
// findings through per-batch groups (schema 4). Groups must follow batches
// that arrive out of order and are sent again over part of one batch, across
// two, and over a whole one, with other plugins and severities; and a batch
// with more groups than one read takes.
TEST_P(StoreContract, PluginAndSeverityFiltersFollowBatchesAndResends) {
    std::map<std::string, std::map<std::uint64_t, sdk::Finding>> model;
    const auto write = [&](const std::string& task, const std::vector<sdk::Finding>& batch) {
        ASSERT_TRUE(*MUST(findings().append(task, "", batch)));
        auto& rows = model[task];
        const auto [lo, hi] =
            std::minmax_element(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
        rows.erase(rows.lower_bound(lo->seq), rows.upper_bound(hi->seq));
        for (const auto& f : batch) rows[f.seq] = f;
    };
    const auto range = [](std::uint64_t from, std::uint64_t to, auto change) {
        std::vector<sdk::Finding> b;
        for (std::uint64_t i = from; i < to; ++i) {
            auto f = make_finding(i);
            change(f);
            b.push_back(f);
        }
        return b;
    };
    const auto same = [](sdk::Finding&) {};
    for (const auto* id : {"groups-a", "groups-b"}) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;  // searches read completed tasks
        ASSERT_TRUE(MUST(tasks().create(t)));
    }
    // groups-a: batches of 100, the third and sixth swapped.
    std::vector<std::vector<sdk::Finding>> batches;
    for (std::uint64_t at = 0; at < 800; at += 100) batches.push_back(range(at, at + 100, same));
    std::swap(batches[2], batches[5]);
    for (const auto& b : batches) write("groups-a", b);
    // Sent again as another plugin and severity: inside one batch, across two,
    // over a whole one and beyond it, and a single finding.
    const auto as_plugin = [](std::uint64_t plugin, sdk::Severity sev) {
        return [=](sdk::Finding& f) {
            f.plugin_id = plugin;
            f.severity = sev;
        };
    };
    write("groups-a", range(120, 150, as_plugin(77777, sdk::Severity::critical)));
    write("groups-a", range(180, 230, as_plugin(77777, sdk::Severity::low)));
    write("groups-a", range(390, 520, as_plugin(10003, sdk::Severity::critical)));
    write("groups-a", range(640, 641, as_plugin(77777, sdk::Severity::medium)));
    write("groups-a", range(700, 800, same));  // the same rows again
    // groups-b: one batch of 1500 findings of 1500 plugins, more groups than a read.
    write("groups-b", range(0, 1500, [](sdk::Finding& f) { f.plugin_id = 50000 + f.seq; }));
    write("groups-b", range(1500, 1600, as_plugin(77777, sdk::Severity::high)));

    const auto walk = [&](const std::string& task, const sdk::FindingFilter& f, std::uint32_t limit,
                          const std::string& what) {
        const auto want = model_seqs(model[task], f);
        EXPECT_FALSE(want.empty()) << what << ": the filter must select something to prove anything";
        EXPECT_EQ(paged_seqs(findings(), task, f, limit), want) << what;
        auto counted = page_of(task, f);
        counted.count = true;
        EXPECT_EQ(MUST(findings().page(counted))->total_matching, want.size()) << what << ": the count";
    };
    for (const std::uint32_t limit : {7u, 64u, 1000u}) {
        const auto at = " (pages of " + std::to_string(limit) + ")";
        sdk::FindingFilter f;
        f.plugin_id = 77777;
        walk("groups-a", f, limit, "plugin of the resends" + at);
        walk("groups-b", f, limit, "plugin of the second batch" + at);
        f.plugin_id = 10003;
        walk("groups-a", f, limit, "plugin a resend took over" + at);
        f = {};
        f.min_severity = sdk::Severity::critical;
        walk("groups-a", f, limit, "critical" + at);
        walk("groups-b", f, limit, "critical among 1500 groups of a batch" + at);
        f = {};
        f.severities = {sdk::Severity::low, sdk::Severity::medium};
        walk("groups-a", f, limit, "low and medium" + at);
        f.port = 443;
        walk("groups-a", f, limit, "low and medium on 443" + at);
        f = {};
        f.plugin_id = 51234;
        walk("groups-b", f, limit, "one plugin among 1500" + at);
    }
    // groups-c: 12,000 findings of one plugin, of which other filters keep
    // the last few: past a call's budget of candidates, a page reads the rest
    // of the task in one pass, and a search answers short pages with a
    // cursor; either way nothing is lost.
    {
        auto t = sample_task("groups-c");
        t.status = sdk::TaskState::completed;
        ASSERT_TRUE(MUST(tasks().create(t)));
        for (std::uint64_t at = 0; at < 12000; at += 4000) {
            write("groups-c", range(at, at + 4000, [](sdk::Finding& f) {
                      f.plugin_id = 88888;
                      f.port = f.seq >= 11990 ? 8443 : 80;
                      f.seen_at_ms = kBase + (f.seq >= 11995 ? 5000000 : 0);
                  }));
        }
        sdk::FindingFilter f;
        f.plugin_id = 88888;
        f.port = 8443;
        walk("groups-c", f, 7, "the last few of 12,000 candidates");
        sdk::FindingSearch q;
        q.plugin_id = 88888;
        q.seen_from_ms = kBase + 5000000;
        q.limit = 3;
        std::vector<std::uint64_t> got;
        int calls = 0;
        for (; calls < 100; ++calls) {
            auto p = *MUST(findings().search(q));
            for (const auto& h : p.hits) got.push_back(h.finding.seq);
            if (p.next_cursor.empty()) break;
            q.cursor = p.next_cursor;
        }
        EXPECT_EQ(got, (std::vector<std::uint64_t>{11995, 11996, 11997, 11998, 11999}));
        EXPECT_GE(calls, 2) << "the first call examines at most its budget and answers short";
    }

    // groups-d: batches with gaps between them (a page's cursor then falls
    // after a batch and before the next one).
    {
        ASSERT_TRUE(MUST(tasks().create(sample_task("groups-d"))));
        for (std::uint64_t at = 0; at < 3000; at += 1000) write("groups-d", range(at, at + 100, same));
        for (const std::uint32_t limit : {1u, 3u, 50u}) {
            sdk::FindingFilter f;
            f.plugin_id = 10003;
            walk("groups-d", f, limit, "a plugin across gaps, pages of " + std::to_string(limit));
            f = {};
            f.min_severity = sdk::Severity::high;
            walk("groups-d", f, limit, "high across gaps, pages of " + std::to_string(limit));
        }
    }

    sdk::FindingFilter none;
    none.severities = {sdk::Severity::high};
    none.min_severity = sdk::Severity::critical;
    EXPECT_TRUE(MUST(findings().page(page_of("groups-a", none)))->findings.empty()) << "no severity passes both";

    // Across both tasks, by plugin (and severity), in pages.
    for (const std::uint32_t limit : {5u, 50u, 5000u}) {
        for (const std::optional<sdk::Severity> min :
             {std::optional<sdk::Severity>{}, std::optional(sdk::Severity::high)}) {
            const auto got = searched_by_plugin(findings(), 77777, min, limit);
            std::vector<std::pair<std::string, std::uint64_t>> want;
            for (const auto* id : {"groups-a", "groups-b"}) {
                for (const auto& [seq, x] : model[id]) {
                    if (x.plugin_id == 77777 && (!min || x.severity >= *min)) want.emplace_back(id, seq);
                }
            }
            EXPECT_EQ(got, want) << "search by plugin, pages of " << limit << (min ? ", high and up" : "");
        }
    }
}

TEST_P(StoreContract, SearchesByAddressAndAcrossManyRunsComeBackWhole) {
    auto t = sample_task("addr");
    t.status = sdk::TaskState::completed;
    ASSERT_TRUE(MUST(tasks().create(t)));
    std::vector<sdk::Finding> batch;
    for (std::uint64_t i = 0; i < 2600; ++i) {
        auto f = make_finding(i);
        if (i < 10) {
            f.host = "web.example.test";  // a name, its address apart
            f.host_ip = "198.51.100.77";
        } else if (i < 20) {
            f.host = "203.0.113.5";  // an address as the host, none apart
            f.host_ip = "";
        } else {
            f.host = i % 2 ? "192.0.2.1" : "192.0.2.2";  // a run per finding
            f.host_ip = f.host;
        }
        batch.push_back(f);
    }
    ASSERT_TRUE(*MUST(findings().append("addr", "", batch)));
    auto all = [&](sdk::FindingSearch q, std::size_t* short_pages) {
        std::vector<std::uint64_t> got;
        for (int n = 0; n < 100; ++n) {
            auto p = *MUST(findings().search(q));
            if (!p.next_cursor.empty() && p.hits.size() < q.limit && short_pages) ++*short_pages;
            for (const auto& h : p.hits) got.push_back(h.finding.seq);
            if (p.next_cursor.empty()) break;
            q.cursor = p.next_cursor;
        }
        return got;
    };
    auto want = [&](const std::function<bool(const sdk::Finding&)>& keep) {
        std::vector<std::uint64_t> out;
        for (const auto& f : batch) {
            if (keep(f)) out.push_back(f.seq);
        }
        return out;
    };
    sdk::FindingSearch q;
    q.limit = 500;
    q.host = "198.51.100.77";  // the address of a named host
    EXPECT_EQ(all(q, nullptr), want([](const auto& f) { return f.host_ip == "198.51.100.77"; }));
    q.host = "web.example.test";
    EXPECT_EQ(all(q, nullptr), want([](const auto& f) { return f.host == "web.example.test"; }));
    q = {};
    q.limit = 500;
    q.network = "203.0.113.0/24";  // through the host, having no host_ip
    EXPECT_EQ(all(q, nullptr), want([](const auto& f) { return f.host == "203.0.113.5"; }));
    q.network = "198.51.100.64/26";
    EXPECT_EQ(all(q, nullptr), want([](const auto& f) { return f.host_ip == "198.51.100.77"; }));
    // 1290 runs of 192.0.2.1: more than one call reads.
    q = {};
    q.limit = 5000;
    q.host = "192.0.2.1";
    std::size_t short_pages = 0;
    EXPECT_EQ(all(q, &short_pages), want([](const auto& f) { return f.host == "192.0.2.1"; }));
    EXPECT_GE(short_pages, 1u) << "a call's work is bounded, so 1290 runs take more than one page";
}

// A search by host or network alone examines a bounded share of the store
// per call. Across tasks (a running one first, whose findings never show),
// runs of two findings each, more runs than one call examines: every hit
// exactly once, in order, through short pages.
TEST_P(StoreContract, HostAndNetworkSearchesWalkManyRunsAcrossTasksInShortPages) {
    std::map<std::string, std::vector<sdk::Finding>> written;
    for (const auto* id : {"walk-running", "walk-b", "walk-c"}) {
        auto t = sample_task(id);
        t.status = std::string(id) == "walk-running" ? sdk::TaskState::running : sdk::TaskState::completed;
        ASSERT_TRUE(MUST(tasks().create(t)));
        std::vector<sdk::Finding> batch;
        for (std::uint64_t i = 0; i < 3000; ++i) {
            auto f = make_finding(i);
            f.host = (i / 2) % 2 ? "198.51.100.20" : "203.0.113.30";  // runs of two, alternating
            f.host_ip = f.host;
            batch.push_back(f);
        }
        ASSERT_TRUE(*MUST(findings().append(id, "", batch)));
        written[id] = batch;
    }
    auto walk = [&](sdk::FindingSearch q, std::size_t* short_pages) {
        std::vector<std::pair<std::string, std::uint64_t>> got;
        for (int n = 0; n < 200; ++n) {
            auto p = *MUST(findings().search(q));
            EXPECT_LE(p.hits.size(), q.limit);
            if (!p.next_cursor.empty() && p.hits.size() < q.limit) ++*short_pages;
            for (const auto& h : p.hits) got.emplace_back(h.task_id, h.finding.seq);
            if (p.next_cursor.empty()) break;
            q.cursor = p.next_cursor;
        }
        return got;
    };
    auto want = [&](const std::function<bool(const sdk::Finding&)>& keep) {
        std::vector<std::pair<std::string, std::uint64_t>> out;
        for (const auto* id : {"walk-b", "walk-c"}) {
            for (const auto& f : written[id]) {
                if (keep(f)) out.emplace_back(id, f.seq);
            }
        }
        return out;
    };
    for (const std::uint32_t limit : {5000u, 700u}) {
        sdk::FindingSearch q;
        q.limit = limit;
        q.host = "198.51.100.20";  // 750 runs a task, 2250 in all
        std::size_t short_pages = 0;
        EXPECT_EQ(walk(q, &short_pages), want([](const auto& f) { return f.host == "198.51.100.20"; })) << limit;
        if (limit == 5000) {
            EXPECT_GE(short_pages, 1u);
        }
        q = {};
        q.limit = limit;
        q.network = "198.51.100.0/24";  // 4500 runs in the store
        short_pages = 0;
        EXPECT_EQ(walk(q, &short_pages), want([](const auto& f) { return f.host == "198.51.100.20"; })) << limit;
        if (limit == 5000) {
            EXPECT_GE(short_pages, 1u);
        }
        q.min_severity = sdk::Severity::critical;  // few of them pass
        short_pages = 0;
        EXPECT_EQ(walk(q, &short_pages), want([](const auto& f) {
                      return f.host == "198.51.100.20" && f.severity == sdk::Severity::critical;
                  }))
            << limit;
    }
}

// A task's key is never given to another task, even after the newest task
// is removed: a search cursor kept across the removal does not skip the
// next task's first findings (it would, were its key the removed one's).
TEST_P(StoreContract, ATaskKeyIsNeverReused) {
    auto make_completed = [&](const std::string& id) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;
        ASSERT_TRUE(MUST(tasks().create(t)));
        std::vector<sdk::Finding> batch;
        for (std::uint64_t i = 0; i < 6; ++i) {
            auto f = make_finding(i);
            f.plugin_id = 424242;
            batch.push_back(f);
        }
        ASSERT_TRUE(*MUST(findings().append(id, "", batch)));
    };
    make_completed("key-old");
    make_completed("key-newest");
    sdk::FindingSearch q;
    q.plugin_id = 424242;
    q.limit = 9;  // stops inside key-newest's findings
    auto first = *MUST(findings().search(q));
    ASSERT_EQ(first.hits.size(), 9u);
    ASSERT_FALSE(first.next_cursor.empty());
    ASSERT_TRUE(*MUST(tasks().remove("key-newest")));
    make_completed("key-after");
    q.cursor = first.next_cursor;
    q.limit = 100;
    auto rest = *MUST(findings().search(q));
    std::vector<std::pair<std::string, std::uint64_t>> got;
    for (const auto& h : rest.hits) got.emplace_back(h.task_id, h.finding.seq);
    std::vector<std::pair<std::string, std::uint64_t>> expected;
    for (std::uint64_t i = 0; i < 6; ++i) expected.emplace_back("key-after", i);
    EXPECT_EQ(got, expected);
}

// PostgreSQL refuses a text with a NUL byte or an invalid UTF-8 sequence,
// and the whole batch with it; a validator may send either. The host's
// writer makes every finding's text storable first, the same for every store.
TEST_P(StoreContract, TextThatIsNotUtf8OrHoldsNulIsStoredThroughTheWriter) {
    auto t = sample_task("bytes");
    t.lease_token = "mine";
    ASSERT_TRUE(MUST(tasks().create(t)));
    sf::FindingWriter writer(findings(), "bytes", "mine", kBase);
    ASSERT_TRUE(writer.begin());
    auto odd = make_finding(0);
    odd.host = std::string("host\0a", 6);
    odd.plugin_name = "caf\xC3\xA9 \xC3(";  // a valid two-byte form, then a broken one
    odd.synopsis = std::string("nul\0in\0text", 11);
    odd.description = "overlong \xC0\xAF and a surrogate \xED\xA0\x80";
    odd.plugin_output = "cut short \xE2\x82";
    odd.cves = {"CVE-2024-1\xFF"};
    auto plain = make_finding(1);
    ASSERT_TRUE(writer.accept(odd));
    ASSERT_TRUE(writer.accept(plain));
    ASSERT_TRUE(writer.finish()) << "a text the database refuses must not fail the batch";
    auto q = page_of("bytes");
    q.with_text = true;
    auto p = *MUST(findings().page(q));
    ASSERT_EQ(p.findings.size(), 2u);
    const auto& got = p.findings[0];
    EXPECT_EQ(got.host, "hosta");
    EXPECT_EQ(got.plugin_name, "caf\xC3\xA9 \xEF\xBF\xBD(");
    EXPECT_EQ(got.synopsis, "nulintext");
    EXPECT_EQ(got.description,
              "overlong \xEF\xBF\xBD\xEF\xBF\xBD and a surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(got.plugin_output, "cut short \xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(got.cves, std::vector<std::string>{"CVE-2024-1\xEF\xBF\xBD"});
    expect_same_finding(p.findings[1], plain, true);  // plain text untouched
}

TEST_P(StoreContract, TextsSharedByFindingsReadBackExactlyAcrossBatchesAndResends) {
    auto t = sample_task("texts");
    t.lease_token = "mine";
    ASSERT_TRUE(MUST(tasks().create(t)));
    // Texts with every character a bulk format escapes, texts that differ
    // only in one field or by one character, and findings with none.
    const std::vector<std::string> awkward = {"tab\there", "line\nbreak\r\n", "back\\slash \\N \\.",
                                              "ünïcödé ✓", "quote ' \" ; --", ""};
    std::vector<sdk::Finding> all;
    for (std::uint64_t i = 0; i < 60; ++i) {
        auto f = make_finding(i);
        f.synopsis = awkward[i % awkward.size()];
        f.solution = i % 4 == 0 ? "Upgrade" : "Upgrade.";
        f.description = i % 5 == 0 ? "" : "Description " + std::to_string(i % 3);
        f.see_also = i % 7 == 0 ? awkward[(i / 7) % awkward.size()] : "";
        f.plugin_output = awkward[(i + 1) % awkward.size()] + std::to_string(i);
        f.cvss_base_score.reset();
        f.cvss3_base_score.reset();
        all.push_back(f);
    }
    for (std::size_t start = 0; start < all.size(); start += 25) {
        const std::vector<sdk::Finding> batch(
            all.begin() + static_cast<std::ptrdiff_t>(start),
            all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), start + 25)));
        ASSERT_TRUE(*MUST(findings().append("texts", "mine", batch)));
        if (start == 25) {
            ASSERT_TRUE(*MUST(findings().append("texts", "mine", batch))) << "a retried batch";
        }
    }
    auto q = page_of("texts");
    q.with_text = true;
    q.limit = 7;  // pages that start after a text's first holder
    std::vector<sdk::Finding> read;
    for (;;) {
        auto p = *MUST(findings().page(q));
        read.insert(read.end(), p.findings.begin(), p.findings.end());
        if (p.next_cursor.empty()) break;
        q.cursor = p.next_cursor;
    }
    ASSERT_EQ(read.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        SCOPED_TRACE(i);
        expect_same_finding(read[i], all[i], true);
    }
    // The text filter sees a shared text on every finding that has it.
    sdk::FindingPageQuery needle = page_of("texts");
    needle.filter.text = "description 2";
    needle.limit = 100;
    const auto hits = *MUST(findings().page(needle));
    const auto want =
        std::count_if(all.begin(), all.end(), [](const auto& f) { return f.description == "Description 2"; });
    EXPECT_EQ(static_cast<std::int64_t>(hits.findings.size()), want);
    EXPECT_GT(want, 5);
}

TEST_P(StoreContract, SearchFindsByEachCriterionWithinTheVisibleClients) {
    auto add = [&](const std::string& id, const std::string& client, std::uint64_t from, std::uint64_t n) {
        auto t = sample_task(id);
        t.client = client;
        t.status = sdk::TaskState::completed;  // search() reads completed tasks only
        ASSERT_TRUE(tasks().create(t));
        std::vector<sdk::Finding> batch;
        for (std::uint64_t i = from; i < from + n; ++i) batch.push_back(make_finding(i));
        ASSERT_TRUE(*findings().append(id, "", batch));
    };
    add("s-a", "team-a", 0, 400);
    add("s-b", "team-b", 100, 400);
    add("s-anon", "", 300, 300);
    struct Row {
        std::string task;
        sdk::Finding f;
    };
    std::vector<Row> all;
    for (std::uint64_t i = 0; i < 400; ++i) all.push_back({"s-a", make_finding(i)});
    for (std::uint64_t i = 300; i < 600; ++i) all.push_back({"s-anon", make_finding(i)});
    for (std::uint64_t i = 100; i < 500; ++i) all.push_back({"s-b", make_finding(i)});
    // Task by task in the order they were stored, each task's hits by seq.
    const std::map<std::string, int> stored = {{"s-a", 0}, {"s-b", 1}, {"s-anon", 2}};
    std::sort(all.begin(), all.end(), [&](const Row& a, const Row& b) {
        return std::pair(stored.at(a.task), a.f.seq) < std::pair(stored.at(b.task), b.f.seq);
    });

    auto check = [&](sdk::FindingSearch q, const std::function<bool(const Row&)>& keep, const char* what) {
        q.limit = 37;
        std::vector<std::pair<std::string, std::uint64_t>> got, want;
        for (int n = 0; n < 1000; ++n) {
            auto p = MUST(findings().search(q));
            if (!p) return;
            for (const auto& h : p->hits) {
                got.emplace_back(h.task_id, h.finding.seq);
                EXPECT_TRUE(h.finding.plugin_output.empty()) << "search leaves the large fields out";
            }
            if (p->next_cursor.empty()) break;
            q.cursor = p->next_cursor;
        }
        for (const auto& r : all) {
            if (keep(r)) want.emplace_back(r.task, r.f.seq);
        }
        EXPECT_FALSE(want.empty()) << what;
        EXPECT_EQ(got, want) << what;
    };
    sdk::FindingSearch q;
    q.cve = "CVE-2024-1003";
    check(
        q, [](const Row& r) { return std::find(r.f.cves.begin(), r.f.cves.end(), "CVE-2024-1003") != r.f.cves.end(); },
        "cve");
    q = {};
    q.plugin_id = 10020;
    check(
        q, [](const Row& r) { return r.f.plugin_id == 10020; }, "plugin");
    q = {};
    q.host = "192.0.2.9";
    check(
        q, [](const Row& r) { return r.f.host == "192.0.2.9"; }, "host");
    q = {};
    q.network = "192.0.2.8/30";  // .8 - .11
    check(
        q,
        [](const Row& r) {
            return r.f.host == "192.0.2.8" || r.f.host == "192.0.2.9" || r.f.host == "192.0.2.10" ||
                   r.f.host == "192.0.2.11";
        },
        "network");
    q = {};
    q.min_severity = sdk::Severity::critical;
    check(
        q, [](const Row& r) { return r.f.severity == sdk::Severity::critical; }, "min severity");
    q = {};
    q.seen_from_ms = kBase + 250;
    q.seen_before_ms = kBase + 320;
    check(
        q, [](const Row& r) { return r.f.seen_at_ms >= kBase + 250 && r.f.seen_at_ms < kBase + 320; }, "window");
    q = {};
    q.clients = std::vector<std::string>{"team-a", ""};
    q.min_severity = sdk::Severity::high;
    check(
        q, [](const Row& r) { return r.task != "s-b" && r.f.severity >= sdk::Severity::high; }, "visible clients");
    q = {};
    q.clients = std::vector<std::string>{"team-b"};
    q.cve = "CVE-2023-0001";
    q.network = "192.0.2.0/26";
    check(
        q, [](const Row& r) { return r.task == "s-b" && !r.f.cves.empty(); }, "combined");
    q = {};
    q.clients = std::vector<std::string>{};
    auto none = MUST(findings().search(q));
    EXPECT_TRUE(none->hits.empty());

    q = {};
    q.network = "2001:db8::/32";
    auto v6 = findings().search(q);
    ASSERT_FALSE(v6);
    EXPECT_NE(v6.error().message.find("network '2001:db8::/32' is not an IPv4"), std::string::npos)
        << v6.error().message;
    q.network = "192.0.2.0/33";
    EXPECT_EQ(findings().search(q).error().kind, sdk::ErrorKind::invalid_input);
}

TEST_P(StoreContract, CompareTellsNewFixedUnchangedAndReratedPerHost) {
    auto base = [](std::uint64_t seq, const std::string& host, std::uint32_t port, std::uint64_t plugin,
                   sdk::Severity s) {
        sdk::Finding f;
        f.seq = seq;
        f.host = host;
        f.port = port;
        f.protocol = "tcp";
        f.plugin_id = plugin;
        f.plugin_name = "P" + std::to_string(plugin);
        f.severity = s;
        return f;
    };
    using S = sdk::Severity;
    ASSERT_TRUE(MUST(tasks().create(sample_task("monday"))));
    ASSERT_TRUE(MUST(tasks().create(sample_task("tuesday"))));
    ASSERT_TRUE(*MUST(findings().append("monday", "",
                                        {
                                            base(0, "192.0.2.1", 22, 100, S::high),      // fixed
                                            base(1, "192.0.2.1", 80, 200, S::medium),    // unchanged
                                            base(2, "192.0.2.1", 443, 300, S::low),      // re-rated up
                                            base(3, "192.0.2.2", 22, 100, S::critical),  // re-rated down
                                            base(4, "192.0.2.2", 0, 19506, S::info),     // unchanged info
                                            base(5, "192.0.2.3", 80, 200, S::medium),    // host gone: fixed
                                            base(6, "192.0.2.1", 80, 200, S::low),  // reported twice: the worse counts
                                        })));
    ASSERT_TRUE(*MUST(findings().append("tuesday", "",
                                        {
                                            base(0, "192.0.2.1", 80, 200, S::medium),
                                            base(1, "192.0.2.1", 443, 300, S::high),
                                            base(2, "192.0.2.2", 22, 100, S::medium),
                                            base(3, "192.0.2.2", 0, 19506, S::info),
                                            base(4, "192.0.2.2", 8080, 400, S::critical),  // new
                                            base(5, "192.0.2.4", 22, 100, S::low),         // new host
                                            base(6, "192.0.2.1", 80, 200, S::low),
                                        })));
    auto c = MUST(findings().compare("monday", "tuesday", S::info));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->added, 2u);
    EXPECT_EQ(c->fixed, 2u);
    EXPECT_EQ(c->unchanged, 2u);
    EXPECT_EQ(c->rerated, 2u);
    ASSERT_EQ(c->hosts.size(), 4u);
    std::map<std::string, sdk::HostChanges> by;
    for (const auto& h : c->hosts) by[h.host] = h;
    const auto& h1 = by["192.0.2.1"];
    EXPECT_EQ(std::tie(h1.added, h1.fixed, h1.unchanged, h1.rerated), std::make_tuple(0ull + 0, 1ull, 1ull, 1ull));
    ASSERT_EQ(h1.changes.size(), 2u) << "unchanged ones are counted, not listed";
    auto find = [](const sdk::HostChanges& h, std::uint64_t plugin) {
        for (const auto& ch : h.changes) {
            if (ch.plugin_id == plugin) return ch;
        }
        ADD_FAILURE() << "no change for plugin " << plugin << " on " << h.host;
        return sdk::FindingChange{};
    };
    auto fixed = find(h1, 100);
    EXPECT_EQ(fixed.change, sdk::Change::fixed);
    EXPECT_EQ(fixed.before, S::high);
    EXPECT_FALSE(fixed.after);
    auto up = find(h1, 300);
    EXPECT_EQ(up.change, sdk::Change::rerated);
    EXPECT_EQ(up.before, S::low);
    EXPECT_EQ(up.after, S::high);
    EXPECT_EQ(up.port, 443u);
    const auto& h2 = by["192.0.2.2"];
    EXPECT_EQ(find(h2, 100).change, sdk::Change::rerated);
    auto added = find(h2, 400);
    EXPECT_EQ(added.change, sdk::Change::added);
    EXPECT_FALSE(added.before);
    EXPECT_EQ(added.after, S::critical);
    EXPECT_EQ(h2.unchanged, 1u);
    EXPECT_EQ(by["192.0.2.3"].fixed, 1u);
    EXPECT_EQ(by["192.0.2.4"].added, 1u);

    // min_severity drops what stays below it on both sides (the info finding).
    auto serious = *MUST(findings().compare("monday", "tuesday", S::medium));
    EXPECT_EQ(serious.unchanged, 1u);
    EXPECT_EQ(serious.added, 1u) << "the new low finding on .4 is below medium";
    EXPECT_EQ(serious.rerated, 2u) << "low -> high counts: one side reaches medium";

    auto missing = findings().compare("monday", "nope", S::info);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, sdk::ErrorKind::not_found);
    EXPECT_NE(missing.error().message.find("'nope'"), std::string::npos);
}

// ------------------------------------------------------------- the schema

TEST_P(StoreContract, ReopeningIsIdempotentAndANewerSchemaIsRefusedByName) {
    ASSERT_TRUE(MUST(tasks().create(sample_task("kept"))));
    EXPECT_EQ(*MUST(store_->schema_version()), 4u);
    for (int i = 0; i < 2; ++i) {
        auto again = make();  // migrations run again at every open: nothing to do, nothing lost
        ASSERT_TRUE(again);
        EXPECT_EQ(*MUST(again->schema_version()), 4u);
        EXPECT_TRUE(again->tasks().get("kept"));
        EXPECT_TRUE(again->ping());
    }
    raw("UPDATE schema_version SET version = 7");
    auto newer = open(config_);
    ASSERT_FALSE(newer);
    EXPECT_EQ(newer.error().kind, sdk::ErrorKind::permanent);
    EXPECT_NE(newer.error().message.find("schema is at version 7, newer than this plugin knows (4)"), std::string::npos)
        << newer.error().message;
}

// Takes the open database back to a released schema version: the tasks
// as they were (no task_key), the findings tables of that version, empty.
void StoreContract::downgrade_to(int version) {
    store_.reset();
    raw("DROP TABLE finding_groups");
    if (version == 3) {
        for (const auto& sql : scanorch::testing::findings_indexes_v3()) raw(sql);
        raw("UPDATE schema_version SET version = 3");
        return;
    }
    raw("DROP INDEX tasks_by_key");
    raw("ALTER TABLE tasks DROP COLUMN task_key");
    if (GetParam().plugin_name == "postgres-store") raw("DROP SEQUENCE IF EXISTS task_keys");  // owned by the column
    if (GetParam().plugin_name == "sqlite-store") raw("DROP TABLE task_key_counter");
    raw("DROP TABLE finding_hosts");
    raw("DROP TABLE finding_cves");
    raw("DROP TABLE findings");
    for (const auto& sql : scanorch::testing::findings_schema_v1()) raw(sql);
    if (version >= 2) {
        for (const auto& sql : scanorch::testing::findings_schema_v2()) raw(sql);
    }
    raw("UPDATE schema_version SET version = " + std::to_string(version));
}

namespace {

// 192.0.2.x as the number versions 1 and 2 stored in findings.ipv4.
std::string ipv4_literal(const std::string& ip) {
    const std::string net = "192.0.2.";
    if (ip.rfind(net, 0) != 0) return "NULL";
    return std::to_string(3221225984LL + std::stoll(ip.substr(net.size())));
}

// A findings row as versions 1 and 2 wrote it (`extra`: their text_seq and
// text_hash values, for version 2).
std::string old_finding_row(const std::string& task_id, std::uint64_t seq, const sdk::Finding& f, bool own_texts,
                            const std::string& extra_columns = "", const std::string& extra_values = "") {
    const auto texts = own_texts
                           ? "'" + f.synopsis + "', '" + f.solution + "', '" + f.description + "', '" + f.see_also + "'"
                           : std::string("'', '', '', ''");
    return "INSERT INTO findings (task_id, seq, host, host_ip, ipv4, port, protocol, service, plugin_id, plugin_name,"
           " plugin_family, severity, risk_factor, cvss3, cvss2, cves, seen_at, synopsis, solution, description,"
           " see_also, plugin_output" +
           extra_columns + ") VALUES ('" + task_id + "', " + std::to_string(seq) + ", '" + f.host + "', '" + f.host_ip +
           "', " + ipv4_literal(f.host_ip) + ", " + std::to_string(f.port) + ", '" + f.protocol + "', '" + f.service +
           "', " + std::to_string(f.plugin_id) + ", '" + f.plugin_name + "', '" + f.plugin_family + "', " +
           std::to_string(static_cast<int>(f.severity)) + ", '" + f.risk_factor + "', 5.5, NULL, '" +
           (f.cves.empty() ? "" : f.cves[0]) + "', " + std::to_string(f.seen_at_ms) + ", " + texts + ", '" +
           f.plugin_output + "'" + extra_values + ")";
}

}  // namespace

TEST_P(StoreContract, ADatabaseOfSchemaOneKeepsItsFindingsAfterMigrating) {
    // Version 1: every row held its own texts, keyed by the task's id.
    auto t = sample_task("v1-task");
    t.lease_token = "mine";
    t.status = sdk::TaskState::completed;
    ASSERT_TRUE(MUST(tasks().create(t)));
    downgrade_to(1);
    std::vector<sdk::Finding> old;
    for (std::uint64_t i = 0; i < 4; ++i) {
        auto f = make_finding(i * 37);  // the same plugin: the same texts, each row holding them
        f.cvss_base_score.reset();
        f.cvss3_base_score = 5.5;
        f.cves.clear();
        raw(old_finding_row("v1-task", i, f, true));
        f.seq = i;
        old.push_back(f);
    }
    auto reopened = make();
    ASSERT_TRUE(reopened);
    EXPECT_EQ(*MUST(reopened->schema_version()), 4u);
    auto q = page_of("v1-task");
    q.with_text = true;
    auto before = *MUST(reopened->findings().page(q));
    ASSERT_EQ(before.findings.size(), old.size());
    for (std::size_t i = 0; i < old.size(); ++i) expect_same_finding(before.findings[i], old[i], true);
    // New findings of the same task after the migration share those texts.
    auto more = make_finding(4 * 37);
    more.seq = 4;
    ASSERT_TRUE(*MUST(reopened->findings().append("v1-task", "mine", {more})));
    auto after = *MUST(reopened->findings().page(q));
    ASSERT_EQ(after.findings.size(), 5u);
    expect_same_finding(after.findings[4], more, true);
}

TEST_P(StoreContract, ADatabaseOfSchemaTwoKeepsSharedTextsAndCvesAfterMigrating) {
    // Version 2: a text set held by the first finding of the task carrying it,
    // later ones pointing at it through text_seq; CVE rows keyed by task id.
    for (const auto* id : {"v2-a", "v2-b"}) {
        auto t = sample_task(id);
        t.status = sdk::TaskState::completed;
        ASSERT_TRUE(MUST(tasks().create(t)));
    }
    downgrade_to(2);
    std::vector<std::pair<std::string, sdk::Finding>> old;
    for (const auto* id : {"v2-a", "v2-b"}) {
        for (std::uint64_t i = 0; i < 3; ++i) {
            auto f = make_finding(i * 37);  // the same plugin and texts
            const auto texts = make_finding(0);
            f.synopsis = texts.synopsis, f.solution = texts.solution;
            f.description = texts.description, f.see_also = texts.see_also;
            f.cvss_base_score.reset();
            f.cvss3_base_score = 5.5;
            f.cves = {"CVE-2021-44228"};
            const bool holder = i == 0;
            raw(old_finding_row(id, i, f, holder, ", text_seq, text_hash", holder ? ", NULL, 12345" : ", 0, NULL"));
            raw(std::string("INSERT INTO finding_cves (cve, task_id, seq) VALUES ('CVE-2021-44228', '") + id + "', " +
                std::to_string(i) + ")");
            f.seq = i;
            old.emplace_back(id, f);
        }
    }
    // A row whose task is gone (a crash between the two deletes of an older
    // release) has no task to be kept under: the migration leaves it behind.
    raw(old_finding_row("v2-gone", 0, make_finding(0), true, ", text_seq, text_hash", ", NULL, 1"));
    auto reopened = make();
    ASSERT_TRUE(reopened);
    EXPECT_EQ(*MUST(reopened->schema_version()), 4u);
    for (const auto* id : {"v2-a", "v2-b"}) {
        auto q = page_of(id);
        q.with_text = true;
        q.count = true;
        auto p = *MUST(reopened->findings().page(q));
        ASSERT_EQ(p.findings.size(), 3u) << id;
        EXPECT_EQ(p.total, 3u);
        for (std::size_t i = 0; i < 3; ++i) {
            const auto& want = old[(id == std::string("v2-a") ? 0 : 3) + i].second;
            expect_same_finding(p.findings[i], want, true);
        }
    }
    sdk::FindingSearch s;
    s.cve = "CVE-2021-44228";
    s.limit = 100;
    auto hits = *MUST(reopened->findings().search(s));
    std::vector<std::pair<std::string, std::uint64_t>> got;
    for (const auto& h : hits.hits) got.emplace_back(h.task_id, h.finding.seq);
    const std::vector<std::pair<std::string, std::uint64_t>> want = {{"v2-a", 0}, {"v2-a", 1}, {"v2-a", 2},
                                                                     {"v2-b", 0}, {"v2-b", 1}, {"v2-b", 2}};
    EXPECT_EQ(got, want);
    // The migration found the hosts' runs: a host filter and a network search
    // read them (rows 0, 1, 2 are on 192.0.2.1, .38 and .25).
    sdk::FindingFilter on_host;
    on_host.host = "192.0.2.38";
    auto by_host = *MUST(reopened->findings().page(page_of("v2-b", on_host)));
    ASSERT_EQ(by_host.findings.size(), 1u);
    EXPECT_EQ(by_host.findings[0].seq, 1u);
    sdk::FindingSearch net;
    net.network = "192.0.2.32/27";
    net.limit = 100;
    auto in_net = *MUST(reopened->findings().search(net));
    got.clear();
    for (const auto& h : in_net.hits) got.emplace_back(h.task_id, h.finding.seq);
    EXPECT_EQ(got, (std::vector<std::pair<std::string, std::uint64_t>>{{"v2-a", 1}, {"v2-b", 1}}));
    // Tasks created after the migration get keys of their own; removing one
    // task takes its findings only.
    auto later = sample_task("v3-c");
    ASSERT_TRUE(MUST(reopened->tasks().create(later)));
    auto f = make_finding(0);
    ASSERT_TRUE(*MUST(reopened->findings().append("v3-c", later.lease_token, {f})));
    ASSERT_TRUE(*MUST(reopened->tasks().remove("v2-a")));
    EXPECT_EQ(MUST(reopened->findings().page(page_of("v2-b")))->findings.size(), 3u);
    EXPECT_EQ(MUST(reopened->findings().page(page_of("v3-c")))->findings.size(), 1u);
}

TEST_P(StoreContract, ADatabaseOfSchemaThreeFindsByPluginAndSeverityAfterMigrating) {
    // Version 3: the plugin and severity filters read two indexes of
    // findings; version 4 groups the rows already there by plugin and
    // severity, in blocks of 4096 seqs.
    auto t = sample_task("v3-task");
    t.lease_token = "mine";
    t.status = sdk::TaskState::completed;
    ASSERT_TRUE(MUST(tasks().create(t)));
    std::map<std::uint64_t, sdk::Finding> model;
    for (std::uint64_t at = 0; at < 5000; at += 1000) {
        std::vector<sdk::Finding> batch;
        for (std::uint64_t i = at; i < at + 1000; ++i) batch.push_back(make_finding(i));
        ASSERT_TRUE(*MUST(findings().append("v3-task", "mine", batch)));
        for (const auto& f : batch) model[f.seq] = f;
    }
    downgrade_to(3);
    auto reopened = make();
    ASSERT_TRUE(reopened);
    EXPECT_EQ(*MUST(reopened->schema_version()), 4u);
    const auto check = [&](const std::string& when) {
        sdk::FindingFilter f;
        f.plugin_id = 10005;
        EXPECT_EQ(paged_seqs(reopened->findings(), "v3-task", f, 97), model_seqs(model, f)) << "plugin, " << when;
        f.plugin_id = 77777;
        EXPECT_EQ(paged_seqs(reopened->findings(), "v3-task", f, 97), model_seqs(model, f))
            << "resent plugin, " << when;
        f = {};
        f.min_severity = sdk::Severity::high;
        EXPECT_EQ(paged_seqs(reopened->findings(), "v3-task", f, 501), model_seqs(model, f)) << "high, " << when;
        f = {};
        f.severities = {sdk::Severity::low};
        f.port = 22;
        EXPECT_EQ(paged_seqs(reopened->findings(), "v3-task", f, 13), model_seqs(model, f)) << "low on 22, " << when;
        std::vector<std::pair<std::string, std::uint64_t>> want;
        for (const auto& [seq, x] : model) {
            if (x.plugin_id == 10005) want.emplace_back("v3-task", seq);
        }
        EXPECT_EQ(searched_by_plugin(reopened->findings(), 10005, std::nullopt, 50), want) << "search, " << when;
    };
    check("migrated");
    // A batch sent again across the boundary of the migration's blocks.
    std::vector<sdk::Finding> again;
    for (std::uint64_t i = 4000; i < 4200; ++i) {
        auto f = make_finding(i);
        f.plugin_id = 77777;
        f.severity = sdk::Severity::critical;
        again.push_back(f);
        model[i] = f;
    }
    ASSERT_TRUE(*MUST(reopened->findings().append("v3-task", "mine", again)));
    check("after a batch sent again over the blocks' boundary");
}

TEST_P(StoreContract, AnOlderDatabaseIsMigratedAtOpen) {
    // A database from before the store existed at all (version 0: no tables),
    // and one whose version table is empty, are both brought up to date.
    store_.reset();
    raw("DROP TABLE finding_groups");
    raw("DROP TABLE finding_hosts");
    raw("DROP TABLE finding_cves");
    raw("DROP TABLE findings");
    raw("DROP TABLE tasks");
    if (GetParam().plugin_name == "postgres-store") raw("DROP SEQUENCE IF EXISTS task_keys");
    if (GetParam().plugin_name == "sqlite-store") raw("DROP TABLE task_key_counter");
    raw("DELETE FROM schema_version");
    auto reopened = make();
    ASSERT_TRUE(reopened);
    EXPECT_EQ(*MUST(reopened->schema_version()), 4u);
    EXPECT_TRUE(MUST(reopened->tasks().create(sample_task("after-migration"))));
}
