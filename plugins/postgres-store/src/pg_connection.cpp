#include "pg_connection.h"

#include <charconv>
#include <cstdlib>
#include <memory>
#include <type_traits>

namespace scanorch::postgres_store {

using store_sql::DbError;
using store_sql::Value;

namespace {

// Type OIDs (pg_type.h): the server then never has to guess a parameter's type.
constexpr Oid kInt8 = 20, kFloat8 = 701, kText = 25;

class ResultRow final : public store_sql::Row {
public:
    ResultRow(const PGresult* r, int row) : r_(r), row_(row) {}
    bool null(int c) const override { return PQgetisnull(r_, row_, c) != 0; }
    std::int64_t integer(int c) const override {
        if (null(c)) return 0;
        return std::strtoll(PQgetvalue(r_, row_, c), nullptr, 10);
    }
    double real(int c) const override { return null(c) ? 0.0 : std::strtod(PQgetvalue(r_, row_, c), nullptr); }
    std::string text(int c) const override {
        return std::string(PQgetvalue(r_, row_, c), static_cast<std::size_t>(PQgetlength(r_, row_, c)));
    }

private:
    const PGresult* r_;
    int row_;
};

// SQLSTATE classes that a later attempt may not meet: connection trouble,
// serialization failures and deadlocks, resources, an administrator's shutdown.
sdk::ErrorKind kind_of(const char* sqlstate) {
    const std::string s = sqlstate ? sqlstate : "";
    if (s.rfind("08", 0) == 0 || s.rfind("40", 0) == 0 || s.rfind("53", 0) == 0 || s.rfind("57P", 0) == 0) {
        return sdk::ErrorKind::transient;
    }
    if (s.rfind("23", 0) == 0) return sdk::ErrorKind::invalid_input;
    return sdk::ErrorKind::internal;
}

std::string trimmed(const char* m) {
    std::string s = m ? m : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

bool valid_schema_name(const std::string& s) {
    if (s.empty() || s.size() > 63 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

PgConnection::PgConnection(const std::string& url, const std::string& schema) {
    c_ = PQconnectdb(url.c_str());
    if (c_ == nullptr || PQstatus(c_) != CONNECTION_OK) {
        const std::string why = c_ ? trimmed(PQerrorMessage(c_)) : "out of memory";
        PQfinish(c_);
        c_ = nullptr;
        throw DbError(sdk::ErrorKind::transient, "cannot connect to PostgreSQL: " + why);
    }
    // The server's notices ("already exists, skipping") would go to stderr.
    run("SET client_min_messages TO warning", {}, {});
    if (!schema.empty()) run("SET search_path TO " + schema, {}, {});  // checked by valid_schema_name
}

PgConnection::~PgConnection() { PQfinish(c_); }

const std::string& PgConnection::numbered(const std::string& sql) {
    if (auto it = numbered_.find(sql); it != numbered_.end()) return it->second;
    if (numbered_.size() > 512) numbered_.clear();
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    bool quoted = false;
    for (char ch : sql) {
        if (ch == '\'') quoted = !quoted;
        if (ch == '?' && !quoted) {
            out += '$' + std::to_string(++n);
        } else {
            out += ch;
        }
    }
    return numbered_.emplace(sql, std::move(out)).first->second;
}

std::int64_t PgConnection::run(const std::string& sql, const std::vector<Value>& params,
                               const store_sql::RowFn& on_row) {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    return;  // NULL, type taken from the context
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    texts[i] = std::to_string(v);
                    types[i] = kInt8;
                } else if constexpr (std::is_same_v<T, double>) {
                    char buf[64];
                    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
                    texts[i].assign(buf, ec == std::errc() ? end : buf);
                    types[i] = kFloat8;
                } else if constexpr (std::is_same_v<T, store_sql::BorrowedText>) {
                    values[i] = v.text->c_str();  // NUL-terminated, and outlives the call
                    types[i] = kText;
                    return;
                } else {
                    values[i] = v.c_str();
                    types[i] = kText;
                    return;
                }
                values[i] = texts[i].c_str();
            },
            params[i]);
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> r(
        PQexecParams(c_, numbered(sql).c_str(), static_cast<int>(params.size()), types.data(), values.data(), nullptr,
                     nullptr, 0),
        &PQclear);
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(r.get(), sql);
    if (status == PGRES_COMMAND_OK) {
        const char* n = PQcmdTuples(r.get());
        return n && *n ? std::strtoll(n, nullptr, 10) : 0;
    }
    const int rows = PQntuples(r.get());
    if (on_row) {
        for (int i = 0; i < rows; ++i) on_row(ResultRow(r.get(), i));
    }
    return rows;
}

void PgConnection::fail(const PGresult* r, const std::string& what) {
    if (PQstatus(c_) != CONNECTION_OK) {
        healthy_ = false;
        throw DbError(sdk::ErrorKind::transient, "lost the PostgreSQL connection: " + trimmed(PQerrorMessage(c_)));
    }
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    throw DbError(kind_of(state),
                  trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_)) + " (in: " + what.substr(0, 80) + ")");
}

