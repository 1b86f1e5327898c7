#include "nessus_scanner.h"

#include "scan_status.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace scanorch::nessus {

namespace {

bool valid_id(const std::string& id) {
    return !id.empty() && id.size() < 20 && id.find_first_not_of("0123456789") == std::string::npos;
}

std::string stringify(const Poco::JSON::Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

// Nessus's word for each escalation method it supports.
std::optional<std::string> elevation(const std::string& method) {
    static const std::map<std::string, std::string> known = {
        {"", "Nothing"},  {"none", "Nothing"},      {"sudo", "sudo"},
        {"su", "su"},     {"su+sudo", "su+sudo"},   {"pbrun", "pbrun"},
        {"dzdo", "dzdo"}, {".k5login", ".k5login"}, {"cisco_enable", "Cisco 'enable'"},
    };
    auto it = known.find(method);
    if (it == known.end()) return std::nullopt;
    return it->second;
}

}  // namespace

NessusScanner::NessusScanner(NessusConfig config, sdk::PluginContext ctx)
    : client_(std::move(config), ctx), ctx_(std::move(ctx)) {
    const auto& c = client_.config();
    if (c.scheme == "https" && !c.verify_tls) {
        ctx_.log().warn("TLS verification for ", c.url(),
                        " is OFF (options.verify_tls: false); anyone on the path "
                        "can read the scanner credentials. Set options.ca_file instead.");
    }
    ctx_.log().info("scanner '", c.instance_id, "' at ", c.url(), " (",
                    c.uses_api_keys() ? "API keys" : "session login as '" + c.username + "'", ")");
}

NessusScanner::~NessusScanner() { client_.logout(); }

sdk::Error NessusScanner::scoped(sdk::Error e) const {
    e.message = who() + ": " + e.message;
    return e;
}

sdk::ScanState NessusScanner::map_status(const std::string& s) {
    if (s == "completed" || s == "imported") return sdk::ScanState::completed;
    if (s == "canceled" || s == "cancelled" || s == "stopped") return sdk::ScanState::cancelled;
    if (s == "aborted") return sdk::ScanState::aborted;
    if (s == "paused") return sdk::ScanState::paused;
    if (s == "running" || s == "processing" || s == "pausing" || s == "resuming" || s == "stopping") {
        return sdk::ScanState::running;
    }
    if (s == "empty") return sdk::ScanState::created;  // Nessus's word for never launched
    return sdk::ScanState::pending;                    // pending, queued, and anything new
}

sdk::Result<sdk::ScannerHealth> NessusScanner::health() {
    sdk::ScannerHealth h;
    auto status = client_.call_public("GET", "/server/status");  // needs no login
    if (!status) return scoped(std::move(status).error());
    if (auto j = status->json()) h.status = j->optValue<std::string>("status", "");
    if (status->status != 200 || h.status != "ready") {
        h.healthy = false;
        h.message = "server status is '" + (h.status.empty() ? "unknown" : h.status) + "' (HTTP " +
                    std::to_string(status->status) + "), not ready";
        return h;
    }
    auto props = client_.call("GET", "/server/properties");  // logs in: proves the credentials
    if (!props) {
        if (props.error().kind == sdk::ErrorKind::auth) {
            h.healthy = false;
            h.message = props.error().message;
            return h;
        }
        return scoped(std::move(props).error());
    }
    auto j = props->json();
    h.healthy = true;
    if (j) {
        h.version = j->optValue<std::string>("server_version", "");
        if (auto lic = j->getObject("license")) {
            if (auto f = lic->getObject("features")) h.scan_api_allowed = f->optValue<bool>("scan_api", true);
        }
    }
    if (!h.scan_api_allowed) {
        h.message = "this Nessus edition (" + (j ? j->optValue<std::string>("nessus_type", "unknown") : "unknown") +
                    ") does not allow scan control through the API";
    }
    return h;
}

sdk::Result<std::string> NessusScanner::template_uuid(const std::string& name) {
    std::lock_guard lock(templates_mu_);
    if (templates_.empty()) {
        auto r = client_.call("GET", "/editor/scan/templates");
        if (!r) return scoped(std::move(r).error());
        auto j = r->json();
        auto list = j ? j->getArray("templates") : nullptr;
        if (!list) return scoped(sdk::Error::transient("GET /editor/scan/templates: no template list in the answer"));
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto t = list->getObject(static_cast<unsigned>(i));
            if (t) templates_[t->optValue<std::string>("name", "")] = t->optValue<std::string>("uuid", "");
        }
    }
    auto it = templates_.find(name);
    if (it == templates_.end()) {
        std::string names;
        for (const auto& [n, u] : templates_) names += (names.empty() ? "" : ", ") + n;
        return scoped(sdk::Error::invalid_input("no scan template named '" + name + "' (available: " + names + ")"));
    }
    return it->second;
}

