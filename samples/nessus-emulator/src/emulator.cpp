#include "emulator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "target_list.h"

namespace scanorch::emulator {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string json(const Object::Ptr& o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

Response answer(int status, std::string body) {
    Response out;
    out.status = status;
    out.body = std::move(body);
    return out;
}

Response error(int status, const std::string& message, bool close = false) {
    Object::Ptr o = new Object;
    o->set("error", message);
    Response out = answer(status, json(o));
    out.close = close;
    return out;
}

Response ok(const Object::Ptr& o) { return answer(200, json(o)); }

std::int64_t epoch_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Template {
    const char* name;
    const char* title;
    const char* uuid;
};
// The UUIDs real clients use (docs/NESSUS_API.md §3.2).
constexpr Template kTemplates[] = {
    {"basic", "Basic Network Scan", "731a8e52-3ea6-a291-ec0a-d2ff0619c19d7bd788d6be818b65"},
    {"advanced", "Advanced Scan", "ad629e16-03b6-8c1d-cef6-ef8c9dd3c658d24bd260ef5f9e66"},
    {"discovery", "Host Discovery", "bbd4f805-3966-d464-b2d1-0079eb89d69708c3a05ec2812bcf"},
    {"patch_audit", "Credentialed Patch Audit", "0625147c-30fe-d79f-e54f-ce7ccd7523e9b63d84cb81c23c2f"},
    {"webapp", "Web Application Tests", "c3cbcd46-329f-a9ed-1077-554f8c2af33d0d44f09d736969bf"},
};

const Template* template_by_uuid(const std::string& uuid) {
    for (const auto& t : kTemplates) {
        if (uuid == t.uuid) return &t;
    }
    return nullptr;
}

// "a, b" or "a\nb": the first non-empty string of a credential entry.
std::string field(const Object::Ptr& o, const char* key) {
    if (!o || !o->has(key) || o->isNull(key)) return "";
    return o->getValue<std::string>(key);
}

// How long Nessus's passing states (processing, stopping, pausing, resuming) last here.
constexpr std::chrono::milliseconds kSettleTime{200};

bool is_active(const std::string& status) {
    return status == "running" || status == "processing" || status == "stopping" || status == "pausing" ||
           status == "paused" || status == "resuming";
}

}  // namespace

Emulator::Emulator(Options options) : opt_(std::move(options)), rng_(opt_.seed) {
    routes();  // a malformed route pattern stops the program here, not on the first request
    if (opt_.data_dir.empty()) {
        data_dir_ =
            (std::filesystem::temp_directory_path() / ("nessus-emulator-" + std::to_string(::getpid()))).string();
        own_data_dir_ = true;
    } else {
        data_dir_ = opt_.data_dir;
    }
    std::filesystem::create_directories(data_dir_);
    ticker_ = std::thread([this] { tick_loop(); });
}

Emulator::~Emulator() { stop(); }

void Emulator::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    for (auto& t : export_threads_) {
        if (t.joinable()) t.join();
    }
    if (own_data_dir_) {
        std::error_code ec;
        std::filesystem::remove_all(data_dir_, ec);
    }
}

std::string Emulator::random_hex(std::size_t n) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += hex[rng_() % 16];
    return s;
}

bool Emulator::dice(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

void Emulator::set_status(Scan& s, const char* status, Clock::time_point now) {
    const bool was_active = is_active(s.status);
    if (s.status == "pending") pending_.erase(s.launch_seq);
    s.status = status;
    s.phase_since = now;
    if (const bool active = is_active(s.status); active != was_active) active ? ++active_ : --active_;
    if (s.status == "pending") pending_[s.launch_seq] = s.id;
    // When the ticker moves it on by itself; an entry for an earlier time
    // stays in due_ and is skipped when it comes up.
    s.due_at = Clock::time_point::max();
    if (s.status == "running") {
        s.due_at = now + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(std::max(0.0, opt_.scan_seconds - s.ran_seconds)));
    } else if (s.status == "processing" || s.status == "stopping" || s.status == "pausing" || s.status == "resuming") {
        s.due_at = now + kSettleTime;
    }
    if (s.due_at != Clock::time_point::max()) due_.emplace(s.due_at, s.id);
}

