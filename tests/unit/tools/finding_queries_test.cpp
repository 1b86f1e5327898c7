// get_scan_results, search_findings and compare_scans against a real
// sqlite-store plugin over a fresh database in a temporary directory: the
// rows are written through the store's own TaskTable and FindingIndex, as
// the host and the validator write them, and read back through the tools.
#include <gtest/gtest.h>
#include <unistd.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "scanorch/framework/plugins/host_services.h"
#include "scanorch/framework/plugins/loader.h"
#include "scanorch/framework/service/tool_service.h"
#include "scanorch/framework/tools/result_queries.h"

namespace sf = scanorch::framework;
namespace sdk = scanorch::sdk;
using Obj = Poco::JSON::Object::Ptr;

namespace {

constexpr std::int64_t kDay = 24 * 3600 * 1000;
constexpr std::int64_t kT0 = 1'764'547'200'000;  // 2025-12-01T00:00:00Z

// Parsed in order, so an answer can be compared as printed.
Obj args(const std::string& json) {
    return Poco::JSON::Parser(new Poco::JSON::ParseHandler(true)).parse(json).extract<Obj>();
}

std::string str(const Poco::Dynamic::Var& v) {
    if (v.type() == typeid(Obj) || v.type() == typeid(Poco::JSON::Array::Ptr)) {
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(v, out);
        return out.str();
    }
    return v.toString();
}

sdk::CallContext as(const std::string& client) {
    sdk::CallContext c;
    c.client = client;
    return c;
}

/// One finding; the rest of its fields derive from these so every check
/// below can compute what it expects from the same rows it wrote.
sdk::Finding finding(std::uint64_t seq, const std::string& host, std::uint32_t port, std::uint64_t plugin,
                     sdk::Severity sev, std::int64_t seen = kT0) {
    sdk::Finding f;
    f.seq = seq;
    f.host = host;
    f.host_ip = host.rfind("192.", 0) == 0 || host.rfind("198.", 0) == 0 ? host : "";
    f.port = port;
    f.protocol = "tcp";
    f.service = port == 22 ? "ssh" : "www";
    f.plugin_id = plugin;
    f.plugin_name = "Check " + std::to_string(plugin);
    f.plugin_family = "General";
    f.severity = sev;
    f.risk_factor = sev == sdk::Severity::info ? "None" : "High";
    if (sev != sdk::Severity::info) f.cvss3_base_score = 2.0 * static_cast<double>(sev);
    if (plugin % 2 == 0) f.cves = {"CVE-2024-" + std::to_string(3000 + plugin)};
    f.synopsis = "Synopsis of " + std::to_string(plugin);
    f.description = plugin == 7 ? "The OpenSSH daemon is outdated" : "A description";
    f.plugin_output = "output " + std::to_string(seq);
    f.seen_at_ms = seen;
    return f;
}

class FindingQueries : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("scanorch-finding-queries-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_));
        std::filesystem::create_directories(dir_);
        static sf::PluginLoader loader;
        if (!loader.find("sqlite-store")) {
            auto r = loader.load_file(SQLITE_STORE_PLUGIN);
            ASSERT_TRUE(r) << r.error().message;
        }
        auto services = std::make_shared<sf::HostServices>(nullptr, dir_.string());
        auto store = loader.instantiate<sdk::Store>("sqlite-store", "{}", sf::HostApi::make(services, "sqlite-store"));
        ASSERT_TRUE(store) << store.error().message;
        deps_.db = *store;
        service_ = std::make_unique<sf::HostToolService>(deps_);
    }
    void TearDown() override {
        service_.reset();
        deps_.db.reset();
        std::filesystem::remove_all(dir_);
    }

    /// A task row (completed unless told) and its findings.
    void task(const std::string& id, const std::string& client, const std::vector<sdk::Finding>& findings,
              std::int64_t created = kT0, const std::string& targets = "192.0.2.0/28",
              sdk::TaskState status = sdk::TaskState::completed) {
        sdk::StoredTask t;
        t.task_id = id;
        t.client = client;
        t.status = status;
        t.targets = targets;
        t.lease_token = "lease-" + id;
        t.created_at_ms = created;
        t.updated_at_ms = created;
        t.completed_at_ms = status == sdk::TaskState::completed ? created + 3600'000 : 0;
        t.document = "{}";
        t.summary = "{}";
        ASSERT_TRUE(deps_.db->tasks().create(t));
        for (std::size_t i = 0; i < findings.size(); i += 7) {  // in batches, as the validator writes them
            std::vector<sdk::Finding> batch(
                findings.begin() + static_cast<std::ptrdiff_t>(i),
                findings.begin() + static_cast<std::ptrdiff_t>(std::min(i + 7, findings.size())));
            auto r = deps_.db->findings().append(id, t.lease_token, batch);
            ASSERT_TRUE(r && *r) << (r ? "fenced" : r.error().message);
        }
    }

    /// The host's record of a finished task. Its export path names no file:
    /// the answers must come from the index alone.
    static sf::TaskRecord record(const std::string& id) {
        sf::TaskRecord t;
        t.task_id = id;
        t.status = sf::TaskStatus::completed;
        t.phase = sf::TaskPhase::done;
        t.export_path = "/nonexistent/scanorch/" + id + ".nessus";
        return t;
    }

    sdk::Result<Obj> results(const std::string& id, const std::string& json) {
        return sf::query_results(deps_, record(id), args(json));
    }

