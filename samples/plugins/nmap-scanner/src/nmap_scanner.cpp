#include "nmap_scanner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace scanorch::nmap {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTargetsFile = "targets";
constexpr const char* kLaunchedFile = "launched";
constexpr const char* kXmlFile = "scan.xml";
constexpr const char* kLogFile = "nmap.log";

// Ids are file names under the work folder: exactly 16 hex digits, so no id
// a caller passes can reach outside it.
bool valid_id(const std::string& id) {
    return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string new_id() {
    static thread_local std::mt19937_64 gen{std::random_device{}()};
    std::ostringstream out;
    out << std::hex;
    out.width(16);
    out.fill('0');
    out << gen();
    return out.str();
}

std::string read_tail(const fs::path& file, std::size_t bytes) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
    const auto from = size > bytes ? size - bytes : 0;
    in.seekg(static_cast<std::streamoff>(from));
    std::string out(size - from, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    return out;
}

std::string last_line(const fs::path& file) {
    std::string text = read_tail(file, 2048);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    const auto nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}

// nmap's own word that it finished: the closing tags are the last thing it writes.
bool finished_successfully(const fs::path& xml) {
    const std::string tail = read_tail(xml, 4096);
    return tail.find("<finished ") != std::string::npos && tail.find("exit=\"success\"") != std::string::npos;
}

// The last <taskprogress percent="..."> nmap wrote (--stats-every), or -1.
int progress_percent(const fs::path& xml) {
    const std::string tail = read_tail(xml, 8192);
    const auto at = tail.rfind("percent=\"");
    if (at == std::string::npos) return -1;
    try {
        const double p = std::stod(tail.substr(at + 9, 8));
        return p < 0 ? -1 : std::min(99, static_cast<int>(p));  // 100 only once nmap has ended
    } catch (const std::exception&) {
        return -1;
    }
}

bool write_atomically(const fs::path& file, const std::string& text) {
    const fs::path part = file.string() + ".part";
    {
        std::ofstream out(part, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) return false;
    }
    std::error_code ec;
    fs::rename(part, file, ec);
    return !ec;
}

bool fsync_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

NmapScanner::NmapScanner(NmapOptions options, sdk::PluginContext ctx, std::string work_dir, std::string version)
    : options_(std::move(options)),
      ctx_(std::move(ctx)),
      work_dir_(std::move(work_dir)),
      version_(std::move(version)) {}

// runs_ goes with the instance, and each ChildProcess stops and reaps its nmap.
NmapScanner::~NmapScanner() = default;

std::string NmapScanner::scan_dir(const std::string& id) const { return (fs::path(work_dir_) / id).string(); }

sdk::Result<sdk::ScannerHealth> NmapScanner::health() {
    sdk::ScannerHealth h;
    h.version = version_;
    if (::access(options_.nmap_path.c_str(), X_OK) != 0) {
        h.status = "missing";
        h.message = options_.nmap_path + " is not executable: " + std::strerror(errno);
        return h;
    }
    std::error_code ec;
    fs::create_directories(work_dir_, ec);
    if (ec || ::access(work_dir_.c_str(), W_OK) != 0) {
        h.status = "no_work_dir";
        h.message = "cannot write scans below " + work_dir_;
        return h;
    }
    h.healthy = true;
    h.status = "ready";
    return h;
}

sdk::Result<std::string> NmapScanner::create_scan(const sdk::ScanRequest& request) {
    if (request.scan_type != sdk::ScanType::untrusted) {
        return sdk::Error::invalid_input("nmap runs network checks only, without logins: a " +
                                         std::string(sdk::to_string(request.scan_type)) +
                                         " scan needs a scanner that logs in (nessus); use run_untrusted_scan");
    }
    auto targets = nmap_targets(request.targets);  // refused now rather than when nmap starts
    if (!targets) return std::move(targets).error();
    const std::string id = new_id();
    const fs::path dir = scan_dir(id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return sdk::Error::permanent("cannot create " + dir.string() + ": " + ec.message());
    if (!write_atomically(dir / kTargetsFile, request.targets)) {
        fs::remove_all(dir, ec);
        return sdk::Error::permanent("cannot write " + (dir / kTargetsFile).string());
    }
    ctx_.log().info("scan ", id, " created for task ", request.task_id, ": ", targets->args.size(),
                    " target argument(s)");
    return id;
}

sdk::Result<void> NmapScanner::launch_scan(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("'" + id + "' is not an nmap scan id");
    const fs::path dir = scan_dir(id);
    std::lock_guard lock(mu_);
    if (runs_.count(id)) return {};  // launched already: a retried launch changes nothing
    std::error_code ec;
    if (!fs::exists(dir / kTargetsFile, ec)) return sdk::Error::not_found("no nmap scan " + id);
    if (fs::exists(dir / kLaunchedFile, ec)) {
        return sdk::Error::permanent("scan " + id + " was launched by an earlier run of this scanner; poll it");
    }
    std::ifstream in(dir / kTargetsFile);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto targets = nmap_targets(text);
    if (!targets) return std::move(targets).error();
    const auto argv = nmap_argv(options_, *targets, (dir / kXmlFile).string());
    if (!write_atomically(dir / kLaunchedFile, "")) return sdk::Error::permanent("cannot write in " + dir.string());
    auto child = ChildProcess::spawn(argv, (dir / kLogFile).string());
    if (!child) return std::move(child).error();
    auto run = std::make_shared<Run>();
    run->started_ms = now_ms();
    ctx_.log().info("scan ", id, ": nmap started (pid ", child->pid(), ")");
    run->child.emplace(std::move(child).value());
    runs_[id] = std::move(run);
    return {};
}

sdk::Result<std::shared_ptr<NmapScanner::Run>> NmapScanner::run_of(const std::string& id) {
    std::lock_guard lock(mu_);
    const auto it = runs_.find(id);
    if (it == runs_.end()) return sdk::Error::not_found("scan " + id + " has no nmap run here");
    return it->second;
}

// Reads the child's state into the run's outcome (run.mu held).
void NmapScanner::settle(const std::string& id, Run& run) {
    if (run.outcome != Outcome::running || !run.child) return;
    const auto st = run.child->status();
    if (st.state == ChildProcess::State::running) {
        if (now_ms() - run.started_ms > options_.max_runtime_seconds * 1000) {
            run.child->terminate();
            run.outcome = Outcome::timed_out;
            run.detail = "nmap ran longer than max_runtime (" + std::to_string(options_.max_runtime_seconds) +
                         " s) and was stopped";
            ctx_.log().warn("scan ", id, ": ", run.detail);
        }
        return;
    }
    if (st.state == ChildProcess::State::exited && st.code == 0) {
        run.outcome = Outcome::completed;
        return;
    }
    run.outcome = Outcome::failed;
    run.detail = st.state == ChildProcess::State::killed ? "nmap was killed by signal " + std::to_string(st.code)
                                                         : "nmap exited with status " + std::to_string(st.code) + ": " +
                                                               last_line(fs::path(scan_dir(id)) / kLogFile);
    ctx_.log().warn("scan ", id, ": ", run.detail);
}

sdk::ScanProgress NmapScanner::progress_of(const std::string& id, Run& run) {
    sdk::ScanProgress p;
    switch (run.outcome) {
        case Outcome::running:
            p.state = sdk::ScanState::running;
            p.scanner_status = "running";
            p.progress_pct = progress_percent(fs::path(scan_dir(id)) / kXmlFile);
            break;
        case Outcome::completed:
            p.state = sdk::ScanState::completed;
            p.scanner_status = "completed";
            p.progress_pct = 100;
            break;
        case Outcome::stopped:
            p.state = sdk::ScanState::cancelled;
            p.scanner_status = "stopped";
            break;
        case Outcome::failed:
        case Outcome::timed_out:
            p.state = sdk::ScanState::aborted;
            p.scanner_status = run.detail;
            break;
    }
    return p;
}

sdk::Result<sdk::ScanProgress> NmapScanner::poll_scan(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("'" + id + "' is not an nmap scan id");
    if (auto run = run_of(id)) {
        std::lock_guard lock((*run)->mu);
        settle(id, **run);
        return progress_of(id, **run);
    }
    // Not launched by this instance: what its folder says.
    const fs::path dir = scan_dir(id);
    std::error_code ec;
    if (!fs::exists(dir / kTargetsFile, ec)) return sdk::Error::not_found("no nmap scan " + id);
    sdk::ScanProgress p;
    if (!fs::exists(dir / kLaunchedFile, ec)) {
        p.state = sdk::ScanState::created;
        p.scanner_status = "created";
    } else if (finished_successfully(dir / kXmlFile)) {
        p.state = sdk::ScanState::completed;
        p.scanner_status = "completed";
        p.progress_pct = 100;
    } else {
        p.state = sdk::ScanState::aborted;
        p.scanner_status = "nmap's run was lost before it finished (the scanner restarted)";
    }
    return p;
}

sdk::Result<void> NmapScanner::stop_scan(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("'" + id + "' is not an nmap scan id");
    auto run = run_of(id);
    if (!run) {
        std::error_code ec;
        if (fs::exists(fs::path(scan_dir(id)) / kTargetsFile, ec)) return {};  // nothing of it runs here
        return std::move(run).error();
    }
    std::lock_guard lock((*run)->mu);
    settle(id, **run);
    if ((*run)->outcome != Outcome::running) return {};
    (*run)->child->terminate();
    (*run)->outcome = Outcome::stopped;
    ctx_.log().info("scan ", id, ": nmap stopped");
    return {};
}

sdk::Result<sdk::ExportInfo> NmapScanner::export_scan(const std::string& id, const std::string& dest) {
    auto progress = poll_scan(id);
    if (!progress) return std::move(progress).error();
    if (progress->state != sdk::ScanState::completed) {
        return sdk::Error::permanent("scan " + id + " is " + std::string(sdk::to_string(progress->state)) +
                                     ", not completed: nothing to export");
    }
    const fs::path xml = fs::path(scan_dir(id)) / kXmlFile;
    // Copied to a temporary file beside the destination, then renamed: the
    // export is either complete or absent, never half written.
    std::error_code ec;
    const auto parent = fs::path(dest).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    const std::string part = dest + ".part";
    fs::copy_file(xml, part, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        fs::remove(part, ec);
        return sdk::Error::permanent("cannot copy " + xml.string() + " to " + part + ": " + ec.message());
    }
    if (!fsync_file(part)) {
        fs::remove(part, ec);
        return sdk::Error::permanent("fsync of " + part + " failed");
    }
    fs::rename(part, dest, ec);
    if (ec) {
        fs::remove(part, ec);
        return sdk::Error::permanent("cannot move the export into place at " + dest + ": " + ec.message());
    }
    sdk::ExportInfo info{dest, fs::file_size(dest, ec)};
    ctx_.log().info("exported scan ", id, " to ", dest, " (", info.size_bytes, " bytes)");
    return info;
}

sdk::Result<void> NmapScanner::delete_scan(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("'" + id + "' is not an nmap scan id");
    std::shared_ptr<Run> run;
    {
        std::lock_guard lock(mu_);
        if (auto it = runs_.find(id); it != runs_.end()) {
            run = it->second;
            runs_.erase(it);
        }
    }
    if (run) {
        std::lock_guard lock(run->mu);
        if (run->child) run->child->terminate();
    }
    std::error_code ec;
    fs::remove_all(scan_dir(id), ec);
    if (ec) return sdk::Error::transient("cannot remove " + scan_dir(id) + ": " + ec.message());
    return {};
}

sdk::Result<std::string> nmap_version(const std::string& nmap_path, const std::string& scratch_dir) {
    std::error_code ec;
    fs::create_directories(scratch_dir, ec);
    const std::string out = (fs::path(scratch_dir) / "nmap-version.txt").string();
    fs::remove(out, ec);
    auto child = ChildProcess::spawn({nmap_path, "--version"}, out);
    if (!child) return std::move(child).error();
    const auto st = child->wait_for(std::chrono::seconds(10));
    if (st.state == ChildProcess::State::running)
        return sdk::Error::permanent(nmap_path + " --version did not answer in 10 s");
    std::ifstream in(out);
    std::string first;
    std::getline(in, first);
    fs::remove(out, ec);
    static constexpr std::string_view kPrefix = "Nmap version ";
    if (st.state != ChildProcess::State::exited || st.code != 0 || first.rfind(kPrefix, 0) != 0) {
        return sdk::Error::permanent(nmap_path + " --version did not say 'Nmap version ...' (got '" + first + "')");
    }
    const auto rest = first.substr(kPrefix.size());
    return rest.substr(0, rest.find(' '));
}

}  // namespace scanorch::nmap
