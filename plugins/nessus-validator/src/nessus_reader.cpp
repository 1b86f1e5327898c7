#include "nessus_reader.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace scanorch::nessus_validator {

namespace {

// Text kept per captured element: evidence needs the first lines only, and a
// hostile file must not make us hold megabytes.
constexpr std::size_t kMaxCapture = 64 * 1024;
constexpr std::size_t kMaxDetail = 300;
constexpr std::size_t kMaxCveId = 64;

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// "Key : value" (any spacing), for the structured outputs of 104410 and the
// newer 21745; nullopt for other lines.
std::optional<std::pair<std::string_view, std::string_view>> key_value(std::string_view line) {
    if (!line.empty() && line.front() == '-') line = trim(line.substr(1));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 20) return std::nullopt;
    return std::make_pair(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
}

// The telling part of a plugin's output, in one line:
//  - structured output (Protocol/User/Message): "SSH, user 'x': message; message";
//  - else its "- reason" lines (21745 up to v1.18);
//  - else its first non-empty line.
std::string detail_of(const std::string& text) {
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos < text.size();) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const auto line = trim(std::string_view(text).substr(pos, end - pos));
        if (!line.empty()) lines.push_back(line);
        pos = end + 1;
    }
    std::string protocol, user, first;
    std::vector<std::string> messages, dashes;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto line = lines[i];
        if (first.empty()) first = std::string(line);
        if (const auto kv = key_value(line)) {
            auto [key, value] = *kv;
            if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
                value = value.substr(1, value.size() - 2);
            // 104410/21745 write "Protocol :", 141118 writes "Proto:".
            if ((key == "Protocol" || key == "Proto") && protocol.empty()) protocol = std::string(value);
            if (key == "User" && user.empty()) user = std::string(value);
            if (key == "Message") {
                // An empty value means the message is on the next line.
                std::string m(value.empty() && i + 1 < lines.size() ? lines[i + 1] : value);
                if (!m.empty() && std::find(messages.begin(), messages.end(), m) == messages.end())
                    messages.push_back(m);
            }
            continue;
        }
        if (line.front() == '-' && line.size() > 2) dashes.emplace_back(trim(line.substr(1)));
    }
    std::string out;
    auto join = [&](const std::vector<std::string>& parts) {
        for (const auto& p : parts) {
            if (out.size() > kMaxDetail) break;
            out += (out.empty() || out.back() == ' ' ? "" : "; ") + p;
        }
    };
    if (!messages.empty() || !protocol.empty()) {
        if (!protocol.empty()) out = protocol;
        if (!user.empty()) out += (out.empty() ? "user '" : ", user '") + user + "'";
        if (!out.empty() && !messages.empty()) out += ": ";
        join(messages);
    } else if (!dashes.empty()) {
        join(dashes);
    } else {
        out = first;
    }
    if (out.size() > kMaxDetail) out = out.substr(0, kMaxDetail - 3) + "...";
    return out;
}

// Attribute names, built once rather than per element.
const Poco::XML::XMLString kPluginId = "pluginID";
const Poco::XML::XMLString kPluginName = "pluginName";
const Poco::XML::XMLString kPluginFamily = "pluginFamily";
const Poco::XML::XMLString kSeverity = "severity";
const Poco::XML::XMLString kPort = "port";
const Poco::XML::XMLString kName = "name";
const Poco::XML::XMLString kProtocol = "protocol";
const Poco::XML::XMLString kService = "svc_name";

