#include "scanorch/store_sql/sql_store.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <map>
#include <tuple>
#include <utility>

namespace scanorch::store_sql {

namespace {

// ------------------------------------------------------------ boundaries

// Every interface method runs inside this: the layer below throws, the SDK
// boundary is noexcept and speaks Result.
template <class F>
auto guard(const char* what, F&& f) noexcept -> decltype(f()) {
    try {
        return f();
    } catch (const DbError& e) {
        return sdk::Error{e.kind(), std::string(what) + ": " + e.what()};
    } catch (const std::exception& e) {
        return sdk::Error::internal(std::string(what) + ": " + e.what());
    } catch (...) {
        return sdk::Error::internal(std::string(what) + ": unknown exception");
    }
}

[[noreturn]] void refuse(const std::string& message) { throw DbError(sdk::ErrorKind::invalid_input, message); }

// ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$, as the host's ids: never a separator of
// the cursors below.
bool valid_id(const std::string& id) {
    const auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '_' || c == '-'; });
}

Value text(const std::string& s) { return Value(s); }
Value integer(std::int64_t n) { return Value(n); }
Value real_or_null(const std::optional<double>& d) { return d ? Value(*d) : Value(); }

// ------------------------------------------------------------- cursors

// Cursors are "<kind>:<field>:<field>...": opaque to callers, checked here,
// so a cursor from another query (or typed by hand) is an error, not a
// silently different page.
std::vector<std::string> split_cursor(const std::string& cursor, const std::string& kind, std::size_t fields) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto colon = cursor.find(':', start);
        parts.push_back(cursor.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() != fields + 1 || parts[0] != kind) refuse("cursor '" + cursor + "' was not returned by this query");
    return {parts.begin() + 1, parts.end()};
}

std::int64_t cursor_number(const std::string& s, const std::string& cursor) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) refuse("cursor '" + cursor + "' was not returned by this query");
    return n;
}

// ---------------------------------------------------------------- tasks

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

std::string placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
    return s;
}

// "client IN (...)"; an empty visible set sees nothing.
void visible_clients(const std::optional<std::vector<std::string>>& clients, const std::string& column,
                     std::string& where, std::vector<Value>& params) {
    if (!clients) return;
    if (clients->empty()) {
        where += " AND 1 = 0";
        return;
    }
    where += " AND " + column + " IN (" + placeholders(clients->size()) + ")";
    for (const auto& c : *clients) params.push_back(text(c));
}

// -------------------------------------------------------------- findings

const char* const kFindingColumns =
    "seq, host, host_ip, port, protocol, service, plugin_id, plugin_name, plugin_family, severity, risk_factor, "
    "cvss3, cvss2, cves, seen_at, synopsis, solution";
const char* const kFindingText = ", description, see_also, plugin_output";
const char* const kFindingNoText = ", '', '', ''";
constexpr int kFindingColumnsBefore = 0;