    /// A tool through the service: its registration, schema check and
    /// handler; an answer must also fit the output schema it publishes.
    sdk::Result<Obj> call(const std::string& tool, const std::string& json, const sdk::CallContext& c = {}) {
        auto r = service_->call(tool, json, c);
        if (!r) return std::move(r).error();
        auto answer = args(*r);
        expect_fits(tool, answer);
        return answer;
    }

    /// JSON Schema's `required` asks only that a key be there (null is a
    /// value); the registry's input check is stricter, so it is applied here
    /// to the rest of the schema.
    void expect_fits(const std::string& tool, const Obj& answer) {
        for (const auto& t : service_->tools()) {
            if (t.name != tool) continue;
            auto schema = args(t.output_schema_json);
            if (auto req = schema->getArray("required")) {
                for (std::size_t i = 0; i < req->size(); ++i) {
                    EXPECT_TRUE(answer->has(req->getElement<std::string>(static_cast<unsigned>(i))))
                        << tool << " answered without " << req->getElement<std::string>(static_cast<unsigned>(i));
                }
                schema->remove("required");
            }
            auto fits = sf::check_against_schema(Poco::Dynamic::Var(answer), schema, "");
            EXPECT_TRUE(fits) << tool << " answered outside its output schema: " << fits.error().message;
        }
    }

    /// get_scan_results through the service, for a task `record` describes
    /// (the service's task store is not what this test is about).
    sdk::Result<Obj> results_checked(const std::string& id, const std::string& json) {
        auto r = results(id, json);
        if (r) expect_fits("get_scan_results", *r);
        return r;
    }

    /// Many findings over four hosts, every severity, two ports, plugins 1..9.
    static std::vector<sdk::Finding> many(std::size_t n) {
        std::vector<sdk::Finding> out;
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(finding(i, "192.0.2." + std::to_string(1 + i % 4), i % 3 == 0 ? 22 : 443, 1 + i % 9,
                                  static_cast<sdk::Severity>(i % 5)));
        }
        return out;
    }

    std::filesystem::path dir_;
    sf::ToolServiceDeps deps_;
    std::unique_ptr<sf::HostToolService> service_;
    static inline int counter_ = 0;
};

/// Every page of get_scan_results from the first, following next_cursor.
std::vector<Obj> all_pages(const std::function<sdk::Result<Obj>(const std::string& cursor)>& page) {
    std::vector<Obj> pages;
    std::string cursor;
    for (int i = 0; i < 1000; ++i) {
        auto p = page(cursor);
        EXPECT_TRUE(p) << p.error().message;
        if (!p) break;
        pages.push_back(*p);
        if ((*p)->isNull("next_cursor")) return pages;
        cursor = (*p)->getValue<std::string>("next_cursor");
    }
    ADD_FAILURE() << "paging did not end";
    return pages;
}

}  // namespace

TEST_F(FindingQueries, ResultsPagesByCursorReturnEveryFindingOnce) {
    const auto rows = many(103);
    task("t1", "team-a", rows);
    task("other", "team-a", many(10));
    int pages_read = 0;
    std::set<std::string> seen;
    const auto pages = all_pages([&](const std::string& cursor) {
        // Another task indexed between pages does not move this task's pages.
        if (pages_read++ == 3) task("late", "", many(5));
        return results_checked("t1", R"({"task_id":"t1","page_size":10,"schema_profile":"full")" +
                                         (cursor.empty() ? std::string() : R"(,"cursor":")" + cursor + "\"") + "}");
    });
    ASSERT_EQ(pages.size(), 11u);
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const auto& p = pages[i];
        EXPECT_EQ(p->has("total_findings"), i == 0) << "totals are on the first page only";
        auto arr = p->getArray("findings");
        EXPECT_EQ(arr->size(), i + 1 < pages.size() ? 10u : 3u);
        for (std::size_t j = 0; j < arr->size(); ++j) {
            auto f = arr->getObject(static_cast<unsigned>(j));
            const auto key = f->getValue<std::string>("plugin_output");  // "output <seq>": unique per finding
            EXPECT_TRUE(seen.insert(key).second) << key << " came twice";
        }
    }
    EXPECT_EQ(seen.size(), rows.size());
    EXPECT_EQ(pages[0]->getValue<int>("total_findings"), 103);
    EXPECT_EQ(pages[0]->getValue<int>("total_matching"), 103);
    EXPECT_EQ(pages[0]->getValue<int>("total_pages"), 11);
}