void Emulator::unindex(Scan& s) {
    set_status(s, "empty", Clock::now());
    auto it = by_scanner_.find(s.scanner);
    if (it == by_scanner_.end()) return;
    it->second.erase(s.id);
    if (it->second.empty()) by_scanner_.erase(it);
}

void Emulator::tick_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        advance(Clock::now());
        cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

// The state machine of docs/NESSUS_API.md §4. Called with mu_ held. Looks
// only at the scans whose time has come.
void Emulator::advance(Clock::time_point now) {
    last_advance_ = now;
    auto to = [&](Scan& s, const char* status) {
        set_status(s, status, now);
        s.modified = epoch_now();
    };
    while (!due_.empty() && due_.begin()->first <= now) {
        const auto [at, id] = *due_.begin();
        due_.erase(due_.begin());
        auto it = scans_.find(id);
        if (it == scans_.end() || it->second.due_at != at) continue;  // moved on, or deleted, since
        Scan& s = it->second;
        if (s.status == "running") {
            if (s.will_abort) {
                to(s, "aborted");
                s.ended_epoch = epoch_now();
                ++scans_aborted_;
            } else {
                to(s, "processing");
            }
        } else if (s.status == "processing") {
            to(s, "completed");
            s.ended_epoch = epoch_now();
            ++scans_completed_;
        } else if (s.status == "stopping") {
            to(s, "canceled");
            s.ended_epoch = epoch_now();
        } else if (s.status == "pausing") {
            to(s, "paused");
        } else if (s.status == "resuming") {
            to(s, "running");
        }
    }
    start_pending(now);
}

// Pending scans start in launch order while slots are free, as Nessus's own
// max-concurrent-scans setting makes them wait.
void Emulator::start_pending(Clock::time_point now) {
    while (!pending_.empty() && active_ < opt_.max_running) {
        Scan& s = scans_.at(pending_.begin()->second);
        s.ran_seconds = 0;
        set_status(s, "running", now);
        s.modified = epoch_now();
        s.started_epoch = epoch_now();
        peak_running_ = std::max(peak_running_, active_);
    }
}

bool Emulator::authenticated(const Request& r) {
    // X-ApiKeys: accessKey=...; secretKey=...;  (any case, spaces, trailing ';')
    const std::string keys = r.header("X-ApiKeys");
    if (!keys.empty()) {
        static const std::regex access_re(R"(accesskey\s*=\s*([^;\s]+))", std::regex::icase);
        static const std::regex secret_re(R"(secretkey\s*=\s*([^;\s]+))", std::regex::icase);
        std::smatch a, s;
        if (std::regex_search(keys, a, access_re) && std::regex_search(keys, s, secret_re)) {
            for (const auto& [ak, sk] : opt_.api_keys) {
                if (ak == a[1].str() && sk == s[1].str()) return true;
            }
        }
        return false;
    }
    const std::string cookie = r.header("X-Cookie");
    static const std::regex token_re(R"(token\s*=\s*([^;\s]+))");
    std::smatch m;
    if (!std::regex_search(cookie, m, token_re)) return false;
    auto it = sessions_.find(m[1].str());
    if (it == sessions_.end()) return false;
    const auto now = Clock::now();
    if (opt_.session_ttl > 0 && std::chrono::duration<double>(now - it->second).count() > opt_.session_ttl) {
        sessions_.erase(it);
        return false;
    }
    it->second = now;
    return true;
}

Object::Ptr Emulator::scan_object(const Scan& s) const {
    Object::Ptr o = new Object;
    o->set("id", s.id);
    o->set("uuid", s.status == "empty" ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s.uuid));
    o->set("name", s.name);
    o->set("status", s.status);
    o->set("folder_id", 3);
    o->set("type", s.status == "empty" ? Poco::Dynamic::Var() : Poco::Dynamic::Var("local"));
    o->set("read", false);
    o->set("shared", false);
    o->set("user_permissions", 128);
    o->set("enabled", true);
    o->set("control", true);
    o->set("creation_date", s.created);
    o->set("last_modification_date", s.modified);
    return o;
}

