// The task table in SQL, and the store that holds it with the findings.
#include "scanorch/store_sql/sql_store.h"

#include <algorithm>
#include <utility>

#include "sql_support.h"

namespace scanorch::store_sql {

namespace {

// ---------------------------------------------------------------- tasks

// The TTL's test, one parameter (idle_before): terminal, and last read (or,
// never read, completed) before it. expired() and remove_if_expired() share it.
const char* const kExpiredCondition =
    "status IN ('completed', 'failed', 'cancelled')"
    " AND CASE WHEN last_accessed_at > 0 THEN last_accessed_at ELSE completed_at END < ?";

const char* const kTaskColumns =
    "task_id, client, status, scanner, pool, targets, lease_token, created_at, updated_at, completed_at, "
    "last_accessed_at, revision, summary";

sdk::StoredTask read_task(const Row& r, bool with_document) {
    sdk::StoredTask t;
    t.task_id = r.text(0);
    t.client = r.text(1);
    const auto status = r.text(2);
    const auto parsed = sdk::parse_task_state(status);
    if (!parsed) {
        throw DbError(sdk::ErrorKind::internal, "task '" + t.task_id + "' has an unknown status '" + status +
                                                    "' in the database (written by a newer scanorch?)");
    }
    t.status = *parsed;
    t.scanner = r.text(3);
    t.pool = r.text(4);
    t.targets = r.text(5);
    t.lease_token = r.text(6);
    t.created_at_ms = r.integer(7);
    t.updated_at_ms = r.integer(8);
    t.completed_at_ms = r.integer(9);
    t.last_accessed_at_ms = r.integer(10);
    t.revision = static_cast<std::uint64_t>(r.integer(11));
    t.summary = r.text(12);
    if (with_document) {
        t.document = r.text(13);
        t.payload = r.text(14);
    }
    return t;
}

std::optional<sdk::StoredTask> fetch_task(Connection& c, const std::string& id, const std::string& suffix = "") {
    std::optional<sdk::StoredTask> out;
    c.run(std::string("SELECT ") + kTaskColumns + ", document, payload FROM tasks WHERE task_id = ?" + suffix,
          {text(id)}, [&](const Row& r) { out = read_task(r, true); });
    return out;
}

void check_task(const sdk::StoredTask& t) {
    if (!valid_id(t.task_id)) refuse("invalid task id '" + t.task_id + "'");
}

}  // namespace

// ================================================================= tasks

sdk::Result<sdk::StoredTask> SqlTasks::create(const sdk::StoredTask& t) noexcept {
    return guard("create task", [&]() -> sdk::Result<sdk::StoredTask> {
        check_task(t);
        bool exists = false;
        group_.write([&](Connection& c) {
            exists = false;
            c.run("SELECT 1 FROM tasks WHERE task_id = ?", {text(t.task_id)}, [&](const Row&) { exists = true; });
            if (exists) return;
            std::int64_t key = 0;
            c.run(d_.allocate_task_key, {}, [&](const Row& r) { key = r.integer(0); });
            c.run(
                "INSERT INTO tasks (task_id, client, status, scanner, pool, targets, lease_token, created_at, updated_at,"
                " completed_at, last_accessed_at, revision, summary, document, payload, task_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                {text(t.task_id), text(t.client), text(std::string(sdk::to_string(t.status))), text(t.scanner),
                 text(t.pool), text(t.targets), text(t.lease_token), integer(t.created_at_ms), integer(t.updated_at_ms),
                 integer(t.completed_at_ms), integer(t.last_accessed_at_ms), text(t.summary), text(t.document),
                 text(t.payload), integer(key)});
        });
        if (exists) return sdk::Error::invalid_input("task '" + t.task_id + "' already exists");
        if (const auto n = ++created_; n >= 1024 && std::has_single_bit(n)) {
            auto c = pool_.write_lease();
            refresh_statistics(*c);
        }
        sdk::StoredTask out = t;
        out.revision = 1;
        return out;
    });
}

void SqlTasks::refresh_statistics(Connection& c) noexcept {
    if (d_.refresh_task_statistics.empty()) return;
    try {
        c.run(d_.refresh_task_statistics);
    } catch (...) {  // the next power of two, or the next open, tries again
    }
}

sdk::Result<sdk::StoredTask> SqlTasks::get(const std::string& id) noexcept {
    return guard("get task", [&]() -> sdk::Result<sdk::StoredTask> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        auto c = pool_.lease();
        auto t = fetch_task(*c, id);
        if (!t) return sdk::Error::not_found("task '" + id + "' not found");
        return std::move(*t);
    });
}

