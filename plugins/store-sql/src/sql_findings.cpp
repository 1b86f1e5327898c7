// The findings index in SQL: batches written under the task's lease, pages
// in export order, searches across tasks and comparisons of two tasks.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "finding_groups.h"
#include "scanorch/sdk/finding_text.h"
#include "scanorch/store_sql/sql_store.h"
#include "sql_support.h"

namespace scanorch::store_sql {

namespace {

// -------------------------------------------------------------- findings

// A plugin's texts (synopsis, solution, description, see also) are the same
// on every host it reports, and were ~85% of a scan's bytes. Each task keeps
// them once: the first finding that carries a text set holds it (its
// text_seq is NULL) and the later ones point at that finding's seq through
// text_seq, with empty texts of their own. Rows written before schema 2 hold
// their own texts, as sources do. Reading joins the source by primary key.
const char* const kFindingsFrom =
    " FROM findings f LEFT JOIN findings s ON s.task_key = f.task_key AND s.seq = f.text_seq";
const char* const kSynopsis = "COALESCE(s.synopsis, f.synopsis)";
const char* const kDescription = "COALESCE(s.description, f.description)";
const char* const kFindingColumns =
    "f.seq, f.host, f.host_ip, f.port, f.protocol, f.service, f.plugin_id, f.plugin_name, f.plugin_family, "
    "f.severity, f.risk_factor, f.cvss3, f.cvss2, f.cves, f.seen_at, COALESCE(s.synopsis, f.synopsis), "
    "COALESCE(s.solution, f.solution)";
const char* const kFindingText =
    ", COALESCE(s.description, f.description), COALESCE(s.see_also, f.see_also), f.plugin_output";
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
                                                    " has severity " + std::to_string(n) +
                                                    " in the database (0..4 expected)");
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

// Columns of `findings f` (and the text source `s`, see kFindingsFrom).
void finding_filter(const sdk::FindingFilter& f, std::string& where, std::vector<Value>& params) {
    if (!f.severities.empty()) {
        where += " AND f.severity IN (" + placeholders(f.severities.size()) + ")";
        for (auto s : f.severities) params.push_back(integer(static_cast<std::int64_t>(s)));
    }
    if (f.min_severity) {
        where += " AND f.severity >= ?";
        params.push_back(integer(static_cast<std::int64_t>(*f.min_severity)));
    }
    if (!f.host.empty()) {
        where += " AND f.host = ?";
        params.push_back(text(f.host));
    }
    if (f.plugin_id) {
        where += " AND f.plugin_id = ?";
        params.push_back(integer(static_cast<std::int64_t>(*f.plugin_id)));
    }
    if (f.port) {
        where += " AND f.port = ?";
        params.push_back(integer(*f.port));
    }
    if (f.min_cvss) {
        where += " AND COALESCE(f.cvss3, f.cvss2) >= ?";
        params.push_back(Value(*f.min_cvss));
    }
    if (!f.text.empty()) {
        where += std::string(" AND (lower(f.plugin_name) LIKE ? ESCAPE '\\' OR lower(") + kSynopsis +
                 ") LIKE ? ESCAPE '\\' OR lower(" + kDescription +
                 ") LIKE ? ESCAPE '\\' OR lower(f.plugin_output) LIKE ? ESCAPE '\\')";
        const auto p = like_pattern(f.text);
        for (int i = 0; i < 4; ++i) params.push_back(text(p));
    }
}

// What a filter asks of finding_groups (columns of `g`): the plugin, and the
// severities it lets through when it leaves some out. Empty when it asks
// neither: the groups would name every finding.
struct GroupFilter {
    std::string sql;
    std::vector<Value> params;
};

GroupFilter group_filter(std::optional<std::uint64_t> plugin_id, const std::vector<sdk::Severity>& severities,
                         std::optional<sdk::Severity> min_severity) {
    GroupFilter g;
    if (plugin_id) {
        g.sql += " AND g.plugin_id = ?";
        g.params.push_back(integer(static_cast<std::int64_t>(*plugin_id)));
    }
    std::vector<std::int64_t> allowed;
    for (int s = 0; s <= 4; ++s) {
        const auto sev = static_cast<sdk::Severity>(s);
        if (!severities.empty() && std::find(severities.begin(), severities.end(), sev) == severities.end()) continue;
        if (min_severity && sev < *min_severity) continue;
        allowed.push_back(s);
    }
    if (allowed.empty()) {
        g.sql += " AND 1 = 0";  // nothing passes
    } else if (allowed.size() < 5) {
        g.sql += " AND g.severity IN (" + placeholders(allowed.size()) + ")";
        for (const auto s : allowed) g.params.push_back(integer(s));
    }
    return g;
}

// The groups read for a page or a search: a batch's members, by batch.
struct GroupRow {
    std::int64_t task_key, first_seq, last_seq;
    std::string seqs;
};

// Reads groups in (task_key, first_seq) order with `sql` (a SELECT of
// task_key, first_seq, last_seq, seqs, ending before ORDER BY), at most
// `limit`, whole batches only: a batch cut by the limit is left for the next
// read, or read whole when it alone fills the limit. Sets `all` when the
// read reached the end.
std::vector<GroupRow> read_groups(Connection& c, const std::string& sql, const std::vector<Value>& params,
                                  std::size_t limit, bool& all) {
    std::vector<GroupRow> out;
    const auto take = [&](const Row& r) { out.push_back({r.integer(0), r.integer(1), r.integer(2), r.text(3)}); };
    auto p = params;
    p.push_back(integer(static_cast<std::int64_t>(limit)));
    c.run(sql + " ORDER BY g.task_key, g.first_seq LIMIT ?", p, take);
    all = out.size() < limit;
    if (all) return out;
    const auto same_batch = [](const GroupRow& a, const GroupRow& b) {
        return a.task_key == b.task_key && a.first_seq == b.first_seq;
    };
    const GroupRow last = out.back();
    if (same_batch(out.front(), last)) {
        out.clear();
        auto whole = params;
        whole.insert(whole.end(), {integer(last.task_key), integer(last.first_seq)});
        c.run(sql + " AND g.task_key = ? AND g.first_seq = ?", whole, take);
    } else {
        while (same_batch(out.back(), last)) out.pop_back();
    }
    return out;
}

// A task row without the key its findings are kept under: written by hand,
// or by something other than this store.
DbError keyless_task(const std::string& task_id) {
    return DbError(sdk::ErrorKind::internal, "task '" + task_id + "' has no task_key (written outside the store?)");
}

// The number the task's findings are kept under (schema 3), or not_found.
std::int64_t task_key_of(Connection& c, const std::string& task_id) {
    std::optional<std::int64_t> key;
    bool keyless = false;
    c.run("SELECT task_key FROM tasks WHERE task_id = ?", {text(task_id)}, [&](const Row& r) {
        keyless = r.null(0);
        key = r.integer(0);
    });
    if (!key) throw DbError(sdk::ErrorKind::not_found, "task '" + task_id + "' not found");
    if (keyless) throw keyless_task(task_id);
    return *key;
}

// The lease check of append() and clear(): under the write transaction (and
// the row lock where the dialect needs one), so the token cannot change
// between the check and the write. The task's key when the token is its own.
std::optional<std::int64_t> holds_lease(Connection& c, const Dialect& d, const std::string& task_id,
                                        const std::string& token) {
    std::optional<std::string> current;
    std::int64_t key = 0;
    c.run("SELECT lease_token, task_key FROM tasks WHERE task_id = ?" + d.lock_row, {text(task_id)}, [&](const Row& r) {
        if (r.null(1)) throw keyless_task(task_id);
        current = r.text(0);
        key = r.integer(1);
    });
    if (!current) throw DbError(sdk::ErrorKind::not_found, "task '" + task_id + "' not found");
    if (*current != token) return std::nullopt;
    return key;
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

constexpr std::size_t kHashesPerLookup = 512;

bool has_texts(const sdk::Finding& f) {
    return !f.synopsis.empty() || !f.solution.empty() || !f.description.empty() || !f.see_also.empty();
}

// Which finding holds a text set is found by this hash, and always confirmed
// by comparing the texts: a collision only costs one more source row.
std::int64_t text_hash(const sdk::Finding& f) {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const std::string* t : {&f.synopsis, &f.solution, &f.description, &f.see_also}) {
        const std::uint64_t x = std::hash<std::string_view>{}(*t);
        h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return static_cast<std::int64_t>(h);
}

struct TextSource {
    std::uint64_t seq;
    std::string synopsis, solution, description, see_also;
    bool holds(const sdk::Finding& f) const {
        return synopsis == f.synopsis && solution == f.solution && description == f.description &&
               see_also == f.see_also;
    }
};

// Decides, for each finding of a batch, whether it holds its texts or
// points at an earlier finding of the task that holds the same ones: the
// task's sources from earlier batches (one indexed lookup per batch), then
// the sources this batch adds, in seq order.
class TextSources {
public:
    /// `before`: the batch's first seq; only findings before it may hold
    /// texts for it (never a forward reference).
    TextSources(Connection& c, std::int64_t task_key, const std::vector<sdk::Finding>& batch, std::uint64_t before) {
        hashes_.reserve(batch.size());
        std::vector<std::int64_t> wanted;
        for (const auto& f : batch) {
            hashes_.push_back(has_texts(f) ? std::optional(text_hash(f)) : std::nullopt);
            if (hashes_.back()) wanted.push_back(*hashes_.back());
        }
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        for (std::size_t at = 0; at < wanted.size(); at += kHashesPerLookup) {
            const auto n = std::min(kHashesPerLookup, wanted.size() - at);
            // IN lists of a power-of-two length (the last hash repeated): a
            // few statement texts, each prepared once per connection.
            const auto slots = std::bit_ceil(n);
            std::vector<Value> params = {integer(task_key)};
            for (std::size_t i = 0; i < slots; ++i) params.push_back(integer(wanted[at + std::min(i, n - 1)]));
            c.run(
                "SELECT seq, text_hash, synopsis, solution, description, see_also FROM findings"
                " WHERE task_key = ? AND text_hash IN (" +
                    placeholders(slots) + ")",
                params, [&](const Row& r) {
                    // Filtered here: "seq < ?" in the query made SQLite walk
                    // the task's rows by seq instead of this index.
                    if (static_cast<std::uint64_t>(r.integer(0)) >= before) return;
                    stored_.push_back(
                        {static_cast<std::uint64_t>(r.integer(0)), r.text(2), r.text(3), r.text(4), r.text(5)});
                    known_.emplace(r.integer(1), Known{&stored_.back(), nullptr});
                });
        }
    }

    /// The seq of the finding holding `f`'s texts, or nullopt when `f`
    /// holds them itself (then later findings of the batch may point at it).
    std::optional<std::uint64_t> source_of(std::size_t index, const sdk::Finding& f) {
        const auto& h = hashes_[index];
        if (!h) return std::nullopt;
        for (auto [it, end] = known_.equal_range(*h); it != end; ++it) {
            const auto& k = it->second;
            if (k.stored && k.stored->holds(f)) return k.stored->seq;
            if (k.batch && same_texts(*k.batch, f)) return k.batch->seq;
        }
        known_.emplace(*h, Known{nullptr, &f});
        return std::nullopt;
    }

    const std::optional<std::int64_t>& hash(std::size_t index) const { return hashes_[index]; }

private:
    static bool same_texts(const sdk::Finding& a, const sdk::Finding& b) {
        return a.synopsis == b.synopsis && a.solution == b.solution && a.description == b.description &&
               a.see_also == b.see_also;
    }
    struct Known {
        const TextSource* stored;
        const sdk::Finding* batch;
    };
    std::vector<std::optional<std::int64_t>> hashes_;
    std::deque<TextSource> stored_;  // stable addresses for known_
    std::unordered_multimap<std::int64_t, Known> known_;
};

}  // namespace

void delete_findings(Connection& c, std::int64_t task_key, std::optional<std::pair<std::int64_t, std::int64_t>> range) {
    if (!range) {
        for (const auto* table : {"finding_cves", "findings", "finding_hosts", "finding_groups"}) {
            c.run(std::string("DELETE FROM ") + table + " WHERE task_key = ?", {integer(task_key)});
        }
        return;
    }
    const auto [lo, hi] = *range;
    const auto k = integer(task_key);
    for (const auto* table : {"finding_cves", "findings"}) {
        c.run(std::string("DELETE FROM ") + table + " WHERE task_key = ? AND seq BETWEEN ? AND ?",
              {k, integer(lo), integer(hi)});
    }
    cut_groups(c, task_key, lo, hi);
    // Host runs keep out of [lo, hi], so the rows written there get runs of
    // their own and no two runs of a task overlap (reads rely on it). Runs
    // being disjoint, one run at most starts before lo and reaches into the
    // range (the last one starting before it), and one at most starts in it
    // and ends past hi: each is found by key, not by walking the task's runs.
    // A run reaching across the whole range keeps its two outer parts.
    const std::string before_lo =
        " WHERE task_key = ? AND first_seq = (SELECT MAX(first_seq) FROM finding_hosts WHERE task_key = ? AND first_seq < ?)";
    c.run(
        "INSERT INTO finding_hosts (task_key, first_seq, last_seq, host, host_ip, ipv4)"
        " SELECT task_key, ?, last_seq, host, host_ip, ipv4 FROM finding_hosts" +
            before_lo + " AND last_seq > ?",
        {integer(hi + 1), k, k, integer(lo), integer(hi)});
    c.run("UPDATE finding_hosts SET last_seq = ?" + before_lo + " AND last_seq >= ?",
          {integer(lo - 1), k, k, integer(lo), integer(lo)});
    const std::string last_in_range =
        " WHERE task_key = ? AND first_seq = (SELECT MAX(first_seq) FROM finding_hosts WHERE task_key = ?"
        " AND first_seq BETWEEN ? AND ?)";
    std::vector<Value> tail;  // the part of the last run starting in the range that lies past it
    c.run("SELECT last_seq, host, host_ip, ipv4 FROM finding_hosts" + last_in_range + " AND last_seq > ?",
          {k, k, integer(lo), integer(hi), integer(hi)}, [&, &hi = hi](const Row& r) {
              tail = {k,
                      integer(hi + 1),
                      integer(r.integer(0)),
                      text(r.text(1)),
                      text(r.text(2)),
                      r.null(3) ? Value() : integer(r.integer(3))};
          });
    c.run("DELETE FROM finding_hosts WHERE task_key = ? AND first_seq BETWEEN ? AND ?", {k, integer(lo), integer(hi)});
    if (!tail.empty()) {
        c.run(
            "INSERT INTO finding_hosts (task_key, first_seq, last_seq, host, host_ip, ipv4) VALUES (?, ?, ?, ?, ?, ?)",
            tail);
    }
}

namespace {

// The batch's runs of one host's findings, in seq order: what finding_hosts
// holds instead of a host and an address index entry per finding. An export
// lists a host's findings together, so a batch has about one run per host.
const std::vector<std::string> kHostRunColumns = {"task_key", "first_seq", "last_seq", "host", "host_ip", "ipv4"};

std::vector<Value> host_runs(std::int64_t task_key, const std::vector<sdk::Finding>& batch) {
    std::vector<const sdk::Finding*> order;
    order.reserve(batch.size());
    for (const auto& f : batch) order.push_back(&f);
    const auto by_seq = [](const sdk::Finding* a, const sdk::Finding* b) { return a->seq < b->seq; };
    if (!std::is_sorted(order.begin(), order.end(), by_seq)) std::sort(order.begin(), order.end(), by_seq);
    std::vector<Value> runs;
    for (std::size_t i = 0; i < order.size();) {
        const auto& first = *order[i];
        std::size_t j = i + 1;
        while (j < order.size() && order[j]->host == first.host && order[j]->host_ip == first.host_ip) ++j;
        const auto ip = ipv4_number(first.host_ip.empty() ? first.host : first.host_ip);
        runs.insert(runs.end(),
                    {integer(task_key), integer(static_cast<std::int64_t>(first.seq)),
                     integer(static_cast<std::int64_t>(order[j - 1]->seq)), Value(BorrowedText{&first.host}),
                     Value(BorrowedText{&first.host_ip}), ip ? integer(*ip) : Value()});
        i = j;
    }
    return runs;
}

// A batch's rows, in the caller's write transaction, for the task whose
// lease the caller checked (task_key `key`).
void insert_batch(Connection& c, std::int64_t key, const std::vector<sdk::Finding>& batch) {
    const auto [lo, hi] =
        std::minmax_element(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    // A batch sent again (a retried call) replaces its rows; its text
    // sources go with them and are found again below.
    delete_findings(c, key, std::pair(static_cast<std::int64_t>(lo->seq), static_cast<std::int64_t>(hi->seq)));
    // Holders are read inside this transaction, so a reference never
    // outlives its holder: a crash that loses an earlier batch (a large
    // one commits without waiting for the disk) loses every later one too,
    // the log being sequential. FindingWriter::finish() counts the rows.
    TextSources sources(c, key, batch, lo->seq);
    static const std::string none;
    static const std::vector<std::string> kColumns = {
        "task_key",    "seq",         "host",      "host_ip",       "ipv4",          "port",
        "protocol",    "service",     "plugin_id", "plugin_name",   "plugin_family", "severity",
        "risk_factor", "cvss3",       "cvss2",     "cves",          "seen_at",       "synopsis",
        "solution",    "description", "see_also",  "plugin_output", "text_seq",      "text_hash"};
    static const std::vector<std::string> kCveColumns = {"cve", "task_key", "seq"};
    const auto b = [](const std::string& t) { return Value(BorrowedText{&t}); };
    std::vector<Value> rows, cve_rows;
    rows.reserve(batch.size() * kColumns.size());
    std::vector<std::string> cve_lists;  // the joined lists outlive the insert that borrows them
    cve_lists.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& f = batch[i];
        const auto seq = static_cast<std::int64_t>(f.seq);
        const auto ip = ipv4_number(f.host_ip.empty() ? f.host : f.host_ip);
        const auto source = sources.source_of(i, f);
        const bool own = !source;
        cve_lists.push_back(join_cves(f.cves));
        rows.insert(rows.end(), {integer(key),
                                 integer(seq),
                                 b(f.host),
                                 b(f.host_ip),
                                 ip ? integer(*ip) : Value(),
                                 integer(f.port),
                                 b(f.protocol),
                                 b(f.service),
                                 integer(static_cast<std::int64_t>(f.plugin_id)),
                                 b(f.plugin_name),
                                 b(f.plugin_family),
                                 integer(static_cast<std::int64_t>(f.severity)),
                                 b(f.risk_factor),
                                 real_or_null(f.cvss3_base_score),
                                 real_or_null(f.cvss_base_score),
                                 b(cve_lists.back()),
                                 integer(f.seen_at_ms),
                                 b(own ? f.synopsis : none),
                                 b(own ? f.solution : none),
                                 b(own ? f.description : none),
                                 b(own ? f.see_also : none),
                                 b(f.plugin_output),
                                 source ? integer(static_cast<std::int64_t>(*source)) : Value(),
                                 own && sources.hash(i) ? integer(*sources.hash(i)) : Value()});
        for (std::size_t k = 0; k < f.cves.size(); ++k) {
            // A finding naming a CVE twice is one row.
            const auto& cve = f.cves[k];
            if (std::find(f.cves.begin(), f.cves.begin() + static_cast<std::ptrdiff_t>(k), cve) !=
                f.cves.begin() + static_cast<std::ptrdiff_t>(k)) {
                continue;
            }
            cve_rows.insert(cve_rows.end(), {b(cve), integer(key), integer(seq)});
        }
    }
    c.insert_rows("findings", kColumns, rows);
    if (!cve_rows.empty()) c.insert_rows("finding_cves", kCveColumns, cve_rows);
    c.insert_rows("finding_hosts", kHostRunColumns, host_runs(key, batch));
    std::vector<std::string> group_texts;  // the rows borrow them
    c.insert_rows("finding_groups", group_columns(), group_rows(key, batch, group_texts));
}

// Small batches (most scans' findings are one) and clears of few rows join
// the task writes' shared commit where the database takes one writer at a
// time: written in a transaction of their own, each took the only write
// connection from under the commit group, whose writers then waited for the
// hand-over (perf: two-thirds of a busy group's time was that wait). Larger
// ones keep a transaction of their own, without waiting for the disk, so no
// single writer brings a large batch's pages into a shared commit (nor its
// failure onto the other writers of it).
constexpr std::size_t kSharedBatchFindings = 256;
constexpr std::size_t kSharedBatchBytes = 256 * 1024;

bool small_batch(const std::vector<sdk::Finding>& batch) {
    if (batch.size() > kSharedBatchFindings) return false;
    std::size_t bytes = 0;
    for (const auto& f : batch) {
        bytes += sdk::text_bytes(f);
        if (bytes > kSharedBatchBytes) return false;
    }
    return true;
}

// What a clear needs to know of a task, in one read outside any write (one
// statement: one snapshot): who holds its lease, and whether it has any
// findings, or more than a shared commit takes (a first run's clear deletes
// nothing, a retried one's may delete a large scan's). A race with a writer
// only moves the clear to another path; each is correct.
struct ClearView {
    std::string lease_token;
    bool any = false;
    bool many = false;  ///< a finding past the first kSharedBatchFindings
};
std::optional<ClearView> clear_view(Connection& c, const std::string& task_id) {
    const std::string past = std::to_string(kSharedBatchFindings);
    std::optional<ClearView> out;
    c.run(
        "SELECT t.lease_token, t.task_key,"
        " CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.task_key = t.task_key) THEN 1 ELSE 0 END,"
        " CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.task_key = t.task_key AND f.seq >= " +
            past + ") THEN 1 ELSE 0 END FROM tasks t WHERE t.task_id = ?",
        {text(task_id)}, [&](const Row& r) {
            if (r.null(1)) throw keyless_task(task_id);
            out = ClearView{r.text(0), r.integer(2) != 0, r.integer(3) != 0};
        });
    return out;
}

}  // namespace

// ============================================================== findings

sdk::Result<bool> SqlFindings::append(const std::string& task_id, const std::string& token,
                                      const std::vector<sdk::Finding>& batch) noexcept {
    return guard("append findings", [&]() -> sdk::Result<bool> {
        if (!valid_id(task_id)) return sdk::Error::invalid_input("invalid task id '" + task_id + "'");
        for (const auto& f : batch) {
            if (static_cast<std::uint32_t>(f.severity) > 4) {
                return sdk::Error::invalid_input(
                    "finding " + std::to_string(f.seq) + " of task '" + task_id + "' has severity " +
                    std::to_string(static_cast<std::uint32_t>(f.severity)) + " (0..4 expected)");
            }
            for (const auto& cve : f.cves) {
                if (cve.empty() || cve.find(',') != std::string::npos) {
                    return sdk::Error::invalid_input("finding " + std::to_string(f.seq) + " of task '" + task_id +
                                                     "' has an invalid CVE id '" + cve + "'");
                }
            }
        }
        bool held = false;
        const auto work = [&](Connection& c) {
            const auto key = holds_lease(c, d_, task_id, token);
            held = key.has_value();
            if (key && !batch.empty()) insert_batch(c, *key, batch);
        };
        if (group_.shared() && small_batch(batch)) {
            group_.write(work);
        } else {
            auto c = pool_.write_lease();
            const Relaxed relaxed(*c, d_);
            Transaction tx(*c, d_.begin_write);
            work(*c);
            if (!held) return false;
            tx.commit();
        }
        if (!held || batch.empty()) return held;
        // PostgreSQL plans from statistics that autovacuum gathers about a
        // minute after a bulk load; until then it scanned the whole table for
        // every page of a new task (95 ms a page at 100k findings, measured).
        // So the statistics are refreshed whenever a task's findings pass a
        // power of two: log2(n) samples per task, each of a bounded size.
        const auto [lo, hi] =
            std::minmax_element(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
        const auto before = lo->seq, after = hi->seq + 1;
        const bool doubled = after >= 1024 && (std::bit_width(before) != std::bit_width(after));
        if (doubled && !d_.refresh_statistics.empty()) {
            // Best effort: the batch is committed whatever happens here, and
            // the next doubling (or autovacuum) refreshes them as well.
            try {
                auto c = pool_.write_lease();
                Transaction stats(*c, d_.begin_write);  // SET LOCAL ends with it
                run_each(*c, d_.refresh_statistics);
                stats.commit();
            } catch (const DbError&) {
            }
        }
        return true;
    });
}

sdk::Result<bool> SqlFindings::clear(const std::string& task_id, const std::string& token) noexcept {
    return guard("clear findings", [&]() -> sdk::Result<bool> {
        if (!valid_id(task_id)) return sdk::Error::invalid_input("invalid task id '" + task_id + "'");
        bool held = false;
        const auto work = [&](Connection& c) {
            const auto key = holds_lease(c, d_, task_id, token);
            held = key.has_value();
            if (key) delete_findings(c, *key);
        };
        const auto view = [&] {
            auto r = pool_.lease();
            return clear_view(*r, task_id);
        }();
        if (!view) return sdk::Error::not_found("task '" + task_id + "' not found");
        if (!view->any) {
            // A first run's clear: nothing to delete, so no write at all
            // (under a wave of runs every write queues for the one writer).
            // The rows read are every row there is to this run: its
            // take-over moved the lease before it asked, and a writer under
            // an older lease is refused from then on. Each append checks
            // the lease again under its own write.
            return view->lease_token == token;
        }
        if (group_.shared() && !view->many) {
            group_.write(work);
            return held;
        }
        auto c = pool_.write_lease();
        Transaction tx(*c, d_.begin_write);
        work(*c);
        if (!held) return false;
        tx.commit();
        return true;
    });
}

sdk::Result<sdk::FindingPage> SqlFindings::page(const sdk::FindingPageQuery& q) noexcept {
    return guard("page findings", [&]() -> sdk::Result<sdk::FindingPage> {
        if (!valid_id(q.task_id)) return sdk::Error::invalid_input("invalid task id '" + q.task_id + "'");
        check_limit(q.limit, 5000, "limit");
        auto c = pool_.lease();
        const auto key = task_key_of(*c, q.task_id);
        std::string where = " WHERE f.task_key = ?";
        std::vector<Value> params = {integer(key)};
        finding_filter(q.filter, where, params);
        sdk::FindingPage page;
        const auto groups = group_filter(q.filter.plugin_id, q.filter.severities, q.filter.min_severity);
        const bool groups_only = !groups.sql.empty() && q.filter.host.empty() && !q.filter.port && !q.filter.min_cvss &&
                                 q.filter.text.empty();
        if (q.count) {
            std::uint64_t matching = 0, total = 0;
            const auto take = [&](const Row& r) { matching = static_cast<std::uint64_t>(r.integer(0)); };
            if (groups_only) {
                // By plugin or severity alone: the members of the matching
                // groups (each stored finding is listed once), not a pass
                // over the task's rows.
                std::vector<Value> gp = {integer(key)};
                gp.insert(gp.end(), groups.params.begin(), groups.params.end());
                c->run(
                    "SELECT COALESCE(SUM(LENGTH(g.seqs) - LENGTH(REPLACE(g.seqs, ',', '')) + 1), 0)"
                    " FROM finding_groups g WHERE g.task_key = ?" +
                        groups.sql,
                    gp, take);
            } else {
                // The text source only when a text filter reads it: a count
                // is a pass over the task's rows, and the join would double it.
                c->run(std::string("SELECT count(*)") + (q.filter.text.empty() ? " FROM findings f" : kFindingsFrom) +
                           where,
                       params, take);
            }
            if (params.size() == 1) {
                total = matching;  // no filter: the same pass
            } else {
                c->run("SELECT count(*) FROM findings WHERE task_key = ?", {integer(key)},
                       [&](const Row& r) { total = static_cast<std::uint64_t>(r.integer(0)); });
            }
            page.total_matching = matching;
            page.total = total;
        }
        std::int64_t after = -1;
        if (!q.cursor.empty()) after = cursor_number(split_cursor(q.cursor, "f1", 1)[0], q.cursor);
        const std::string select =
            std::string("SELECT ") + kFindingColumns + (q.with_text ? kFindingText : kFindingNoText) + kFindingsFrom;
        const auto read = [&](const std::string& range, std::vector<Value> p) {
            p.push_back(integer(static_cast<std::int64_t>(q.limit + 1 - page.findings.size())));
            c->run(select + where + range + " ORDER BY f.seq LIMIT ?", p,
                   [&](const Row& r) { page.findings.push_back(read_finding(r, kFindingColumnsBefore, q.task_id)); });
        };
        // Findings by seq, a chunk at a time in seq order until the page is
        // full: an IN list (each an index lookup on both databases; SQLite
        // would test ORed ranges on every row of the task instead). A
        // power-of-two length (the last seq repeated): a few statement texts,
        // each prepared once per connection.
        const auto read_seqs = [&](const std::vector<std::int64_t>& seqs) {
            constexpr std::size_t kSeqsPerRead = 256;
            for (std::size_t at = 0; at < seqs.size() && page.findings.size() <= q.limit; at += kSeqsPerRead) {
                const auto n = std::min(kSeqsPerRead, seqs.size() - at);
                const auto slots = std::bit_ceil(n);
                auto p = params;
                for (std::size_t i = 0; i < slots; ++i) p.push_back(integer(seqs[at + std::min(i, n - 1)]));
                read(" AND f.seq IN (" + placeholders(slots) + ")", std::move(p));
            }
        };
        if (q.filter.host.empty() && !groups.sql.empty()) {
            // By plugin or severity: the task's groups name the candidates
            // (finding_groups.h), whole batches at a time in seq order, and
            // each is confirmed against its row with every filter. Past
            // kMaxReads reads of groups or kMaxCandidates candidates (other
            // filters may turn most down) the rest of the task is read in one
            // filtered pass instead, so a call costs a bounded number of
            // statements and holds a bounded number of candidates.
            constexpr std::size_t kGroupsPerRead = 512, kMaxCandidates = 8192;
            constexpr int kMaxReads = 32;
            std::size_t examined = 0;
            std::int64_t done_to = after;  // every finding up to here is settled
            const std::string sql =
                "SELECT g.task_key, g.first_seq, g.last_seq, g.seqs FROM finding_groups g WHERE g.task_key = ?"
                " AND g.first_seq >= COALESCE((SELECT MAX(first_seq) FROM finding_groups WHERE task_key = ?"
                " AND first_seq <= ?), -1)" +
                groups.sql;
            const auto rest_of_task = [&] {
                auto p = params;
                p.push_back(integer(done_to));
                read(" AND f.seq > ?", std::move(p));
            };
            for (int reads = 0; page.findings.size() <= q.limit; ++reads) {
                if (reads == kMaxReads || examined >= kMaxCandidates) {
                    rest_of_task();
                    break;
                }
                // No "last_seq > done_to" here: past the range PostgreSQL last
                // sampled, it planned for no rows and read every group of the
                // task (100 ms a page). Only the first batch read can lie
                // before done_to + 1 (when a gap follows it), and its members
                // are skipped below.
                std::vector<Value> gp = {integer(key), integer(key), integer(done_to + 1)};
                gp.insert(gp.end(), groups.params.begin(), groups.params.end());
                bool all = false;
                const auto rows = read_groups(*c, sql, gp, kGroupsPerRead, all);
                // Whole batches, until the budget is reached: a later batch's
                // members all come after an earlier one's.
                std::vector<std::int64_t> candidates;
                bool stopped = false;
                for (std::size_t i = 0; i < rows.size() && !stopped; ++i) {
                    const auto& g = rows[i];
                    for (const auto o : decode_offsets(g.seqs, key)) {
                        if (g.first_seq + o > done_to) candidates.push_back(g.first_seq + o);
                    }
                    stopped = candidates.size() >= kMaxCandidates - examined && i + 1 < rows.size() &&
                              rows[i + 1].first_seq != g.first_seq;
                }
                std::sort(candidates.begin(), candidates.end());
                candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
                if (!candidates.empty() && (stopped || candidates.size() > kMaxCandidates - examined)) {
                    // Every candidate up to the last one read is settled.
                    candidates.resize(std::min(candidates.size(), kMaxCandidates - examined));
                    read_seqs(candidates);
                    if (page.findings.size() <= q.limit) {
                        done_to = candidates.back();
                        rest_of_task();
                    }
                    break;
                }
                examined += candidates.size();
                read_seqs(candidates);
                if (all || rows.empty()) break;
                if (rows.back().last_seq <= done_to) {  // that stale batch alone filled the read
                    rest_of_task();
                    break;
                }
                done_to = rows.back().last_seq;
            }
        } else if (q.filter.host.empty()) {
            auto p = params;
            p.push_back(integer(after));
            read(" AND f.seq > ?", std::move(p));
        } else {
            // A host's findings are its runs (finding_hosts): read run by
            // run, each a range of the primary key, from the run holding the
            // cursor on (all in the host index's order). A host scattered
            // through its export has many runs: past kMaxRuns of them the
            // rest of the task is read in one pass instead, so a call costs
            // a bounded number of statements.
            constexpr std::int64_t kRunsPerRead = 64, kMaxRuns = 256;
            std::int64_t runs_read = 0, done_to = after;
            std::string runs_from =
                " AND first_seq >= COALESCE((SELECT MAX(first_seq) FROM finding_hosts WHERE host = ? AND task_key = ?"
                " AND first_seq <= ?), -1)";
            std::vector<Value> from_params = {text(q.filter.host), integer(key), integer(after)};
            while (page.findings.size() <= q.limit) {
                if (runs_read >= kMaxRuns) {
                    auto p = params;
                    p.push_back(integer(done_to));
                    read(" AND f.seq > ?", std::move(p));
                    break;
                }
                std::vector<std::pair<std::int64_t, std::int64_t>> runs;
                std::vector<Value> rp = {text(q.filter.host), integer(key)};
                rp.insert(rp.end(), from_params.begin(), from_params.end());
                rp.push_back(integer(kRunsPerRead));
                c->run("SELECT first_seq, last_seq FROM finding_hosts WHERE host = ? AND task_key = ?" + runs_from +
                           " ORDER BY first_seq LIMIT ?",
                       rp, [&](const Row& r) { runs.emplace_back(r.integer(0), r.integer(1)); });
                for (const auto& [first, last] : runs) {
                    if (page.findings.size() > q.limit) break;
                    ++runs_read;
                    if (last > done_to) {
                        auto p = params;
                        p.insert(p.end(), {integer(std::max(first, done_to + 1)), integer(last)});
                        read(" AND f.seq BETWEEN ? AND ?", std::move(p));
                        done_to = last;
                    }
                }
                if (runs.size() < static_cast<std::size_t>(kRunsPerRead)) break;
                runs_from = " AND first_seq > ?";
                from_params = {integer(runs.back().first)};
            }
        }
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
        std::string from = kFindingsFrom;
        std::string where = " WHERE 1 = 1";
        std::vector<Value> params;
        if (!q.cve.empty()) {
            from += " JOIN finding_cves c ON c.task_key = f.task_key AND c.seq = f.seq";
            where += " AND c.cve = ?";
            params.push_back(text(q.cve));
        }
        // Only finished, successful runs: a run cut short, failed or being
        // retried holds partial findings that must not read as a result.
        from += " JOIN tasks t ON t.task_key = f.task_key";
        std::string tasks_where = " AND t.status = ?";
        std::vector<Value> tasks_params = {text(std::string(sdk::to_string(sdk::TaskState::completed)))};
        if (q.clients) visible_clients(q.clients, "t.client", tasks_where, tasks_params);
        where += tasks_where;
        params.insert(params.end(), tasks_params.begin(), tasks_params.end());
        // A host or a network is checked on each finding; which findings are
        // read for them is decided below (their runs, finding_hosts).
        std::optional<std::pair<std::int64_t, std::int64_t>> net;
        if (!q.host.empty()) {
            where += " AND (f.host = ? OR f.host_ip = ?)";
            params.insert(params.end(), {text(q.host), text(q.host)});
        }
        if (!q.network.empty()) {
            net = ipv4_range(q.network);
            where += " AND f.ipv4 BETWEEN ? AND ?";
            params.insert(params.end(), {integer(net->first), integer(net->second)});
        }
        if (q.plugin_id) {
            where += " AND f.plugin_id = ?";
            params.push_back(integer(static_cast<std::int64_t>(*q.plugin_id)));
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
        std::int64_t after_key = -1, after_seq = -1;
        if (!q.cursor.empty()) {
            if (q.cursor.rfind("s1:", 0) == 0) {
                refuse("cursor '" + q.cursor +
                       "' is from before the store's upgrade to schema 3: start the search again");
            }
            const auto parts = split_cursor(q.cursor, "s2", 2);
            after_key = cursor_number(parts[0], q.cursor);
            after_seq = cursor_number(parts[1], q.cursor);
            where += " AND (f.task_key, f.seq) > (?, ?)";
            params.insert(params.end(), {integer(after_key), integer(after_seq)});
        }
        const std::string select =
            "SELECT f.task_key, t.task_id, " + std::string(kFindingColumns) + ", '', '', ''" + from;
        auto c = pool_.lease();
        sdk::FindingHits hits;
        std::vector<std::int64_t> keys;
        // In the order the indexes keep (task_key, seq): a page streams from
        // the index that serves the criterion instead of sorting every match.
        const auto read = [&](const std::string& sql, std::vector<Value> p, std::uint64_t want) {
            p.push_back(integer(static_cast<std::int64_t>(want)));
            c->run(sql + " ORDER BY f.task_key, f.seq LIMIT ?", p, [&](const Row& r) {
                keys.push_back(r.integer(0));
                const auto id = r.text(1);
                hits.hits.push_back({id, read_finding(r, 2, id)});
            });
        };
        using Run = std::array<std::int64_t, 3>;  // task_key, first_seq, last_seq
        // Reads runs of findings by primary key, a chunk at a time, until
        // the page is full.
        const auto read_runs = [&](const std::vector<Run>& runs) {
            constexpr std::size_t kRunsPerRead = 64;
            for (std::size_t at = 0; at < runs.size() && hits.hits.size() <= q.limit; at += kRunsPerRead) {
                const auto n = std::min(kRunsPerRead, runs.size() - at);
                // A power-of-two count of ranges (the last one repeated): a
                // few statement texts, each prepared once per connection.
                const auto slots = std::bit_ceil(n);
                std::string ranges = " AND (";
                std::vector<Value> p = params;
                for (std::size_t i = 0; i < slots; ++i) {
                    const auto& run = runs[at + std::min(i, n - 1)];
                    ranges += i ? " OR " : "";
                    ranges += "(f.task_key = ? AND f.seq BETWEEN ? AND ?)";
                    p.insert(p.end(), {integer(run[0]), integer(run[1]), integer(run[2])});
                }
                read(select + where + ranges + ")", std::move(p), q.limit + 1 - hits.hits.size());
            }
        };
        if (q.cve.empty() && q.host.empty() && !net && q.plugin_id) {
            // A plugin's findings across tasks: its groups (finding_groups.h)
            // in (task_key, first_seq) order from the cursor name the
            // candidates, whole batches at a time; each is confirmed against
            // its row with every criterion. A call reads at most kMaxReads
            // chunks of groups: past that it answers a shorter page, even an
            // empty one, with a cursor after the last batch examined.
            constexpr std::size_t kGroupsPerRead = 512, kMaxCandidates = 8192;
            constexpr int kMaxReads = 16;
            std::size_t examined = 0;
            const auto gf = group_filter(q.plugin_id, {}, q.min_severity);
            const std::string sql =
                "SELECT g.task_key, g.first_seq, g.last_seq, g.seqs FROM finding_groups g"
                " JOIN tasks t ON t.task_key = g.task_key WHERE 1 = 1" +
                gf.sql + tasks_where + " AND g.task_key >= ? AND (g.task_key > ? OR g.last_seq > ?)";
            std::int64_t at_key = after_key, at_seq = after_seq;  // settled up to here
            for (int reads = 0; hits.hits.size() <= q.limit; ++reads) {
                if (reads == kMaxReads || examined >= kMaxCandidates) {
                    hits.next_cursor = "s2:" + std::to_string(at_key) + ":" + std::to_string(at_seq);
                    return hits;
                }
                std::vector<Value> gp = gf.params;
                gp.insert(gp.end(), tasks_params.begin(), tasks_params.end());
                gp.insert(gp.end(), {integer(at_key), integer(at_key), integer(at_seq)});
                bool all = false;
                const auto rows = read_groups(*c, sql, gp, kGroupsPerRead, all);
                // Whole batches, until the budget is reached (as in page()).
                std::vector<std::pair<std::int64_t, std::int64_t>> candidates;
                bool stopped = false;
                for (std::size_t i = 0; i < rows.size() && !stopped; ++i) {
                    const auto& g = rows[i];
                    for (const auto o : decode_offsets(g.seqs, g.task_key)) {
                        const std::pair at(g.task_key, g.first_seq + o);
                        if (at > std::pair(at_key, at_seq)) candidates.push_back(at);
                    }
                    stopped = candidates.size() >= kMaxCandidates - examined && i + 1 < rows.size() &&
                              (rows[i + 1].task_key != g.task_key || rows[i + 1].first_seq != g.first_seq);
                }
                std::sort(candidates.begin(), candidates.end());
                candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
                const bool cut = !candidates.empty() && (stopped || candidates.size() > kMaxCandidates - examined);
                if (cut) candidates.resize(std::min(candidates.size(), kMaxCandidates - examined));
                examined += candidates.size();
                std::vector<Run> runs;
                for (const auto& [k, seq] : candidates) {
                    if (!runs.empty() && runs.back()[0] == k && runs.back()[2] + 1 == seq) {
                        runs.back()[2] = seq;
                    } else {
                        runs.push_back({k, seq, seq});
                    }
                }
                read_runs(runs);
                if (cut) {
                    // Every candidate up to the last one read is settled.
                    std::tie(at_key, at_seq) = candidates.back();
                    if (hits.hits.size() <= q.limit) {
                        hits.next_cursor = "s2:" + std::to_string(at_key) + ":" + std::to_string(at_seq);
                        return hits;
                    }
                    break;
                }
                if (all || rows.empty()) break;
                at_key = rows.back().task_key;
                at_seq = rows.back().last_seq;
            }
        } else if (!q.cve.empty() || (q.host.empty() && !net)) {
            // A CVE's index finds its candidates (few, in order), and so does
            // the findings' own order when nothing else is asked; the rest is
            // checked on each.
            read(select + where, params, q.limit + 1);
        } else {
            // A host's or a network's findings are its runs (finding_hosts),
            // in (task_key, first_seq) order, read by primary key a chunk of
            // runs at a time until the page is full. What one call examines
            // is bounded (kRunsPerCall runs of a host, kRunWindow runs of the
            // store for a network): past that it answers a shorter page, even
            // an empty one, with a cursor after the last run examined.
            constexpr std::size_t kRunsPerCall = 1024, kRunWindow = 4096;
            std::vector<Run> runs;
            std::optional<Run> examined_to;  // set when the call stopped short of the store's end
            const std::string from_cursor = " AND h.task_key >= ? AND (h.task_key > ? OR h.last_seq > ?)";
            const std::vector<Value> cursor_params = {integer(after_key), integer(after_key), integer(after_seq)};
            const auto fetch = [&](const std::string& column, std::size_t limit) {
                // One index in order, (column, task_key, first_seq): no sort,
                // and the LIMIT stops the read.
                std::vector<Value> p = {text(q.host)};
                std::string sql =
                    "SELECT h.task_key, h.first_seq, h.last_seq FROM finding_hosts h WHERE h." + column + " = ?";
                if (net) {
                    sql += " AND h.ipv4 BETWEEN ? AND ?";
                    p.insert(p.end(), {integer(net->first), integer(net->second)});
                }
                p.insert(p.end(), cursor_params.begin(), cursor_params.end());
                p.push_back(integer(static_cast<std::int64_t>(limit)));
                std::vector<Run> out;
                c->run(sql + from_cursor + " ORDER BY h.task_key, h.first_seq LIMIT ?", p, [&](const Row& r) {
                    out.push_back({r.integer(0), r.integer(1), r.integer(2)});
                });
                return out;
            };
            if (!q.host.empty()) {
                // host = X or host_ip = X: two ordered reads, merged. A list
                // cut at its limit is complete only up to its last run.
                const auto by_host = fetch("host", kRunsPerCall), by_address = fetch("host_ip", kRunsPerCall);
                std::optional<Run> bound;
                for (const auto* l : {&by_host, &by_address}) {
                    if (l->size() == kRunsPerCall && (!bound || l->back() < *bound)) bound = l->back();
                }
                std::merge(by_host.begin(), by_host.end(), by_address.begin(), by_address.end(),
                           std::back_inserter(runs));
                runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
                if (bound) {
                    runs.erase(std::upper_bound(runs.begin(), runs.end(), *bound), runs.end());
                    examined_to = bound;
                }
            } else {
                // A network: the store's runs in key order from the cursor,
                // a window at a time, those of the network kept.
                std::vector<Value> p = cursor_params;
                p.push_back(integer(static_cast<std::int64_t>(kRunWindow)));
                std::size_t seen = 0;
                Run last{};
                c->run("SELECT h.task_key, h.first_seq, h.last_seq, h.ipv4 FROM finding_hosts h WHERE 1 = 1" +
                           from_cursor + " ORDER BY h.task_key, h.first_seq LIMIT ?",
                       p, [&](const Row& r) {
                           ++seen;
                           last = {r.integer(0), r.integer(1), r.integer(2)};
                           if (!r.null(3) && r.integer(3) >= net->first && r.integer(3) <= net->second)
                               runs.push_back(last);
                       });
                if (seen == kRunWindow) examined_to = last;
            }
            read_runs(runs);
            if (hits.hits.size() <= q.limit && examined_to) {
                // The page is not full, but the call examined all it may:
                // the next one resumes after the last run examined.
                hits.next_cursor = "s2:" + std::to_string((*examined_to)[0]) + ":" + std::to_string((*examined_to)[2]);
                return hits;
            }
        }
        if (hits.hits.size() > q.limit) {
            hits.hits.pop_back();
            hits.next_cursor =
                "s2:" + std::to_string(keys[q.limit - 1]) + ":" + std::to_string(hits.hits.back().finding.seq);
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
            const auto key = task_key_of(*c, id);
            std::map<Key, Seen> out;
            c->run(
                "SELECT host, port, protocol, plugin_id, severity, plugin_name, seq FROM findings WHERE task_key = ?",
                {integer(key)}, [&](const Row& r) {
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
            ch.change = !b                           ? sdk::Change::added
                        : !a                         ? sdk::Change::fixed
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

}  // namespace scanorch::store_sql
