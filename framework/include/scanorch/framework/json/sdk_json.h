// JSON forms of SDK values, shared by scanorchctl --json, the tool service
// and task.json, so every surface spells a field the same way.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "scanorch/sdk/types.h"

namespace scanorch::framework {

Poco::JSON::Object::Ptr to_json(const sdk::ValidationStats& stats);
/// {is_valid, error, warnings, stats, authentication_status, failure_reason}
Poco::JSON::Object::Ptr to_json(const sdk::ValidationResult& result);
Poco::JSON::Object::Ptr to_json(const sdk::QueueTask& task);
Poco::JSON::Object::Ptr to_json(const sdk::DlqEntry& entry);
Poco::JSON::Object::Ptr to_json(const sdk::QueueDepths& depths);

std::string stringify(const Poco::JSON::Object::Ptr& obj, unsigned indent = 0);

}  // namespace scanorch::framework