TEST_F(FindingQueries, ResultsFiltersMatchExactlyTheRowsThatQualify) {
    const auto rows = many(60);
    task("t1", "", rows);
    const std::vector<std::pair<std::string, std::function<bool(const sdk::Finding&)>>> cases = {
        {R"({"min_severity":"high"})", [](const auto& f) { return f.severity >= sdk::Severity::high; }},
        {R"({"severity":["low","critical"]})",
         [](const auto& f) { return f.severity == sdk::Severity::low || f.severity == sdk::Severity::critical; }},
        {R"({"severity":"medium"})", [](const auto& f) { return f.severity == sdk::Severity::medium; }},
        {R"({"host":"192.0.2.3"})", [](const auto& f) { return f.host == "192.0.2.3"; }},
        {R"({"plugin_id":"7"})", [](const auto& f) { return f.plugin_id == 7; }},
        {R"({"port":"22","min_severity":"low"})",
         [](const auto& f) { return f.port == 22 && f.severity >= sdk::Severity::low; }},
        {R"({"min_cvss":6.0})", [](const auto& f) { return f.cvss3_base_score && *f.cvss3_base_score >= 6.0; }},
        {R"({"text":"openssh DAEMON"})", [](const auto& f) { return f.plugin_id == 7; }},
    };
    for (const auto& [filters, want] : cases) {
        std::set<std::string> expected, got;
        for (const auto& f : rows) {
            if (want(f)) expected.insert(f.plugin_output);
        }
        ASSERT_FALSE(expected.empty()) << filters << ": the test data must hold matches";
        std::uint64_t total_matching = 0;
        // `&filters = filters`: clang 14 cannot capture a structured binding.
        for (const auto& p : all_pages([&, &filters = filters](const std::string& cursor) {
                 return results(
                     "t1", R"({"task_id":"t1","page_size":4,"custom_fields":["plugin_output","severity"],"filters":)" +
                               filters + (cursor.empty() ? "" : R"(,"cursor":")" + cursor + "\"") + "}");
             })) {
            if (p->has("total_matching")) total_matching = p->getValue<std::uint64_t>("total_matching");
            auto arr = p->getArray("findings");
            for (std::size_t j = 0; j < arr->size(); ++j) {
                got.insert(arr->getObject(static_cast<unsigned>(j))->getValue<std::string>("plugin_output"));
            }
        }
        EXPECT_EQ(got, expected) << filters;
        EXPECT_EQ(total_matching, expected.size()) << filters;
    }
}

TEST_F(FindingQueries, ResultsShowTheProfilesFieldsAsBefore) {
    task("t1", "",
         {finding(0, "192.0.2.1", 22, 8, sdk::Severity::high), finding(1, "192.0.2.1", 0, 9, sdk::Severity::info)});
    auto brief = results_checked("t1", R"({"task_id":"t1"})");
    ASSERT_TRUE(brief) << brief.error().message;
    EXPECT_EQ(
        str((*brief)->get("fields")),
        R"(["host","plugin_id","plugin_name","severity","risk_factor","port","protocol","cvss3_base_score","cvss_base_score","cve","synopsis","solution"])");
    auto f0 = (*brief)->getArray("findings")->getObject(0);
    EXPECT_EQ(str(f0),
              R"({"host":"192.0.2.1","plugin_id":"8","plugin_name":"Check 8","severity":3,"risk_factor":"High",)"
              R"("port":"22","protocol":"tcp","cvss3_base_score":6,"cvss_base_score":null,"cve":["CVE-2024-3008"],)"
              R"("synopsis":"Synopsis of 8","solution":null})");
    auto minimal = results("t1", R"({"task_id":"t1","schema_profile":"minimal"})");
    ASSERT_TRUE(minimal);
    EXPECT_EQ(str((*minimal)->getArray("findings")->getObject(1)),
              R"({"host":"192.0.2.1","plugin_id":"9","severity":0})");
    // The large texts come back only when a field asks for them.
    auto custom = results("t1", R"({"task_id":"t1","custom_fields":["plugin_output","seen_at","host_ip"]})");
    ASSERT_TRUE(custom);
    EXPECT_EQ(str((*custom)->getArray("findings")->getObject(0)),
              R"({"plugin_output":"output 0","seen_at":"2025-12-01T00:00:00Z","host_ip":"192.0.2.1"})");
}

