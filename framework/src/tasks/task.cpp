#include "scanorch/framework/tasks/task.h"

#include <Poco/JSON/Array.h>

namespace scanorch::framework {

Poco::JSON::Object::Ptr TaskRecord::to_json() const {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("task_id", task_id);
    o->set("trace_id", trace_id);
    o->set("scan_type", scan_type);
    o->set("name", name);
    o->set("description", description);
    o->set("targets", targets);
    o->set("status", status);
    o->set("phase", phase);
    o->set("progress", progress);
    o->set("scanner_instance", scanner_instance);
    o->set("scanner_url", scanner_url);
    o->set("scanner_pool", scanner_pool);
    o->set("requested_scanner", requested_scanner);
    o->set("requested_pool", requested_pool);
    o->set("queue", queue);
    o->set("scan_id", scan_id);
    o->set("attempts", attempts);
    o->set("dead_letter", dead_letter);
    o->set("client", client);
    o->set("client_cap", client_cap);
    o->set("idempotency_key", idempotency_key);
    o->set("created_at", created_at);
    o->set("started_at", started_at);
    o->set("completed_at", completed_at);
    o->set("last_accessed_at", last_accessed_at);
    o->set("error", error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(error));
    o->set("error_kind", error_kind);
    o->set("export_path", export_path);
    o->set("authentication_status", authentication_status);
    Poco::JSON::Array::Ptr w = new Poco::JSON::Array;
    for (const auto& s : validation_warnings) w->add(s);
    o->set("validation_warnings", w);
    o->set("validation_stats", validation_stats ? Poco::Dynamic::Var(validation_stats) : Poco::Dynamic::Var());
    return o;
}

TaskRecord TaskRecord::from_json(const Poco::JSON::Object::Ptr& o) {
    TaskRecord t;
    auto s = [&](const char* k) { return o->has(k) && !o->isNull(k) ? o->getValue<std::string>(k) : std::string(); };
    auto i = [&](const char* k) { return o->has(k) && !o->isNull(k) ? o->getValue<std::int64_t>(k) : std::int64_t{0}; };
    t.task_id = s("task_id");
    t.trace_id = s("trace_id");
    t.scan_type = s("scan_type");
    t.name = s("name");
    t.description = s("description");
    t.targets = s("targets");
    t.status = s("status");
    t.phase = s("phase");
    t.progress = static_cast<int>(i("progress"));
    t.scanner_instance = s("scanner_instance");
    t.scanner_url = s("scanner_url");
    t.scanner_pool = s("scanner_pool");
    t.requested_scanner = s("requested_scanner");
    t.requested_pool = s("requested_pool");
    t.queue = s("queue");
    t.scan_id = s("scan_id");
    t.attempts = static_cast<std::uint32_t>(i("attempts"));
    t.dead_letter = o->has("dead_letter") && o->getValue<bool>("dead_letter");
    t.client = s("client");
    t.client_cap = static_cast<std::uint32_t>(i("client_cap"));
    t.idempotency_key = s("idempotency_key");
    t.created_at = i("created_at");
    t.started_at = i("started_at");
    t.completed_at = i("completed_at");
    t.last_accessed_at = i("last_accessed_at");
    t.error = s("error");
    t.error_kind = s("error_kind");
    t.export_path = s("export_path");
    t.authentication_status = s("authentication_status");
    if (auto w = o->getArray("validation_warnings")) {
        for (std::size_t n = 0; n < w->size(); ++n) t.validation_warnings.push_back(w->getElement<std::string>(n));
    }
    t.validation_stats = o->getObject("validation_stats");
    return t;
}

}  // namespace scanorch::framework
