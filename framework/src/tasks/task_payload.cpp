#include "scanorch/framework/tasks/task_payload.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "scanorch/framework/json/json_writer.h"

namespace scanorch::framework {

std::string make_payload(const TaskRecord& t, const std::string& sealed) {
    Poco::JSON::Object o;
    o.set("task_id", t.task_id);
    o.set("scan_type", std::string(sdk::to_string(t.scan_type)));
    o.set("targets", t.targets);
    o.set("name", t.name);
    o.set("description", t.description);
    o.set("credentials", sealed);
    return json_text(o);
}

std::string sealed_credentials_of(const std::string& payload) {
    try {
        auto o = Poco::JSON::Parser().parse(payload).extract<Poco::JSON::Object::Ptr>();
        return o ? o->optValue<std::string>("credentials", "") : "";
    } catch (const Poco::Exception&) {
        return "";
    }
}

}  // namespace scanorch::framework