sdk::Result<std::string> NessusScanner::scan_body(const sdk::ScanRequest& req, const std::string& template_uuid,
                                                  std::int64_t folder_id) {
    const auto& c = req.credentials;
    if (req.name.empty()) return sdk::Error::invalid_input("a scan needs a name");
    if (req.targets.empty()) return sdk::Error::invalid_input("a scan needs targets");
    Poco::JSON::Object body;
    body.set("uuid", template_uuid);
    Poco::JSON::Object::Ptr settings = new Poco::JSON::Object;
    settings->set("name", req.name);
    settings->set("description", req.description.empty() ? "scanorch task " + req.task_id : req.description);
    std::string targets = req.targets;  // Nessus takes one target per line
    for (auto& ch : targets) {
        if (ch == ',') ch = '\n';
    }
    settings->set("text_targets", targets);
    settings->set("enabled", false);
    settings->set("launch", "ON_DEMAND");
    if (folder_id > 0) settings->set("folder_id", folder_id);
    body.set("settings", settings);

    if (req.scan_type != sdk::ScanType::untrusted) {
        if (!c.has_ssh() && !c.has_windows()) {
            return sdk::Error::invalid_input(std::string(sdk::to_string(req.scan_type)) +
                                             " scan needs SSH or Windows credentials");
        }
        Poco::JSON::Object::Ptr host = new Poco::JSON::Object;
        if (c.has_ssh()) {
            Poco::JSON::Object::Ptr ssh = new Poco::JSON::Object;
            ssh->set("username", c.ssh_username);
            if (!c.ssh_private_key.empty()) {
                ssh->set("auth_method", "public key");
                ssh->set("private_key", c.ssh_private_key);
                ssh->set("private_key_passphrase", c.ssh_password);
            } else if (!c.ssh_password.empty()) {
                ssh->set("auth_method", "password");
                ssh->set("password", c.ssh_password);
            } else {
                return sdk::Error::invalid_input("SSH credentials need ssh_password or ssh_private_key");
            }
            std::string elevate = "Nothing";
            if (req.scan_type == sdk::ScanType::trusted_privileged) {
                auto e = elevation(c.escalation_method.empty() ? "sudo" : c.escalation_method);
                if (!e) {
                    return sdk::Error::invalid_input(
                        "escalation_method '" + c.escalation_method +
                        "' is not one of sudo, su, su+sudo, pbrun, dzdo, .k5login, cisco_enable");
                }
                elevate = *e;
                ssh->set("escalation_account", c.escalation_account.empty() ? "root" : c.escalation_account);
                ssh->set("escalation_password", c.escalation_password);
            }
            ssh->set("elevate_privileges_with", elevate);
            Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
            arr->add(ssh);
            host->set("SSH", arr);
        }
        if (c.has_windows()) {
            if (c.windows_password.empty())
                return sdk::Error::invalid_input("Windows credentials need windows_password");
            Poco::JSON::Object::Ptr win = new Poco::JSON::Object;
            win->set("auth_method", "Password");
            win->set("username", c.windows_username);
            win->set("password", c.windows_password);
            win->set("domain", c.windows_domain);
            Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
            arr->add(win);
            host->set("Windows", arr);
        }
        Poco::JSON::Object::Ptr add = new Poco::JSON::Object, creds = new Poco::JSON::Object;
        add->set("Host", host);
        creds->set("add", add);
        creds->set("edit", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
        creds->set("delete", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
        body.set("credentials", creds);
    }
    return stringify(body);
}

sdk::Result<std::string> NessusScanner::create_scan(const sdk::ScanRequest& req) {
    const auto& cfg = client_.config();
    auto uuid =
        template_uuid(req.scan_type == sdk::ScanType::untrusted ? cfg.untrusted_template : cfg.trusted_template);
    if (!uuid) return std::move(uuid).error();
    auto body = scan_body(req, *uuid, cfg.folder_id);
    if (!body) return scoped(std::move(body).error());
    auto r = client_.call("POST", "/scans", *body);
    if (!r) return scoped(std::move(r).error());
    auto j = r->json();
    auto scan = j ? j->getObject("scan") : nullptr;
    if (!scan || !scan->has("id")) return scoped(sdk::Error::transient("POST /scans: no scan id in the answer"));
    const std::string id = scan->get("id").toString();
    ctx_.log().info("task ", req.task_id, ": created scan ", id, " (", sdk::to_string(req.scan_type), ") on ",
                    cfg.instance_id);
    return id;
}

sdk::Result<void> NessusScanner::launch_scan(const std::string& id) {
    if (!valid_id(id)) return scoped(sdk::Error::invalid_input("'" + id + "' is not a Nessus scan id"));
    auto r = client_.call("POST", "/scans/" + id + "/launch");
    if (!r) return scoped(std::move(r).error());
    return {};
}

sdk::Result<sdk::ScanProgress> NessusScanner::poll_scan(const std::string& id) {
    if (!valid_id(id)) return scoped(sdk::Error::invalid_input("'" + id + "' is not a Nessus scan id"));
    auto r = client_.call("GET", "/scans/" + id);
    if (!r) return scoped(std::move(r).error());
    auto status = read_scan_status(r->body, "GET /scans/" + id);
    if (!status) return scoped(std::move(status).error());
    sdk::ScanProgress p;
    p.scanner_status = status->status;
    p.state = map_status(p.scanner_status);
    // Nessus does not put progress in info: it is summed over the hosts.
    p.hosts_total = status->hosts;
    if (status->progress_total > 0) {
        p.progress_pct = static_cast<int>(std::min<std::uint64_t>(status->progress_current, status->progress_total) *
                                          100 / status->progress_total);
    }
    if (p.state == sdk::ScanState::completed) p.progress_pct = 100;
    return p;
}

sdk::Result<sdk::ScanListing> NessusScanner::list_scans(std::int64_t changed_since) {
    // Nessus keeps every scan ever run: unfiltered, the list grows with the
    // server's history. Filtered, it holds the few that changed since the
    // last question (a status change moves last_modification_date).
    // A second back: Nessus counts in whole seconds, so a change in the
    // second of the last answer, after it, carries that answer's timestamp.
    // A starting point only: a date no scan has reached (1 Jan 2100).
    constexpr std::int64_t kNoScanYet = 4'102'444'800;
    const std::int64_t since = changed_since == sdk::kScanListStart ? kNoScanYet : changed_since - 1;
    const std::string path =
        since > 0 ? "/scans?last_modification_date=" + std::to_string(since) : std::string("/scans");
    auto r = client_.call("GET", path);
    if (!r) return scoped(std::move(r).error());
    auto j = r->json();
    const auto malformed = [&](const std::string& why) {
        return scoped(sdk::Error::transient("GET " + path + " answered " + why));
    };
    if (!j) return malformed("something that is not a JSON object");
    sdk::ScanListing listing;
    try {
        if (!j->has("timestamp") || !j->get("timestamp").isNumeric()) return malformed("without a numeric timestamp");
        listing.as_of = j->getValue<std::int64_t>("timestamp");
        // "scans": null when there are none.
        if (auto scans = j->getArray("scans"); scans && changed_since != sdk::kScanListStart) {
            listing.scans.reserve(scans->size());
            for (std::size_t i = 0; i < scans->size(); ++i) {
                auto item = scans->getObject(static_cast<unsigned>(i));
                if (!item || !item->has("id") || !item->get("id").isNumeric()) continue;
                sdk::ListedScan ls;
                ls.scan_id = std::to_string(item->getValue<std::int64_t>("id"));
                ls.scanner_status = item->optValue<std::string>("status", "");
                ls.state = map_status(ls.scanner_status);
                listing.scans.push_back(std::move(ls));
            }
        }
    } catch (const Poco::Exception& e) {
        return malformed("a scan list that cannot be read (" + e.displayText() + ")");
    }
    return listing;
}

sdk::Result<void> NessusScanner::stop_scan(const std::string& id) {
    if (!valid_id(id)) return scoped(sdk::Error::invalid_input("'" + id + "' is not a Nessus scan id"));
    auto r = client_.call_any("POST", "/scans/" + id + "/stop");
    if (!r) return scoped(std::move(r).error());
    if (r->status == 409) return {};  // "Scan is not active.": already stopped or finished
    if (r->status / 100 != 2) return scoped(client_.status_error("POST", "/scans/" + id + "/stop", *r));
    return {};
}

sdk::Result<void> NessusScanner::delete_scan(const std::string& id) {
    if (!valid_id(id)) return scoped(sdk::Error::invalid_input("'" + id + "' is not a Nessus scan id"));
    auto r = client_.call_any("DELETE", "/scans/" + id);
    if (!r) return scoped(std::move(r).error());
    if (r->status == 404) return {};  // already gone
    if (r->status / 100 != 2) return scoped(client_.status_error("DELETE", "/scans/" + id, *r));
    return {};
}

sdk::Result<sdk::ExportInfo> NessusScanner::export_scan(const std::string& id, const std::string& dest) {
    if (!valid_id(id)) return scoped(sdk::Error::invalid_input("'" + id + "' is not a Nessus scan id"));
    const auto& cfg = client_.config();
    auto r = client_.call("POST", "/scans/" + id + "/export", R"({"format":"nessus"})");
    if (!r) return scoped(std::move(r).error());
    auto j = r->json();
    if (!j || !j->has("file"))
        return scoped(sdk::Error::transient("POST /scans/" + id + "/export: no file id in the answer"));
    const std::string file = j->get("file").toString();
    const std::string base = "/scans/" + id + "/export/" + file;

    // Poll the body, not the HTTP status: Nessus answers 200 with "loading".
    // A pause first: the scanner builds an export asynchronously, and one
    // asked at once answers "loading" (a request for nothing, per scan).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(cfg.export_timeout_seconds);
    while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(cfg.export_poll_ms));
        auto s = client_.call("GET", base + "/status");
        if (!s) return scoped(std::move(s).error());
        auto sj = s->json();
        const std::string status = sj ? sj->optValue<std::string>("status", "") : "";
        if (status == "ready") break;
        if (status == "error")
            return scoped(sdk::Error::permanent("export " + file + " of scan " + id + " failed on the scanner"));
        if (std::chrono::steady_clock::now() >= deadline) {
            return scoped(sdk::Error::transient("export " + file + " of scan " + id + " not ready after " +
                                                std::to_string(cfg.export_timeout_seconds) + " s"));
        }
    }

    // Stream to a temporary file beside the destination, then rename: the
    // export is either complete or absent, never half written, whenever the
    // process stops. Not fsynced: the host reads it once, right away, and
    // exports again for any task that did not complete, so only a power
    // loss after the task completed could cost its (unread) copy; a sync
    // per scan was a twentieth of the worker's CPU on a pool of 1,000 slots.
    std::error_code ec;
    const auto parent = std::filesystem::path(dest).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    const std::string part = dest + ".part";
    sdk::Result<std::uint64_t> size = std::uint64_t{0};
    {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        if (!out) return scoped(sdk::Error::permanent("cannot write " + part + ": " + std::strerror(errno)));
        size = client_.download(base + "/download", out);
        out.flush();
        if (size && !out) size = sdk::Error::permanent("writing " + part + " failed: " + std::strerror(errno));
    }
    if (!size) {
        std::filesystem::remove(part, ec);
        return scoped(std::move(size).error());
    }
    std::filesystem::rename(part, dest, ec);
    if (ec) {
        std::filesystem::remove(part, ec);
        return scoped(sdk::Error::permanent("cannot move the export into place at " + dest + ": " + ec.message()));
    }
    ctx_.log().info("exported scan ", id, " from ", cfg.instance_id, " to ", dest, " (", *size, " bytes)");
    return sdk::ExportInfo{dest, *size};
}

}  // namespace scanorch::nessus