Response Emulator::handle(const Request& request) {
    ++requests_;
    // /vs/NAME/...: the same API as a Nessus server of its own named NAME,
    // for a pool of many scanner instances on one emulator. Scans, slots
    // and sessions are shared; GET /scans lists only the scans created
    // through that NAME, as each real server lists only its own.
    Request routed;
    const Request* rp = &request;
    if (request.path.rfind("/vs/", 0) == 0) {
        const auto end = request.path.find('/', 4);
        routed = request;
        routed.scanner = request.path.substr(4, end == std::string::npos ? std::string::npos : end - 4);
        routed.path = end == std::string::npos ? std::string("/") : request.path.substr(end);
        rp = &routed;
    }
    const Request& r = *rp;
    if (opt_.slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(opt_.slow_ms));
    // Before the lock, as slow_ms: other requests go on meanwhile. The scan
    // is created after the wait even if the client has gone, as a server
    // that received the request would.
    if (r.method == "POST" && r.path == "/scans") {
        ++creates_received_;
        if (opt_.create_seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(opt_.create_seconds));
    }
    std::lock_guard lock(mu_);
    if (r.path.rfind("/emulator/", 0) != 0) {  // faults never hit the emulator's own endpoint
        auto fault = [&](const char* kind) {
            ++faults_injected_;
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
            faults_.push_back({static_cast<std::int64_t>(ms), kind, r.method, r.path});
        };
        if (dice(opt_.drop_rate)) {
            fault("drop");
            Response dropped = answer(0, "");
            dropped.close = dropped.drop = true;
            return dropped;
        }
        if (dice(opt_.fail_rate)) {
            fault("500");
            return error(500, "Internal Server Error");
        }
    }
    // Scans whose time has come move on before the request sees them;
    // requests a few ms apart see the same states (launch and the ticker
    // advance whatever the time).
    if (const auto now = Clock::now(); now - last_advance_ >= std::chrono::milliseconds(5)) advance(now);
    Response out = route(r);
    if (out.status == 404 && r.path.rfind("/scans/", 0) == 0) ++unknown_scan_requests_;
    return out;
}

// Every endpoint, once. Rows are tried in order; a path that no row knows is
// 404, a known path with another method 405 with Allow. Patterns keep the
// shapes Nessus uses ({id:int} never matches "abc": that is a 404, not a
// "Scan does not exist.").
const RouteTable<Emulator::Endpoint>& Emulator::routes() {
    using A = Access;
    static const RouteTable<Endpoint> table{
        // The emulator's own, for tests; never hit by faults (handle()).
        {"GET", PathPattern("/emulator/stats"), {A::open, &Emulator::stats}},
        {"GET", PathPattern("/emulator/scans"), {A::open, &Emulator::journal}},
        {"GET", PathPattern("/emulator/faults"), {A::open, &Emulator::fault_log}},
        {"PUT", PathPattern("/emulator/faults"), {A::open, &Emulator::set_faults}},
        // Nessus.
        {"GET", PathPattern("/server/status"), {A::open, &Emulator::server_status}},
        {"POST", PathPattern("/session"), {A::open, &Emulator::login}},
        {"DELETE", PathPattern("/session"), {A::session, &Emulator::logout}},
        {"GET", PathPattern("/session"), {A::session, &Emulator::session_info}},
        {"GET", PathPattern("/server/properties"), {A::session, &Emulator::server_properties}},
        {"GET", PathPattern("/editor/scan/templates"), {A::session, &Emulator::templates}},
        {"GET", PathPattern("/folders"), {A::session, &Emulator::folders}},
        {"GET", PathPattern("/scanners"), {A::session, &Emulator::scanners}},
        {"GET", PathPattern("/scans"), {A::session, &Emulator::list_scans}},
        {"POST", PathPattern("/scans"), {A::scan_control, &Emulator::create_scan}},
        {"GET", PathPattern("/scans/{id:int}"), {A::session, &Emulator::scan_details}},
        {"DELETE", PathPattern("/scans/{id:int}"), {A::scan_control, &Emulator::delete_scan}},
        {"POST", PathPattern("/scans/{id:int}/launch"), {A::scan_control, &Emulator::launch_scan}},
        {"POST", PathPattern("/scans/{id:int}/stop"), {A::scan_control, &Emulator::stop_scan}},
        {"POST", PathPattern("/scans/{id:int}/pause"), {A::scan_control, &Emulator::pause_scan}},
        {"POST", PathPattern("/scans/{id:int}/resume"), {A::scan_control, &Emulator::resume_scan}},
        {"POST", PathPattern("/scans/{id:int}/export"), {A::session, &Emulator::export_scan}},
        {"GET", PathPattern("/scans/{id:int}/export/{file:int}/status"), {A::session, &Emulator::export_status}},
        {"GET", PathPattern("/scans/{id:int}/export/{file:int}/download"), {A::session, &Emulator::export_download}},
        {"GET", PathPattern("/tokens/{token:hex}/status"), {A::session, &Emulator::token_status}},
        {"GET", PathPattern("/tokens/{token:hex}/download"), {A::session, &Emulator::token_download}},
    };
    return table;
}

