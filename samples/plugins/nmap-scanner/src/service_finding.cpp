#include "service_finding.h"

#include "scanorch/sdk/findings.h"

namespace scanorch::nmap {

namespace {

// Cut where a UTF-8 character starts, and say so, within the limit.
void cap(std::string& text) {
    if (text.size() <= sdk::kFindingTextMax) return;
    std::size_t keep = sdk::kFindingTextMax - sdk::kFindingTextCut.size();
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
    text.resize(keep);
    text += sdk::kFindingTextCut;
}

}  // namespace

std::uint64_t service_plugin_id(std::string_view service) {
    std::uint32_t h = 2166136261u;
    for (char c : service.empty() ? std::string_view("unknown") : service) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return kServiceIdBase + h;
}

void service_finding(const PortRecord& p, sdk::Finding& f) {
    const std::string service = p.service.empty() ? "unknown" : p.service;
    f.port = p.port;
    f.protocol = p.protocol;
    f.service = service;
    f.plugin_id = service_plugin_id(service);
    f.plugin_name = "nmap service detection: " + service;
    f.plugin_family = "nmap";
    f.severity = sdk::Severity::info;
    f.risk_factor = "None";
    f.synopsis = "Port " + std::to_string(p.port) + "/" + p.protocol + " is open" +
                 (p.service.empty() ? "; nmap could not name its service." : " and answers as " + service + ".");
    f.description.clear();
    f.solution.clear();
    f.see_also.clear();
    f.cves.clear();
    f.cvss_base_score.reset();
    f.cvss3_base_score.reset();

    std::string& out = f.plugin_output;
    out.clear();
    for (const std::string* part : {&p.product, &p.version}) {
        if (!part->empty()) out += (out.empty() ? "" : " ") + *part;
    }
    if (!p.extrainfo.empty()) out += (out.empty() ? "(" : " (") + p.extrainfo + ")";
    if (out.empty()) out = service;
    if (!p.tunnel.empty()) out += "\ntunnel: " + p.tunnel;
    if (!p.method.empty()) out += "\ndetection: " + p.method + (p.conf.empty() ? "" : ", confidence " + p.conf + "/10");
    for (const auto& cpe : p.cpes) out += "\ncpe: " + cpe;
    for (const auto& [id, text] : p.scripts) out += "\n" + id + ": " + text;
    cap(out);
}

}  // namespace scanorch::nmap