sdk::Result<sdk::TaskStamp> SqlTasks::stamp(const std::string& id) noexcept {
    return guard("stamp task", [&]() -> sdk::Result<sdk::TaskStamp> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        auto c = pool_.lease();
        std::optional<sdk::TaskStamp> s;
        c->run("SELECT revision, last_accessed_at FROM tasks WHERE task_id = ?", {text(id)}, [&](const Row& r) {
            s = sdk::TaskStamp{static_cast<std::uint64_t>(r.integer(0)), r.integer(1)};
        });
        if (!s) return sdk::Error::not_found("task '" + id + "' not found");
        return *s;
    });
}

// One UPDATE whose WHERE is the guard: the database decides atomically, so no
// lock is held between a read and a write, and it returns the row it wrote.
// Only when it wrote nothing is the row read, to say which condition lost.
sdk::Result<sdk::UpdateResult> SqlTasks::update(const sdk::StoredTask& t, const sdk::WriteGuard& g) noexcept {
    return guard("update task", [&]() -> sdk::Result<sdk::UpdateResult> {
        check_task(t);
        std::string where = " WHERE task_id = ?";
        std::vector<Value> params = {text(std::string(sdk::to_string(t.status))),
                                     text(t.client),
                                     text(t.scanner),
                                     text(t.pool),
                                     text(t.targets),
                                     text(t.lease_token),
                                     integer(t.updated_at_ms),
                                     integer(t.completed_at_ms),
                                     integer(t.last_accessed_at_ms),
                                     integer(t.last_accessed_at_ms),
                                     text(t.summary),
                                     text(t.document),
                                     text(t.task_id)};
        if (g.revision != 0) {
            where += " AND revision = ?";
            params.push_back(integer(static_cast<std::int64_t>(g.revision)));
        }
        if (g.lease_token) {
            where += " AND lease_token = ?";
            params.push_back(text(*g.lease_token));
        }
        if (g.unless_terminal) where += " AND status NOT IN ('completed', 'failed', 'cancelled')";
        std::optional<sdk::StoredTask> written;
        group_.write(
            [&](Connection& c) {
                written.reset();
                c.run(
                    "UPDATE tasks SET status = ?, client = ?, scanner = ?, pool = ?, targets = ?, lease_token = ?,"
                    " updated_at = ?, completed_at = ?,"
                    " last_accessed_at = CASE WHEN ? > last_accessed_at THEN ? ELSE last_accessed_at END,"
                    " summary = ?, document = ?, revision = revision + 1" +
                        where + " RETURNING " + kTaskColumns + ", document, payload",
                    params, [&](const Row& r) { written = read_task(r, true); });
            },
            /*one_statement=*/true);
        sdk::UpdateResult out;
        if (written) {
            out.outcome = sdk::UpdateOutcome::written;
            out.current = std::move(*written);
            return out;
        }
        // Nothing written: which condition lost. A read of its own, after
        // the write's transaction: the row may have moved on since, and the
        // caller then reads and tries again.
        auto c = pool_.lease();
        auto current = fetch_task(*c, t.task_id);
        if (!current) return sdk::Error::not_found("task '" + t.task_id + "' not found");
        if (g.unless_terminal && sdk::is_terminal(current->status)) {
            out.outcome = sdk::UpdateOutcome::ended;
        } else if (g.lease_token && current->lease_token != *g.lease_token) {
            out.outcome = sdk::UpdateOutcome::fenced;
        } else {
            out.outcome = sdk::UpdateOutcome::stale;  // the revision moved (or the row changed again since)
        }
        out.current = std::move(*current);
        return out;
    });
}

sdk::Result<void> SqlTasks::touch(const std::string& id, std::int64_t at) noexcept {
    return guard("touch task", [&]() -> sdk::Result<void> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        bool found = false;
        group_.write(
            [&](Connection& c) {
                found = false;
                c.run(
                    "UPDATE tasks SET last_accessed_at = CASE WHEN ? > last_accessed_at THEN ? ELSE last_accessed_at END"
                    " WHERE task_id = ? RETURNING task_id",
                    {integer(at), integer(at), text(id)}, [&](const Row&) { found = true; });
            },
            /*one_statement=*/true);
        if (!found) return sdk::Error::not_found("task '" + id + "' not found");
        return {};
    });
}

sdk::Result<bool> SqlTasks::remove(const std::string& id) noexcept {
    return guard("remove task", [&]() -> sdk::Result<bool> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        auto c = pool_.write_lease();
        Transaction tx(*c, d_.begin_write);
        std::optional<std::int64_t> key;
        c->run("DELETE FROM tasks WHERE task_id = ? RETURNING task_key", {text(id)},
               [&](const Row& r) { key = r.integer(0); });
        if (key) delete_findings(*c, *key);
        tx.commit();
        return key.has_value();
    });
}

