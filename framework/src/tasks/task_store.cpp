#include "scanorch/framework/tasks/task_store.h"

#include "scanorch/framework/clock.h"
#include "scanorch/framework/tasks/task_codec.h"

#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <algorithm>
#include <sstream>

namespace scanorch::framework {

namespace {

// A descriptor closed on every path.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

bool read_all(int fd, std::string& out) {
    char buf[16384];
    for (;;) {
        const auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string read_file(const std::filesystem::path& p, bool& ok) {
    const Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    std::string out;
    ok = fd.get() >= 0 && read_all(fd.get(), out);
    return out;
}

// An flock held for the lifetime of the object.
class DirLock {
public:
    explicit DirLock(const std::filesystem::path& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY)) {
        if (fd_ >= 0) ::flock(fd_, LOCK_EX);
    }
    ~DirLock() {
        if (fd_ >= 0) {
            ::flock(fd_, LOCK_UN);
            ::close(fd_);
        }
    }
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    bool ok() const { return fd_ >= 0; }

private:
    int fd_;
};

}  // namespace

sdk::Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& content) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(rng()));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return sdk::Error::internal("cannot create " + tmp.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        const auto n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return sdk::Error::internal("cannot write " + tmp.string() + ": " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return sdk::Error::internal("cannot flush " + tmp.string() + ": " + std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return sdk::Error::internal("cannot rename into " + path.string() + ": " + why);
    }
    // The rename itself must survive a crash: sync the directory entry.
    const int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

TaskStore::TaskStore(std::filesystem::path data_dir)
    : root_(data_dir / "tasks"), client_root_(std::move(data_dir) / "client_tasks") {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
}

// Client names come from config and may hold anything: hashed, they make a
// safe directory name of fixed length.
std::filesystem::path TaskStore::client_dir(const std::string& client) const {
    Poco::SHA2Engine sha;
    sha.update(client);
    return client_root_ / Poco::DigestEngine::digestToHex(sha.digest());
}

// An empty file per task; losing one (a crash before it reached the disk)
// only undercounts until the task ends, and the scan start check still holds.
void TaskStore::index_for_client(const std::string& client, const std::string& id) const {
    const auto dir = client_dir(client);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const Fd fd(::open((dir / id).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
}

// Done once per data dir, by whichever process first needs the index; tasks
// created meanwhile are indexed by create() anyway.
void TaskStore::build_client_index() const {
    const auto built = client_root_ / ".built";
    std::error_code ec;
    if (std::filesystem::exists(built, ec)) return;
    for (const auto& id : ids()) {
        auto t = load_shared(id);
        if (t && !(*t)->client.empty() && !(*t)->terminal()) index_for_client((*t)->client, id);
    }
    std::filesystem::create_directories(client_root_, ec);
    const Fd fd(::open(built.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
}

std::vector<std::string> TaskStore::unfinished_for(const std::string& client) const {
    build_client_index();
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(client_dir(client), ec)) {
        const auto id = e.path().filename().string();
        auto t = valid_id(id) ? load_shared(id) : sdk::Error::not_found(id);
        // An unreadable task.json still counts: the cap errs on the safe side.
        const bool ended = t ? (*t)->terminal() || (*t)->client != client : t.error().kind == sdk::ErrorKind::not_found;
        if (ended) {
            std::filesystem::remove(e.path(), ec);
        } else {
            out.push_back(id);
        }
    }
    return out;
}

// ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$: never a path separator, never a dot.
bool TaskStore::valid_id(const std::string& id) {
    // ASCII by hand, not std::isalnum: a locale must not widen what may name a directory.
    const auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '_' || c == '-'; });
}

bool TaskStore::Stamp::operator==(const Stamp& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
}

std::filesystem::path TaskStore::dir(const std::string& id) const { return root_ / id; }
std::filesystem::path TaskStore::export_path(const std::string& id, const std::string& attempt) const {
    // One file per attempt: a worker that lost its lease and is still
    // downloading never writes into the file of the one that took over.
    return root_ / id / ("scan-" + attempt + ".nessus");
}

sdk::Result<void> TaskStore::write(const TaskRecord& t) const {
    std::ostringstream out;
    to_json(t)->stringify(out, 2);
    return write_file_atomically(dir(t.task_id) / "task.json", out.str());
}

sdk::Result<void> TaskStore::create(const TaskRecord& t, const std::string& payload) {
    if (!valid_id(t.task_id)) return sdk::Error::invalid_input("invalid task id '" + t.task_id + "'");
    std::error_code ec;
    if (!std::filesystem::create_directory(dir(t.task_id), ec)) {
        if (ec) return sdk::Error::internal("cannot create " + dir(t.task_id).string() + ": " + ec.message());
        return sdk::Error::invalid_input("task '" + t.task_id + "' already exists");
    }
    std::filesystem::permissions(dir(t.task_id), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                     std::filesystem::perms::group_exec, ec);
    // The payload first: a task.json without its payload would be a task no worker can run.
    if (auto r = write_file_atomically(dir(t.task_id) / "payload.sealed", payload); !r) return r;
    if (auto r = write(t); !r) return r;
    if (!t.client.empty()) index_for_client(t.client, t.task_id);
    return {};
}

sdk::Result<TaskRecord> TaskStore::load(const std::string& id) const {
    auto t = read(id, true);
    if (!t) return std::move(t).error();
    return **t;
}

sdk::Result<std::shared_ptr<const TaskRecord>> TaskStore::load_shared(const std::string& id) const { return read(id, true); }

sdk::Result<std::shared_ptr<const TaskRecord>> TaskStore::read(const std::string& id, bool use_cache) const {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    const auto path = dir(id) / "task.json";
    auto stamp_of = [](const struct stat& st) {
        return Stamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
    };
    // open() and fstat(), not stat(): on NFS, open() revalidates the path and
    // the file's attributes (close-to-open), where stat() may answer from an
    // attribute cache up to a minute old.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return sdk::Error::not_found("task '" + id + "' not found");
    if (use_cache) {
        std::lock_guard lock(cache_mu_);
        if (auto it = cache_.find(id); it != cache_.end() && it->second.stamp == stamp_of(st)) return it->second.record;
    }
    std::string text;
    if (!read_all(fd.get(), text)) return sdk::Error::internal("task '" + id + "': cannot read task.json: " + std::strerror(errno));
    std::shared_ptr<const TaskRecord> record;
    try {
        auto parsed = task_from_json(Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>());
        if (!parsed) return sdk::Error::internal("task '" + id + "': task.json: " + parsed.error().message);
        record = std::make_shared<const TaskRecord>(std::move(parsed).value());
    } catch (const Poco::Exception& e) {
        return sdk::Error::internal("task '" + id + "': task.json is unreadable: " + e.displayText());
    }
    if (!use_cache) return record;
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= kCacheEntries && !cache_.count(id)) cache_.erase(cache_.begin());
    cache_[id] = Cached{stamp_of(st), record};
    return record;
}

sdk::Result<std::string> TaskStore::payload(const std::string& id) const {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    bool ok = false;
    std::string text = read_file(dir(id) / "payload.sealed", ok);
    if (!ok) return sdk::Error::not_found("task '" + id + "' has no payload");
    return text;
}

sdk::Result<TaskRecord> TaskStore::update(const std::string& id, const std::function<bool(TaskRecord&)>& change) {
    return write_locked(id, change, true);
}

sdk::Result<void> TaskStore::touch(const std::string& id, std::int64_t at) {
    auto r = write_locked(id, [at](TaskRecord& t) {
        t.last_accessed_at = at;
        return true;
    }, false);
    if (!r) return std::move(r).error();
    return {};
}

sdk::Result<TaskRecord> TaskStore::write_locked(const std::string& id, const std::function<bool(TaskRecord&)>& change,
                                                bool stamp) {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    DirLock lock(dir(id));
    if (!lock.ok()) return sdk::Error::not_found("task '" + id + "' not found");
    auto read_back = read(id, false);  // a record of its own: `change` may alter what it shares with the cache
    if (!read_back) return std::move(read_back).error();
    TaskRecord t = **read_back;
    if (!change(t)) return t;
    if (stamp) t.updated_at = now_ms();
    if (auto w = write(t); !w) return std::move(w).error();
    return t;
}

std::vector<std::string> TaskStore::ids() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
        const auto name = e.path().filename().string();
        if (e.is_directory() && valid_id(name)) out.push_back(name);
    }
    return out;
}

sdk::Result<void> TaskStore::remove(const std::string& id) {
    if (!valid_id(id)) return sdk::Error::invalid_input("invalid task id '" + id + "'");
    std::error_code ec;
    std::filesystem::remove_all(dir(id), ec);
    {
        std::lock_guard lock(cache_mu_);
        cache_.erase(id);
    }
    if (ec) return sdk::Error::internal("cannot remove task '" + id + "': " + ec.message());
    return {};
}

}  // namespace scanorch::framework
