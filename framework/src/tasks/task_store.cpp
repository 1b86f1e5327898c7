#include "scanorch/framework/tasks/task_store.h"

#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "scanorch/sdk/extensions.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace scanorch::framework {

namespace {

sdk::TaskState state_of(TaskStatus s) {
    switch (s) {
        case TaskStatus::queued: return sdk::TaskState::queued;
        case TaskStatus::running: return sdk::TaskState::running;
        case TaskStatus::completed: return sdk::TaskState::completed;
        case TaskStatus::failed: return sdk::TaskState::failed;
        case TaskStatus::cancelled: return sdk::TaskState::cancelled;
    }
    return sdk::TaskState::queued;
}

sdk::StoredTask row_of(const TaskRecord& t) {
    sdk::StoredTask r;
    r.task_id = t.task_id;
    r.client = t.client;
    r.status = state_of(t.status);
    r.scanner = t.scanner_instance;
    r.pool = t.scanner_pool.empty() ? t.requested_pool : t.scanner_pool;
    r.targets = t.targets;
    r.lease_token = t.lease_token;
    r.created_at_ms = t.created_at;
    r.updated_at_ms = t.updated_at;
    r.completed_at_ms = t.completed_at;
    r.last_accessed_at_ms = t.last_accessed_at;
    r.document = task_json(t);
    r.summary = task_summary_json(t);
    return r;
}

sdk::Result<TaskRecord> parse_record(const std::string& id, const std::string& text, Poco::JSON::Parser& parser) {
    try {
        parser.reset();
        auto parsed = task_from_json(parser.parse(text).extract<Poco::JSON::Object::Ptr>());
        if (!parsed) return sdk::Error::internal("task '" + id + "': stored record: " + parsed.error().message);
        return parsed;
    } catch (const Poco::Exception& e) {
        return sdk::Error::internal("task '" + id + "': stored record is unreadable: " + e.displayText());
    }
}

sdk::Result<TaskRecord> parse_record(const std::string& id, const std::string& text) {
    Poco::JSON::Parser parser;
    return parse_record(id, text, parser);
}

// The columns are the truth for what they hold: touch() moves
// last_accessed_at without rewriting the document.
void overlay(TaskRecord& t, const sdk::StoredTask& row) { t.last_accessed_at = row.last_accessed_at_ms; }

sdk::TaskQuery to_query(const TaskListQuery& q) {
    sdk::TaskQuery s;
    s.clients = q.clients;
    for (auto st : q.statuses) s.statuses.push_back(state_of(st));
    s.scanner = q.scanner;
    s.pool = q.pool;
    s.targets = q.targets;
    s.created_from_ms = q.created_from;
    s.created_before_ms = q.created_before;
    if (q.after) {
        // The store pages by its own cursor; a position of ours becomes a
        // bound (ties within its millisecond are skipped as they are read).
        const auto bound = q.after->created_at + 1;
        s.created_before_ms = s.created_before_ms ? std::min(s.created_before_ms, bound) : bound;
    }
    return s;
}

// Retries of a read-modify-write that kept losing to other writers: each
// loss means another write landed, so this bound is only reached by a task
// written in a tight loop elsewhere.
constexpr int kUpdateAttempts = 64;

}  // namespace

// Every extension id the host asks a store for is part of ABI 2.0, so no
// minor decides yet; the minor stays a parameter for ids a 2.x adds (rule 4).
TaskStore::TaskStore(std::shared_ptr<sdk::Store> db, std::filesystem::path exports_dir,
                     [[maybe_unused]] std::uint32_t store_abi_minor, std::chrono::milliseconds poll_staleness)
    : poll_staleness_(poll_staleness), db_(std::move(db)), exports_(std::move(exports_dir)) {
    stamps_ = static_cast<sdk::TaskStamps*>(db_->tasks().extension(sdk::kStoreTaskStamps));
    removal_ = static_cast<sdk::TaskRemoval*>(db_->tasks().extension(sdk::kStoreTaskRemoval));
    std::error_code ec;
    std::filesystem::create_directories(exports_, ec);
}

// ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$: never a path separator, never a dot.
bool TaskStore::valid_id(const std::string& id) {
    // ASCII by hand, not std::isalnum: a locale must not widen what may name a directory.
    const auto alnum = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '_' || c == '-'; });
}

