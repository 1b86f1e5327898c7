#include "scanorch/store_sql/connection.h"

#include <algorithm>

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

void Connection::insert_rows(const std::string& table, const std::vector<std::string>& columns,
                             const std::vector<Value>& values) {
    if (columns.empty() || values.size() % columns.size() != 0) {
        throw DbError(sdk::ErrorKind::internal, "insert into " + table + ": " + std::to_string(values.size()) +
                                                    " values for " + std::to_string(columns.size()) + " columns");
    }
    const std::size_t rows = values.size() / columns.size();
    const std::size_t per_statement = std::max<std::size_t>(1, kParametersPerInsert / columns.size());
    // Every full chunk is the same text, so the connection prepares it once.
    const std::string full = insert_sql(table, columns, std::min(rows, per_statement));
    std::vector<Value> chunk;
    for (std::size_t start = 0; start < rows; start += per_statement) {
        const std::size_t n = std::min(per_statement, rows - start);
        const auto first = values.begin() + static_cast<std::ptrdiff_t>(start * columns.size());
        chunk.assign(first, first + static_cast<std::ptrdiff_t>(n * columns.size()));
        run(n == per_statement || n == rows ? full : insert_sql(table, columns, n), chunk, {});
    }
}

}  // namespace scanorch::store_sql
