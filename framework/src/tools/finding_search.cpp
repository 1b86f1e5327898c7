// search_findings: which of the caller's scans saw a CVE, a plugin, a host or
// a network, straight from the findings index.
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>

#include <charconv>
#include <regex>
#include <stdexcept>

#include "finding_fields.h"
#include "scanorch/framework/net/cidr.h"
#include "scanorch/framework/tools/caller_visibility.h"
#include "scanorch/framework/tools/result_queries.h"
#include "tool_json.h"

namespace scanorch::framework {

using tools::Obj;
using tools::text;

namespace {

constexpr std::uint32_t kMaxLimit = 500;

// What a hit shows: enough to tell where and how bad, without the texts
// (get_scan_results of the hit's task has them).
const std::vector<std::string> kHitFields = {"host",        "host_ip",  "port", "protocol",         "plugin_id",
                                             "plugin_name", "severity", "cve",  "cvss3_base_score", "cvss_base_score",
                                             "seen_at"};

std::string cve_id(const std::string& s) {
    static const std::regex kCve("CVE-[0-9]{4}-[0-9]{4,}", std::regex::icase);
    if (!std::regex_match(s, kCve)) throw std::invalid_argument("cve '" + s + "' is not a CVE id (CVE-2024-3094)");
    std::string up = s;
    for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return up;
}

std::uint64_t plugin_id(const Poco::Dynamic::Var& v) {
    const std::string s = v.convert<std::string>();
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n == 0) {
        throw std::invalid_argument("plugin_id '" + s + "' is not a plugin number");
    }
    return n;
}

std::string ipv4_network(const std::string& s) {
    auto c = Cidr::parse(s);
    if (!c || c->network.v6) throw std::invalid_argument("network '" + s + "' is not an IPv4 network (192.0.2.0/24)");
    return c->str();
}

// RFC 3339 only (one form, so "2026-12-01" or "12/01/2026" never means a
// guessed time zone or day order).
std::int64_t rfc3339_ms(const std::string& s, const char* what) {
    static const std::regex kShape(
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})");
    int tz = 0;
    Poco::DateTime dt;
    if (!std::regex_match(s, kShape) || !Poco::DateTimeParser::tryParse(s, dt, tz)) {
        throw std::invalid_argument(std::string(what) + " '" + s + "' is not an RFC 3339 time (2026-12-01T00:00:00Z)");
    }
    return (dt.timestamp().epochMicroseconds() - static_cast<std::int64_t>(tz) * 1000000) / 1000;
}

sdk::Result<Obj> search(const ToolServiceDeps& d, const Obj& a, const sdk::CallContext& c) {
    sdk::FindingSearch q;
    if (a->has("cve")) q.cve = cve_id(text(a, "cve"));
    if (a->has("plugin_id")) q.plugin_id = plugin_id(a->get("plugin_id"));
    if (a->has("host")) {
        q.host = text(a, "host");
        if (q.host.empty()) return sdk::Error::invalid_input("host must not be empty");
    }
    if (a->has("network")) q.network = ipv4_network(text(a, "network"));
    if (a->has("min_severity")) q.min_severity = tools::severity_word(text(a, "min_severity"), "min_severity");
    if (a->has("seen_from")) q.seen_from_ms = rfc3339_ms(text(a, "seen_from"), "seen_from");
    if (a->has("seen_before")) q.seen_before_ms = rfc3339_ms(text(a, "seen_before"), "seen_before");
    if (q.cve.empty() && !q.plugin_id && q.host.empty() && q.network.empty() && !q.min_severity && !q.seen_from_ms &&
        !q.seen_before_ms) {
        return sdk::Error::invalid_input(
            "search_findings needs at least one of cve, plugin_id, host, network, min_severity, seen_from, seen_before");
    }
    if (q.seen_from_ms && q.seen_before_ms && q.seen_from_ms >= q.seen_before_ms) {
        return sdk::Error::invalid_input("seen_from '" + text(a, "seen_from") + "' is not before seen_before '" +
                                         text(a, "seen_before") + "'");
    }
    const std::int64_t limit = a->has("limit") ? a->getValue<std::int64_t>("limit") : 100;
    if (limit < 1 || limit > kMaxLimit) {
        return sdk::Error::invalid_input("limit must be 1.." + std::to_string(kMaxLimit) + ", not " +
                                         std::to_string(limit));
    }
    q.limit = static_cast<std::uint32_t>(limit);
    q.cursor = text(a, "cursor");
    q.clients = visible_clients(c);
    if (!d.db) return sdk::Error::internal("search_findings needs the findings index, and no store is configured");
    auto hits = d.db->findings().search(q);
    if (!hits) return std::move(hits).error();

    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& h : hits->hits) {
        auto o = tools::object();
        o->set("task_id", h.task_id);
        tools::put_finding(*o, h.finding, kHitFields);
        arr->add(o);
    }
    Obj o = tools::object();
    o->set("findings", arr);
    o->set("count", arr->size());
    o->set("next_cursor", tools::null_if_empty(hits->next_cursor));
    return o;
}

}  // namespace

sdk::Result<Obj> search_findings(const ToolServiceDeps& d, const Obj& a, const sdk::CallContext& c) {
    return tools::refusing_bad_input([&] { return search(d, a, c); });
}

}  // namespace scanorch::framework