std::filesystem::path TaskStore::dir(const std::string& id) const { return exports_ / id; }
std::filesystem::path TaskStore::export_path(const std::string& id, const std::string& attempt) const {
    // One file per attempt: a worker that lost its lease and is still
    // downloading never writes into the file of the one that took over.
    // One mkdir: the exports directory is made at start (create_directories
    // stats every parent first, a few system calls per scan), and again
    // here only if it was removed since.
    auto d = dir(id);
    std::error_code ec;
    if (!std::filesystem::create_directory(d, ec) && ec) std::filesystem::create_directories(d, ec);
    return d / ("scan-" + attempt + ".nessus");
}

sdk::Result<void> TaskStore::create(const TaskRecord& t, const std::string& payload) {
    if (!valid_id(t.task_id)) return sdk::Error::invalid_input("invalid task id '" + t.task_id + "'");
    auto row = row_of(t);
    row.payload = payload;
    // Before the commit: no write of the task can precede its creation, and
    // a time taken after it could be later than a write another thread of
    // this process makes meanwhile, whose entry this one would then outrank.
    const auto began = Clock::now();
    auto r = db_->tasks().create(row);
    if (!r) return std::move(r).error();
    // Remembered as an update's write is: in one process (scanorchd all) a
    // worker takes the task over next, and its first update then starts
    // from this rather than from a read and a parse of the row. Elsewhere
    // the entry serves the client's first status polls. Only with the
    // revision the store gave it, which the next update's guard needs (0
    // there would mean any revision).
    if (r->revision == 0) return {};
    auto record = std::make_shared<TaskRecord>(t);
    overlay(*record, *r);
    remember(t.task_id, Cached{r->revision, r->last_accessed_at_ms, std::move(record), began});
    return {};
}

sdk::Result<std::shared_ptr<const TaskRecord>> TaskStore::decode(const sdk::StoredTask& row) const {
    auto parsed = parse_record(row.task_id, row.document);
    if (!parsed) return std::move(parsed).error();
    overlay(*parsed, row);
    return std::make_shared<const TaskRecord>(std::move(parsed).value());
}

void TaskStore::remember(const std::string& id, Cached entry) const {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(id);
    if (it == cache_.end()) {
        // An entry dropped to make room may have been this process's own
        // write: a read begun before it could be older, and would answer
        // polls with the record from before that write.
        if (entry.as_of <= evicted_as_of_) return;
        insert_locked(id, std::move(entry));
        return;
    }
    // Two threads' reads of one task may finish in either order, and a read
    // begun before this process wrote must not replace what the write left.
    if (entry.as_of < it->second.as_of) return;
    const bool moved_on = entry.as_of > it->second.as_of;
    it->second = std::move(entry);
    if (moved_on) aged_locked(id, it->second.as_of);
}

void TaskStore::insert_locked(const std::string& id, Cached entry) const {
    while (cache_.size() >= kCacheEntries && evict_oldest_locked()) {
    }
    const auto as_of = entry.as_of;
    cache_.emplace(id, std::move(entry));
    aged_locked(id, as_of);
}

bool TaskStore::evict_oldest_locked() const {
    while (!ages_.empty()) {
        const Aged oldest = std::move(ages_.front());
        ages_.pop_front();
        auto it = cache_.find(oldest.task_id);
        if (it == cache_.end() || it->second.as_of != oldest.as_of) continue;  // moved on since
        evicted_as_of_ = std::max(evicted_as_of_, oldest.as_of);
        cache_.erase(it);
        return true;
    }
    return false;
}

void TaskStore::aged_locked(const std::string& id, Clock::time_point as_of) const {
    ages_.push_back(Aged{id, as_of});
    // Polls re-validate a few tasks over and over: without this, their
    // moved-on items would pile up behind an entry that is never evicted.
    if (ages_.size() <= 2 * cache_.size() + 64) return;
    std::deque<Aged> current;
    for (auto& a : ages_) {
        auto it = cache_.find(a.task_id);
        if (it != cache_.end() && it->second.as_of == a.as_of) current.push_back(std::move(a));
    }
    ages_.swap(current);
}

std::size_t TaskStore::cached() const {
    std::lock_guard lock(cache_mu_);
    return cache_.size();
}

sdk::Result<TaskRecord> TaskStore::load(const std::string& id) const {
    auto t = load_shared(id);
    if (!t) return std::move(t).error();
    return **t;
}