template <class N>
std::optional<N> number(std::string_view text) {
    text = trim(text);
    N value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// The same reading of the attribute as the severity breakdown's, so the
// findings' severities always add up to the verdict's stats.
sdk::Severity severity_of(const std::string& sev) {
    switch (sev.empty() ? '0' : sev[0]) {
        case '4': return sdk::Severity::critical;
        case '3': return sdk::Severity::high;
        case '2': return sdk::Severity::medium;
        case '1': return sdk::Severity::low;
        default: return sdk::Severity::info;
    }
}

// A text that reached kFindingTextMax: cut where a UTF-8 character starts,
// and say so, within the limit.
void mark_cut(std::string& text) {
    std::size_t keep = sdk::kFindingTextMax - sdk::kFindingTextCut.size();
    if (keep >= text.size()) keep = text.size();
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
    text.resize(keep);
    text += sdk::kFindingTextCut;
}

// The ReportItem children a Finding is made of.
enum class ItemField { none, risk_factor, cvss3, cvss2, cve, synopsis, solution, description, see_also, plugin_output };

ItemField item_field(const std::string& name) {
    if (name == "plugin_output") return ItemField::plugin_output;
    if (name == "cve") return ItemField::cve;
    if (name == "risk_factor") return ItemField::risk_factor;
    if (name == "cvss3_base_score") return ItemField::cvss3;
    if (name == "cvss_base_score") return ItemField::cvss2;
    if (name == "synopsis") return ItemField::synopsis;
    if (name == "solution") return ItemField::solution;
    if (name == "description") return ItemField::description;
    if (name == "see_also") return ItemField::see_also;
    return ItemField::none;
}

// Empties a finding for the next item, keeping its strings' capacity: one
// allocation per field for the whole file rather than one per item.
void reset(sdk::Finding& f) {
    f.seq = 0;
    f.port = 0;
    f.plugin_id = 0;
    f.severity = sdk::Severity::info;
    f.cvss3_base_score.reset();
    f.cvss_base_score.reset();
    f.seen_at_ms = 0;
    for (std::string* s : {&f.host, &f.host_ip, &f.protocol, &f.service, &f.plugin_name, &f.plugin_family,
                           &f.risk_factor, &f.synopsis, &f.solution, &f.description, &f.see_also, &f.plugin_output}) {
        s->clear();
    }
    f.cves.clear();
}

class Handler final : public Poco::XML::ContentHandler {
public:
    Handler(const ValidatorConfig& config, sdk::FindingSink* sink, std::istream& in)
        : config_(config), sink_(sink), in_(in) {}

    ReportFacts facts;
    std::optional<sdk::Error> stopped;  ///< the sink's error: nothing is emitted after it

    void setDocumentLocator(const Poco::XML::Locator*) override {}
    void startDocument() override {}
    void endDocument() override {}
    void ignorableWhitespace(const Poco::XML::XMLChar[], int, int) override {}
    void processingInstruction(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
    void startPrefixMapping(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
    void endPrefixMapping(const Poco::XML::XMLString&) override {}
    void skippedEntity(const Poco::XML::XMLString&) override {}

    void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&, const Poco::XML::XMLString& name,
                      const Poco::XML::Attributes& attrs) override {
        ++depth_;
        if (depth_ == 1) {
            facts.root = name;
            // Only an export of this format has findings to give.
            emitting_ = sink_ != nullptr && name == "NessusClientData_v2";
            return;
        }
        if (name == "ReportItem") {
            if (host_ == nullptr) return;
            in_item_ = true;
            item_depth_ = depth_;
            ++facts.report_items;
            ++host_->items;
            item_id_ = attrs.getValue(kPluginId);
            const auto& sev = attrs.getValue(kSeverity);
            switch (severity_of(sev)) {
                case sdk::Severity::critical: ++host_->severity.critical; break;
                case sdk::Severity::high: ++host_->severity.high; break;
                case sdk::Severity::medium: ++host_->severity.medium; break;
                case sdk::Severity::low: ++host_->severity.low; break;
                case sdk::Severity::info: ++host_->severity.info; break;
            }
            if (emitting_) start_finding(attrs);
            if (config_.auth_only(item_id_, attrs.getValue(kPluginFamily))) ++host_->auth_only_results;
            item_wanted_ = item_id_ == "19506" || config_.success_plugins.count(item_id_) ||
                           config_.failure_plugins.count(item_id_) || config_.issue_plugins.count(item_id_) ||
                           config_.not_attempted_plugins.count(item_id_) || config_.scan_error_plugins.count(item_id_);
            if (item_wanted_) {  // the rest is copied only for the few items that matter
                item_name_ = attrs.getValue(kPluginName);
                item_port_ = attrs.getValue(kPort);
                output_.clear();
                description_.clear();
            }
            return;
        }
        if (in_item_) {
            if (item_wanted_ && name == "plugin_output") capture_ = &output_;
            if (item_wanted_ && name == "description" && item_id_ == "19506") capture_ = &description_;
            if (emitting_ && depth_ == item_depth_ + 1) start_field(name);
            return;
        }
        if (name == "ReportHost") {
            if (!in_report_) return;
            facts.hosts.emplace_back();
            host_ = &facts.hosts.back();
            host_->name = attrs.getValue(kName);
            host_ip_.clear();
            host_end_ms_ = 0;
            host_end_exact_ = false;
            return;
        }
        if (name == "Report" && depth_ == 2) {
            in_report_ = true;
            ++facts.reports;
            return;
        }
        if (name == "tag" && host_ != nullptr) {
            tag_ = attrs.getValue(kName);
            if (tag_ == "Credentialed_Scan" || tag_ == "HOST_START" || tag_ == "HOST_END" ||
                tag_ == "HOST_END_TIMESTAMP" || tag_ == "host-ip") {
                tag_value_.clear();
                capture_ = &tag_value_;
            }
        }
    }

    void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                    const Poco::XML::XMLString& name) override {
        if (field_ != ItemField::none && depth_ == item_depth_ + 1) finish_field();
        --depth_;
        capture_ = nullptr;
        if (name == "ReportItem" && in_item_) {
            in_item_ = false;
            if (item_wanted_) finish_item();
            if (emitting_) emit();
        } else if (name == "ReportHost" && host_ != nullptr && !in_item_) {
            host_ = nullptr;
        } else if (name == "Report" && depth_ == 1) {
            in_report_ = false;
        } else if (name == "tag" && host_ != nullptr && !tag_.empty()) {
            const auto v = trim(tag_value_);
            if (tag_ == "Credentialed_Scan") {
                if (v == "true") host_->credentialed_tag = true;
                if (v == "false") host_->credentialed_tag = false;
            } else if (tag_ == "HOST_START") {
                host_->host_start = true;
            } else if (tag_ == "HOST_END") {
                host_->host_end = true;
                if (!host_end_exact_) host_end_ms_ = parse_host_end(std::string(v));
            } else if (tag_ == "HOST_END_TIMESTAMP") {
                // Seconds since the epoch: exact, where HOST_END is the
                // scanner's local time with no zone.
                constexpr std::int64_t kYear10000 = 253'402'300'800;  // and no overflow in ms
                if (const auto seconds = number<std::int64_t>(v); seconds && *seconds > 0 && *seconds < kYear10000) {
                    host_end_ms_ = *seconds * 1000;
                    host_end_exact_ = true;
                }
            } else if (tag_ == "host-ip") {
                host_ip_ = std::string(v);
            }
            tag_.clear();
        }
    }

    void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
        const auto n = static_cast<std::size_t>(length);
        if (capture_ != nullptr && capture_->size() < kMaxCapture) {
            capture_->append(ch + start, std::min<std::size_t>(n, kMaxCapture - capture_->size()));
        }
        if (field_text_ != nullptr) {
            const auto room = sdk::kFindingTextMax - std::min(field_text_->size(), sdk::kFindingTextMax);
            field_text_->append(ch + start, std::min(n, room));
            if (n > room) field_cut_ = true;
        }
    }

private:
    void start_finding(const Poco::XML::Attributes& attrs) {
        reset(finding_);
        finding_.host = host_->name;
        finding_.host_ip = host_ip_;
        finding_.port = number<std::uint32_t>(attrs.getValue(kPort)).value_or(0);
        finding_.protocol = attrs.getValue(kProtocol);
        finding_.service = attrs.getValue(kService);
        finding_.plugin_id = number<std::uint64_t>(item_id_).value_or(0);
        finding_.plugin_name = attrs.getValue(kPluginName);
        finding_.plugin_family = attrs.getValue(kPluginFamily);
        finding_.severity = severity_of(attrs.getValue(kSeverity));
        finding_.seen_at_ms = host_end_ms_;
    }

    void start_field(const std::string& name) {
        field_ = item_field(name);
        field_cut_ = false;
        switch (field_) {
            case ItemField::none: field_text_ = nullptr; return;
            case ItemField::risk_factor: field_text_ = &finding_.risk_factor; break;
            case ItemField::synopsis: field_text_ = &finding_.synopsis; break;
            case ItemField::solution: field_text_ = &finding_.solution; break;
            case ItemField::description: field_text_ = &finding_.description; break;
            case ItemField::see_also: field_text_ = &finding_.see_also; break;
            case ItemField::plugin_output: field_text_ = &finding_.plugin_output; break;
            case ItemField::cvss3:
            case ItemField::cvss2:
            case ItemField::cve: field_text_ = &scratch_; break;
        }
        field_text_->clear();  // a repeated element keeps its last value
    }

    void finish_field() {
        switch (field_) {
            case ItemField::cvss3: finding_.cvss3_base_score = number<double>(scratch_); break;
            case ItemField::cvss2: finding_.cvss_base_score = number<double>(scratch_); break;
            case ItemField::cve:
                // An id is short ("CVE-2024-3094"); anything else is not one,
                // and must not make a finding large.
                if (const auto id = trim(scratch_); !id.empty() && id.size() <= kMaxCveId &&
                                                    id.find_first_of(", \t\n") == std::string_view::npos &&
                                                    finding_.cves.size() < sdk::kFindingMaxCves) {
                    finding_.cves.emplace_back(id);
                }
                break;
            case ItemField::risk_factor: finding_.risk_factor = std::string(trim(finding_.risk_factor)); break;
            default:
                if (field_cut_) mark_cut(*field_text_);
                break;
        }
        field_ = ItemField::none;
        field_text_ = nullptr;
    }

    void emit() {
        finding_.seq = next_seq_++;
        auto accepted = sink_->accept(finding_);
        if (accepted) return;
        stopped = std::move(accepted).error();
        emitting_ = false;
        // The parser reads the stream in small blocks and stops at the end
        // of the current one; an exception thrown through expat's C frames
        // would be the other way, and not a safe one.
        in_.setstate(std::ios::failbit);
    }

    void finish_item() {
        if (item_id_ == "19506") {
            host_->has_19506 = true;
            // Nessus 4 puts 19506's text in <description>, newer ones in <plugin_output>.
            std::string line;
            auto value = parse_credentialed_checks(output_, &line);
            if (!value) value = parse_credentialed_checks(description_, &line);
            if (value) {
                host_->credentialed_checks = value;
                host_->credentialed_line = line;
            }
            return;
        }
        Evidence e{item_id_, item_name_, item_port_, detail_of(output_)};
        if (config_.failure_plugins.count(item_id_)) host_->failure.push_back(e);
        if (config_.success_plugins.count(item_id_)) host_->success.push_back(e);
        if (config_.issue_plugins.count(item_id_)) host_->issues.push_back(e);
        if (config_.not_attempted_plugins.count(item_id_)) host_->not_attempted.push_back(e);
        if (config_.scan_error_plugins.count(item_id_)) host_->scan_errors.push_back(std::move(e));
    }

    const ValidatorConfig& config_;
    sdk::FindingSink* sink_;
    std::istream& in_;
    bool emitting_ = false;
    int depth_ = 0;
    int item_depth_ = 0;
    bool in_report_ = false;
    bool in_item_ = false;
    bool item_wanted_ = false;
    HostFacts* host_ = nullptr;  // points into facts.hosts, valid until the next emplace_back
    std::string item_id_, item_name_, item_port_;
    std::string output_, description_;
    std::string tag_, tag_value_;
    std::string* capture_ = nullptr;

    // The finding being read (emitting only), and where its text goes.
    sdk::Finding finding_;
    std::uint64_t next_seq_ = 0;
    ItemField field_ = ItemField::none;
    std::string* field_text_ = nullptr;
    bool field_cut_ = false;
    std::string scratch_;
    std::string host_ip_;
    std::int64_t host_end_ms_ = 0;
    bool host_end_exact_ = false;  ///< from HOST_END_TIMESTAMP
};

}  // namespace

