#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace scanorch::nmap {

namespace {

// posix_spawn's attribute and file-action objects, freed on every path.
struct SpawnSetup {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};
    bool attr_ok = false, actions_ok = false;
    SpawnSetup() {
        attr_ok = posix_spawnattr_init(&attr) == 0;
        actions_ok = posix_spawn_file_actions_init(&actions) == 0;
    }
    ~SpawnSetup() {
        if (attr_ok) posix_spawnattr_destroy(&attr);
        if (actions_ok) posix_spawn_file_actions_destroy(&actions);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

sdk::Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, const std::string& output_path) {
    if (argv.empty()) return sdk::Error::internal("spawn: empty argv");
    SpawnSetup s;
    if (!s.attr_ok || !s.actions_ok) return sdk::Error::transient("spawn: out of memory");
    // A blocked signal mask and ignored signals survive exec: whatever the
    // host process set for itself (a library ignoring SIGPIPE, a thread
    // blocking SIGTERM), the child starts with defaults, so a stop reaches
    // it. Its own process group lets a stop reach whatever it starts in turn.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&s.attr, &none);
    posix_spawnattr_setsigdefault(&s.attr, &defaults);
    posix_spawnattr_setpgroup(&s.attr, 0);
    posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&s.actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
    posix_spawn_file_actions_adddup2(&s.actions, 1, 2);
    // The daemon's sockets and files are not the child's business, whether
    // or not every one of them was opened close-on-exec.
    posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &s.actions, &s.attr, args.data(), environ);
    if (rc != 0) return sdk::Error::permanent("cannot start " + argv[0] + ": " + std::strerror(rc));
    return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), ended_(other.ended_) { other.pid_ = -1; }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        release();
        pid_ = other.pid_;
        ended_ = other.ended_;
        other.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() noexcept {
    if (pid_ > 0 && !ended_) terminate(std::chrono::seconds(2));
    pid_ = -1;
}

ChildProcess::Status ChildProcess::status() noexcept {
    if (ended_ || pid_ <= 0) return ended_.value_or(Status{State::exited, -1});
    int ws = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &ws, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return {State::running, 0};
    if (r < 0) {  // ECHILD: reaped elsewhere (the host ignoring SIGCHLD); its status is gone
        ended_ = Status{State::exited, -1};
    } else if (WIFSIGNALED(ws)) {
        ended_ = Status{State::killed, WTERMSIG(ws)};
    } else {
        ended_ = Status{State::exited, WEXITSTATUS(ws)};
    }
    return *ended_;
}

ChildProcess::Status ChildProcess::wait_for(std::chrono::milliseconds limit) noexcept {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (true) {
        const auto s = status();
        if (s.state != State::running || std::chrono::steady_clock::now() >= until) return s;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

ChildProcess::Status ChildProcess::terminate(std::chrono::milliseconds grace) noexcept {
    if (status().state != State::running) return *ended_;
    // Not reaped yet, so the pid (and its group) is still this child's.
    ::kill(-pid_, SIGTERM);
    if (const auto s = wait_for(grace); s.state != State::running) return s;
    ::kill(-pid_, SIGKILL);
    while (true) {  // SIGKILL cannot be refused: this ends
        if (const auto s = wait_for(std::chrono::seconds(1)); s.state != State::running) return s;
    }
}

}  // namespace scanorch::nmap