// Why a poll may be up to poll_staleness old, and not validated by a change
// feed: status polls are what agents repeat in a loop, and on PostgreSQL
// every validation is a round trip holding a pooled connection the workers
// also need. A change feed would make polls exact, but LISTEN/NOTIFY needs a
// dedicated connection per process (unavailable through a transaction-mode
// pooler such as PgBouncer) and, when that connection drops, a cache that
// must notice it or serve records of unbounded age; SQLite's data_version
// is only read inside a read transaction, which is most of what the stamp
// read costs. A time bound needs neither, works the same on every store
// plugin, and its worst case is a fixed, documented second — far below any
// client's poll interval and the workers' own poll of the scanner (seconds).
// Writes of this process never wait for it (update(), touch(), remove()), and
// every read that decides something (workers, cancel, results, housekeeping)
// is exact.
sdk::Result<std::shared_ptr<const TaskRecord>> TaskStore::load_shared(const std::string& id,
                                                                      Freshness freshness) const {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    const auto started = Clock::now();
    std::optional<Cached> known;
    {
        std::lock_guard lock(cache_mu_);
        if (auto it = cache_.find(id); it != cache_.end() && it->second.record) known = it->second;
    }
    if (known && freshness == Freshness::poll && started - known->as_of < poll_staleness_) return known->record;
    if (stamps_ && known) {
        auto st = stamps_->stamp(id);
        if (!st) return std::move(st).error();
        if (st->revision == known->revision && st->last_accessed_at_ms == known->last_accessed_at) {
            known->as_of = started;
            remember(id, *known);
            return known->record;
        }
    }
    auto row = db_->tasks().get(id);
    if (!row) return std::move(row).error();
    std::shared_ptr<const TaskRecord> record;
    if (known && known->revision == row->revision && known->last_accessed_at == row->last_accessed_at_ms) {
        record = known->record;  // a store without stamps: the row was read, the document need not be parsed
    } else {
        auto decoded = decode(*row);
        if (!decoded) return std::move(decoded).error();
        record = std::move(decoded).value();
    }
    remember(id, Cached{row->revision, row->last_accessed_at_ms, record, started});
    return record;
}

sdk::Result<std::string> TaskStore::payload(const std::string& id) const {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    auto row = db_->tasks().get(id);
    if (!row) return std::move(row).error();
    if (row->payload.empty()) return sdk::Error::not_found("task '" + id + "' has no payload");
    return std::move(row->payload);
}

sdk::Result<TaskRecord> TaskStore::update(const std::string& id, const std::function<bool(TaskRecord&)>& change) {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    // The record this process last wrote or read is the first guess: a
    // worker is nearly always the task's only writer, and the revision guard
    // refuses the write if anyone else wrote since (then the row is read).
    // A change that declines to write is only believed on a fresh read.
    std::optional<Cached> guess;
    {
        std::lock_guard lock(cache_mu_);
        // Revision 0 would let the guarded write land over anyone's.
        if (auto it = cache_.find(id); it != cache_.end() && it->second.record && it->second.revision > 0) {
            guess = it->second;
        }
    }
    for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
        std::uint64_t base_revision = 0;
        std::int64_t base_updated_at = 0;
        TaskRecord t;
        bool from_cache = false;
        if (guess) {
            t = *guess->record;  // a copy of its own: `change` may alter what it shares with the cache
            base_revision = guess->revision;
            base_updated_at = t.updated_at;
            from_cache = true;
            guess.reset();
        } else {
            auto row = db_->tasks().get(id);
            if (!row) return std::move(row).error();
            auto current = decode(*row);
            if (!current) return std::move(current).error();
            t = **current;
            base_revision = row->revision;
            base_updated_at = row->updated_at_ms;
        }
        if (!change(t)) {
            if (from_cache) continue;
            return t;
        }
        // Strictly later than the write it replaces: callers compare
        // updated_at to tell whether a task changed since they read it.
        t.updated_at = std::max(now_ms(), base_updated_at + 1);
        sdk::WriteGuard guard;
        guard.revision = base_revision;
        auto w = db_->tasks().update(row_of(t), guard);
        // Taken once the write is committed: a read begun before this may
        // not have seen it.
        const auto written = Clock::now();
        if (!w) {
            fence(id, written);  // it may have been written all the same (a lost reply)
            return std::move(w).error();
        }
        if (w->outcome != sdk::UpdateOutcome::written) continue;
        // This process's next poll must show the write: the cache takes the
        // record as written (w->current is the row as the write left it), or,
        // when another write already followed, a fence that sends the next
        // read to the store.
        overlay(t, w->current);  // the columns' truth (a later read time), not the base's
        if (w->current.revision == base_revision + 1) {
            remember(id, Cached{w->current.revision, w->current.last_accessed_at_ms, std::make_shared<TaskRecord>(t),
                                written});
        } else {
            fence(id, written);
        }
        return t;
    }
    return sdk::Error::transient("task '" + id + "' kept changing under this write (" +
                                 std::to_string(kUpdateAttempts) + " attempts); try again");
}