Response Emulator::route(const Request& r) {
    const auto found = routes().find(r.method, r.path);
    if (found.route == nullptr) {
        if (found.allowed.empty())
            return error(404, "The requested resource was not found: " + r.method + " " + r.path);
        Response out = error(405, "Method not allowed");
        out.allow = allow_header(found.allowed);
        return out;
    }
    const Endpoint& endpoint = found.route->target;
    if (endpoint.access != Access::open && !authenticated(r)) return error(401, "Invalid Credentials");
    if (endpoint.access == Access::scan_control && opt_.licence_gate) {
        ++faults_injected_;
        return error(412, "API is not available", /*close=*/true);
    }
    return (this->*endpoint.handler)(r, found.params);
}

// --- the emulator's own endpoints -------------------------------------------

Response Emulator::stats(const Request&, const PathParams&) {
    Object::Ptr o = new Object;
    o->set("current_running", occupied());
    o->set("peak_running", peak_running_);
    o->set("max_running", opt_.max_running);
    o->set("scans_created", scans_created_);
    o->set("scans_launched", scans_launched_);
    o->set("scans_completed", scans_completed_);
    o->set("scans_aborted", scans_aborted_);
    o->set("exports", exports_made_);
    o->set("logins", logins_);
    o->set("faults_injected", faults_injected_);
    o->set("requests_served", requests_.load());
    o->set("creates_received", creates_received_.load());
    if (connections_) {
        const auto c = connections_();
        o->set("connections_accepted", c.accepted);
        o->set("connections_open", c.open);
    }
    o->set("unknown_scan_requests", unknown_scan_requests_);
    return ok(o);
}

Response Emulator::journal(const Request&, const PathParams&) {
    Array::Ptr arr = new Array;
    for (const auto& [id, j] : journal_) {
        auto live = scans_.find(id);
        Object::Ptr o = new Object;
        o->set("id", id);
        o->set("name", j.name);
        o->set("description", j.description);
        o->set("targets", j.targets);
        o->set("status", live != scans_.end() ? live->second.status : j.last_status);
        o->set("launches", j.launches);
        o->set("stopped", j.stopped);
        o->set("deleted", j.deleted);
        arr->add(o);
    }
    Object::Ptr o = new Object;
    o->set("scans", arr);
    return ok(o);
}

Response Emulator::fault_log(const Request&, const PathParams&) {
    Array::Ptr arr = new Array;
    for (const auto& f : faults_) {
        Object::Ptr o = new Object;
        o->set("at_ms", f.at_ms);
        o->set("kind", f.kind);
        o->set("method", f.method);
        o->set("path", f.path);
        arr->add(o);
    }
    Object::Ptr o = new Object;
    o->set("faults", arr);
    return ok(o);
}

// --- server and session ------------------------------------------------------

Response Emulator::server_status(const Request&, const PathParams&) {
    const bool loading = std::chrono::duration<double>(Clock::now() - started_).count() < opt_.warmup_seconds;
    Object::Ptr o = new Object;
    o->set("status", loading ? "loading" : "ready");
    o->set("progress", loading ? Poco::Dynamic::Var(42) : Poco::Dynamic::Var());
    o->set("must_destroy_session", false);
    o->set("code", loading ? 503 : 200);
    return answer(loading ? 503 : 200, json(o));
}

