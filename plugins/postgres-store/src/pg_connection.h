// store_sql::Connection over libpq: the shared SQL's `?` placeholders become
// $1..$n once per statement text, parameters travel as text with their types
// named (int8, float8, text), and a lost server marks the connection broken
// so the pool replaces it.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <unordered_map>

#include "scanorch/store_sql/connection.h"

namespace scanorch::postgres_store {

class PgConnection final : public store_sql::Connection {
public:
    /// Connects and sets the search_path to `schema` ("" = the server's
    /// default). Throws DbError (transient: the server may come back).
    PgConnection(const std::string& url, const std::string& schema);
    ~PgConnection() override;
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    std::int64_t run(const std::string& sql, const std::vector<store_sql::Value>& params,
                     const store_sql::RowFn& on_row) override;
    /// COPY ... FROM STDIN in text format: one round trip for the rows, and
    /// no statement to parse or plan.
    void insert_rows(const std::string& table, const std::vector<std::string>& columns,
                     const std::vector<store_sql::Value>& values) override;
    bool healthy() const override { return healthy_; }

private:
    [[noreturn]] void fail(const PGresult* r, const std::string& what);
    const std::string& numbered(const std::string& sql);

    PGconn* c_ = nullptr;
    std::unordered_map<std::string, std::string> numbered_;
    bool healthy_ = true;
};

/// "scanorch", "tenant_1": a lower-case identifier, so it needs no quoting rules.
bool valid_schema_name(const std::string& s);

}  // namespace scanorch::postgres_store
