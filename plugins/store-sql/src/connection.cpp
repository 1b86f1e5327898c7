#include "scanorch/store_sql/connection.h"

#include <algorithm>
#include <bit>

namespace scanorch::store_sql {

namespace {

// Both databases take far more parameters than this in one statement; past
// a few hundred rows a longer statement gains nothing.
constexpr std::size_t kParametersPerInsert = 2400;

std::string insert_sql(const std::string& table, const std::vector<std::string>& columns, std::size_t rows) {
    std::string row = "(";
    for (std::size_t i = 0; i < columns.size(); ++i) row += i ? ", ?" : "?";
    row += ")";
    std::string sql = "INSERT INTO " + table + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) (sql += i ? ", " : "") += columns[i];
    sql += ") VALUES ";
    for (std::size_t i = 0; i < rows; ++i) (sql += i ? ", " : "") += row;
    return sql;
}

}  // namespace

std::size_t Connection::rows_of(const std::string& table, const std::vector<std::string>& columns,
                                const std::vector<Value>& values) {
    if (columns.empty() || values.size() % columns.size() != 0) {
        throw DbError(sdk::ErrorKind::internal, "insert into " + table + ": " + std::to_string(values.size()) +
                                                    " values for " + std::to_string(columns.size()) + " columns");
    }
    return values.size() / columns.size();
}

void Connection::insert_rows(const std::string& table, const std::vector<std::string>& columns,
                             const std::vector<Value>& values) {
    const std::size_t rows = rows_of(table, columns, values);
    const std::size_t per_statement = std::max<std::size_t>(1, kParametersPerInsert / columns.size());
    // Statements of a few sizes only (the full one, then powers of two for
    // the rest), so each connection prepares a handful of texts per table
    // however the batches are cut, and its statement cache stays warm.
    std::vector<Value> chunk;
    std::string sql;
    std::size_t sql_rows = 0;
    for (std::size_t start = 0; start < rows;) {
        std::size_t n = std::min(per_statement, rows - start);
        if (n < per_statement) n = std::bit_floor(n);
        if (n != sql_rows) {
            sql = insert_sql(table, columns, n);
            sql_rows = n;
        }
        const auto first = values.begin() + static_cast<std::ptrdiff_t>(start * columns.size());
        chunk.assign(first, first + static_cast<std::ptrdiff_t>(n * columns.size()));
        run(sql, chunk, {});
        start += n;
    }
}

}  // namespace scanorch::store_sql