std::optional<std::int64_t> ipv4_number(const std::string& s) {
    in_addr a{};
    if (s.empty() || ::inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return static_cast<std::int64_t>(ntohl(a.s_addr));
}

std::pair<std::int64_t, std::int64_t> ipv4_range(const std::string& cidr) {
    const auto slash = cidr.find('/');
    const auto base = ipv4_number(cidr.substr(0, slash));
    int bits = 32;
    if (slash != std::string::npos) {
        const auto b = cidr.substr(slash + 1);
        const auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (ec != std::errc() || end != b.data() + b.size() || bits < 0 || bits > 32) bits = -1;
    }
    if (!base || bits < 0) refuse("network '" + cidr + "' is not an IPv4 address or CIDR (a.b.c.d/n)");
    const std::int64_t size = std::int64_t{1} << (32 - bits);
    const std::int64_t lo = *base & ~(size - 1);
    return {lo, lo + size - 1};
}

std::string join_cves(const std::vector<std::string>& cves) {
    std::string s;
    for (const auto& c : cves) s += (s.empty() ? "" : ",") + c;
    return s;
}

std::vector<std::string> split_cves(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

sdk::Severity severity_of(std::int64_t n, const std::string& task_id, std::uint64_t seq) {
    if (n < 0 || n > 4) {
        throw DbError(sdk::ErrorKind::internal, "task '" + task_id + "': finding " + std::to_string(seq) +
                                                    " has severity " + std::to_string(n) + " in the database (0..4 expected)");
    }
    return static_cast<sdk::Severity>(n);
}

sdk::Finding read_finding(const Row& r, int at, const std::string& task_id) {
    sdk::Finding f;
    f.seq = static_cast<std::uint64_t>(r.integer(at + 0));
    f.host = r.text(at + 1);
    f.host_ip = r.text(at + 2);
    f.port = static_cast<std::uint32_t>(r.integer(at + 3));
    f.protocol = r.text(at + 4);
    f.service = r.text(at + 5);
    f.plugin_id = static_cast<std::uint64_t>(r.integer(at + 6));
    f.plugin_name = r.text(at + 7);
    f.plugin_family = r.text(at + 8);
    f.severity = severity_of(r.integer(at + 9), task_id, f.seq);
    f.risk_factor = r.text(at + 10);
    if (!r.null(at + 11)) f.cvss3_base_score = r.real(at + 11);
    if (!r.null(at + 12)) f.cvss_base_score = r.real(at + 12);
    f.cves = split_cves(r.text(at + 13));
    f.seen_at_ms = r.integer(at + 14);
    f.synopsis = r.text(at + 15);
    f.solution = r.text(at + 16);
    f.description = r.text(at + 17);
    f.see_also = r.text(at + 18);
    f.plugin_output = r.text(at + 19);
    return f;
}

std::string like_pattern(const std::string& needle) {
    std::string p = "%";
    for (char ch : needle) {
        const char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        if (c == '%' || c == '_' || c == '\\') p += '\\';
        p += c;
    }
    return p + "%";
}

void finding_filter(const sdk::FindingFilter& f, std::string& where, std::vector<Value>& params) {
    if (!f.severities.empty()) {
        where += " AND severity IN (" + placeholders(f.severities.size()) + ")";
        for (auto s : f.severities) params.push_back(integer(static_cast<std::int64_t>(s)));
    }
    if (f.min_severity) {
        where += " AND severity >= ?";
        params.push_back(integer(static_cast<std::int64_t>(*f.min_severity)));
    }
    if (!f.host.empty()) {
        where += " AND host = ?";
        params.push_back(text(f.host));
    }
    if (f.plugin_id) {
        where += " AND plugin_id = ?";
        params.push_back(integer(static_cast<std::int64_t>(*f.plugin_id)));
    }
    if (f.port) {
        where += " AND port = ?";
        params.push_back(integer(*f.port));
    }
    if (f.min_cvss) {
        where += " AND COALESCE(cvss3, cvss2) >= ?";
        params.push_back(Value(*f.min_cvss));
    }
    if (!f.text.empty()) {
        where += " AND (lower(plugin_name) LIKE ? ESCAPE '\\' OR lower(synopsis) LIKE ? ESCAPE '\\'"
                 " OR lower(description) LIKE ? ESCAPE '\\' OR lower(plugin_output) LIKE ? ESCAPE '\\')";
        const auto p = like_pattern(f.text);
        for (int i = 0; i < 4; ++i) params.push_back(text(p));
    }
}

// The lease check of append() and clear(): under the write transaction (and
// the row lock where the dialect needs one), so the token cannot change
// between the check and the write.
bool holds_lease(Connection& c, const Dialect& d, const std::string& task_id, const std::string& token) {
    std::optional<std::string> current;
    c.run("SELECT lease_token FROM tasks WHERE task_id = ?" + d.lock_row, {text(task_id)},
          [&](const Row& r) { current = r.text(0); });
    if (!current) throw DbError(sdk::ErrorKind::not_found, "task '" + task_id + "' not found");
    return *current == token;
}

void delete_findings(Connection& c, const std::string& task_id, const std::string& range, const std::vector<Value>& extra) {
    std::vector<Value> params = {text(task_id)};
    params.insert(params.end(), extra.begin(), extra.end());
    c.run("DELETE FROM finding_cves WHERE task_id = ?" + range, params);
    c.run("DELETE FROM findings WHERE task_id = ?" + range, params);
}

// A findings batch's durability, relaxed for its transaction only (see
// Dialect::relax_durability); restored after the commit or the rollback.
class Relaxed {
public:
    Relaxed(Connection& c, const Dialect& d) : c_(c), d_(d) {
        if (!d_.relax_durability.empty()) c_.run(d_.relax_durability);
    }
    ~Relaxed() {
        if (d_.restore_durability.empty()) return;
        try {
            c_.run(d_.restore_durability);
        } catch (...) {  // a session flag: only a broken connection fails to set it
        }
    }
    Relaxed(const Relaxed&) = delete;
    Relaxed& operator=(const Relaxed&) = delete;

private:
    Connection& c_;
    const Dialect& d_;
};

constexpr std::size_t kRowsPerInsert = 100;  // 22 parameters a row: far below both databases' limits

void check_limit(std::uint32_t limit, std::uint32_t max, const char* what) {
    if (limit < 1 || limit > max) refuse(std::string(what) + " must be 1.." + std::to_string(max) + ", not " + std::to_string(limit));
}

}  // namespace

// ================================================================= tasks

sdk::Result<sdk::StoredTask> SqlTasks::create(const sdk::StoredTask& t) noexcept {
    return guard("create task", [&]() -> sdk::Result<sdk::StoredTask> {
        check_task(t);
        auto c = pool_.lease();
        Transaction tx(*c, d_.begin_write);
        bool exists = false;
        c->run("SELECT 1 FROM tasks WHERE task_id = ?", {text(t.task_id)}, [&](const Row&) { exists = true; });
        if (exists) return sdk::Error::invalid_input("task '" + t.task_id + "' already exists");
        c->run("INSERT INTO tasks (task_id, client, status, scanner, pool, targets, lease_token, created_at, updated_at,"
               " completed_at, last_accessed_at, revision, summary, document, payload)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
               {text(t.task_id), text(t.client), text(std::string(sdk::to_string(t.status))), text(t.scanner),
                text(t.pool), text(t.targets), text(t.lease_token), integer(t.created_at_ms), integer(t.updated_at_ms),
                integer(t.completed_at_ms), integer(t.last_accessed_at_ms), text(t.summary), text(t.document),
                text(t.payload)});
        tx.commit();
        if (const auto n = ++created_; n >= 1024 && std::has_single_bit(n)) refresh_statistics(*c);
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
// lock is held between a read and a write. Only when it wrote nothing is the
// row read, to say which condition lost.
sdk::Result<sdk::UpdateResult> SqlTasks::update(const sdk::StoredTask& t, const sdk::WriteGuard& g) noexcept {
    return guard("update task", [&]() -> sdk::Result<sdk::UpdateResult> {
        check_task(t);
        std::string where = " WHERE task_id = ?";
        std::vector<Value> params = {text(std::string(sdk::to_string(t.status))), text(t.client), text(t.scanner),
                                     text(t.pool), text(t.targets), text(t.lease_token), integer(t.updated_at_ms),
                                     integer(t.completed_at_ms), integer(t.last_accessed_at_ms),
                                     integer(t.last_accessed_at_ms), text(t.summary), text(t.document),
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
        auto c = pool_.lease();
        std::optional<std::int64_t> revision;
        c->run("UPDATE tasks SET status = ?, client = ?, scanner = ?, pool = ?, targets = ?, lease_token = ?,"
               " updated_at = ?, completed_at = ?,"
               " last_accessed_at = CASE WHEN ? > last_accessed_at THEN ? ELSE last_accessed_at END,"
               " summary = ?, document = ?, revision = revision + 1" +
                   where + " RETURNING revision",
               params, [&](const Row& r) { revision = r.integer(0); });
        auto current = fetch_task(*c, t.task_id);
        if (!current) return sdk::Error::not_found("task '" + t.task_id + "' not found");
        sdk::UpdateResult out;
        if (revision) {
            out.outcome = sdk::UpdateOutcome::written;
        } else if (g.unless_terminal && sdk::is_terminal(current->status)) {
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
        auto c = pool_.lease();
        bool found = false;
        c->run("UPDATE tasks SET last_accessed_at = CASE WHEN ? > last_accessed_at THEN ? ELSE last_accessed_at END"
               " WHERE task_id = ? RETURNING task_id",
               {integer(at), integer(at), text(id)}, [&](const Row&) { found = true; });
        if (!found) return sdk::Error::not_found("task '" + id + "' not found");
        return {};
    });
}

sdk::Result<bool> SqlTasks::remove(const std::string& id) noexcept {
    return guard("remove task", [&]() -> sdk::Result<bool> {
        if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
        auto c = pool_.lease();
        Transaction tx(*c, d_.begin_write);
        delete_findings(*c, id, "", {});
        const auto n = c->run("DELETE FROM tasks WHERE task_id = ?", {text(id)});
        tx.commit();
        return n > 0;
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
        for (const auto& [column, value] : {Exact{"scanner", &q.scanner}, Exact{"pool", &q.pool}, Exact{"targets", &q.targets}}) {
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
        c->run("SELECT task_id FROM tasks WHERE status IN ('completed', 'failed', 'cancelled')"
               " AND CASE WHEN last_accessed_at > 0 THEN last_accessed_at ELSE completed_at END < ?"
               " ORDER BY CASE WHEN last_accessed_at > 0 THEN last_accessed_at ELSE completed_at END, task_id" +
                   d_.bytewise + " LIMIT ?",
               {integer(idle_before), integer(limit)}, [&](const Row& r) { ids.push_back(r.text(0)); });
        return ids;
    });
}

// ============================================================== findings

sdk::Result<bool> SqlFindings::append(const std::string& task_id, const std::string& token,
                                      const std::vector<sdk::Finding>& batch) noexcept {
    return guard("append findings", [&]() -> sdk::Result<bool> {
        if (!valid_id(task_id)) return sdk::Error::invalid_input("invalid task id '" + task_id + "'");
        for (const auto& f : batch) {
            if (static_cast<std::uint32_t>(f.severity) > 4) {
                return sdk::Error::invalid_input("finding " + std::to_string(f.seq) + " of task '" + task_id +
                                                 "' has severity " + std::to_string(static_cast<std::uint32_t>(f.severity)) +
                                                 " (0..4 expected)");
            }
            for (const auto& cve : f.cves) {
                if (cve.empty() || cve.find(',') != std::string::npos) {
                    return sdk::Error::invalid_input("finding " + std::to_string(f.seq) + " of task '" + task_id +
                                                     "' has an invalid CVE id '" + cve + "'");
                }
            }
        }
        auto c = pool_.lease();
        const Relaxed relaxed(*c, d_);
        Transaction tx(*c, d_.begin_write);
        if (!holds_lease(*c, d_, task_id, token)) return false;
        if (batch.empty()) return true;
        const auto [lo, hi] = std::minmax_element(batch.begin(), batch.end(),
                                                  [](const auto& a, const auto& b) { return a.seq < b.seq; });
        // A batch sent again (a retried call) replaces its rows.
        delete_findings(*c, task_id, " AND seq BETWEEN ? AND ?",
                        {integer(static_cast<std::int64_t>(lo->seq)), integer(static_cast<std::int64_t>(hi->seq))});
        for (std::size_t start = 0; start < batch.size(); start += kRowsPerInsert) {
            const auto end = std::min(batch.size(), start + kRowsPerInsert);
            std::string sql =
                "INSERT INTO findings (task_id, seq, host, host_ip, ipv4, port, protocol, service, plugin_id,"
                " plugin_name, plugin_family, severity, risk_factor, cvss3, cvss2, cves, seen_at, synopsis, solution,"
                " description, see_also, plugin_output) VALUES ";
            std::vector<Value> params;
            params.reserve((end - start) * 22);
            std::string cve_sql = "INSERT INTO finding_cves (cve, task_id, seq) VALUES ";
            std::vector<Value> cve_params;
            for (std::size_t i = start; i < end; ++i) {
                const auto& f = batch[i];
                sql += (i == start ? "" : ", ") + std::string("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                const auto ip = ipv4_number(f.host_ip.empty() ? f.host : f.host_ip);
                params.insert(params.end(),
                              {text(task_id), integer(static_cast<std::int64_t>(f.seq)), text(f.host), text(f.host_ip),
                               ip ? integer(*ip) : Value(), integer(f.port), text(f.protocol), text(f.service),
                               integer(static_cast<std::int64_t>(f.plugin_id)), text(f.plugin_name),
                               text(f.plugin_family), integer(static_cast<std::int64_t>(f.severity)),
                               text(f.risk_factor), real_or_null(f.cvss3_base_score), real_or_null(f.cvss_base_score),
                               text(join_cves(f.cves)), integer(f.seen_at_ms), text(f.synopsis), text(f.solution),
                               text(f.description), text(f.see_also), text(f.plugin_output)});
                std::vector<std::string> cves = f.cves;
                std::sort(cves.begin(), cves.end());
                cves.erase(std::unique(cves.begin(), cves.end()), cves.end());
                for (const auto& cve : cves) {
                    cve_sql += (cve_params.empty() ? "" : ", ") + std::string("(?, ?, ?)");
                    cve_params.insert(cve_params.end(), {text(cve), text(task_id), integer(static_cast<std::int64_t>(f.seq))});
                }
            }
            c->run(sql, params);
            if (!cve_params.empty()) c->run(cve_sql, cve_params);
        }
        tx.commit();
        // PostgreSQL plans from statistics that autovacuum gathers about a
        // minute after a bulk load; until then it scanned the whole table for
        // every page of a new task (95 ms a page at 100k findings, measured).
        // So the statistics are refreshed whenever a task's findings pass a
        // power of two: log2(n) samples per task, each of a bounded size.
        const auto before = lo->seq, after = hi->seq + 1;
        const bool doubled = after >= 1024 && (std::bit_width(before) != std::bit_width(after));
        if (doubled && !d_.refresh_statistics.empty()) c->run(d_.refresh_statistics);
        return true;
    });
}

sdk::Result<bool> SqlFindings::clear(const std::string& task_id, const std::string& token) noexcept {
    return guard("clear findings", [&]() -> sdk::Result<bool> {
        if (!valid_id(task_id)) return sdk::Error::invalid_input("invalid task id '" + task_id + "'");
        auto c = pool_.lease();
        Transaction tx(*c, d_.begin_write);
        if (!holds_lease(*c, d_, task_id, token)) return false;
        delete_findings(*c, task_id, "", {});
        tx.commit();
        return true;
    });
}

sdk::Result<sdk::FindingPage> SqlFindings::page(const sdk::FindingPageQuery& q) noexcept {
    return guard("page findings", [&]() -> sdk::Result<sdk::FindingPage> {
        if (!valid_id(q.task_id)) return sdk::Error::invalid_input("invalid task id '" + q.task_id + "'");
        check_limit(q.limit, 5000, "limit");
        std::string where = " WHERE task_id = ?";
        std::vector<Value> params = {text(q.task_id)};
        finding_filter(q.filter, where, params);
        auto c = pool_.lease();
        bool exists = false;
        c->run("SELECT 1 FROM tasks WHERE task_id = ?", {text(q.task_id)}, [&](const Row&) { exists = true; });
        if (!exists) return sdk::Error::not_found("task '" + q.task_id + "' not found");
        sdk::FindingPage page;
        if (q.count) {
            std::uint64_t matching = 0, total = 0;
            c->run("SELECT count(*) FROM findings" + where, params,
                   [&](const Row& r) { matching = static_cast<std::uint64_t>(r.integer(0)); });
            c->run("SELECT count(*) FROM findings WHERE task_id = ?", {text(q.task_id)},
                   [&](const Row& r) { total = static_cast<std::uint64_t>(r.integer(0)); });
            page.total_matching = matching;
            page.total = total;
        }
        if (!q.cursor.empty()) {
            const auto parts = split_cursor(q.cursor, "f1", 1);
            where += " AND seq > ?";
            params.push_back(integer(cursor_number(parts[0], q.cursor)));
        }
        params.push_back(integer(q.limit + 1));
        c->run(std::string("SELECT ") + kFindingColumns + (q.with_text ? kFindingText : kFindingNoText) +
                   " FROM findings" + where + " ORDER BY seq LIMIT ?",
               params, [&](const Row& r) { page.findings.push_back(read_finding(r, kFindingColumnsBefore, q.task_id)); });
        if (page.findings.size() > q.limit) {
            page.findings.pop_back();
            page.next_cursor = "f1:" + std::to_string(page.findings.back().seq);
        }
        return page;
    });
}

sdk::Result<sdk::FindingHits> SqlFindings::search(const sdk::FindingSearch& q) noexcept {
    return guard("search findings", [&]() -> sdk::Result<sdk::FindingHits> {
        check_limit(q.limit, 5000, "limit");
        std::string from = " FROM findings f";
        std::string where = " WHERE 1 = 1";
        std::vector<Value> params;
        if (!q.cve.empty()) {
            from += " JOIN finding_cves c ON c.task_id = f.task_id AND c.seq = f.seq";
            where += " AND c.cve = ?";
            params.push_back(text(q.cve));
        }
        // Only finished, successful runs: a run cut short, failed or being
        // retried holds partial findings that must not read as a result.
        from += " JOIN tasks t ON t.task_id = f.task_id";
        where += " AND t.status = ?";
        params.push_back(text(std::string(sdk::to_string(sdk::TaskState::completed))));
        if (q.clients) visible_clients(q.clients, "t.client", where, params);
        if (q.plugin_id) {
            where += " AND f.plugin_id = ?";
            params.push_back(integer(static_cast<std::int64_t>(*q.plugin_id)));
        }
        if (!q.host.empty()) {
            where += " AND (f.host = ? OR f.host_ip = ?)";
            params.push_back(text(q.host));
            params.push_back(text(q.host));
        }
        if (!q.network.empty()) {
            const auto [lo, hi] = ipv4_range(q.network);
            where += " AND f.ipv4 BETWEEN ? AND ?";
            params.push_back(integer(lo));
            params.push_back(integer(hi));
        }
        if (q.min_severity) {
            where += " AND f.severity >= ?";
            params.push_back(integer(static_cast<std::int64_t>(*q.min_severity)));
        }
        if (q.seen_from_ms) {
            where += " AND f.seen_at >= ?";
            params.push_back(integer(q.seen_from_ms));
        }
        if (q.seen_before_ms) {
            where += " AND f.seen_at < ?";
            params.push_back(integer(q.seen_before_ms));
        }
        if (!q.cursor.empty()) {
            const auto parts = split_cursor(q.cursor, "s1", 2);
            where += " AND (f.task_id, f.seq) > (?, ?)";
            params.push_back(text(parts[0]));
            params.push_back(integer(cursor_number(parts[1], q.cursor)));
        }
        params.push_back(integer(q.limit + 1));
        std::string columns = "f.task_id";
        for (const char* col : {"seq", "host", "host_ip", "port", "protocol", "service", "plugin_id", "plugin_name",
                                "plugin_family", "severity", "risk_factor", "cvss3", "cvss2", "cves", "seen_at",
                                "synopsis", "solution"}) {
            columns += std::string(", f.") + col;
        }
        auto c = pool_.lease();
        sdk::FindingHits hits;
        c->run("SELECT " + columns + ", '', '', ''" + from + where + " ORDER BY f.task_id, f.seq LIMIT ?", params,
               [&](const Row& r) {
                   const auto id = r.text(0);
                   hits.hits.push_back({id, read_finding(r, 1, id)});
               });
        if (hits.hits.size() > q.limit) {
            hits.hits.pop_back();
            const auto& last = hits.hits.back();
            hits.next_cursor = "s1:" + last.task_id + ":" + std::to_string(last.finding.seq);
        }
        return hits;
    });
}

sdk::Result<sdk::Comparison> SqlFindings::compare(const std::string& older, const std::string& newer,
                                                  sdk::Severity min_severity) noexcept {
    return guard("compare tasks", [&]() -> sdk::Result<sdk::Comparison> {
        using Key = std::tuple<std::string, std::uint32_t, std::string, std::uint64_t>;  // host, port, protocol, plugin
        struct Seen {
            sdk::Severity severity;
            std::string plugin_name;
        };
        auto c = pool_.lease();
        // Sorted here, not by ORDER BY: the database's collation need not be byte order.
        auto load = [&](const std::string& id) -> sdk::Result<std::map<Key, Seen>> {
            if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
            bool exists = false;
            c->run("SELECT 1 FROM tasks WHERE task_id = ?", {text(id)}, [&](const Row&) { exists = true; });
            if (!exists) return sdk::Error::not_found("task '" + id + "' not found");
            std::map<Key, Seen> out;
            c->run("SELECT host, port, protocol, plugin_id, severity, plugin_name, seq FROM findings WHERE task_id = ?",
                   {text(id)}, [&](const Row& r) {
                       Key k{r.text(0), static_cast<std::uint32_t>(r.integer(1)), r.text(2),
                             static_cast<std::uint64_t>(r.integer(3))};
                       const auto sev = severity_of(r.integer(4), id, static_cast<std::uint64_t>(r.integer(6)));
                       auto [it, fresh] = out.try_emplace(std::move(k), Seen{sev, r.text(5)});
                       if (!fresh && sev > it->second.severity) it->second.severity = sev;  // reported twice: the worse
                   });
            return out;
        };
        auto before = load(older);
        if (!before) return std::move(before).error();
        auto after = load(newer);
        if (!after) return std::move(after).error();

        sdk::Comparison out;
        out.older_task_id = older;
        out.newer_task_id = newer;
        std::map<std::string, sdk::HostChanges> hosts;
        auto record = [&](const Key& k, const Seen* b, const Seen* a) {
            const auto worst = std::max(b ? b->severity : sdk::Severity::info, a ? a->severity : sdk::Severity::info);
            if (worst < min_severity) return;
            sdk::FindingChange ch;
            ch.port = std::get<1>(k);
            ch.protocol = std::get<2>(k);
            ch.plugin_id = std::get<3>(k);
            ch.plugin_name = a ? a->plugin_name : b->plugin_name;
            if (b) ch.before = b->severity;
            if (a) ch.after = a->severity;
            ch.change = !b ? sdk::Change::added
                        : !a ? sdk::Change::fixed
                        : a->severity == b->severity ? sdk::Change::unchanged
                                                     : sdk::Change::rerated;
            auto& h = hosts[std::get<0>(k)];
            h.host = std::get<0>(k);
            switch (ch.change) {
                case sdk::Change::added: ++h.added, ++out.added; break;
                case sdk::Change::fixed: ++h.fixed, ++out.fixed; break;
                case sdk::Change::unchanged: ++h.unchanged, ++out.unchanged; break;
                case sdk::Change::rerated: ++h.rerated, ++out.rerated; break;
            }
            if (ch.change != sdk::Change::unchanged) h.changes.push_back(std::move(ch));
        };
        auto b = before->begin(), a = after->begin();
        while (b != before->end() || a != after->end()) {
            if (a == after->end() || (b != before->end() && b->first < a->first)) {
                record(b->first, &b->second, nullptr);
                ++b;
            } else if (b == before->end() || a->first < b->first) {
                record(a->first, nullptr, &a->second);
                ++a;
            } else {
                record(a->first, &b->second, &a->second);
                ++a, ++b;
            }
        }
        for (auto& [name, h] : hosts) out.hosts.push_back(std::move(h));
        return out;
    });
}

// ================================================================= store

SqlStore::SqlStore(ConnectionFactory factory, std::size_t pool_size, Dialect dialect)
    : dialect_(std::move(dialect)), pool_(std::move(factory), pool_size) {
    auto c = pool_.lease();
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