sdk::Result<void> TaskStore::touch(const std::string& id, std::int64_t at) {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    auto r = db_->tasks().touch(id, at);
    fence(id, Clock::now());
    return r;
}

void TaskStore::forget(const std::string& id) const {
    fence(id, Clock::now());  // polls read the store again: it says the task is gone
    std::lock_guard lock(listed_mu_);
    listed_.erase(id);
}

void TaskStore::fence(const std::string& id, Clock::time_point written) const {
    // Not erased: a read of this task begun before the write and ending
    // after it would otherwise put the old record back for a poll to find.
    remember(id, Cached{0, 0, nullptr, written});
}

sdk::Result<TaskRecord> TaskStore::listed(const sdk::StoredTask& row, Poco::JSON::Parser& parser) const {
    {
        std::lock_guard lock(listed_mu_);
        if (auto it = listed_.find(row.task_id);
            it != listed_.end() && it->second.revision == row.revision && it->second.created_at == row.created_at_ms) {
            TaskRecord t = it->second.record;
            overlay(t, row);
            return t;
        }
    }
    auto t = parse_record(row.task_id, row.summary, parser);
    if (!t) return std::move(t).error();
    {
        std::lock_guard lock(listed_mu_);
        // Full: start again. Not erase(begin()): in an unordered_map that is
        // usually the entry inserted last, so the page being read would evict
        // itself and a poll of the newest page would never hit.
        if (listed_.size() >= kListedEntries && !listed_.count(row.task_id)) listed_.clear();
        listed_[row.task_id] = Listed{row.revision, row.created_at_ms, *t};
    }
    overlay(*t, row);
    return t;
}

sdk::Result<TaskList> TaskStore::list(const TaskListQuery& q) const {
    if (q.limit == 0 || q.limit > 1000)
        return sdk::Error::invalid_input("limit must be 1..1000, not " + std::to_string(q.limit));
    TaskList out;
    out.tasks.reserve(q.limit);
    auto query = to_query(q);
    std::uint32_t examined = 0;
    // One parser for the call (its handler and buffers are reused), and each
    // distinct targets text tested once: tasks of one schedule share it.
    Poco::JSON::Parser parser;
    std::unordered_map<std::string, bool> targets_tested;
    const auto targets_pass = [&](const std::string& targets) {
        auto [it, fresh] = targets_tested.try_emplace(targets, false);
        if (fresh) it->second = q.accept_targets(targets);
        return it->second;
    };
    for (;;) {
        // One more than the page: whether anything is left is then known
        // without another call.
        const std::uint32_t want = q.limit + 1 - static_cast<std::uint32_t>(out.tasks.size());
        query.limit =
            std::clamp<std::uint32_t>(q.accept_targets ? std::max<std::uint32_t>(want, 200) : want + 8, 1, 1000);
        auto page = db_->tasks().list(query);
        if (!page) return std::move(page).error();
        for (const auto& row : page->tasks) {
            if (q.after && row.created_at_ms == q.after->created_at && row.task_id >= q.after->task_id) continue;
            ++examined;
            // The column is the record's targets: a row that fails is never decoded.
            if (!q.accept_targets || targets_pass(row.targets)) {
                if (out.tasks.size() == q.limit) {
                    out.next = ListPosition{out.tasks.back().created_at, out.tasks.back().task_id};
                    return out;
                }
                auto t = listed(row, parser);
                if (!t) return std::move(t).error();
                out.tasks.push_back(std::move(t).value());
            }
            if (q.accept_targets && examined >= q.scan_budget) {
                out.next = ListPosition{row.created_at_ms, row.task_id};
                return out;
            }
        }
        if (page->next_cursor.empty()) return out;
        query.cursor = page->next_cursor;
    }
}

