#include "scanorch/framework/tools/result_queries.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "finding_fields.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "tool_json.h"

namespace scanorch::framework {

using tools::Obj;
using tools::text;

namespace {

template <class N>
N number(const std::string& s, const char* what) {
    N n{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        throw std::invalid_argument(std::string("filters.") + what + " '" + s + "' is not a number");
    }
    return n;
}

sdk::FindingFilter read_filters(const Obj& f) {
    sdk::FindingFilter q;
    if (f->has("severity")) {
        const auto v = f->get("severity");
        if (v.isArray()) {
            auto arr = f->getArray("severity");
            for (std::size_t i = 0; i < arr->size(); ++i) {
                q.severities.push_back(
                    tools::severity_word(arr->getElement<std::string>(static_cast<unsigned>(i)), "filters.severity"));
            }
        } else {
            q.severities.push_back(tools::severity_word(v.convert<std::string>(), "filters.severity"));
        }
    }
    if (f->has("min_severity")) q.min_severity = tools::severity_word(text(f, "min_severity"), "filters.min_severity");
    q.host = text(f, "host");
    if (const auto id = text(f, "plugin_id"); !id.empty()) q.plugin_id = number<std::uint64_t>(id, "plugin_id");
    if (const auto port = text(f, "port"); !port.empty()) q.port = number<std::uint32_t>(port, "port");
    if (f->has("min_cvss")) q.min_cvss = f->getValue<double>("min_cvss");
    q.text = text(f, "text");
    return q;
}

sdk::Result<std::vector<std::string>> output_fields(const Obj& a) {
    if (auto custom = a->getArray("custom_fields")) {
        const auto& all = tools::all_finding_fields();
        std::vector<std::string> fields;
        for (std::size_t i = 0; i < custom->size(); ++i) {
            const auto f = custom->getElement<std::string>(static_cast<unsigned>(i));
            if (std::find(all.begin(), all.end(), f) == all.end()) {
                std::string names;
                for (const auto& n : all) names += (names.empty() ? "" : ", ") + n;
                return sdk::Error::invalid_input("unknown field '" + f + "' in custom_fields (valid: " + names + ")");
            }
            fields.push_back(f);
        }
        return fields;
    }
    const std::string profile = a->has("schema_profile") ? text(a, "schema_profile") : "brief";
    auto fields = tools::profile_fields(profile);
    if (!fields) {
        return sdk::Error::invalid_input("schema_profile '" + profile + "' is not minimal, summary, brief or full");
    }
    return *fields;
}

}  // namespace

namespace {

sdk::Result<Obj> query(const ToolServiceDeps& d, const TaskRecord& t, const Obj& a) {
    if (t.export_path.empty() || t.phase != TaskPhase::done) {
        return sdk::Error::invalid_input("task " + t.task_id + " has no results yet (status " +
                                         std::string(to_string(t.status)) + ", phase " +
                                         std::string(to_string(t.phase)) + ")");
    }
    // OFFSET paging re-reads every earlier page; a cursor continues where the
    // last page ended. Old callers get told what to send instead.
    if (a->has("page")) {
        return sdk::Error::invalid_input(
            "'page' is no longer supported: get_scan_results pages by cursor. Omit page "
            "for the first page, then pass each answer's next_cursor as 'cursor'");
    }
    if (!d.db) return sdk::Error::internal("get_scan_results needs the findings index, and no store is configured");
    auto fields = output_fields(a);
    if (!fields) return std::move(fields).error();

    sdk::FindingPageQuery q;
    q.task_id = t.task_id;
    if (auto f = a->getObject("filters")) q.filter = read_filters(f);
    const std::int64_t page_size = a->has("page_size") ? a->getValue<std::int64_t>("page_size") : 50;
    if (page_size < 1 || page_size > 500) {
        return sdk::Error::invalid_input("page_size must be 1..500, not " + std::to_string(page_size));
    }
    q.limit = static_cast<std::uint32_t>(page_size);
    q.cursor = text(a, "cursor");
    q.with_text = tools::needs_text(*fields);
    // Totals cost a pass over the task: once, on the first page, and not even
    // then without filters, where the validator already counted every item
    // it emitted (a 1 GB export's pass takes seconds).
    const auto& f = q.filter;
    const bool unfiltered = f.severities.empty() && !f.min_severity && f.host.empty() && !f.plugin_id && !f.port &&
                            !f.min_cvss && f.text.empty();
    std::optional<std::uint64_t> counted;
    if (q.cursor.empty() && unfiltered && t.validation_stats) counted = t.validation_stats->report_items;
    q.count = q.cursor.empty() && !counted;
    auto page = d.db->findings().page(q);
    if (!page) return std::move(page).error();
    if (counted) {
        page->total = page->total_matching = *counted;
        if (page->findings.empty()) page->total = 0;  // nothing indexed: said below, not shown as a clean scan
    }
    // A task validated before findings were indexed has an export with items
    // and none in the index: an empty answer would read as a clean scan.
    if (page->total && *page->total == 0 && t.validation_stats && t.validation_stats->report_items > 0) {
        return sdk::Error::not_found("task " + t.task_id + " has " + std::to_string(t.validation_stats->report_items) +
                                     " findings in its export but none in the findings index (it was validated "
                                     "before findings were indexed)");
    }

    Poco::JSON::Array::Ptr findings = new Poco::JSON::Array;
    for (const auto& f : page->findings) findings->add(tools::finding_object(f, *fields));
    Obj o = tools::object();
    o->set("task_id", t.task_id);
    o->set("page_size", page_size);
    if (page->total && page->total_matching) {
        o->set("total_findings", *page->total);
        o->set("total_matching", *page->total_matching);
        o->set("total_pages", (*page->total_matching + q.limit - 1) / q.limit);
    }
    o->set("fields", tools::array_of(*fields));
    o->set("findings", findings);
    o->set("next_cursor", tools::null_if_empty(page->next_cursor));
    return o;
}

}  // namespace

sdk::Result<Obj> query_results(const ToolServiceDeps& d, const TaskRecord& t, const Obj& a) {
    return tools::refusing_bad_input([&] { return query(d, t, a); });
}

}  // namespace scanorch::framework
