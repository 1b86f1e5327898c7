// store_sql::Connection over the sqlite3 C API: prepared statements kept per
// connection, WAL, and a busy timeout so writers from several processes wait
// their turn instead of failing.
#pragma once

#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "scanorch/store_sql/connection.h"

namespace scanorch::sqlite_store {

struct SqliteOptions {
    std::string path;
    int busy_timeout_ms = 10000;
    bool synchronous_full = true;
};

class SqliteConnection final : public store_sql::Connection {
public:
    /// Opens (creating) the database; throws DbError naming the file.
    explicit SqliteConnection(const SqliteOptions& options);
    ~SqliteConnection() override;
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    std::int64_t run(const std::string& sql, const std::vector<store_sql::Value>& params,
                     const store_sql::RowFn& on_row) override;
    bool healthy() const override { return healthy_; }

private:
    sqlite3_stmt* prepare(const std::string& sql);
    [[noreturn]] void fail(int rc, const std::string& sql);

    static constexpr std::size_t kMaxStatements = 256;
    sqlite3* db_ = nullptr;
    std::string path_;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
    bool healthy_ = true;
};

}  // namespace scanorch::sqlite_store