namespace {

// COPY's text format: a tab between columns, a newline after a row, \N for
// NULL, and a backslash before the characters that would end a field.
void append_copy_field(std::string& out, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out += "\\N";
            } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
                char buf[64];
                const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);  // shortest round-trip form
                out.append(buf, ec == std::errc() ? end : buf);
            } else {
                const std::string& t = [&]() -> const std::string& {
                    if constexpr (std::is_same_v<T, store_sql::BorrowedText>) return *x.text;
                    else return x;
                }();
                for (char ch : t) {
                    switch (ch) {
                        case '\\': out += "\\\\"; break;
                        case '\n': out += "\\n"; break;
                        case '\r': out += "\\r"; break;
                        case '\t': out += "\\t"; break;
                        default: out += ch;
                    }
                }
            }
        },
        v);
}

constexpr std::size_t kCopyChunk = 256 * 1024;

}  // namespace

void PgConnection::insert_rows(const std::string& table, const std::vector<std::string>& columns,
                               const std::vector<Value>& values) {
    if (rows_of(table, columns, values) == 0) return;
    std::string sql = "COPY " + table + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) (sql += i ? ", " : "") += columns[i];
    sql += ") FROM STDIN";
    {
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c_, sql.c_str()), &PQclear);
        if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN) fail(r.get(), sql);
    }
    // Sends what is buffered; on failure ends the COPY so the connection is
    // usable again, and reports the server's reason.
    std::string buf;
    buf.reserve(kCopyChunk + 4096);
    std::string error;
    auto send = [&] {
        if (error.empty() && PQputCopyData(c_, buf.data(), static_cast<int>(buf.size())) != 1) {
            error = trimmed(PQerrorMessage(c_));
        }
        buf.clear();
    };
    for (std::size_t i = 0; i < values.size(); ++i) {
        append_copy_field(buf, values[i]);
        buf += (i + 1) % columns.size() == 0 ? '\n' : '\t';
        if (buf.size() >= kCopyChunk) send();
    }
    if (!buf.empty()) send();
    if (PQputCopyEnd(c_, error.empty() ? nullptr : error.c_str()) != 1 && error.empty())
        error = trimmed(PQerrorMessage(c_));
    // The COPY's own result, then the end of the command.
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQgetResult(c_), &PQclear);
    const bool ok = r && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    // Still in COPY (the end could not be sent, e.g. out of memory): every
    // further PQgetResult says so again. The connection cannot be reused.
    bool stuck = r && PQresultStatus(r.get()) == PGRES_COPY_IN;
    for (PGresult* more = stuck ? nullptr : PQgetResult(c_); more != nullptr; more = PQgetResult(c_)) {
        stuck = PQresultStatus(more) == PGRES_COPY_IN;
        PQclear(more);
        if (stuck) break;
    }
    if (stuck) healthy_ = false;
    if (!ok) fail(r.get(), error.empty() ? sql : error + ", " + sql);  // the client's reason first: fail() cuts at 80
}

}  // namespace scanorch::postgres_store