TEST_F(FindingQueries, ResultsRefuseBadArgumentsByName) {
    task("t1", "", many(3));
    auto unknown = results("t1", R"({"task_id":"t1","custom_fields":["host","cvss4"]})");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(unknown.error().message.find("unknown field 'cvss4' in custom_fields (valid: host, plugin_id,"),
              std::string::npos)
        << unknown.error().message;
    auto page = results("t1", R"({"task_id":"t1","page":2})");
    ASSERT_FALSE(page);
    EXPECT_NE(page.error().message.find("'page' is no longer supported"), std::string::npos) << page.error().message;
    EXPECT_NE(page.error().message.find("next_cursor as 'cursor'"), std::string::npos) << page.error().message;
    auto plugin = results("t1", R"({"task_id":"t1","filters":{"plugin_id":"ssh-check"}})");
    ASSERT_FALSE(plugin);
    EXPECT_NE(plugin.error().message.find("filters.plugin_id 'ssh-check' is not a number"), std::string::npos)
        << plugin.error().message;
    auto port = results("t1", R"({"task_id":"t1","filters":{"port":"https"}})");
    ASSERT_FALSE(port);
    EXPECT_NE(port.error().message.find("'https'"), std::string::npos) << port.error().message;
    auto size = results("t1", R"({"task_id":"t1","page_size":-3})");
    ASSERT_FALSE(size);
    EXPECT_EQ(size.error().message, "page_size must be 1..500, not -3");
    auto cursor = results("t1", R"({"task_id":"t1","cursor":"s1:t1:4"})");
    ASSERT_FALSE(cursor);
    EXPECT_EQ(cursor.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_NE(cursor.error().message.find("s1:t1:4"), std::string::npos) << cursor.error().message;

    auto running = record("t1");
    running.status = sf::TaskStatus::running;
    running.phase = sf::TaskPhase::scanning;
    running.export_path.clear();
    auto early = sf::query_results(deps_, running, args(R"({"task_id":"t1"})"));
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().message, "task t1 has no results yet (status running, phase scanning)");

    // Validated (the export has items) but never indexed: not an empty page.
    task("unindexed", "", {});
    auto old = record("unindexed");
    old.validation_stats = sdk::ValidationStats{};
    old.validation_stats->report_items = 12;
    auto missing = sf::query_results(deps_, old, args(R"({"task_id":"unindexed"})"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(missing.error().message,
              "task unindexed has 12 findings in its export but none in the findings index (it "
              "was validated before findings were indexed)");
    old.validation_stats->report_items = 0;
    auto empty = sf::query_results(deps_, old, args(R"({"task_id":"unindexed"})"));
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_EQ((*empty)->getValue<int>("total_findings"), 0);

    sf::ToolServiceDeps none;
    auto no_db = sf::query_results(none, record("t1"), args(R"({"task_id":"t1"})"));
    ASSERT_FALSE(no_db);
    EXPECT_NE(no_db.error().message.find("no store is configured"), std::string::npos);
}

TEST_F(FindingQueries, SearchSeesOnlyTheCallersAndAnonymousTasks) {
    const std::map<std::string, std::string> owner = {
        {"a1", "team-a"}, {"a2", "team-a"}, {"b1", "team-b"}, {"anon", ""}};
    for (const auto& [id, client] : owner) {
        std::vector<sdk::Finding> rows;
        for (std::uint64_t i = 0; i < 4; ++i)
            rows.push_back(finding(i, "192.0.2." + std::to_string(i + 1), 443, 2, sdk::Severity::high));
        rows.push_back(finding(4, "192.0.2.9", 22, 5, sdk::Severity::low));  // no CVE
        task(id, client, rows);
    }
    const std::map<std::string, std::set<std::string>> sees = {{"team-a", {"a1", "a2", "anon"}},
                                                               {"team-b", {"b1", "anon"}},
                                                               {"team-c", {"anon"}},
                                                               {"", {"a1", "a2", "b1", "anon"}}};
    for (const auto& [client, visible] : sees) {
        std::map<std::string, int> per_task;
        std::string cursor;
        for (int i = 0; i < 100; ++i) {
            auto r = call("search_findings",
                          R"({"cve":"cve-2024-3002","limit":3)" +
                              (cursor.empty() ? std::string() : R"(,"cursor":")" + cursor + "\"") + "}",
                          as(client));
            ASSERT_TRUE(r) << r.error().message;
            auto arr = (*r)->getArray("findings");
            EXPECT_EQ((*r)->getValue<std::size_t>("count"), arr->size());
            for (std::size_t j = 0; j < arr->size(); ++j) {
                auto f = arr->getObject(static_cast<unsigned>(j));
                ++per_task[f->getValue<std::string>("task_id")];
                EXPECT_EQ(str(f->get("cve")), R"(["CVE-2024-3002"])");
            }
            if ((*r)->isNull("next_cursor")) break;
            cursor = (*r)->getValue<std::string>("next_cursor");
        }
        std::set<std::string> tasks_seen;
        for (const auto& [id, n] : per_task) {
            tasks_seen.insert(id);
            EXPECT_EQ(n, 4) << client << " saw task " << id << " " << n << " times";
        }
        EXPECT_EQ(tasks_seen, visible) << "client '" << client << "'";
    }
}

TEST_F(FindingQueries, SearchCriteriaNarrowTheHits) {
    task("old", "",
         {finding(0, "192.0.2.1", 22, 4, sdk::Severity::critical, kT0),
          finding(1, "198.51.100.7", 443, 4, sdk::Severity::medium, kT0)});
    task("new", "",
         {finding(0, "192.0.2.1", 22, 4, sdk::Severity::critical, kT0 + 10 * kDay),
          finding(1, "192.0.2.200", 443, 6, sdk::Severity::low, kT0 + 10 * kDay),
          finding(2, "db-01.example", 443, 4, sdk::Severity::high, kT0 + 10 * kDay)},
         kT0 + 10 * kDay);
    auto hits = [&](const std::string& json) {
        std::multiset<std::string> out;
        auto r = call("search_findings", json);
        EXPECT_TRUE(r) << json << ": " << r.error().message;
        if (!r) return out;
        auto arr = (*r)->getArray("findings");
        for (std::size_t i = 0; i < arr->size(); ++i) {
            auto f = arr->getObject(static_cast<unsigned>(i));
            out.insert(f->getValue<std::string>("task_id") + "/" + f->getValue<std::string>("host"));
        }
        return out;
    };
    using S = std::multiset<std::string>;
    EXPECT_EQ(hits(R"({"plugin_id":4})"),
              (S{"old/192.0.2.1", "old/198.51.100.7", "new/192.0.2.1", "new/db-01.example"}));
    EXPECT_EQ(hits(R"({"plugin_id":"6"})"), (S{"new/192.0.2.200"}));
    EXPECT_EQ(hits(R"({"network":"192.0.2.0/25"})"), (S{"old/192.0.2.1", "new/192.0.2.1"}));
    EXPECT_EQ(hits(R"({"network":"192.0.2.128/25"})"), (S{"new/192.0.2.200"}));
    EXPECT_EQ(hits(R"({"network":"198.51.100.7"})"), (S{"old/198.51.100.7"}));
    EXPECT_EQ(hits(R"({"host":"db-01.example"})"), (S{"new/db-01.example"}));
    EXPECT_EQ(hits(R"({"cve":"CVE-2024-3004","min_severity":"high"})"),
              (S{"old/192.0.2.1", "new/192.0.2.1", "new/db-01.example"}));
    EXPECT_EQ(hits(R"({"plugin_id":4,"seen_from":"2025-12-05T00:00:00Z"})"), (S{"new/192.0.2.1", "new/db-01.example"}));
    EXPECT_EQ(hits(R"({"plugin_id":4,"seen_before":"2025-12-01T01:00:00+01:00"})"), S{})
        << "01:00+01:00 is midnight UTC, and seen_before is exclusive";
    EXPECT_EQ(hits(R"({"plugin_id":4,"seen_before":"2025-12-01T00:00:00.001Z"})"),
              (S{"old/192.0.2.1", "old/198.51.100.7"}));
}

TEST_F(FindingQueries, SearchRefusesBadCriteriaNamingTheValue) {
    task("t1", "", many(3));
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({})", "search_findings needs at least one of cve, plugin_id, host, network"},
        {R"({"network":"192.0.2.0/33"})", "network '192.0.2.0/33' is not an IPv4 network"},
        {R"({"network":"2001:db8::/32"})", "network '2001:db8::/32' is not an IPv4 network"},
        {R"({"network":"dmz"})", "network 'dmz' is not an IPv4 network"},
        {R"({"cve":"CVE-24-1"})", "cve 'CVE-24-1' is not a CVE id"},
        {R"({"cve":"CVE-2024-3094; DROP"})", "cve 'CVE-2024-3094; DROP' is not a CVE id"},
        {R"({"plugin_id":"12ab"})", "plugin_id '12ab' is not a plugin number"},
        {R"({"plugin_id":1,"limit":0})", "'limit' must be at least 1, not 0"},
        {R"({"plugin_id":1,"limit":9999})", "'limit' must be at most 500, not 9999"},
        {R"({"plugin_id":1,"seen_from":"2025-12-01"})", "seen_from '2025-12-01' is not an RFC 3339 time"},
        {R"({"plugin_id":1,"seen_before":"1764547200000"})", "seen_before '1764547200000' is not an RFC 3339 time"},
        {R"({"plugin_id":1,"seen_from":"2025-12-02T00:00:00Z","seen_before":"2025-12-01T00:00:00Z"})",
         "seen_from '2025-12-02T00:00:00Z' is not before seen_before '2025-12-01T00:00:00Z'"},
        {R"({"plugin_id":1,"cursor":"f1:3"})", "cursor 'f1:3'"},
        {R"({"plugin_id":1,"when":"now"})", "unknown argument 'when'"},
    };
    for (const auto& [json, message] : bad) {
        auto r = call("search_findings", json);
        ASSERT_FALSE(r) << json;
        EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input) << json;
        EXPECT_NE(r.error().message.find(message), std::string::npos) << json << ": " << r.error().message;
    }
    // Past the schema (a caller of the function itself), the range still holds.
    auto direct = sf::search_findings(deps_, args(R"({"plugin_id":1,"limit":9999})"), {});
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().message, "limit must be 1..500, not 9999");
}