std::optional<bool> parse_credentialed_checks(const std::string& text, std::string* line_out) {
    static constexpr std::string_view key = "credentialed checks";
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
        pos = end + 1;
        if (line.size() < key.size()) continue;
        bool match = true;
        for (std::size_t i = 0; i < key.size() && match; ++i) {
            match = std::tolower(static_cast<unsigned char>(line[i])) == key[i];
        }
        if (!match) continue;
        auto rest = trim(line.substr(key.size()));
        if (rest.empty() || rest.front() != ':') continue;  // "Credentialed checks were ..." is not the line
        rest = trim(rest.substr(1));
        auto word_is = [&](std::string_view w) {
            if (rest.size() < w.size()) return false;
            for (std::size_t i = 0; i < w.size(); ++i) {
                if (std::tolower(static_cast<unsigned char>(rest[i])) != w[i]) return false;
            }
            // A whole word: "yes", "yes, as 'x' via ssh", "yes (on the localhost)".
            return rest.size() == w.size() || !std::isalnum(static_cast<unsigned char>(rest[w.size()]));
        };
        std::optional<bool> value;
        if (word_is("yes")) value = true;
        if (word_is("no")) value = false;
        if (!value) continue;
        if (line_out != nullptr) *line_out = std::string(line);
        return value;
    }
    return std::nullopt;
}

