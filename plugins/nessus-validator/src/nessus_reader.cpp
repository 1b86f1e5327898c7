#include "nessus_reader.h"

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>
#include <string_view>

namespace scanorch::nessus_validator {

namespace {

// Text kept per captured element: evidence needs the first lines only, and a
// hostile file must not make us hold megabytes.
constexpr std::size_t kMaxCapture = 64 * 1024;
constexpr std::size_t kMaxDetail = 300;

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
            if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
            // 104410/21745 write "Protocol :", 141118 writes "Proto:".
            if ((key == "Protocol" || key == "Proto") && protocol.empty()) protocol = std::string(value);
            if (key == "User" && user.empty()) user = std::string(value);
            if (key == "Message") {
                // An empty value means the message is on the next line.
                std::string m(value.empty() && i + 1 < lines.size() ? lines[i + 1] : value);
                if (!m.empty() && std::find(messages.begin(), messages.end(), m) == messages.end()) messages.push_back(m);
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

class Handler final : public Poco::XML::ContentHandler {
public:
    explicit Handler(const ValidatorConfig& config) : config_(config) {}

    ReportFacts facts;

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
            return;
        }
        if (name == "ReportItem") {
            if (host_ == nullptr) return;
            in_item_ = true;
            ++facts.report_items;
            ++host_->items;
            item_id_ = attrs.getValue(kPluginId);
            const auto& sev = attrs.getValue(kSeverity);
            switch (sev.empty() ? '0' : sev[0]) {
                case '4': ++host_->severity.critical; break;
                case '3': ++host_->severity.high; break;
                case '2': ++host_->severity.medium; break;
                case '1': ++host_->severity.low; break;
                default: ++host_->severity.info; break;
            }
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
            return;
        }
        if (name == "ReportHost") {
            if (!in_report_) return;
            facts.hosts.emplace_back();
            host_ = &facts.hosts.back();
            host_->name = attrs.getValue(kName);
            return;
        }
        if (name == "Report" && depth_ == 2) {
            in_report_ = true;
            ++facts.reports;
            return;
        }
        if (name == "tag" && host_ != nullptr) {
            tag_ = attrs.getValue(kName);
            if (tag_ == "Credentialed_Scan" || tag_ == "HOST_START" || tag_ == "HOST_END") {
                tag_value_.clear();
                capture_ = &tag_value_;
            }
        }
    }

    void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&, const Poco::XML::XMLString& name) override {
        --depth_;
        capture_ = nullptr;
        if (name == "ReportItem" && in_item_) {
            in_item_ = false;
            if (item_wanted_) finish_item();
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
            }
            tag_.clear();
        }
    }

    void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
        if (capture_ != nullptr && capture_->size() < kMaxCapture) {
            capture_->append(ch + start, std::min<std::size_t>(static_cast<std::size_t>(length), kMaxCapture - capture_->size()));
        }
    }

private:
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
    int depth_ = 0;
    bool in_report_ = false;
    bool in_item_ = false;
    bool item_wanted_ = false;
    HostFacts* host_ = nullptr;  // points into facts.hosts, valid until the next emplace_back
    std::string item_id_, item_name_, item_port_;
    std::string output_, description_;
    std::string tag_, tag_value_;
    std::string* capture_ = nullptr;
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

ReadOutcome read_report(std::istream& in, const ValidatorConfig& config) {
    Handler handler(config);
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
    out.facts = std::move(handler.facts);
    return out;
}

}  // namespace scanorch::nessus_validator
