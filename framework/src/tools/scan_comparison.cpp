// compare_scans: what changed between two completed scans, per host, from
// the findings index. With one task id, the other is the previous completed
// scan of the same targets that the caller may see.
//
// Memory is bounded by the largest host, not by the scans: the index pages a
// task's findings in export order and filters them by exact host (the
// host's runs of findings), but cannot order them by host, port,
// protocol and plugin. So a first pass pages through both scans (without
// the large text fields) to learn their host names, then each host is
// compared alone, from both scans' findings on that host. Held at once: the
// host names of both scans, one page (kPageSize findings without text), one
// host's findings of both scans reduced to key, severity and plugin name,
// and the answer itself (every change but the unchanged ones, and per host
// counts). The cost: two passes over each scan, the second one host at a time.
#include <Poco/JSON/Array.h>

#include <map>
#include <set>
#include <tuple>

#include "finding_fields.h"
#include "scanorch/framework/runtime/clock.h"
#include "scanorch/framework/tools/caller_visibility.h"
#include "scanorch/framework/tools/result_queries.h"
#include "tool_json.h"

namespace scanorch::framework {

using tools::Obj;
using tools::text;

namespace {

// Another client's task answers like a missing one, as get_scan_status does:
// the caller learns nothing about tasks it may not see.
sdk::Result<sdk::StoredTask> completed_task(sdk::TaskTable& tasks, const std::string& id, const sdk::CallContext& c) {
    auto t = tasks.get(id);
    if (!t && (t.error().kind == sdk::ErrorKind::not_found || t.error().kind == sdk::ErrorKind::invalid_input)) {
        return sdk::Error::not_found("no task '" + id + "'");
    }
    if (!t) return t;
    if (!may_see(c, t->client)) return sdk::Error::not_found("no task '" + id + "'");
    if (t->status != sdk::TaskState::completed) {
        return sdk::Error::invalid_input("task " + id + " is " + std::string(sdk::to_string(t->status)) +
                                         ", not completed: compare_scans compares completed scans");
    }
    return t;
}

sdk::Result<sdk::StoredTask> previous_scan(sdk::TaskTable& tasks, const sdk::StoredTask& newer,
                                           const sdk::CallContext& c) {
    sdk::TaskQuery q;
    q.clients = visible_clients(c);
    q.statuses = {sdk::TaskState::completed};
    q.targets = newer.targets;
    q.created_before_ms = newer.created_at_ms;
    q.limit = 1;
    auto page = tasks.list(q);
    if (!page) return std::move(page).error();
    if (page->tasks.empty()) {
        return sdk::Error::not_found("no completed scan of the same targets ('" + newer.targets + "') before task " +
                                     newer.task_id + "; pass older_task_id and newer_task_id to compare other scans");
    }
    return page->tasks.front();
}

Obj task_object(const sdk::StoredTask& t) {
    auto o = tools::object();
    o->set("task_id", t.task_id);
    o->set("targets", t.targets);
    o->set("created_at", tools::iso(t.created_at_ms));
    o->set("completed_at", tools::iso(t.completed_at_ms));
    return o;
}

Poco::Dynamic::Var severity(const std::optional<sdk::Severity>& s) {
    return s ? Poco::Dynamic::Var(static_cast<int>(*s)) : Poco::Dynamic::Var();
}

template <class Counts>
void put_counts(Poco::JSON::Object& o, const Counts& n) {
    o.set(std::string(sdk::to_string(sdk::Change::added)), n.added);
    o.set(std::string(sdk::to_string(sdk::Change::fixed)), n.fixed);
    o.set(std::string(sdk::to_string(sdk::Change::rerated)), n.rerated);
    o.set(std::string(sdk::to_string(sdk::Change::unchanged)), n.unchanged);
}

constexpr std::uint32_t kPageSize = 2000;

// Every finding of a task (optionally of one host), in export order, a page
// at a time, without the large text fields.
template <class Each>
sdk::Result<void> each_finding(sdk::FindingIndex& index, const std::string& task_id, const std::string& host,
                               Each&& each) {
    sdk::FindingPageQuery q;
    q.task_id = task_id;
    q.filter.host = host;
    q.limit = kPageSize;
    q.with_text = false;
    for (;;) {
        auto p = index.page(q);
        if (!p) return std::move(p).error();
        for (const auto& f : p->findings) each(f);
        if (p->next_cursor.empty()) return {};
        q.cursor = std::move(p->next_cursor);
    }
}

// One side of one host: (port, protocol, plugin id) -> what it reported.
using Key = std::tuple<std::uint32_t, std::string, std::uint64_t>;
struct Seen {
    sdk::Severity severity;
    std::string plugin_name;
};

sdk::Result<std::map<Key, Seen>> host_side(sdk::FindingIndex& index, const std::string& task_id,
                                           const std::string& host) {
    std::map<Key, Seen> out;
    auto r = each_finding(index, task_id, host, [&](const sdk::Finding& f) {
        auto [it, fresh] = out.try_emplace(Key{f.port, f.protocol, f.plugin_id}, Seen{f.severity, f.plugin_name});
        if (!fresh && f.severity > it->second.severity) it->second.severity = f.severity;  // reported twice: the worse
    });
    if (!r) return std::move(r).error();
    return out;
}

// Per host, how `newer` differs from `older`, keyed by (host, port,
// protocol, plugin id), leaving out changes where neither side reaches
// `min_severity`: FindingIndex::compare()'s answer, one host at a time.
// `findings` says how many findings each side has.
sdk::Result<sdk::Comparison> compare_findings(sdk::FindingIndex& index, const std::string& older,
                                              const std::string& newer, sdk::Severity min_severity,
                                              std::uint64_t (&findings)[2]) {
    std::set<std::string> host_names;  // byte order, as the answer lists hosts
    std::size_t side = 0;
    for (const auto* id : {&older, &newer}) {
        findings[side] = 0;
        auto r = each_finding(index, *id, "", [&](const sdk::Finding& f) {
            ++findings[side];
            host_names.insert(f.host);
        });
        if (!r) return std::move(r).error();
        ++side;
    }
    sdk::Comparison out;
    out.older_task_id = older;
    out.newer_task_id = newer;
    for (const auto& host : host_names) {
        auto before = host_side(index, older, host);
        if (!before) return std::move(before).error();
        auto after = host_side(index, newer, host);
        if (!after) return std::move(after).error();
        sdk::HostChanges h;
        h.host = host;
        auto record = [&](const Key& k, const Seen* b, const Seen* a) {
            const auto worst = std::max(b ? b->severity : sdk::Severity::info, a ? a->severity : sdk::Severity::info);
            if (worst < min_severity) return;
            sdk::FindingChange ch;
            ch.port = std::get<0>(k);
            ch.protocol = std::get<1>(k);
            ch.plugin_id = std::get<2>(k);
            ch.plugin_name = a ? a->plugin_name : b->plugin_name;
            if (b) ch.before = b->severity;
            if (a) ch.after = a->severity;
            ch.change = !b                           ? sdk::Change::added
                        : !a                         ? sdk::Change::fixed
                        : a->severity == b->severity ? sdk::Change::unchanged
                                                     : sdk::Change::rerated;
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
        // A host none of whose changes reached min_severity is not listed.
        if (h.added + h.fixed + h.unchanged + h.rerated > 0) out.hosts.push_back(std::move(h));
    }
    return out;
}

sdk::Result<Obj> compare(const ToolServiceDeps& d, const Obj& a, const sdk::CallContext& c) {
    const auto one = text(a, "task_id"), older_id = text(a, "older_task_id"), newer_id = text(a, "newer_task_id");
    if (!one.empty() && (!older_id.empty() || !newer_id.empty())) {
        return sdk::Error::invalid_input(
            "pass either task_id (compared with the previous scan of its targets) or "
            "older_task_id and newer_task_id, not both");
    }
    if (one.empty() && (older_id.empty() || newer_id.empty())) {
        return sdk::Error::invalid_input(older_id.empty() && newer_id.empty()
                                             ? "pass task_id, or older_task_id and newer_task_id"
                                             : std::string(older_id.empty() ? "older_task_id" : "newer_task_id") +
                                                   " is required with " +
                                                   (older_id.empty() ? "newer_task_id" : "older_task_id"));
    }
    if (one.empty() && older_id == newer_id) {
        return sdk::Error::invalid_input("older_task_id and newer_task_id are both '" + older_id + "': pass two scans");
    }
    const auto min_severity =
        tools::severity_word(a->has("min_severity") ? text(a, "min_severity") : "low", "min_severity");
    const bool with_changes = !a->has("include_changes") || a->getValue<bool>("include_changes");
    if (!d.db) return sdk::Error::internal("compare_scans needs the findings index, and no store is configured");

    auto& tasks = d.db->tasks();
    sdk::Result<sdk::StoredTask> newer = completed_task(tasks, one.empty() ? newer_id : one, c);
    if (!newer) return std::move(newer).error();
    auto older = one.empty() ? completed_task(tasks, older_id, c) : previous_scan(tasks, *newer, c);
    if (!older) return std::move(older).error();

    std::uint64_t findings[2] = {0, 0};
    auto cmp = compare_findings(d.db->findings(), older->task_id, newer->task_id, min_severity, findings);
    if (!cmp) return std::move(cmp).error();
    // A comparison reads both scans: the TTL counts it like get_scan_status
    // (and, like it, refreshes at most once a minute).
    for (const auto* t : {&*older, &*newer}) {
        if (now_ms() - t->last_accessed_at_ms > 60'000) (void)tasks.touch(t->task_id, now_ms());
    }

    Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
    // A completed scan with nothing indexed was most likely indexed never (it
    // ended before the index existed): every finding of the other side would
    // read as new or fixed, so the answer says so.
    std::size_t side = 0;
    for (const auto* t : {&*older, &*newer}) {
        if (findings[side++] == 0) {
            warnings->add("task " + t->task_id +
                          " has no findings in the index (it may have completed before "
                          "findings were indexed): its side of the comparison is empty");
        }
    }
    if (older->created_at_ms > newer->created_at_ms) {
        warnings->add("older_task_id " + older->task_id + " was created after newer_task_id " + newer->task_id +
                      ": 'new' means only in " + newer->task_id);
    }

    Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
    for (const auto& h : cmp->hosts) {
        auto ho = tools::object();
        ho->set("host", h.host);
        put_counts(*ho, h);
        if (with_changes) {
            Poco::JSON::Array::Ptr changes = new Poco::JSON::Array;
            for (const auto& ch : h.changes) {
                auto co = tools::object();
                co->set("change", std::string(sdk::to_string(ch.change)));
                co->set("port", std::to_string(ch.port));
                co->set("protocol", ch.protocol);
                co->set("plugin_id", std::to_string(ch.plugin_id));
                co->set("plugin_name", ch.plugin_name);
                co->set("severity_before", severity(ch.before));
                co->set("severity_after", severity(ch.after));
                changes->add(co);
            }
            ho->set("changes", changes);
        }
        hosts->add(ho);
    }
    Obj totals = tools::object();
    put_counts(*totals, *cmp);
    Obj o = tools::object();
    o->set("older", task_object(*older));
    o->set("newer", task_object(*newer));
    o->set("min_severity", std::string(sdk::to_string(min_severity)));
    o->set("totals", totals);
    o->set("hosts", hosts);
    o->set("warnings", warnings);
    return o;
}

}  // namespace

sdk::Result<Obj> compare_scans(const ToolServiceDeps& d, const Obj& a, const sdk::CallContext& c) {
    return tools::refusing_bad_input([&] { return compare(d, a, c); });
}

}  // namespace scanorch::framework