namespace {

/// Two scans of the same hosts: what each change is, built to be counted.
std::vector<sdk::Finding> older_scan() {
    return {finding(0, "192.0.2.1", 22, 10, sdk::Severity::high),      // unchanged
            finding(1, "192.0.2.1", 443, 11, sdk::Severity::medium),   // re-rated to critical
            finding(2, "192.0.2.2", 80, 12, sdk::Severity::critical),  // fixed
            finding(3, "192.0.2.2", 80, 13, sdk::Severity::low),       // unchanged
            finding(4, "192.0.2.2", 0, 14, sdk::Severity::info),       // unchanged, info
            finding(5, "192.0.2.3", 0, 15, sdk::Severity::info)};      // fixed, info
}

std::vector<sdk::Finding> newer_scan() {
    return {finding(0, "192.0.2.1", 22, 10, sdk::Severity::high),
            finding(1, "192.0.2.1", 443, 11, sdk::Severity::critical),
            finding(2, "192.0.2.2", 80, 13, sdk::Severity::low),
            finding(3, "192.0.2.2", 0, 14, sdk::Severity::info),
            finding(4, "192.0.2.4", 8443, 16, sdk::Severity::high),  // new
            finding(5, "192.0.2.1", 22, 17, sdk::Severity::info)};   // new, info
}

std::string counts(const Obj& o) {
    return "new=" + o->get("new").toString() + " fixed=" + o->get("fixed").toString() +
           " rerated=" + o->get("rerated").toString() + " unchanged=" + o->get("unchanged").toString();
}

}  // namespace

