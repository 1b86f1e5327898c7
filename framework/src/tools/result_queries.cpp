#include "scanorch/framework/tools/result_queries.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "scanorch/framework/service/results_reader.h"
#include "scanorch/framework/tasks/task_codec.h"
#include "tool_json.h"

namespace scanorch::framework {

using tools::Obj;
using tools::text;

namespace {

int severity_level(const std::string& s) {
    static const std::map<std::string, int> m = {{"info", 0}, {"low", 1}, {"medium", 2}, {"high", 3}, {"critical", 4}};
    auto it = m.find(s);
    if (it == m.end()) throw std::invalid_argument("severity '" + s + "' is not critical, high, medium, low or info");
    return it->second;
}

void read_filters(const Obj& f, ResultsQuery& q) {
    if (f->has("severity")) {
        const auto v = f->get("severity");
        if (v.isArray()) {
            auto arr = f->getArray("severity");
            for (std::size_t i = 0; i < arr->size(); ++i) {
                q.severities.insert(severity_level(arr->getElement<std::string>(static_cast<unsigned>(i))));
            }
        } else {
            q.severities.insert(severity_level(v.convert<std::string>()));
        }
    }
    if (f->has("min_severity")) q.min_severity = severity_level(text(f, "min_severity"));
    q.host = text(f, "host");
    q.plugin_id = text(f, "plugin_id");
    q.port = text(f, "port");
    if (f->has("min_cvss")) q.min_cvss = f->getValue<double>("min_cvss");
    q.text = text(f, "text");
}

}  // namespace

sdk::Result<Obj> query_results(const TaskRecord& t, const Obj& a) {
    if (t.export_path.empty() || t.phase != TaskPhase::done) {
        return sdk::Error::invalid_input("task " + t.task_id + " has no results yet (status " +
                                         std::string(to_string(t.status)) + ", phase " + std::string(to_string(t.phase)) + ")");
    }
    ResultsQuery q;
    q.page = a->has("page") ? a->getValue<std::uint64_t>("page") : 1;
    q.page_size = a->has("page_size") ? a->getValue<std::uint64_t>("page_size") : 50;
    if (auto custom = a->getArray("custom_fields")) {
        const auto& all = all_result_fields();
        for (std::size_t i = 0; i < custom->size(); ++i) {
            const auto f = custom->getElement<std::string>(static_cast<unsigned>(i));
            if (std::find(all.begin(), all.end(), f) == all.end()) {
                std::string names;
                for (const auto& n : all) names += (names.empty() ? "" : ", ") + n;
                return sdk::Error::invalid_input("unknown field '" + f + "' in custom_fields (valid: " + names + ")");
            }
            q.fields.push_back(f);
        }
    } else {
        const std::string profile = a->has("schema_profile") ? text(a, "schema_profile") : "brief";
        q.fields = profile_fields(profile);
    }
    if (auto f = a->getObject("filters")) read_filters(f, q);
    auto page = read_results(t.export_path, q);
    if (!page) return std::move(page).error();
    Obj o = tools::object();
    o->set("task_id", t.task_id);
    o->set("page", q.page);
    o->set("page_size", q.page_size);
    o->set("total_findings", page->total_findings);
    o->set("total_matching", page->total_matching);
    o->set("total_pages", (page->total_matching + q.page_size - 1) / q.page_size);
    o->set("fields", tools::array_of(q.fields));
    o->set("findings", page->findings);
    return o;
}

}  // namespace scanorch::framework
