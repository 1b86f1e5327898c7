// What the shared SQL store needs from a database: run one statement with
// positional `?` parameters and read its rows. Each store plugin implements
// it for its database (sqlite3, libpq); everything above is written once.
//
// Errors inside this layer are exceptions (DbError), turned into sdk::Result
// values at the interface boundary (SqlStore::guard), so every query reads
// as straight-line code.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scanorch/sdk/guard.h"
#include "scanorch/sdk/result.h"

namespace scanorch::store_sql {

/// A text parameter that is not copied: the string must outlive the run()
/// call it is passed to. The findings' texts are most of a batch's bytes.
struct BorrowedText {
    const std::string* text;
};

using Value = std::variant<std::monostate, std::int64_t, double, std::string, BorrowedText>;

// An sdk::Failure, so sdk::guard keeps its kind at the plugin boundary.
class DbError : public sdk::Failure {
public:
    using sdk::Failure::Failure;
};

/// One result row; valid only inside the row callback.
class Row {
public:
    virtual ~Row() = default;
    virtual bool null(int column) const = 0;
    virtual std::int64_t integer(int column) const = 0;
    virtual double real(int column) const = 0;
    virtual std::string text(int column) const = 0;
};

using RowFn = std::function<void(const Row&)>;

/// What differs between the SQL dialects the shared code speaks.
struct Dialect {
    std::string name;                ///< "sqlite", "postgres"
    std::string begin_write;         ///< starts a transaction that will write
    std::string migration_lock;      ///< run first in the migration transaction ("" = none needed)
    std::string lock_row;            ///< appended to a SELECT that decides a write (" FOR UPDATE"), "" when
                                     ///< begin_write already excludes every other writer
    std::string refresh_statistics;  ///< run after a task's findings double ("" = the planner needs none; "a; b" = each
                                     ///< in turn)
    /// Run before and after a findings batch's transaction ("" = none): the
    /// batch commits without waiting for the disk. Safe because the log is
    /// sequential: a crash loses at most the last batches, never corrupts,
    /// and the next durable commit (the task's own state) flushes them all.
    /// A run lost with its batches is run again, and begin() clears it.
    std::string relax_durability;
    std::string restore_durability;
    /// Appended to a text column compared or sorted as a key of a cursor
    /// (" COLLATE \"C\""; "" where text already compares byte by byte): a
    /// database's default collation (en_US.UTF-8, ICU) orders 'a-B' and 'aB'
    /// differently from SQLite and from the host, whose positions compare ids
    /// bytewise, so a page boundary inside a tie would skip or repeat tasks.
    std::string bytewise;
    /// Refreshes the planner's statistics of the tasks table ("" = the
    /// database keeps them itself): run at open and as the tasks a process
    /// created pass each power of two. Without them SQLite picks an index by
    /// rule, and "the previous completed scan of these targets" walked every
    /// completed task by its status index instead of the few of its targets.
    std::string refresh_task_statistics;
    /// A statement returning a new task's task_key, run in the creating
    /// transaction: never a key any task had before (a reader that looked a
    /// key up just before its task was removed must not find another task's
    /// rows under it), safe against writers in other processes.
    std::string allocate_task_key;
    /// The database admits one writer at a time (SQLite): the process
    /// queues its writers itself (store_sql::Pool explains why).
    bool one_writer = false;
};

class Connection {
public:
    virtual ~Connection() = default;
    /// Runs one statement; calls on_row per result row; returns the rows it
    /// changed (INSERT/UPDATE/DELETE) or returned. Throws DbError.
    virtual std::int64_t run(const std::string& sql, const std::vector<Value>& params = {},
                             const RowFn& on_row = {}) = 0;
    /// Inserts rows into `table`: `values` holds columns.size() values per
    /// row, row after row. The default runs multi-row INSERTs of the same
    /// text (prepared once per connection); a database with a faster bulk
    /// path overrides it (PostgreSQL: COPY). Throws DbError.
    virtual void insert_rows(const std::string& table, const std::vector<std::string>& columns,
                             const std::vector<Value>& values);
    /// False once the connection is unusable (the pool then drops it).
    virtual bool healthy() const = 0;

protected:
    /// insert_rows()' shape check: a whole number of rows. Returns the count.
    static std::size_t rows_of(const std::string& table, const std::vector<std::string>& columns,
                               const std::vector<Value>& values);
};

using ConnectionFactory = std::function<std::unique_ptr<Connection>()>;

}  // namespace scanorch::store_sql