sdk::Result<void> TaskStore::for_each(const std::vector<TaskStatus>& statuses, const EachTask& each) const {
    sdk::TaskQuery query;
    for (auto st : statuses) query.statuses.push_back(state_of(st));
    query.with_document = true;
    query.limit = 200;
    for (;;) {
        auto page = db_->tasks().list(query);
        if (!page) return std::move(page).error();
        for (const auto& row : page->tasks) {
            auto t = decode(row);
            if (!t) return std::move(t).error();
            if (!each(**t, row.payload)) return {};
        }
        if (page->next_cursor.empty()) return {};
        query.cursor = page->next_cursor;
    }
}

sdk::Result<void> TaskStore::for_each_summary(const std::vector<TaskStatus>& statuses, const EachSummary& each) const {
    sdk::TaskQuery query;
    for (auto st : statuses) query.statuses.push_back(state_of(st));
    query.limit = 1000;
    for (;;) {
        auto page = db_->tasks().list(query);
        if (!page) return std::move(page).error();
        for (const auto& row : page->tasks) {
            auto t = parse_record(row.task_id, row.summary);
            if (!t) return std::move(t).error();
            overlay(*t, row);
            if (!each(*t, row.revision)) return {};
        }
        if (page->next_cursor.empty()) return {};
        query.cursor = page->next_cursor;
    }
}

sdk::Result<TaskStore::Whole> TaskStore::load_whole(const std::string& id) const {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    auto row = db_->tasks().get(id);
    if (!row) return std::move(row).error();
    auto t = decode(*row);
    if (!t) return std::move(t).error();
    return Whole{**t, std::move(row->payload), row->revision};
}

sdk::Result<std::vector<std::string>> TaskStore::unfinished_for(const std::string& client) const {
    sdk::TaskQuery query;
    query.clients = std::vector<std::string>{client};
    query.statuses = {sdk::TaskState::queued, sdk::TaskState::running};
    query.limit = 1000;
    std::vector<std::string> out;
    for (;;) {
        auto page = db_->tasks().list(query);
        if (!page) return std::move(page).error();
        for (auto& row : page->tasks) out.push_back(std::move(row.task_id));
        if (page->next_cursor.empty()) return out;
        query.cursor = page->next_cursor;
    }
}

sdk::Result<std::vector<std::string>> TaskStore::expired(std::int64_t idle_before, std::uint32_t limit) const {
    return db_->tasks().expired(idle_before, limit);
}

sdk::Result<void> TaskStore::remove(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    auto r = db_->tasks().remove(id);
    forget(id);
    if (!r) return std::move(r).error();
    std::error_code ec;
    std::filesystem::remove_all(dir(id), ec);
    if (!*r) return sdk::Error::not_found("task '" + id + "' not found");  // someone else removed it: not counted twice
    if (ec) return sdk::Error::internal("cannot remove the exports of task '" + id + "': " + ec.message());
    return {};
}

sdk::Result<bool> TaskStore::remove_expired(const std::string& id, std::int64_t idle_before) {
    if (!removal_) {
        auto r = remove(id);
        if (!r && r.error().kind == sdk::ErrorKind::not_found) return false;
        if (!r) return std::move(r).error();
        return true;
    }
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    auto r = removal_->remove_if_expired(id, idle_before);
    if (!r) return std::move(r).error();
    if (!*r) return false;  // gone, or retried or read since: its files stay with it
    forget(id);
    std::error_code ec;
    std::filesystem::remove_all(dir(id), ec);
    if (ec) return sdk::Error::internal("cannot remove the exports of task '" + id + "': " + ec.message());
    return true;
}

std::size_t TaskStore::sweep_local_exports() const {
    // A store with no task at all beside exports of ours is a wrong or new
    // database (a mistyped DATABASE_URL), not one whose tasks were removed:
    // sweeping then would delete every result on this host.
    sdk::TaskQuery any;
    any.limit = 1;
    auto probe = db_->tasks().list(any);
    if (!probe || probe->tasks.empty()) return 0;
    // Only directories untouched for a while: the TTL removes tasks long
    // after their export was written, and a fresh one may be mid-download.
    const auto settled = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(10);
    std::size_t removed = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(exports_, ec)) {
        const auto id = e.path().filename().string();
        if (!valid_id(id)) continue;
        std::error_code mt;
        const auto mtime = std::filesystem::last_write_time(e.path(), mt);
        if (mt || mtime > settled) continue;
        auto row = db_->tasks().get(id);
        if (row || row.error().kind != sdk::ErrorKind::not_found) continue;  // there, or the database is away
        std::error_code rm;
        std::filesystem::remove_all(e.path(), rm);
        if (!rm) ++removed;
    }
    return removed;
}

}  // namespace scanorch::framework
