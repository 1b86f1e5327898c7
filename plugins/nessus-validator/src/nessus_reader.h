// Streams a .nessus file once through a SAX parser (Poco::XML over expat)
// and collects ReportFacts, and, when given a sink, sends every ReportItem
// to it as an sdk::Finding on the way. Constant memory whatever the file
// size (one finding at a time, its texts capped); no limit on text-node
// length (real exports have 900 KB ones).
#pragma once

#include <istream>
#include <string>

#include "report_facts.h"
#include "scanorch/sdk/findings.h"
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
    std::optional<sdk::Error> stopped;    ///< the sink's error that ended the pass early
};

/// `sink` (optional) receives the ReportItems of a <NessusClientData_v2>
/// export, seq from 0 in file order; an error from it stops the pass
/// (`stopped`, and the facts are then incomplete).
ReadOutcome read_report(std::istream& in, const ValidatorConfig& config, sdk::FindingSink* sink = nullptr);

/// Milliseconds since the epoch of a HOST_END tag: asctime ("Mon Jul  1
/// 11:40:48 2013", no zone: taken as UTC) or ISO 8601 with a zone; 0 when
/// the text is neither.
std::int64_t parse_host_end(const std::string& text);

/// The value of 19506's "Credentialed checks" line, if the text has one.
/// Anchored at the start of a line (after indentation), so "Thorough tests :
/// no" or an account named "yes" never matches. `line_out` receives the line.
std::optional<bool> parse_credentialed_checks(const std::string& text, std::string* line_out = nullptr);

}  // namespace scanorch::nessus_validator