// The task row goes first, under the same test as expired(): the database
// decides in the DELETE whether the row is still expired, so a retry, a run
// or a read that landed after the host's expired() keeps the task. Its
// findings go in the same transaction, only when the row did.
sdk::Result<bool> SqlTasks::remove_if_expired(const std::string& id, std::int64_t idle_before) noexcept {
    return guard("remove expired task", [&]() -> sdk::Result<bool> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        auto c = pool_.write_lease();
        Transaction tx(*c, d_.begin_write);
        std::optional<std::int64_t> key;
        c->run(std::string("DELETE FROM tasks WHERE task_id = ? AND ") + kExpiredCondition + " RETURNING task_key",
               {text(id), integer(idle_before)}, [&](const Row& r) { key = r.integer(0); });
        if (key) delete_findings(*c, *key);
        tx.commit();
        return key.has_value();
    });
}

sdk::Result<sdk::TaskPage> SqlTasks::list(const sdk::TaskQuery& q) noexcept {
    return guard("list tasks", [&]() -> sdk::Result<sdk::TaskPage> {
        check_limit(q.limit, 1000, "limit");
        std::string where = " WHERE 1 = 1";
        std::vector<Value> params;
        visible_clients(q.clients, "client", where, params);
        if (!q.statuses.empty()) {
            where += " AND status IN (" + placeholders(q.statuses.size()) + ")";
            for (auto s : q.statuses) params.push_back(text(std::string(sdk::to_string(s))));
        }
        using Exact = std::pair<const char*, const std::string*>;
        for (const auto& [column, value] :
             {Exact{"scanner", &q.scanner}, Exact{"pool", &q.pool}, Exact{"targets", &q.targets}}) {
            if (value->empty()) continue;
            where += std::string(" AND ") + column + " = ?";
            params.push_back(text(*value));
        }
        if (q.created_from_ms) {
            where += " AND created_at >= ?";
            params.push_back(integer(q.created_from_ms));
        }
        if (q.created_before_ms) {
            where += " AND created_at < ?";
            params.push_back(integer(q.created_before_ms));
        }
        if (!q.cursor.empty()) {
            const auto parts = split_cursor(q.cursor, "t1", 2);
            where += " AND (created_at, task_id" + d_.bytewise + ") < (?, ?)";
            params.push_back(integer(cursor_number(parts[0], q.cursor)));
            params.push_back(text(parts[1]));
        }
        params.push_back(integer(q.limit + 1));  // one more tells whether there is a next page
        auto c = pool_.lease();
        sdk::TaskPage page;
        c->run(std::string("SELECT ") + kTaskColumns + (q.with_document ? ", document, payload" : "") + " FROM tasks" +
                   where + " ORDER BY created_at DESC, task_id" + d_.bytewise + " DESC LIMIT ?",
               params, [&](const Row& r) { page.tasks.push_back(read_task(r, q.with_document)); });
        if (page.tasks.size() > q.limit) {
            page.tasks.pop_back();
            const auto& last = page.tasks.back();
            page.next_cursor = "t1:" + std::to_string(last.created_at_ms) + ":" + last.task_id;
        }
        return page;
    });
}

sdk::Result<std::vector<std::string>> SqlTasks::expired(std::int64_t idle_before, std::uint32_t limit) noexcept {
    return guard("expired tasks", [&]() -> sdk::Result<std::vector<std::string>> {
        check_limit(limit, 100000, "limit");
        auto c = pool_.lease();
        std::vector<std::string> ids;
        c->run(std::string("SELECT task_id FROM tasks WHERE ") + kExpiredCondition +
                   " ORDER BY CASE WHEN last_accessed_at > 0 THEN last_accessed_at ELSE completed_at END, task_id" +
                   d_.bytewise + " LIMIT ?",
               {integer(idle_before), integer(limit)}, [&](const Row& r) { ids.push_back(r.text(0)); });
        return ids;
    });
}

// ================================================================= store

SqlStore::SqlStore(ConnectionFactory factory, std::size_t pool_size, Dialect dialect)
    : dialect_(std::move(dialect)), pool_(std::move(factory), pool_size, dialect_.one_writer) {
    auto c = pool_.write_lease();
    migrate(*c, dialect_);
    tasks_.refresh_statistics(*c);
}

sdk::Result<void> SqlStore::ping() noexcept {
    return guard("ping", [&]() -> sdk::Result<void> {
        auto c = pool_.lease();
        c->run("SELECT 1");
        return {};
    });
}

sdk::Result<std::uint32_t> SqlStore::schema_version() noexcept {
    return guard("schema version", [&]() -> sdk::Result<std::uint32_t> {
        auto c = pool_.lease();
        std::int64_t v = 0;
        c->run("SELECT version FROM schema_version", {}, [&](const Row& r) { v = std::max(v, r.integer(0)); });
        return static_cast<std::uint32_t>(v);
    });
}

}  // namespace scanorch::store_sql
