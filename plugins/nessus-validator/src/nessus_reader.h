// Streams a .nessus file once through a SAX parser (Poco::XML over expat)
// and collects ReportFacts. Constant memory whatever the file size; no limit
// on text-node length (real exports have 900 KB ones).
#pragma once

#include <istream>
#include <string>

#include "report_facts.h"
#include "scanorch/sdk/result.h"
#include "validator_config.h"

namespace scanorch::nessus_validator {

/// A parse failure, with where it happened.
struct ParseFailure {
    std::string message;  ///< e.g. "not well-formed (invalid token)"
    int line = 0;
    int column = 0;
};

struct ReadOutcome {
    ReportFacts facts;
    std::optional<ParseFailure> failure;  ///< set when the XML is not well-formed
};

ReadOutcome read_report(std::istream& in, const ValidatorConfig& config);

/// The value of 19506's "Credentialed checks" line, if the text has one.
/// Anchored at the start of a line (after indentation), so "Thorough tests :
/// no" or an account named "yes" never matches. `line` receives the line.
std::optional<bool> parse_credentialed_checks(const std::string& plugin_output, std::string* line = nullptr);

}  // namespace scanorch::nessus_validator