// Faults switched on (or off) mid-run, for a test that needs a client in a
// given state first (logged in, a connection kept) and only then failing.
Response Emulator::set_faults(const Request& r, const PathParams&) {
    double drop = opt_.drop_rate, fail = opt_.fail_rate;
    try {
        Poco::JSON::Parser p;
        auto o = p.parse(r.body).extract<Object::Ptr>();
        if (!o) return error(400, "the body must be a JSON object");
        if (o->has("drop_rate")) drop = o->getValue<double>("drop_rate");
        if (o->has("fail_rate")) fail = o->getValue<double>("fail_rate");
    } catch (const Poco::Exception& e) {
        return error(400, "the body must be {\"drop_rate\": P, \"fail_rate\": P}: " + e.displayText());
    }
    if (!(drop >= 0 && drop <= 1) || !(fail >= 0 && fail <= 1)) {
        return error(400, "drop_rate and fail_rate must be 0 to 1");
    }
    opt_.drop_rate = drop;
    opt_.fail_rate = fail;
    Object::Ptr o = new Object;
    o->set("drop_rate", drop);
    o->set("fail_rate", fail);
    return ok(o);
}

Response Emulator::login(const Request& r, const PathParams&) {
    std::string user, password;
    try {
        Poco::JSON::Parser p;
        auto o = p.parse(r.body).extract<Object::Ptr>();
        user = field(o, "username");
        password = field(o, "password");
    } catch (...) {
        return error(400, "Invalid request body");
    }
    for (const auto& [u, pw] : opt_.users) {
        if (u == user && pw == password) {
            const auto token = random_hex(48);
            sessions_[token] = Clock::now();
            ++logins_;
            Object::Ptr o = new Object;
            o->set("token", token);
            return ok(o);
        }
    }
    return error(401, "Invalid Credentials");
}

Response Emulator::logout(const Request& r, const PathParams&) {
    static const std::regex t(R"(token\s*=\s*([^;\s]+))");
    std::smatch tm;
    const auto cookie = r.header("X-Cookie");
    if (std::regex_search(cookie, tm, t)) sessions_.erase(tm[1].str());
    return answer(200, "");
}

Response Emulator::session_info(const Request&, const PathParams&) {
    Object::Ptr o = new Object;
    o->set("id", 1);
    o->set("username", opt_.users.empty() ? "api" : opt_.users.front().first);
    o->set("permissions", 128);
    o->set("type", "local");
    return ok(o);
}

Response Emulator::server_properties(const Request&, const PathParams&) {
    Object::Ptr lic = new Object, features = new Object, o = new Object;
    features->set("api", true);
    features->set("scan_api", !opt_.licence_gate);
    features->set("policies", true);
    features->set("report", true);
    lic->set("type", opt_.licence_gate ? "home" : "manager");
    lic->set("name", opt_.licence_gate ? "Nessus Professional" : "Nessus Manager");
    lic->set("restricted", false);
    lic->set("ips", 1024);
    lic->set("features", features);
    o->set("nessus_type", opt_.licence_gate ? "Nessus Professional" : "Nessus Manager");
    o->set("server_version", "10.7.1");
    o->set("nessus_ui_version", "10.7.1");
    o->set("server_build", "20051");
    o->set("server_uuid", "emulator-" + std::to_string(::getpid()));
    o->set("license", lic);
    return ok(o);
}

Response Emulator::templates(const Request&, const PathParams&) {
    Array::Ptr arr = new Array;
    for (const auto& t : kTemplates) {
        Object::Ptr o = new Object;
        o->set("uuid", t.uuid);
        o->set("name", t.name);
        o->set("title", t.title);
        o->set("desc", std::string(t.title) + " (emulated)");
        o->set("cloud_only", false);
        o->set("subscription_only", false);
        o->set("is_agent", Poco::Dynamic::Var());
        o->set("manager_only", false);
        arr->add(o);
    }
    Object::Ptr o = new Object;
    o->set("templates", arr);
    return ok(o);
}

Response Emulator::folders(const Request&, const PathParams&) {
    Object::Ptr o = new Object;
    o->set(
        "folders",
        Poco::JSON::Parser().parse(
            R"([{"id":2,"name":"Trash","type":"trash","custom":0},{"id":3,"name":"My Scans","type":"main","custom":0,"default_tag":1}])"));
    return ok(o);
}

Response Emulator::scanners(const Request&, const PathParams&) {
    Object::Ptr o = new Object;
    o->set("scanners", Poco::JSON::Parser().parse(R"([{"id":1,"name":"Local Scanner","type":"local","status":"on"}])"));
    return ok(o);
}