std::int64_t parse_host_end(const std::string& text) {
    const auto t = std::string(trim(text));
    Poco::DateTime when;
    int zone = 0;
    for (const auto& format : {Poco::DateTimeFormat::ASCTIME_FORMAT, Poco::DateTimeFormat::ISO8601_FRAC_FORMAT,
                               Poco::DateTimeFormat::ISO8601_FORMAT}) {
        // Poco's parser is lenient ("yesterday" reads as year 0): a time
        // before the epoch is no time at all here.
        if (Poco::DateTimeParser::tryParse(format, t, when, zone)) {
            when.makeUTC(zone);
            if (const auto ms = when.timestamp().epochMicroseconds() / 1000; ms > 0) return ms;
        }
    }
    return 0;
}

ReadOutcome read_report(std::istream& in, const ValidatorConfig& config, sdk::FindingSink* sink) {
    Handler handler(config, sink, in);
    ReadOutcome out;
    Poco::XML::SAXParser parser;
    // Plain names (no namespace processing), and never fetch external
    // entities: an export is data, not a document that may reach out.
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
        if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
        out.failure = ParseFailure{message, e.getLineNumber(), e.getColumnNumber()};
    } catch (const Poco::Exception& e) {
        out.failure = ParseFailure{e.displayText(), 0, 0};
    }
    if (handler.stopped) {
        out.failure.reset();  // the parse was cut short on purpose: not a fault of the file
        out.stopped = std::move(handler.stopped);
    }
    out.facts = std::move(handler.facts);
    return out;
}

}  // namespace scanorch::nessus_validator
