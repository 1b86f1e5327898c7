// Streams an nmap XML report (-oX) once through a SAX parser (Poco::XML over
// expat) and collects what validation needs; given a sink, sends every open
// port to it as an sdk::Finding on the way. Memory: one port at a time, and
// per host only its name and counts.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "scanorch/sdk/findings.h"
#include "scanorch/sdk/result.h"

namespace scanorch::nmap {

struct HostFacts {
    std::string address;  ///< the first <address> (ipv4/ipv6), else the first hostname
    bool up = false;      ///< <status state="up">
    std::uint64_t open_ports = 0;
};

/// An NSE script whose output says it failed.
struct ScriptFailure {
    std::string host;
    std::string where;   ///< "443/tcp", or "host" for a host script
    std::string script;  ///< its id
    std::string output;  ///< the first line
};

struct ReportFacts {
    std::string root;  ///< name of the root element
    std::string nmap_version;
    bool finished = false;      ///< <runstats><finished> seen
    std::string finished_exit;  ///< its exit attribute ("success", "error")
    std::string error_message;  ///< its errormsg attribute
    std::vector<HostFacts> hosts;
    std::vector<ScriptFailure> script_failures;
    std::uint64_t open_ports = 0;
};

struct ParseFailure {
    std::string message;
    int line = 0;
    int column = 0;
};

struct ReadOutcome {
    ReportFacts facts;
    std::optional<ParseFailure> failure;  ///< the XML is not well-formed
    std::optional<sdk::Error> stopped;    ///< the sink's error that ended the pass early
};

/// `sink` (optional) receives each open port of an <nmaprun> report, seq
/// from 0 in file order; an error from it stops the pass.
ReadOutcome read_report(std::istream& in, sdk::FindingSink* sink = nullptr);

/// True when an NSE script's output reports that the script itself failed.
bool script_failed(const std::string& output);

}  // namespace scanorch::nmap