// --- scans -------------------------------------------------------------------

Response Emulator::list_scans(const Request& r, const PathParams&) {
    // ?last_modification_date=N: only the scans changed at or after N.
    std::int64_t since = 0;
    for (const auto& [name, value] : Poco::URI("/?" + r.query).getQueryParameters()) {
        if (name != "last_modification_date") continue;
        try {
            since = std::stoll(value);
        } catch (const std::exception&) {
            return error(400, "Invalid 'last_modification_date' field: not a number");
        }
    }
    Object::Ptr o = new Object;
    Array::Ptr arr = new Array;
    if (auto mine = by_scanner_.find(r.scanner); mine != by_scanner_.end()) {
        for (const int id : mine->second) {
            const Scan& s = scans_.at(id);
            if (s.modified >= since) arr->add(scan_object(s));
        }
    }
    o->set("folders", Poco::JSON::Parser().parse(R"([{"id":3,"name":"My Scans","type":"main"}])"));
    o->set("scans", arr->size() ? Poco::Dynamic::Var(arr) : Poco::Dynamic::Var());
    o->set("timestamp", epoch_now());
    return ok(o);
}

Response Emulator::create_scan(const Request& r, const PathParams&) {
    Object::Ptr body;
    try {
        body = Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
    } catch (...) {
        return error(400, "Invalid JSON in request body");
    }
    const std::string uuid = field(body, "uuid");
    const Template* tpl = template_by_uuid(uuid);
    if (!tpl) return error(400, "Invalid 'uuid' field: no such template");
    auto settings = body->getObject("settings");
    if (!settings) return error(400, "Missing required parameter: settings");
    Scan s;
    s.name = field(settings, "name");
    if (s.name.empty()) return error(400, "Missing required parameter: settings.name");
    s.description = field(settings, "description");
    s.scanner = r.scanner;
    s.targets = field(settings, "text_targets");
    if (s.targets.empty()) return error(400, "Missing required parameter: settings.text_targets");
    std::string why;
    if (!expand_targets(s.targets, opt_.max_hosts, s.hosts, why)) return error(400, "Invalid targets: " + why);
    if (auto creds = body->getObject("credentials")) {
        auto add = creds->getObject("add");
        auto host = add ? add->getObject("Host") : nullptr;
        auto ssh = host ? host->getArray("SSH") : nullptr;
        auto win = host ? host->getArray("Windows") : nullptr;
        if (ssh && ssh->size() > 0) {
            auto e = ssh->getObject(0);
            auto& c = s.credentials;
            c.ssh_user = field(e, "username");
            c.ssh_password = field(e, "password");
            c.ssh_private_key = field(e, "private_key");
            c.elevate_with = field(e, "elevate_privileges_with");
            c.escalation_account = field(e, "escalation_account");
            c.escalation_password = field(e, "escalation_password");
            if (c.ssh_user.empty()) return error(400, "Invalid credentials: SSH entry without username");
        }
        if (win && win->size() > 0) {
            auto e = win->getObject(0);
            auto& c = s.credentials;
            c.windows_user = field(e, "username");
            c.windows_password = field(e, "password");
            c.windows_domain = field(e, "domain");
            if (c.windows_user.empty()) return error(400, "Invalid credentials: Windows entry without username");
        }
    }
    s.id = next_scan_++;
    s.uuid = "template-" + random_hex(36);
    s.template_uuid = uuid;
    s.policy = tpl->title;
    s.created = s.modified = epoch_now();
    ++scans_created_;
    const bool launch_now = settings->has("launch_now") && settings->getValue<std::string>("launch_now") == "true";
    journal_[s.id] = {s.name, s.description, s.targets, "", launch_now ? 1u : 0u, false, false};
    auto& stored = scans_[s.id] = std::move(s);
    by_scanner_[stored.scanner].insert(stored.id);
    if (launch_now) {
        stored.uuid =
            random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(28);
        stored.launch_seq = ++launch_seq_;
        set_status(stored, "pending", Clock::now());
        stored.will_abort = dice(opt_.abort_rate);
        ++scans_launched_;
    }
    // The create answer carries the "template-..." uuid, as recorded from
    // Nessus, though the list shows a never-launched scan's uuid as null.
    auto created = scan_object(stored);
    created->set("uuid", stored.uuid);
    Object::Ptr o = new Object;
    o->set("scan", created);
    return ok(o);
}

