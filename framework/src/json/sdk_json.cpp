#include "scanorch/framework/json/sdk_json.h"

#include <Poco/JSON/Array.h>

#include <cmath>
#include <sstream>

#include "scanorch/framework/json/json_writer.h"

namespace scanorch::framework {

Poco::JSON::Object::Ptr to_json(const sdk::ValidationStats& s) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("hosts_scanned", s.hosts_scanned);
    o->set("hosts_expected", s.hosts_expected);
    o->set("total_vulnerabilities", s.total_vulnerabilities);
    Poco::JSON::Object::Ptr sev = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    sev->set("critical", s.severity_breakdown.critical);
    sev->set("high", s.severity_breakdown.high);
    sev->set("medium", s.severity_breakdown.medium);
    sev->set("low", s.severity_breakdown.low);
    sev->set("info", s.severity_breakdown.info);
    o->set("severity_breakdown", sev);
    o->set("report_items", s.report_items);
    o->set("auth_plugins", s.auth_plugins);
    o->set("unauth_plugins", s.unauth_plugins);
    o->set("file_size_bytes", s.file_size_bytes);
    o->set("file_size_mb", std::round(s.file_size_mb * 100.0) / 100.0);
    Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
    for (const auto& h : s.hosts) {
        Poco::JSON::Object::Ptr ho = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        ho->set("name", h.name);
        ho->set("credentialed", h.credentialed);
        ho->set("items", h.items);
        ho->set("authentication", std::string(sdk::to_string(h.auth)));
        if (!h.auth_evidence.empty()) ho->set("evidence", h.auth_evidence);
        hosts->add(ho);
    }
    o->set("hosts", hosts);
    return o;
}

Poco::JSON::Object::Ptr to_json(const sdk::ValidationResult& r) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("is_valid", r.is_valid);
    o->set("error", r.error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.error));
    if (!r.failure_reason.empty()) o->set("failure_reason", r.failure_reason);
    Poco::JSON::Array::Ptr w = new Poco::JSON::Array;
    for (const auto& s : r.warnings) w->add(s);
    o->set("warnings", w);
    o->set("authentication_status", std::string(sdk::to_string(r.authentication_status)));
    o->set("stats", to_json(r.stats));
    return o;
}

Poco::JSON::Object::Ptr to_json(const sdk::QueueTask& t) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("task_id", t.task_id);
    o->set("queue", t.scanner_id.empty() ? std::string("global") : t.scanner_id);
    o->set("enqueued_at_ms", t.enqueued_at_ms);
    o->set("attempts", t.attempts);
    return o;
}

Poco::JSON::Object::Ptr to_json(const sdk::DlqEntry& e) {
    Poco::JSON::Object::Ptr o = to_json(e.task);
    o->set("reason", e.reason);
    o->set("failed_at_ms", e.failed_at_ms);
    return o;
}

Poco::JSON::Object::Ptr to_json(const sdk::QueueDepths& d) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::uint64_t queued = d.global;
    for (const auto& s : d.scanners) queued += s.queued;
    o->set("total_queued", queued);
    o->set("global", d.global);
    o->set("dead_letter", d.dead_letter);
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : d.scanners) {
        Poco::JSON::Object::Ptr so = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        so->set("scanner", s.scanner_id);
        so->set("queued", s.queued);
        so->set("running", s.running);
        arr->add(so);
    }
    o->set("scanners", arr);
    return o;
}

std::string stringify(const Poco::JSON::Object::Ptr& obj, unsigned indent) {
    if (indent == 0) return json_text(obj);
    std::ostringstream out;
    obj->stringify(out, indent);
    return out.str();
}

}  // namespace scanorch::framework
