#include "finding_groups.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>
#include <utility>

#include "sql_support.h"

namespace scanorch::store_sql {

const std::vector<std::string>& group_columns() {
    static const std::vector<std::string> c = {"task_key", "first_seq", "last_seq", "plugin_id", "severity", "seqs"};
    return c;
}

std::string encode_offsets(const std::vector<std::int64_t>& offsets) {
    std::string out;
    out.reserve(offsets.size() * 5);
    char buf[24];
    for (const auto o : offsets) {
        if (!out.empty()) out += ',';
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, o);
        out.append(buf, end);
    }
    return out;
}

std::vector<std::int64_t> decode_offsets(const std::string& text, std::int64_t task_key) {
    std::vector<std::int64_t> out;
    out.reserve(text.size() / 3 + 1);
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        std::int64_t v = 0;
        const auto [next, ec] = std::from_chars(p, end, v);
        // A number, then a comma and another number, or the end.
        if (ec != std::errc() || v < 0 || (next != end && (*next != ',' || next + 1 == end))) {
            throw DbError(sdk::ErrorKind::internal, "the findings of task key " + std::to_string(task_key) +
                                                        " have a damaged group list '" + text.substr(0, 60) + "'");
        }
        out.push_back(v);
        p = next == end ? end : next + 1;
    }
    // Written sorted; a migration's aggregate may not keep the order.
    if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());
    return out;
}

std::vector<Value> group_rows(std::int64_t task_key, const std::vector<sdk::Finding>& batch,
                              std::vector<std::string>& texts) {
    std::vector<Value> rows;
    if (batch.empty()) return rows;
    const auto [lo, hi] =
        std::minmax_element(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    const auto first = static_cast<std::int64_t>(lo->seq);
    std::map<std::pair<std::uint64_t, int>, std::vector<std::int64_t>> groups;
    for (const auto& f : batch) {
        groups[{f.plugin_id, static_cast<int>(f.severity)}].push_back(static_cast<std::int64_t>(f.seq) - first);
    }
    texts.clear();
    texts.reserve(groups.size());
    rows.reserve(groups.size() * group_columns().size());
    for (auto& [k, offsets] : groups) {
        std::sort(offsets.begin(), offsets.end());
        offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
        texts.push_back(encode_offsets(offsets));
        rows.insert(rows.end(), {integer(task_key), integer(first), integer(static_cast<std::int64_t>(hi->seq)),
                                 integer(static_cast<std::int64_t>(k.first)), integer(k.second),
                                 Value(BorrowedText{&texts.back()})});
    }
    return rows;
}

namespace {

struct Group {
    std::int64_t first_seq, last_seq, plugin_id, severity;
    std::vector<std::int64_t> seqs;  // absolute
};

// The groups of the batch that `where` (after "WHERE task_key = ? AND
// first_seq = ") picks, with absolute seqs.
std::vector<Group> read_batch(Connection& c, std::int64_t task_key, const std::string& first_seq_is,
                              const std::vector<Value>& params) {
    std::vector<Group> out;
    c.run(
        "SELECT first_seq, last_seq, plugin_id, severity, seqs FROM finding_groups WHERE task_key = ? AND first_seq = " +
            first_seq_is,
        params, [&](const Row& r) {
            Group g{r.integer(0), r.integer(1), r.integer(2), r.integer(3), decode_offsets(r.text(4), task_key)};
            for (auto& s : g.seqs) s += g.first_seq;
            out.push_back(std::move(g));
        });
    return out;
}

}  // namespace

void cut_groups(Connection& c, std::int64_t task_key, std::int64_t lo, std::int64_t hi) {
    const auto k = integer(task_key);
    // Batches never overlap: at most one starts before lo and reaches into
    // the range, and at most one starts in it and reaches past hi.
    auto before = read_batch(c, task_key,
                             "(SELECT MAX(first_seq) FROM finding_groups WHERE task_key = ? AND first_seq < ?)"
                             " AND last_seq >= ?",
                             {k, k, integer(lo), integer(lo)});
    auto across =
        read_batch(c, task_key,
                   "(SELECT MAX(first_seq) FROM finding_groups WHERE task_key = ? AND first_seq BETWEEN ? AND ?)"
                   " AND last_seq > ?",
                   {k, k, integer(lo), integer(hi), integer(hi)});
    if (!before.empty()) {
        c.run("DELETE FROM finding_groups WHERE task_key = ? AND first_seq = ?",
              {k, integer(before.front().first_seq)});
    }
    c.run("DELETE FROM finding_groups WHERE task_key = ? AND first_seq BETWEEN ? AND ?", {k, integer(lo), integer(hi)});
    // What lies outside [lo, hi] is written back: before lo under its batch's
    // start, after hi as a batch starting at hi + 1.
    std::vector<Value> rows;
    std::vector<std::string> texts;
    texts.reserve(2 * (before.size() + across.size()));
    const auto keep = [&](std::int64_t first, std::int64_t last, const Group& g, auto in_part) {
        std::vector<std::int64_t> offsets;
        for (const auto s : g.seqs) {
            if (in_part(s)) offsets.push_back(s - first);
        }
        if (offsets.empty()) return;
        texts.push_back(encode_offsets(offsets));
        rows.insert(rows.end(), {k, integer(first), integer(last), integer(g.plugin_id), integer(g.severity),
                                 Value(BorrowedText{&texts.back()})});
    };
    for (const auto& g : before) {
        keep(g.first_seq, lo - 1, g, [&](std::int64_t s) { return s < lo; });
        if (g.last_seq > hi) keep(hi + 1, g.last_seq, g, [&](std::int64_t s) { return s > hi; });
    }
    for (const auto& g : across) keep(hi + 1, g.last_seq, g, [&](std::int64_t s) { return s > hi; });
    if (!rows.empty()) c.insert_rows("finding_groups", group_columns(), rows);
}

}  // namespace scanorch::store_sql