TEST_F(FindingQueries, CompareCountsEveryKindOfChangePerHost) {
    task("before", "team-a", older_scan(), kT0);
    task("after", "team-a", newer_scan(), kT0 + kDay);
    auto r = call("compare_scans", R"({"older_task_id":"before","newer_task_id":"after","min_severity":"info"})",
                  as("team-a"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)->getObject("older")->getValue<std::string>("task_id"), "before");
    EXPECT_EQ((*r)->getObject("newer")->getValue<std::string>("task_id"), "after");
    EXPECT_EQ(counts((*r)->getObject("totals")), "new=2 fixed=2 rerated=1 unchanged=3");
    auto hosts = (*r)->getArray("hosts");
    std::map<std::string, std::string> per_host;
    for (std::size_t i = 0; i < hosts->size(); ++i) {
        auto h = hosts->getObject(static_cast<unsigned>(i));
        per_host[h->getValue<std::string>("host")] = counts(h);
    }
    EXPECT_EQ(per_host, (std::map<std::string, std::string>{{"192.0.2.1", "new=1 fixed=0 rerated=1 unchanged=1"},
                                                            {"192.0.2.2", "new=0 fixed=1 rerated=0 unchanged=2"},
                                                            {"192.0.2.3", "new=0 fixed=1 rerated=0 unchanged=0"},
                                                            {"192.0.2.4", "new=1 fixed=0 rerated=0 unchanged=0"}}));
    auto first = hosts->getObject(0);
    ASSERT_EQ(first->getValue<std::string>("host"), "192.0.2.1");
    std::set<std::string> changes;
    for (std::size_t i = 0; i < first->getArray("changes")->size(); ++i)
        changes.insert(str(first->getArray("changes")->get(static_cast<unsigned>(i))));
    EXPECT_EQ(
        changes,
        (std::set<std::string>{
            R"({"change":"rerated","port":"443","protocol":"tcp","plugin_id":"11","plugin_name":"Check 11","severity_before":2,"severity_after":4})",
            R"({"change":"new","port":"22","protocol":"tcp","plugin_id":"17","plugin_name":"Check 17","severity_before":null,"severity_after":0})"}));
    EXPECT_EQ((*r)->getArray("warnings")->size(), 0u);
    for (const char* id : {"before", "after"}) {
        EXPECT_GT(deps_.db->tasks().get(id)->last_accessed_at_ms, kT0 + kDay)
            << id << ": reading it for a comparison counts for the TTL";
    }

    // The default leaves info out; high leaves out what never reached high.
    auto low = call("compare_scans", R"({"older_task_id":"before","newer_task_id":"after"})", as("team-a"));
    ASSERT_TRUE(low) << low.error().message;
    EXPECT_EQ((*low)->getValue<std::string>("min_severity"), "low");
    EXPECT_EQ(counts((*low)->getObject("totals")), "new=1 fixed=1 rerated=1 unchanged=2");
    auto high =
        call("compare_scans",
             R"({"older_task_id":"before","newer_task_id":"after","min_severity":"high","include_changes":false})",
             as("team-a"));
    ASSERT_TRUE(high) << high.error().message;
    EXPECT_EQ(counts((*high)->getObject("totals")), "new=1 fixed=1 rerated=1 unchanged=1");
    EXPECT_FALSE((*high)->getArray("hosts")->getObject(0)->has("changes"));
}

namespace {

// The index seen through the SDK boundary: what compare_scans asks of it.
class WatchedIndex final : public sdk::FindingIndex {
public:
    explicit WatchedIndex(sdk::FindingIndex& real) : real_(real) {}
    int whole_task_compares = 0;  ///< compare(): both scans' findings held at once in the store
    std::uint32_t largest_page = 0;
    int pages_with_text = 0;

