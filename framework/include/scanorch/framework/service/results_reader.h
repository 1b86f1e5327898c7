// Findings from a task's .nessus export, for get_scan_results: one streaming
// pass, filters applied on the fly, only the requested page kept in memory.
#pragma once

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scanorch/sdk/result.h"

namespace scanorch::framework {

struct ResultsQuery {
    std::uint64_t page = 1;
    std::uint64_t page_size = 50;
    std::vector<std::string> fields;  ///< output fields, in order
    std::optional<int> min_severity;
    std::set<int> severities;         ///< empty = any
    std::string host;                 ///< exact ReportHost name
    std::string plugin_id;
    std::string port;
    std::optional<double> min_cvss;   ///< cvss3_base_score, else cvss_base_score
    std::string text;                 ///< case-insensitive, in name/synopsis/output
};

struct ResultsPage {
    Poco::JSON::Array::Ptr findings;
    std::uint64_t total_matching = 0;
    std::uint64_t total_findings = 0;
};

/// The fields of each detail level (schema_profile).
std::vector<std::string> profile_fields(const std::string& profile);
/// Every field get_scan_results can return.
const std::vector<std::string>& all_result_fields();

sdk::Result<ResultsPage> read_results(const std::string& path, const ResultsQuery& query);

}  // namespace scanorch::framework
