#include "sqlite_connection.h"

#include <mutex>
#include <string>
#include <type_traits>

namespace scanorch::sqlite_store {

using store_sql::DbError;
using store_sql::Value;

namespace {

class StmtRow final : public store_sql::Row {
public:
    explicit StmtRow(sqlite3_stmt* s) : s_(s) {}
    bool null(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::int64_t integer(int c) const override { return sqlite3_column_int64(s_, c); }
    double real(int c) const override { return sqlite3_column_double(s_, c); }
    std::string text(int c) const override {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
    }

private:
    sqlite3_stmt* s_;
};

sdk::ErrorKind kind_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            return sdk::ErrorKind::transient;  // another writer held on too long, or the disk: try again
        case SQLITE_CONSTRAINT: return sdk::ErrorKind::invalid_input;
        default: return sdk::ErrorKind::internal;
    }
}

// Resets and clears a statement whatever happens, so a cached statement
// never holds a read snapshot open between calls.
struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

// SQLite counts the memory it allocates (SQLITE_CONFIG_MEMSTATUS, on unless
// built otherwise, as Debian's library is) under one process-wide mutex that
// every sqlite3_malloc and sqlite3_free takes. Debian's build also omits the
// per-connection lookaside allocator, so every small allocation of every
// connection goes through that mutex: perf caught the commit group's
// leader, the one thread every write of the process waits for, asleep on
// it while a thousand runs read their stamps. Nothing here reads those
// counters, and no heap limit (sqlite3_soft_heap_limit64 and its PRAGMA,
// which rely on them) is set. Settable only before SQLite initialises, and
// not while anything else in the process uses SQLite: every connection of
// the store opens here, after it. If something else initialised SQLite
// first, the counting stays on, which is slower but correct.
void stop_memory_counting() {
    static std::once_flag once;
    std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

SqliteConnection::SqliteConnection(const SqliteOptions& o) : path_(o.path) {
    stop_memory_counting();
    const int rc = sqlite3_open_v2(o.path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw DbError(sdk::ErrorKind::permanent, "cannot open the database " + o.path + ": " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    // The timeout first: switching to WAL needs a moment of exclusive access
    // that another process may be holding.
    sqlite3_busy_timeout(db_, o.busy_timeout_ms);
    run("PRAGMA journal_mode = WAL", {}, {});
    run(o.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", {}, {});
    // A multi-row INSERT inside a transaction keeps a statement journal (the
    // pages it changed, to undo just that statement on a constraint error).
    // In a temporary file that is one pwrite per page per statement: with
    // the findings' four indexes it was ~0.8 writes per finding indexed. In
    // memory it is bounded by one statement's pages (100 rows).
    run("PRAGMA temp_store = MEMORY", {}, {});
    // Indexing a large export touches every index's tail pages in each
    // batch: with SQLite's default 2 MB cache half of them were read back
    // from the file every batch (indexing_bench: 53k reads for 200k
    // findings; 26k at 16 MB). The cache fills only as pages are used.
    run("PRAGMA cache_size = -" + std::to_string(o.cache_mb * 1024), {}, {});
    // A checkpoint copies the log into the database and syncs it; at the
    // default 1000 pages that was once per findings batch. At 8192 pages
    // (32 MB of log) a page rewritten by several batches is copied once.
    run("PRAGMA wal_autocheckpoint = 8192", {}, {});
    // ANALYZE (SqlStore refreshes the planner's statistics) samples this many
    // index rows instead of reading every index whole: bounded at any size.
    run("PRAGMA analysis_limit = 1000", {}, {});
}

SqliteConnection::~SqliteConnection() {
    for (auto& [sql, s] : statements_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
}

void SqliteConnection::fail(int rc, const std::string& sql) {
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) healthy_ = false;
    throw DbError(kind_of(rc), std::string(sqlite3_errmsg(db_)) + " (" + path_ + ", in: " + sql.substr(0, 80) + ")");
}

sqlite3_stmt* SqliteConnection::prepare(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    if (statements_.size() >= kMaxStatements) {
        for (auto& [text, s] : statements_) sqlite3_finalize(s);
        statements_.clear();
    }
    sqlite3_stmt* s = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    statements_.emplace(sql, s);
    return s;
}

std::int64_t SqliteConnection::run(const std::string& sql, const std::vector<Value>& params,
                                   const store_sql::RowFn& on_row) {
    sqlite3_stmt* s = prepare(sql);
    Reset reset{s};
    int i = 1;
    for (const auto& p : params) {
        const int rc = std::visit(
            [&](const auto& v) -> int {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) return sqlite3_bind_null(s, i);
                else if constexpr (std::is_same_v<T, std::int64_t>) return sqlite3_bind_int64(s, i, v);
                else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(s, i, v);
                // The parameters outlive the statement's steps: no copy.
                else if constexpr (std::is_same_v<T, store_sql::BorrowedText>)
                    return sqlite3_bind_text64(s, i, v.text->data(), v.text->size(), SQLITE_STATIC, SQLITE_UTF8);
                else return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
            },
            p);
        if (rc != SQLITE_OK) fail(rc, sql);
        ++i;
    }
    std::int64_t rows = 0;
    const StmtRow row(s);
    for (;;) {
        const int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail(rc, sql);
        ++rows;
        if (on_row) on_row(row);
    }
    return sqlite3_column_count(s) > 0 ? rows : sqlite3_changes64(db_);
}

}  // namespace scanorch::sqlite_store