    sdk::Result<bool> append(const std::string& id, const std::string& lease,
                             const std::vector<sdk::Finding>& b) noexcept override {
        return real_.append(id, lease, b);
    }
    sdk::Result<bool> clear(const std::string& id, const std::string& lease) noexcept override {
        return real_.clear(id, lease);
    }
    sdk::Result<sdk::FindingPage> page(const sdk::FindingPageQuery& q) noexcept override {
        largest_page = std::max(largest_page, q.limit);
        pages_with_text += q.with_text ? 1 : 0;
        return real_.page(q);
    }
    sdk::Result<sdk::FindingHits> search(const sdk::FindingSearch& q) noexcept override { return real_.search(q); }
    sdk::Result<sdk::Comparison> compare(const std::string& a, const std::string& b,
                                         sdk::Severity min) noexcept override {
        ++whole_task_compares;
        return real_.compare(a, b, min);
    }

private:
    sdk::FindingIndex& real_;
};

class WatchedFindingsStore final : public sdk::Store {
public:
    explicit WatchedFindingsStore(std::shared_ptr<sdk::Store> real)
        : real_(std::move(real)), index_(real_->findings()) {}
    WatchedIndex& index() { return index_; }
    sdk::Result<void> ping() noexcept override { return real_->ping(); }
    sdk::Result<std::uint32_t> schema_version() noexcept override { return real_->schema_version(); }
    sdk::TaskTable& tasks() noexcept override { return real_->tasks(); }
    sdk::FindingIndex& findings() noexcept override { return index_; }

private:
    std::shared_ptr<sdk::Store> real_;
    WatchedIndex index_;
};

// A Comparison as compare_scans prints its hosts, for side by side checks.
std::string printed(const sdk::Comparison& c) {
    std::ostringstream out;
    out << "totals new=" << c.added << " fixed=" << c.fixed << " rerated=" << c.rerated << " unchanged=" << c.unchanged
        << "\n";
    for (const auto& h : c.hosts) {
        out << h.host << " new=" << h.added << " fixed=" << h.fixed << " rerated=" << h.rerated
            << " unchanged=" << h.unchanged << "\n";
        for (const auto& ch : h.changes) {
            out << "  " << sdk::to_string(ch.change) << " " << ch.port << "/" << ch.protocol << " " << ch.plugin_id
                << " '" << ch.plugin_name << "' " << (ch.before ? std::to_string(static_cast<int>(*ch.before)) : "-")
                << " -> " << (ch.after ? std::to_string(static_cast<int>(*ch.after)) : "-") << "\n";
        }
    }
    return out.str();
}

std::string printed(const Obj& answer) {
    std::ostringstream out;
    const auto totals = answer->getObject("totals");
    out << "totals new=" << totals->getValue<int>("new") << " fixed=" << totals->getValue<int>("fixed")
        << " rerated=" << totals->getValue<int>("rerated") << " unchanged=" << totals->getValue<int>("unchanged")
        << "\n";
    auto hosts = answer->getArray("hosts");
    for (std::size_t i = 0; i < hosts->size(); ++i) {
        auto h = hosts->getObject(static_cast<unsigned>(i));
        out << h->getValue<std::string>("host") << " new=" << h->getValue<int>("new")
            << " fixed=" << h->getValue<int>("fixed") << " rerated=" << h->getValue<int>("rerated")
            << " unchanged=" << h->getValue<int>("unchanged") << "\n";
        auto changes = h->getArray("changes");
        for (std::size_t j = 0; changes && j < changes->size(); ++j) {
            auto ch = changes->getObject(static_cast<unsigned>(j));
            const auto sev = [&](const char* k) { return ch->isNull(k) ? std::string("-") : ch->get(k).toString(); };
            out << "  " << ch->getValue<std::string>("change") << " " << ch->getValue<std::string>("port") << "/"
                << ch->getValue<std::string>("protocol") << " " << ch->getValue<std::string>("plugin_id") << " '"
                << ch->getValue<std::string>("plugin_name") << "' " << sev("severity_before") << " -> "
                << sev("severity_after") << "\n";
        }
    }
    return out.str();
}

// Line by line, naming the first that differs (the answers run to thousands).
void expect_same_lines(const std::string& got, const std::string& want, const std::string& what) {
    std::istringstream a(got), b(want);
    std::string la, lb;
    for (int n = 1;; ++n) {
        const bool more_a = static_cast<bool>(std::getline(a, la)), more_b = static_cast<bool>(std::getline(b, lb));
        if (!more_a && !more_b) return;
        if (!more_a || !more_b || la != lb) {
            ADD_FAILURE() << what << ": line " << n << " is '" << (more_a ? la : "(end)") << "', the index says '"
                          << (more_b ? lb : "(end)") << "'";
            return;
        }
    }
}

// Two large scans whose hosts interleave in export order (so no host's
// findings are contiguous), with results reported twice with another
// severity, several protocols, and more findings than one page holds. A
// plugin keeps one name within a scan, as in a real export: which name a
// result reported twice under two names shows is not part of the contract.
std::vector<sdk::Finding> interleaved_scan(std::uint64_t salt) {
    std::vector<sdk::Finding> out;
    for (std::uint64_t i = 0; i < 4500; ++i) {
        const auto n = i * 7 + salt;
        auto f = finding(i, "192.0.2." + std::to_string(1 + (n % 61)), n % 5 == 0 ? 0 : 443 + (n % 3),
                         100 + (n * 13) % 47, static_cast<sdk::Severity>((n / 3 + salt) % 5));
        f.protocol = n % 4 == 0 ? "udp" : "tcp";
        out.push_back(f);
    }
    for (std::uint64_t i = 0; i < 300; ++i) {  // the same results again, later in the export
        auto f = out[i * 11];
        f.seq = out.size();
        f.severity = static_cast<sdk::Severity>((static_cast<int>(f.severity) + 2) % 5);
        out.push_back(f);
    }
    return out;
}

}  // namespace

// compare_scans gives the index's own answer (FindingIndex::compare) while
// holding one host at a time: it pages both scans in bounded pages without
// the large texts, and never asks the store to compare whole tasks at once.
TEST_F(FindingQueries, CompareReadsBoundedPagesAndAnswersAsTheIndexWould) {
    task("big-before", "team-a", interleaved_scan(0), kT0);
    task("big-after", "team-a", interleaved_scan(3), kT0 + kDay);
    auto real = deps_.db;
    auto watched = std::make_shared<WatchedFindingsStore>(real);
    auto deps = deps_;
    deps.db = watched;
    sf::HostToolService service(deps);
    for (const char* min : {"info", "low", "high", "critical"}) {
        const auto expected = real->findings().compare("big-before", "big-after", *sdk::parse_severity(min));
        ASSERT_TRUE(expected) << expected.error().message;
        auto r = service.call(
            "compare_scans",
            std::string(R"({"older_task_id":"big-before","newer_task_id":"big-after","min_severity":")") + min + "\"}",
            as("team-a"));
        ASSERT_TRUE(r) << r.error().message;
        expect_same_lines(printed(args(*r)), printed(*expected), std::string("min_severity ") + min);
    }
    EXPECT_EQ(watched->index().whole_task_compares, 0) << "a whole-task comparison holds both scans in memory";
    EXPECT_GT(watched->index().largest_page, 0u);
    EXPECT_LE(watched->index().largest_page, 2000u);
    EXPECT_EQ(watched->index().pages_with_text, 0) << "no page needs the large text fields";
}

