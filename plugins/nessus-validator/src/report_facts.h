// What one streaming pass over a .nessus export learns: structure, counts,
// and per host the evidence the authentication classifier needs. Small
// whatever the file's size: text is kept only for the few plugins that
// matter, and only its first lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/types.h"

namespace scanorch::nessus_validator {

/// One plugin result that says something about authentication.
struct Evidence {
    std::string plugin_id;
    std::string plugin_name;
    std::string port;    ///< "22", "445", "0"
    std::string detail;  ///< the plugin output's telling line(s)
};

struct HostFacts {
    std::string name;
    std::uint64_t items = 0;
    sdk::SeverityBreakdown severity;
    std::uint64_t auth_only_results = 0;

    bool has_19506 = false;
    std::optional<bool> credentialed_checks;  ///< 19506's "Credentialed checks : yes|no" line
    std::string credentialed_line;            ///< that line, trimmed
    std::optional<bool> credentialed_tag;     ///< HostProperties Credentialed_Scan
    bool host_start = false;
    bool host_end = false;

    std::vector<Evidence> success;
    std::vector<Evidence> failure;
    std::vector<Evidence> issues;
    std::vector<Evidence> not_attempted;
    std::vector<Evidence> scan_errors;
};

struct ReportFacts {
    std::string root;           ///< name of the root element
    std::uint32_t reports = 0;  ///< <Report> elements
    std::uint64_t report_items = 0;
    std::vector<HostFacts> hosts;
};

}  // namespace scanorch::nessus_validator