Response Emulator::launch_scan(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    Scan& s = it->second;
    if (is_active(s.status) || s.status == "pending") {
        return error(500, "Failed to launch scan. This is usually due to the scan already running.");
    }
    const auto now = Clock::now();
    s.modified = epoch_now();
    s.uuid = random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(28);
    s.launch_seq = ++launch_seq_;
    set_status(s, "pending", now);
    s.will_abort = dice(opt_.abort_rate);
    s.history_id = s.history_id + 1;
    ++scans_launched_;
    ++journal_[s.id].launches;
    start_pending(now);
    Object::Ptr o = new Object;
    o->set("scan_uuid", s.uuid);
    return ok(o);
}

Response Emulator::stop_scan(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    Scan& s = it->second;
    if (!is_active(s.status) && s.status != "pending") return error(409, "Scan is not active.");
    set_status(s, "stopping", Clock::now());
    s.modified = epoch_now();
    journal_[s.id].stopped = true;
    return answer(200, "{}");
}

Response Emulator::pause_scan(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    Scan& s = it->second;
    if (s.status != "running") return error(409, "Scan is not active.");
    const auto now = Clock::now();
    s.ran_seconds += std::chrono::duration<double>(now - s.phase_since).count();
    set_status(s, "pausing", now);
    s.modified = epoch_now();
    return answer(200, "{}");
}

Response Emulator::resume_scan(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    Scan& s = it->second;
    if (s.status != "paused") return error(409, "The scan is not active and / or couldn't be resumed");
    set_status(s, "resuming", Clock::now());
    s.modified = epoch_now();
    return answer(200, "{}");
}

Response Emulator::delete_scan(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    Scan& s = it->second;
    if (is_active(s.status)) {
        return error(500, "Failed to delete the scan. This may be because the scan is currently running");
    }
    journal_[s.id].deleted = true;
    journal_[s.id].last_status = s.status;
    unindex(s);
    scans_.erase(it);
    return answer(200, "");
}

Response Emulator::scan_details(const Request&, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    const Scan& s = it->second;
    // Progress per host, as Nessus reports it (EA sums these).
    double fraction = 0;
    if (s.status == "running") {
        fraction =
            std::min(0.99, (s.ran_seconds + std::chrono::duration<double>(Clock::now() - s.phase_since).count()) /
                               std::max(0.001, opt_.scan_seconds));
    } else if (s.status == "paused" || s.status == "pausing" || s.status == "resuming") {
        fraction = std::min(0.99, s.ran_seconds / std::max(0.001, opt_.scan_seconds));
    } else if (s.status == "processing" || s.status == "completed") {
        fraction = 1;
    }
    Object::Ptr info = new Object;
    info->set("name", s.name);
    info->set("status", s.status);
    info->set("uuid", s.uuid);
    info->set("targets", s.targets);
    info->set("policy", s.policy);
    info->set("scanner_name", "Local Scanner");
    info->set("hostcount", static_cast<int>(s.hosts.size()));
    info->set("scan_start", s.started_epoch ? Poco::Dynamic::Var(s.started_epoch) : Poco::Dynamic::Var());
    info->set("scan_end", s.ended_epoch ? Poco::Dynamic::Var(s.ended_epoch) : Poco::Dynamic::Var());
    info->set("object_id", s.id);
    info->set("folder_id", 3);
    info->set("control", true);
    info->set("edit_allowed", true);
    info->set("user_permissions", 128);
    Array::Ptr hosts = new Array;
    for (std::size_t i = 0; i < s.hosts.size() && i < 1000; ++i) {
        Object::Ptr h = new Object;
        h->set("host_id", static_cast<int>(i + 2));
        h->set("host_index", static_cast<int>(i));
        h->set("hostname", s.hosts[i]);
        h->set("scanprogresscurrent", static_cast<int>(fraction * 100));
        h->set("scanprogresstotal", 100);
        h->set("progress", std::to_string(static_cast<int>(fraction * 100)) + "-100/100-100");
        hosts->add(h);
    }
    Array::Ptr history = new Array;
    if (s.history_id > 0) {
        Object::Ptr h = new Object;
        h->set("history_id", s.history_id);
        h->set("uuid", s.uuid);
        h->set("status", s.status);
        h->set("type", "local");
        h->set("creation_date", s.created);
        h->set("last_modification_date", s.modified);
        history->add(h);
    }
    Object::Ptr o = new Object;
    o->set("info", info);
    o->set("hosts", hosts);
    o->set("vulnerabilities", Array::Ptr(new Array));
    o->set("history", history);
    o->set("notes", Poco::Dynamic::Var());
    o->set("compliance", Array::Ptr(new Array));
    o->set("comphosts", Array::Ptr(new Array));
    // Present in every recorded answer; no client reads them, so empty here.
    o->set("filters", Array::Ptr(new Array));
    o->set("remediations", Object::Ptr(new Object));
    return ok(o);
}