TEST_F(FindingQueries, ComparePicksThePreviousCompletedScanOfTheSameTargets) {
    const std::string targets = "192.0.2.0/28";
    task("first", "team-a", older_scan(), kT0, targets);
    task("broken", "team-a", older_scan(), kT0 + 1 * kDay, targets, sdk::TaskState::failed);
    task("elsewhere", "team-a", older_scan(), kT0 + 2 * kDay, "198.51.100.0/24");
    task("theirs", "team-b", older_scan(), kT0 + 3 * kDay, targets);
    task("latest", "team-a", newer_scan(), kT0 + 4 * kDay, targets);
    task("later", "team-a", older_scan(), kT0 + 5 * kDay, targets);  // after: never "previous"
    auto older_of = [&](const std::string& id, const std::string& client) -> std::string {
        auto r = call("compare_scans", R"({"task_id":")" + id + "\"}", as(client));
        if (!r) return "error: " + r.error().message;
        EXPECT_EQ((*r)->getObject("newer")->getValue<std::string>("task_id"), id);
        return (*r)->getObject("older")->getValue<std::string>("task_id");
    };
    EXPECT_EQ(older_of("latest", "team-a"), "first") << "not the failed one, another target's, or another client's";
    EXPECT_EQ(older_of("latest", ""), "theirs") << "an operator sees every client's scans";
    EXPECT_EQ(older_of("later", "team-a"), "latest");
    auto none = call("compare_scans", R"({"task_id":"first"})", as("team-a"));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(none.error().message,
              "no completed scan of the same targets ('192.0.2.0/28') before task first; pass "
              "older_task_id and newer_task_id to compare other scans");
    auto only_theirs = call("compare_scans", R"({"task_id":"theirs"})", as("team-b"));
    ASSERT_FALSE(only_theirs) << "team-a's earlier scan is not team-b's to compare with";
    EXPECT_EQ(only_theirs.error().kind, sdk::ErrorKind::not_found);
}

TEST_F(FindingQueries, CompareRefusesInvisibleUnfinishedAndIllFormedRequests) {
    task("mine", "team-a", older_scan(), kT0);
    task("theirs", "team-b", newer_scan(), kT0 + kDay);
    task("running", "team-a", {}, kT0 + 2 * kDay, "192.0.2.0/28", sdk::TaskState::running);
    task("empty", "", {}, kT0 + 3 * kDay);
    auto invisible = call("compare_scans", R"({"older_task_id":"mine","newer_task_id":"theirs"})", as("team-a"));
    ASSERT_FALSE(invisible);
    EXPECT_EQ(invisible.error().kind, sdk::ErrorKind::not_found);
    EXPECT_EQ(invisible.error().message, "no task 'theirs'") << "the same answer as for a task that does not exist";
    auto missing = call("compare_scans", R"({"older_task_id":"mine","newer_task_id":"nope"})", as("team-a"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "no task 'nope'");
    auto running = call("compare_scans", R"({"older_task_id":"mine","newer_task_id":"running"})", as("team-a"));
    ASSERT_FALSE(running);
    EXPECT_EQ(running.error().kind, sdk::ErrorKind::invalid_input);
    EXPECT_EQ(running.error().message,
              "task running is running, not completed: compare_scans compares completed scans");
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({})", "pass task_id, or older_task_id and newer_task_id"},
        {R"({"older_task_id":"mine"})", "newer_task_id is required with older_task_id"},
        {R"({"task_id":"mine","older_task_id":"mine"})", "pass either task_id"},
        {R"({"older_task_id":"mine","newer_task_id":"mine"})", "older_task_id and newer_task_id are both 'mine'"},
        {R"({"task_id":"mine","min_severity":"severe"})",
         "'min_severity' must be one of critical, high, medium, low, info"},
    };
    for (const auto& [json, message] : bad) {
        auto r = call("compare_scans", json, as("team-a"));
        ASSERT_FALSE(r) << json;
        EXPECT_EQ(r.error().kind, sdk::ErrorKind::invalid_input) << json;
        EXPECT_NE(r.error().message.find(message), std::string::npos) << json << ": " << r.error().message;
    }
    // A completed scan with nothing indexed compares, with a warning saying why it is empty.
    auto warned = call("compare_scans", R"({"older_task_id":"mine","newer_task_id":"empty"})", as("team-a"));
    ASSERT_TRUE(warned) << warned.error().message;
    EXPECT_EQ(counts((*warned)->getObject("totals")), "new=0 fixed=4 rerated=0 unchanged=0");
    ASSERT_EQ((*warned)->getArray("warnings")->size(), 1u);
    EXPECT_NE(
        (*warned)->getArray("warnings")->getElement<std::string>(0).find("task empty has no findings in the index"),
        std::string::npos);
}

TEST_F(FindingQueries, TheNewToolsArePublishedWithTheirSchemas) {
    std::map<std::string, sdk::ToolInfo> tools;
    for (const auto& t : service_->tools()) tools[t.name] = t;
    for (const char* name : {"get_scan_results", "search_findings", "compare_scans"}) {
        ASSERT_TRUE(tools.count(name)) << name;
        EXPECT_TRUE(tools[name].read_only) << name;
        auto in = args(tools[name].input_schema_json);
        auto out = args(tools[name].output_schema_json);
        EXPECT_EQ(in->getValue<std::string>("type"), "object") << name;
        EXPECT_EQ(out->getValue<std::string>("type"), "object") << name;
    }
    EXPECT_TRUE(args(tools["get_scan_results"].input_schema_json)->getObject("properties")->has("cursor"));
    EXPECT_TRUE(args(tools["get_scan_results"].output_schema_json)->getObject("properties")->has("next_cursor"));
    const std::set<std::string> search_in = {"cve",       "plugin_id",   "host",  "network", "min_severity",
                                             "seen_from", "seen_before", "limit", "cursor"};
    std::set<std::string> published;
    const auto properties = args(tools["search_findings"].input_schema_json)->getObject("properties");
    for (const auto& [k, v] : *properties) published.insert(k);
    EXPECT_EQ(published, search_in);
}
