#include "scanorch/framework/service/results_reader.h"

#include <Poco/JSON/Object.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace scanorch::framework {

namespace {

const std::vector<std::string> kAll = {"host",        "plugin_id",        "plugin_name",  "severity",    "risk_factor",
                                       "port",        "protocol",         "service",      "plugin_family", "cvss3_base_score",
                                       "cvss_base_score", "cve",          "synopsis",     "solution",    "description",
                                       "plugin_output", "see_also"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

class Handler final : public Poco::XML::DefaultHandler {
public:
    Handler(const ResultsQuery& q, ResultsPage& out) : q_(q), out_(out) {
        text_needed_ = !q.text.empty() || q.min_cvss.has_value();
        for (const auto& f : q.fields) {
            if (f != "host" && f != "plugin_id" && f != "plugin_name" && f != "severity" && f != "port" &&
                f != "protocol" && f != "service" && f != "plugin_family") {
                text_needed_ = true;
            }
        }
    }

    void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&, const Poco::XML::XMLString& name,
                      const Poco::XML::Attributes& a) override {
        if (name == "ReportHost") {
            host_ = a.getValue("name");
        } else if (name == "ReportItem") {
            in_item_ = true;
            item_.clear();
            cve_.clear();
            item_["plugin_id"] = a.getValue("pluginID");
            item_["plugin_name"] = a.getValue("pluginName");
            item_["severity"] = a.getValue("severity");
            item_["port"] = a.getValue("port");
            item_["protocol"] = a.getValue("protocol");
            item_["service"] = a.getValue("svc_name");
            item_["plugin_family"] = a.getValue("pluginFamily");
            item_["host"] = host_;
        } else if (in_item_ && text_needed_) {
            field_ = name;
            value_.clear();
        }
    }

    void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&, const Poco::XML::XMLString& name) override {
        if (name == "ReportItem" && in_item_) {
            in_item_ = false;
            finish();
        } else if (in_item_ && !field_.empty() && name == field_) {
            if (field_ == "cve") cve_.push_back(value_);
            else if (value_.size() <= kMaxField) item_[field_] = value_;
            else item_[field_] = value_.substr(0, kMaxField) + "...";
            field_.clear();
        }
    }

    void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
        if (!field_.empty() && value_.size() < kMaxField + 1) value_.append(ch + start, static_cast<std::size_t>(length));
    }

private:
    static constexpr std::size_t kMaxField = 16 * 1024;

    bool matches() const {
        const int sev = item_.count("severity") ? std::atoi(item_.at("severity").c_str()) : 0;
        if (q_.min_severity && sev < *q_.min_severity) return false;
        if (!q_.severities.empty() && !q_.severities.count(sev)) return false;
        if (!q_.host.empty() && item_.at("host") != q_.host) return false;
        if (!q_.plugin_id.empty() && item_.at("plugin_id") != q_.plugin_id) return false;
        if (!q_.port.empty() && item_.at("port") != q_.port) return false;
        if (q_.min_cvss) {
            auto it = item_.find("cvss3_base_score");
            if (it == item_.end()) it = item_.find("cvss_base_score");
            if (it == item_.end() || std::atof(it->second.c_str()) < *q_.min_cvss) return false;
        }
        if (!q_.text.empty()) {
            const auto needle = lower(q_.text);
            bool found = false;
            for (const char* f : {"plugin_name", "synopsis", "plugin_output", "description"}) {
                auto it = item_.find(f);
                if (it != item_.end() && lower(it->second).find(needle) != std::string::npos) found = true;
            }
            if (!found) return false;
        }
        return true;
    }

    void finish() {
        ++out_.total_findings;
        if (!matches()) return;
        const auto index = out_.total_matching++;
        const auto first = (q_.page - 1) * q_.page_size;
        if (index < first || index >= first + q_.page_size) return;
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const auto& f : q_.fields) {
            if (f == "cve") {
                Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
                for (const auto& c : cve_) arr->add(c);
                o->set(f, arr);
                continue;
            }
            auto it = item_.find(f);
            if (it == item_.end()) {
                o->set(f, Poco::Dynamic::Var());
            } else if (f == "severity") {
                o->set(f, std::atoi(it->second.c_str()));
            } else if (f == "cvss3_base_score" || f == "cvss_base_score") {
                o->set(f, std::atof(it->second.c_str()));
            } else {
                o->set(f, it->second);
            }
        }
        out_.findings->add(o);
    }

    const ResultsQuery& q_;
    ResultsPage& out_;
    bool text_needed_ = false;
    bool in_item_ = false;
    std::string host_, field_, value_;
    std::map<std::string, std::string> item_;
    std::vector<std::string> cve_;
};

}  // namespace

const std::vector<std::string>& all_result_fields() { return kAll; }

std::vector<std::string> profile_fields(const std::string& p) {
    if (p == "minimal") return {"host", "plugin_id", "severity"};
    if (p == "summary") return {"host", "plugin_id", "plugin_name", "severity", "port", "protocol"};
    if (p == "brief") {
        return {"host", "plugin_id", "plugin_name", "severity", "risk_factor", "port", "protocol",
                "cvss3_base_score", "cvss_base_score", "cve", "synopsis", "solution"};
    }
    if (p == "full") return kAll;
    return {};
}

sdk::Result<ResultsPage> read_results(const std::string& path, const ResultsQuery& q) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return sdk::Error::not_found("the task's export is not available (" + path + ")");
    ResultsPage page;
    page.findings = new Poco::JSON::Array;
    Handler h(q, page);
    Poco::XML::SAXParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setContentHandler(&h);
    Poco::XML::InputSource source(in);
    try {
        parser.parse(&source);
    } catch (const Poco::Exception& e) {
        return sdk::Error::internal("the task's export cannot be read: " + e.displayText());
    }
    return page;
}

}  // namespace scanorch::framework
