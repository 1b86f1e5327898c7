#include "nmap_reader.h"

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <cctype>
#include <charconv>

#include "service_finding.h"

namespace scanorch::nmap {

namespace {

// Script outputs are kept up to here: enough for a finding's text and a
// warning, never megabytes from a hostile file.
constexpr std::size_t kMaxScriptOutput = 16 * 1024;
constexpr std::size_t kMaxCpe = 256;
constexpr std::size_t kMaxPerPort = 64;     // CPEs, scripts
constexpr std::size_t kMaxFailures = 1000;  // script failures listed; the validator names 20

std::uint32_t number(const std::string& text) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size() ? v : 0;
}

std::string first_line(const std::string& text) {
    std::size_t from = 0;
    while (from < text.size() && std::isspace(static_cast<unsigned char>(text[from]))) ++from;
    const auto nl = text.find('\n', from);
    return text.substr(from, std::min<std::size_t>(nl == std::string::npos ? text.size() : nl, from + 200) - from);
}

class Handler final : public Poco::XML::ContentHandler {
public:
    Handler(sdk::FindingSink* sink, std::istream& in) : sink_(sink), in_(in) {}

    ReportFacts facts;
    std::optional<sdk::Error> stopped;

    void setDocumentLocator(const Poco::XML::Locator*) override {}
    void startDocument() override {}
    void endDocument() override {}
    // nmap puts everything in attributes but the text of <cpe>.
    void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
        if (!in_cpe_) return;
        auto& cpe = port_.cpes.back();
        const auto n = static_cast<std::size_t>(length);
        if (cpe.size() < kMaxCpe) cpe.append(ch + start, std::min(n, kMaxCpe - cpe.size()));
    }
    void ignorableWhitespace(const Poco::XML::XMLChar[], int, int) override {}
    void processingInstruction(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
    void startPrefixMapping(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
    void endPrefixMapping(const Poco::XML::XMLString&) override {}
    void skippedEntity(const Poco::XML::XMLString&) override {}

    void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&, const Poco::XML::XMLString& name,
                      const Poco::XML::Attributes& a) override {
        ++depth_;
        if (depth_ == 1) {
            facts.root = name;
            in_run_ = name == "nmaprun";
            if (in_run_) facts.nmap_version = a.getValue("version");
            return;
        }
        if (!in_run_) return;
        if (name == "host" && depth_ == 2) {
            facts.hosts.emplace_back();
            host_ = &facts.hosts.back();
            host_end_ms_ = static_cast<std::int64_t>(number(a.getValue("endtime"))) * 1000;
            host_ip_.clear();
            return;
        }
        if (name == "finished" && depth_ == 3) {
            facts.finished = true;
            facts.finished_exit = a.getValue("exit");
            facts.error_message = a.getValue("errormsg");
            return;
        }
        if (host_ == nullptr) return;
        if (name == "status" && depth_ == 3) {
            host_->up = a.getValue("state") == "up";
        } else if (name == "address" && depth_ == 3) {
            const auto& type = a.getValue("addrtype");
            if ((type == "ipv4" || type == "ipv6") && host_ip_.empty()) {
                host_ip_ = a.getValue("addr");
                host_->address = host_ip_;
            }
        } else if (name == "hostname" && host_->address.empty()) {
            host_->address = a.getValue("name");
        } else if (name == "port") {
            port_ = PortRecord{};
            in_port_ = true;
            port_.protocol = a.getValue("protocol");
            port_.port = number(a.getValue("portid"));
        } else if (in_port_ && name == "state") {
            port_.state = a.getValue("state");
        } else if (in_port_ && name == "service") {
            port_.service = a.getValue("name");
            port_.product = a.getValue("product");
            port_.version = a.getValue("version");
            port_.extrainfo = a.getValue("extrainfo");
            port_.tunnel = a.getValue("tunnel");
            port_.method = a.getValue("method");
            port_.conf = a.getValue("conf");
        } else if (in_port_ && name == "cpe" && port_.cpes.size() < kMaxPerPort) {
            in_cpe_ = true;
            port_.cpes.emplace_back();
        } else if (name == "script") {
            std::string output = a.getValue("output");
            if (output.size() > kMaxScriptOutput) output.resize(kMaxScriptOutput);
            const std::string id = a.getValue("id");
            if (script_failed(output) && facts.script_failures.size() < kMaxFailures) {
                facts.script_failures.push_back({host_->address,
                                                 in_port_ ? std::to_string(port_.port) + "/" + port_.protocol : "host",
                                                 id, first_line(output)});
            }
            if (in_port_ && port_.scripts.size() < kMaxPerPort) port_.scripts.emplace_back(id, std::move(output));
        }
    }

    void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                    const Poco::XML::XMLString& name) override {
        --depth_;
        if (!in_run_ || host_ == nullptr) return;
        if (name == "cpe" && in_cpe_) {
            in_cpe_ = false;
        } else if (name == "port" && in_port_) {
            in_port_ = false;
            if (port_.state == "open") {
                ++host_->open_ports;
                ++facts.open_ports;
                if (sink_ != nullptr && !stopped) emit();
            }
        } else if (name == "host" && depth_ == 1) {
            host_ = nullptr;
        }
    }

private:
    void emit() {
        service_finding(port_, finding_);
        finding_.seq = next_seq_++;
        finding_.host = host_->address;
        finding_.host_ip = host_ip_;
        finding_.seen_at_ms = host_end_ms_;
        auto accepted = sink_->accept(finding_);
        if (accepted) return;
        stopped = std::move(accepted).error();
        // expat reads in blocks and stops at the end of the current one; an
        // exception through its C frames would not be a safe way out.
        in_.setstate(std::ios::failbit);
    }

    sdk::FindingSink* sink_;
    std::istream& in_;
    int depth_ = 0;
    bool in_run_ = false;
    HostFacts* host_ = nullptr;  ///< into facts.hosts, valid until the next emplace_back
    std::string host_ip_;
    std::int64_t host_end_ms_ = 0;
    bool in_port_ = false;
    bool in_cpe_ = false;
    PortRecord port_;
    sdk::Finding finding_;
    std::uint64_t next_seq_ = 0;
};

}  // namespace

bool script_failed(const std::string& output) {
    // nmap's own words when a script dies ("ERROR: Script execution failed
    // (use -d to debug)"), and scripts that report their failure the same way.
    const std::string line = first_line(output);
    return line.rfind("ERROR", 0) == 0 || output.find("ERROR: Script execution failed") != std::string::npos;
}

ReadOutcome read_report(std::istream& in, sdk::FindingSink* sink) {
    Handler handler(sink, in);
    ReadOutcome out;
    Poco::XML::SAXParser parser;
    // Plain names, and never fetch external entities: a report is data.
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setContentHandler(&handler);
    Poco::XML::InputSource source(in);
    try {
        parser.parse(&source);
    } catch (const Poco::XML::SAXParseException& e) {
        std::string message = e.message();
        if (const auto at = message.find(" in line "); at != std::string::npos) message.erase(at);
        out.failure = ParseFailure{message, e.getLineNumber(), e.getColumnNumber()};
    } catch (const Poco::Exception& e) {
        out.failure = ParseFailure{e.displayText(), 0, 0};
    }
    if (handler.stopped) {
        out.failure.reset();  // cut short on purpose: not the file's fault
        out.stopped = std::move(handler.stopped);
    }
    out.facts = std::move(handler.facts);
    return out;
}

}  // namespace scanorch::nmap