// --- exports -----------------------------------------------------------------

Response Emulator::export_scan(const Request& r, const PathParams& p) {
    auto it = scans_.find(p.integer("id"));
    if (it == scans_.end()) return error(404, "Scan does not exist.");
    std::string format;
    try {
        format = field(Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>(), "format");
    } catch (...) {
    }
    if (format.empty()) return error(400, "Missing required parameters: format");
    if (format != "nessus")
        return error(400, "Export format '" + format + "' is not supported by the emulator (nessus only)");
    const Scan& s = it->second;
    if (s.status != "completed" && s.status != "canceled" && s.status != "aborted") {
        return error(409, "Can not export running scans");
    }
    const int file = next_file_++;
    Export e;
    e.scan_id = s.id;
    e.token = random_hex(64);
    e.path = data_dir_ + "/scan-" + std::to_string(s.id) + "-" + std::to_string(file) + ".nessus";
    e.ready_at =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.export_seconds));
    exports_[file] = e;
    ++exports_made_;
    ScanResultSpec spec{s.name,        s.policy,        s.hosts,
                        s.credentials, s.started_epoch, s.ended_epoch ? s.ended_epoch : epoch_now()};
    if (s.status == "aborted") spec.hosts.resize(spec.hosts.size() / 2);  // an aborted scan covers part of its targets
    export_threads_.emplace_back([this, file, spec = std::move(spec), path = e.path] {
        std::string err;
        {
            std::ofstream out(path, std::ios::binary);
            write_report(out, spec, opt_);
            if (!out) err = "write failed";
        }
        std::lock_guard lock(mu_);
        auto& ex = exports_[file];
        ex.written = true;
        ex.error = err;
    });
    Object::Ptr o = new Object;
    o->set("file", file);
    o->set("token", e.token);
    return ok(o);
}

// An export is asked for by scan and file id, or by its token (the
// /tokens/ paths need no scan id); either way the same answers.
Emulator::Export* Emulator::export_by_file(const PathParams& p) {
    auto it = exports_.find(p.integer("file"));
    if (it == exports_.end() || it->second.scan_id != p.integer("id")) return nullptr;
    return &it->second;
}

Emulator::Export* Emulator::export_by_token(const PathParams& p) {
    Export* found = nullptr;
    for (auto& [id, x] : exports_) {
        if (x.token == p["token"]) found = &x;
    }
    return found;
}

Response Emulator::export_answer(const Export* e, bool download) {
    if (e == nullptr) return error(404, "The scan or file does not exist.");
    const bool ready = e->written && Clock::now() >= e->ready_at;
    if (!download) {
        Object::Ptr o = new Object;
        o->set("status", !e->error.empty() ? "error" : ready ? "ready" : "loading");
        return ok(o);
    }
    if (!ready) return error(409, "Report is still being generated");
    Response out = answer(200, "");
    out.file = e->path;
    return out;
}

Response Emulator::export_status(const Request&, const PathParams& p) {
    return export_answer(export_by_file(p), false);
}
Response Emulator::export_download(const Request&, const PathParams& p) {
    return export_answer(export_by_file(p), true);
}
Response Emulator::token_status(const Request&, const PathParams& p) {
    return export_answer(export_by_token(p), false);
}
Response Emulator::token_download(const Request&, const PathParams& p) {
    return export_answer(export_by_token(p), true);
}

}  // namespace scanorch::emulator
