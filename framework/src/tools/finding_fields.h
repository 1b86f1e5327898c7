// The fields a finding shows in the tools' answers, and the detail levels
// (schema_profile) that pick them: one mapping from the SDK's Finding, so
// get_scan_results and search_findings print a finding the same way, and
// the host needs to know no scanner's file format. Internal to the tools.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/store.h"

namespace scanorch::framework::tools {

/// Every field a finding can show, in the order the full profile lists them.
const std::vector<std::string>& all_finding_fields();

/// The fields of a detail level (minimal, summary, brief, full); nullopt for
/// another word.
std::optional<std::vector<std::string>> profile_fields(const std::string& profile);

/// Whether any of `fields` is one of the large texts (description, see_also,
/// plugin_output) that the index returns only when asked (with_text).
bool needs_text(const std::vector<std::string>& fields);

/// `f` as a JSON object with exactly `fields`, in that order. A text the
/// scanner did not give is null; plugin_id and port are strings and
/// severity is Nessus's 0..4, as get_scan_results has always printed them.
Poco::JSON::Object::Ptr finding_object(const sdk::Finding& f, const std::vector<std::string>& fields);
/// The same fields, added to `o` after what it holds.
void put_finding(Poco::JSON::Object& o, const sdk::Finding& f, const std::vector<std::string>& fields);

/// "critical", "high", "medium", "low", "info"; throws invalid_argument
/// naming the word and `what` otherwise.
sdk::Severity severity_word(const std::string& word, const std::string& what);

}  // namespace scanorch::framework::tools
